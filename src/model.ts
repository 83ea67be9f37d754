// WhisperModel: faster-whisper's WhisperModel in JavaScript's idiom. The work runs in
// the native engine off the JS thread; this layer decodes audio, reports progress and
// wires AbortSignals.
import os from 'node:os';
import {
  native, type NativeModel, type JobControl, type Segment as NativeSegment, type TranscriptionInfo as NativeTranscriptionInfo,
  type LanguageDetection as NativeLanguageDetection, type NativeChunk, type StageTimings, type TokenLogprob,
} from './native.js';
import { checkSamples, decodeAudio, type AudioInput, type AudioOptions, SAMPLE_RATE } from './audio.js';
import {
  resolveOptions, resolveDecoding, checkValue, optionAt, type DecodingOptions, type PipelineSpecOptions, type ResolvedDecoding, type ResolvedOptions,
  type VadOptions,
} from './options/index.js';
import { EngineError, InputError, abortError, callSignal, fromNative } from './errors.js';
import { speechProbabilities, speechTimestampsOf, collectChunks, speechChunks, restoreSpeechTimestamps, type SpeechTimestamp } from './vad.js';
import { speechRegions, trimSegmentsToSpeech, type SpeechRegion } from './speech-bounds.js';
import { assignSpeakers, checkDiarizeOptions, diarizeSamples, type DiarizeOptions, type SpeakerSummary, type SpeakerTurn } from './diarize/index.js';
import type { Word as NativeWord, DecodeOptions as EngineOptions } from './native.js';
import { LiveTranscriber, type LiveSettings } from './live/index.js';
import { decodeOptions } from './live/partial.js';

export type Device = 'auto' | 'cpu' | 'cuda';
/** CTranslate2's compute types ('auto': float16 on CUDA, int8 on CPU; the engine says which the device supports). */
export const COMPUTE_TYPES = ['auto', 'default', 'int8', 'int8_float32', 'int8_float16', 'int8_bfloat16', 'int16', 'float16', 'bfloat16', 'float32'] as const;
export type ComputeType = (typeof COMPUTE_TYPES)[number];

export interface LoadOptions {
  device?: Device;
  deviceIndex?: number;
  /** 'auto': float16 on CUDA, int8 on CPU. */
  computeType?: ComputeType;
  /** Threads per worker on CPU (0: CTranslate2's default). */
  cpuThreads?: number;
  /** Model replicas, so that concurrent calls run in parallel. */
  numWorkers?: number;
}

// The result types are the engine's (native/src/result.rs), with faster-whisper's field names.
export interface Word extends NativeWord {
  /** With diarize: the speaker whose turns overlap this word most (absent when none does). */
  speaker?: string;
}

export interface Segment extends Omit<NativeSegment, 'words' | 'token_logprobs'> {
  words: Word[] | null;
  /** With tokenLogprobs: the segment's text tokens with their log probabilities (absent otherwise). */
  token_logprobs?: TokenLogprob[];
  /** With splitChannels: the channel this segment came from. */
  channel?: number;
  /** With diarize: the speaker of most of its words (or whose turns overlap it most). */
  speaker?: string;
}

export interface TranscriptionInfo extends NativeTranscriptionInfo {
  /**
   * The options the call ran with, resolved once (every decoding option, the pipeline's choices
   * made), as faster-whisper's TranscriptionInfo.transcription_options; with `vadFilter`, the VAD's
   * parameters; with `diarize`, its settings.
   */
  transcription_options: TranscriptionOptionsReport;
}

/** What `info.transcription_options` holds. */
export type TranscriptionOptionsReport = ResolvedDecoding & {
  vadFilter: boolean;
  batchSize: number | null;
  speechRegions: boolean;
  vadParameters?: ResolvedOptions['vad'];
  diarize?: Record<string, unknown>;
};

export interface Transcription {
  segments: Segment[];
  info: TranscriptionInfo;
  /** With splitChannels: each channel's own transcription (segments above are all of them, by time). */
  channels?: Transcription[];
  /** With diarize: each speaker's speech time and turn count. */
  speakers?: SpeakerSummary[];
  /** With diarize: who spoke when (overlapping turns for overlapping speech). */
  turns?: SpeakerTurn[];
  /**
   * Where Silero VAD hears speech, in seconds (speech-bounds.ts), whenever the VAD ran (vadFilter,
   * batchSize, speechRegions): srt and vtt trim their cues to it. The batched pipeline's words are
   * trimmed to it already; the sequential pipeline's stay faster-whisper's.
   */
  speech?: SpeechRegion[];
}

/** transcribe's diarization settings: DiarizeOptions without what the call itself gives. */
export type TranscribeDiarizeOptions = Omit<DiarizeOptions, 'signal' | 'timeoutMs' | 'decoder' | 'ffmpegPath' | 'maxAudioSeconds' | 'maxAudioBytes'>;

/** The resolved decoding options as the engine takes them: none (null) as an absent field. */
const engineOptions = (d: ResolvedDecoding): EngineOptions =>
  Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null)) as unknown as EngineOptions;

/** What the result reports: the resolved options and the pipeline's. */
function report(r: ResolvedOptions): TranscriptionOptionsReport {
  return { ...r.decoding, vadFilter: r.vadFilter, batchSize: r.batchSize, speechRegions: r.speechRegions, ...(r.vadFilter ? { vadParameters: r.vad } : {}) };
}

export interface CallOptions {
  signal?: AbortSignal;
  /** A time limit for the whole call (decoding, VAD, transcription): past it, the work stops with a TimeoutError. */
  timeoutMs?: number;
  /** Called as work advances, with seconds of audio done and in total. */
  onProgress?: (secondsDone: number, secondsTotal: number) => void;
  /** Called with each segment as soon as it is decoded (in the recording's time). */
  onSegment?: (segment: Segment) => void;
  /** Called once the call is done, with the seconds each stage took (for profiling). */
  onTimings?: (timings: Timings) => void;
}

/** Seconds per stage of one call: audio decoding and VAD here, the engine's stages natively. */
export interface Timings extends StageTimings {
  decode: number;
  vad: number;
}

/**
 * The engine reads samples in place on its own thread (no copy of the audio there): a caller's
 * Float32Array is copied at once, before the caller can change, reuse or transfer it.
 */
function ownSamples(input: AudioInput): AudioInput {
  return input instanceof Float32Array ? input.slice() : input;
}

/** The stages timed here, not in the engine: filled in as the call goes. */
type HostStages = Pick<Timings, 'decode' | 'vad'>;

/** Seconds since `t0` (a `performance.now()`). */
const since = (t0: number) => (performance.now() - t0) / 1000;

export interface PipelineOptions extends PipelineSpecOptions {
  /** Silero VAD's parameters (with vadFilter, or batchSize). */
  vadParameters?: VadOptions;
  /** Path of silero_vad_v6.onnx (default: $CT2_WHISPER_VAD_MODEL, else the model cache). */
  vadModelPath?: string;
  /**
   * Label speakers (diarization with pyannote segmentation-3.0 and CAM++ on ONNX Runtime): `true`,
   * or its options (`minSpeakers`, `maxSpeakers`, `speakerSamples`, ...). Segments and words get
   * `speaker`; the result gets `speakers` and `turns`.
   */
  diarize?: boolean | TranscribeDiarizeOptions;
}

export type TranscribeOptions = DecodingOptions & PipelineOptions & Omit<AudioOptions, 'signal'> & CallOptions;

export type LanguageDetection = NativeLanguageDetection;

export interface DetectLanguageOptions extends CallOptions, Omit<AudioOptions, 'signal' | 'splitChannels'>, Pick<DecodingOptions, 'languageDetectionSegments' | 'languageDetectionThreshold'> {}

const PROGRESS_INTERVAL_MS = 100;

/** A native JobControl wired to a call's signal, progress and segment callbacks. */
interface ControlWire {
  control: JobControl;
  /** Delivers what is left (segments, the final progress) once the work is done. */
  settle(): void;
  /** Stops the poll and unhooks the signal. */
  release(): void;
}

/** The engine's segment as the library gives it: `token_logprobs` only where asked for (the engine says null). */
function ownSegment(s: NativeSegment): Segment {
  const { token_logprobs: logprobs, ...rest } = s;
  return logprobs ? { ...rest, token_logprobs: logprobs } : rest;
}

function wireControl(call: CallOptions, mapSegment: (s: Segment) => Segment = (s) => s): ControlWire {
  const { signal, onProgress, onSegment } = call;
  const control = new (native().JobControl)();
  // A caller that takes segments as they come gets the batched pipeline's first batches small.
  if (onSegment) control.streamSegments();
  const onAbort = () => control.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let last = -1;
  const drainSegments = () => {
    if (onSegment) for (const segment of control.takeSegments()) onSegment(mapSegment(ownSegment(segment)));
  };
  const poll = onProgress || onSegment
    ? setInterval(() => {
        drainSegments();
        if (!onProgress) return;
        const [done, total] = control.progress();
        if (done !== last && total > 0) {
          last = done;
          onProgress(done, total);
        }
      }, PROGRESS_INTERVAL_MS)
    : undefined;
  return {
    control,
    settle() {
      drainSegments();
      if (onProgress) {
        const [, total] = control.progress();
        if (total > 0 && last !== total) onProgress(total, total);
      }
    },
    release() {
      if (poll) clearInterval(poll);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Runs one native call with an abort wire and a progress and segment poll. */
async function withControl<T>(
  call: CallOptions,
  run: (c: JobControl) => Promise<T>,
  mapSegment: (s: Segment) => Segment = (s) => s,
  stages: HostStages = { decode: 0, vad: 0 },
): Promise<T> {
  const { signal } = call;
  if (signal?.aborted) throw abortError(signal);
  const wire = wireControl(call, mapSegment);
  try {
    const out = await run(wire.control);
    wire.settle();
    call.onTimings?.({ ...stages, ...wire.control.timings() });
    return out;
  } catch (e) {
    if (signal?.aborted) throw abortError(signal);
    throw e;
  } finally {
    wire.release();
  }
}

/** Runs `work` with the caller's signal joined to its `timeoutMs` limit, the timer cleared after. */
async function withinTimeLimit<O extends CallOptions, T>(options: O, what: string, work: (o: O) => Promise<T>): Promise<T> {
  const { signal, done } = callSignal(options.signal, options.timeoutMs, what);
  try {
    return await work({ ...options, signal });
  } finally {
    done();
  }
}

/** Silero's speech probabilities of the audio (timed as the VAD stage). */
async function vadProbabilities(audio: Float32Array, options: TranscribeOptions, stages: HostStages): Promise<Float32Array> {
  const t0 = performance.now();
  const probs = await speechProbabilities(audio, options.vadModelPath, options.signal);
  stages.vad += since(t0);
  if (options.signal?.aborted) throw abortError(options.signal);
  return probs;
}

/**
 * `transcribe` (the sequential pipeline on the whole audio) with where the VAD hears speech, when
 * asked for (speechRegions): the VAD runs first, so that its time is in the call's timings.
 */
async function withSpeech(
  transcribe: () => Promise<Transcription>,
  audio: Float32Array,
  options: TranscribeOptions,
  resolved: ResolvedOptions,
  stages: HostStages,
): Promise<Transcription> {
  const probs = resolved.speechRegions ? await vadProbabilities(audio, options, stages) : undefined;
  const r = await transcribe();
  if (probs) r.speech = speechRegions(probs);
  return r;
}

export class WhisperModel {
  private native: NativeModel | null;
  readonly modelPath: string;

  private constructor(n: NativeModel, modelPath: string) {
    this.native = n;
    this.modelPath = modelPath;
  }

  /** Loads a CTranslate2 Whisper model directory (with model.bin, config.json, tokenizer.json). */
  static async load(modelPath: string, opts: LoadOptions = {}): Promise<WhisperModel> {
    if (typeof modelPath !== 'string' || modelPath.length === 0) throw new InputError('model path must be a non-empty string');
    const device = opts.device ?? 'auto';
    if (!['auto', 'cpu', 'cuda'].includes(device)) throw new InputError(`device must be auto, cpu or cuda, got ${JSON.stringify(device)}`);
    // Bounded: a thread count in the thousands crashes GNU OpenMP; replicas each hold the model.
    const cores = os.availableParallelism();
    const bounds = { deviceIndex: [0, 63], cpuThreads: [0, cores * 4], numWorkers: [1, 32] } as const;
    for (const [k, [min, max]] of Object.entries(bounds) as Array<[keyof typeof bounds, readonly [number, number]]>) {
      const v = opts[k];
      if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
        throw new InputError(`${k} must be an integer from ${min} to ${max}${k === 'cpuThreads' ? ` (4 per core; 0: CTranslate2's default)` : ''}, got ${v}`);
      }
    }
    try {
      const n = await native().loadModel(modelPath, {
        device,
        deviceIndex: opts.deviceIndex ?? 0,
        computeType: opts.computeType ?? 'auto',
        cpuThreads: opts.cpuThreads ?? Math.min(4, os.availableParallelism()),
        numWorkers: opts.numWorkers ?? 1,
      });
      return new WhisperModel(n, modelPath);
    } catch (e) {
      throw fromNative(e);
    }
  }

  private get engine(): NativeModel {
    if (!this.native) throw new Error('the model has been disposed');
    return this.native;
  }

  get isMultilingual(): boolean {
    return this.engine.isMultilingual;
  }

  get supportedLanguages(): string[] {
    return this.engine.supportedLanguages;
  }

  get device(): string {
    return this.engine.device;
  }

  get computeType(): string {
    return this.engine.computeType;
  }

  /** Transcribes a file path, an encoded file in memory, or 16 kHz mono samples. */
  async transcribe(input: AudioInput, options: TranscribeOptions = {}): Promise<Transcription> {
    const own = ownSamples(input);
    return withinTimeLimit(options, 'the transcription', (o) => this.transcribeWithin(own, o));
  }

  private async transcribeWithin(input: AudioInput, options: TranscribeOptions): Promise<Transcription> {
    const { diarize, ...rest } = options;
    const diarization = diarize === true ? {} : diarize || undefined;
    if (diarize !== undefined && typeof diarize !== 'boolean' && (typeof diarize !== 'object' || diarize === null || Array.isArray(diarize))) {
      throw new InputError(`diarize must be true, false or an object of diarization options, got ${JSON.stringify(diarize)}`);
    }
    if (diarization) {
      checkDiarizeOptions(diarization);
      if (options.splitChannels) throw new InputError('diarize is not supported with splitChannels (each channel is one speaker already)');
    }
    // Resolved once, before any audio is read; what the call runs with is what the result reports.
    const resolved = resolveOptions(rest);
    const stages = { decode: 0, vad: 0 };
    const t0 = performance.now();
    const channels = await decodeAudio(input, { ...rest, signal: options.signal });
    stages.decode = since(t0);
    const result = await this.transcribeChannels(channels, rest, resolved, stages);
    if (!diarization) return result;
    const d = await diarizeSamples(channels[0], { ...diarization, signal: options.signal });
    assignSpeakers(result.segments, d.turns);
    result.speakers = d.speakers;
    result.turns = d.turns;
    // Echoed without where models come from (a Hub token may be in `locations`) or the samples' audio.
    const { speakerSamples, locations: _where, ...settings } = diarization;
    result.info.transcription_options = {
      ...result.info.transcription_options,
      diarize: speakerSamples ? { ...settings, speakerSamples: speakerSamples.map((s) => s.name) } : settings,
    };
    return result;
  }

  private async transcribeChannels(
    channels: Float32Array[],
    options: TranscribeOptions,
    resolved: ResolvedOptions,
    stages: HostStages,
  ): Promise<Transcription> {
    const engine = this.engine;
    const run = async (audio: Float32Array, call: CallOptions): Promise<Transcription> => {
      try {
        const r = await withControl(call, (c) => engine.transcribe(audio, engineOptions(resolved.decoding), c), undefined, stages);
        return { segments: r.segments.map(ownSegment), info: { ...r.info, transcription_options: report(resolved) } };
      } catch (e) {
        throw fromNative(e);
      }
    };
    if (resolved.batchSize !== null) return this.transcribeBatched(channels[0], options, resolved, stages);
    if (resolved.vadFilter) return this.transcribeWithVad(channels[0], options, resolved, (audio, call) => run(audio, call), stages);
    if (!options.splitChannels) return withSpeech(() => run(channels[0], options), channels[0], options, resolved, stages);
    const total = channels.reduce((s, c) => s + c.length, 0) / SAMPLE_RATE;
    let before = 0;
    const results: Transcription[] = [];
    for (const [i, audio] of channels.entries()) {
      const offset = before;
      const onProgress = options.onProgress && ((d: number) => options.onProgress!(offset + d, total));
      const onSegment = options.onSegment && ((s: Segment) => options.onSegment!({ ...s, channel: i }));
      const r = await run(audio, { signal: options.signal, onProgress, onSegment });
      r.segments.forEach((s) => (s.channel = i));
      results.push(r);
      before += audio.length / SAMPLE_RATE;
    }
    const segments = results.flatMap((r) => r.segments).sort((a, b) => a.start - b.start || (a.channel ?? 0) - (b.channel ?? 0));
    return { segments, info: results[0].info, channels: results };
  }

  /** Sequential decoding of the speech only, in the recording's time (faster-whisper's vad_filter). */
  private async transcribeWithVad(
    audio: Float32Array,
    options: TranscribeOptions,
    resolved: ResolvedOptions,
    run: (audio: Float32Array, call: CallOptions) => Promise<Transcription>,
    stages: HostStages,
  ): Promise<Transcription> {
    if (!wholeRecording(resolved.clips)) return withSpeech(() => run(audio, options), audio, options, resolved, stages);
    const probs = await vadProbabilities(audio, options, stages);
    const speech = speechTimestampsOf(probs, audio.length, resolved.vad);
    const [kept] = collectChunks(audio, speech);
    const onSegment = options.onSegment && ((s: Segment) => options.onSegment!(restoreSpeechTimestamps([s], speech)[0]));
    const r = await run(kept.samples, { ...options, onSegment });
    restoreSpeechTimestamps(r.segments, speech);
    r.info.duration = audio.length / SAMPLE_RATE;
    r.info.duration_after_vad = kept.samples.length / SAMPLE_RATE;
    r.speech = speechRegions(probs);
    return r;
  }

  /** faster-whisper's BatchedInferencePipeline over VAD speech chunks (or given clips). */
  private async transcribeBatched(
    audio: Float32Array,
    options: TranscribeOptions,
    resolved: ResolvedOptions,
    stages: HostStages,
  ): Promise<Transcription> {
    const engine = this.engine;
    const t0 = performance.now();
    const plan = await planBatched(audio, options, resolved);
    stages.vad += since(t0);
    const batchSize = resolved.batchSize!;
    try {
      const r = await withControl(
        options,
        (c) => engine.transcribeBatched(plan.chunks, plan.duration, batchSize, engineOptions(plan.resolved.decoding), c),
        plan.mapSegment,
        stages,
      );
      return finishBatched(plan, r);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Transcribes several recordings with the batched pipeline in one native call, their speech
   * chunks sharing encoder and decoder batches of `batchSize` (what a server does with requests
   * that arrive together). Each request runs its own VAD and keeps its own language, task,
   * initialPrompt, hotwords, tokenLogprobs and call options (signal, onSegment, onProgress); the other decoding
   * options must be equal across requests (`batchKey` says which requests may go together).
   * Resolves with each request's transcription or its own error, in order.
   */
  async transcribeTogether(requests: BatchedRequest[], batchSize: number): Promise<Array<Transcription | Error>> {
    const engine = this.engine;
    checkValue(optionAt('batchSize')!, batchSize);
    const plans = await Promise.all(
      requests.map(async (r): Promise<BatchedPlan | Error> => {
        try {
          if (r.options.signal?.aborted) throw abortError(r.options.signal);
          checkSamples(r.audio, '16 kHz samples');
          const plan = await planBatched(r.audio, r.options, resolveOptions({ ...r.options, batchSize }));
          if (r.options.signal?.aborted) throw abortError(r.options.signal);
          return plan;
        } catch (e) {
          return fromNative(e);
        }
      }),
    );
    const runnable = plans.flatMap((p, i) => (p instanceof Error ? [] : [{ plan: p, request: requests[i] }]));
    const outcomes = new Map<BatchedRequest, Transcription | Error>();
    if (runnable.length) {
      const wires = runnable.map(({ plan, request }) => wireControl(request.options, plan.mapSegment));
      try {
        const results = await engine.transcribeBatchedMany(
          runnable.map(({ plan }) => ({ chunks: plan.chunks, duration: plan.duration, options: engineOptions(plan.resolved.decoding) })),
          batchSize,
          wires.map((w) => w.control),
        );
        results.forEach((r, i) => {
          const { plan, request } = runnable[i];
          const signal = request.options.signal;
          if (r.transcription) {
            wires[i].settle();
            outcomes.set(request, finishBatched(plan, r.transcription));
          } else if (signal?.aborted) {
            outcomes.set(request, abortError(signal));
          } else {
            outcomes.set(request, fromNative(Object.assign(new Error(r.errorMessage ?? 'the batched call failed'), { code: r.errorCode })));
          }
        });
      } catch (e) {
        for (const { request } of runnable) outcomes.set(request, fromNative(e));
      } finally {
        for (const w of wires) w.release();
      }
    }
    return requests.map((r, i) => {
      const p = plans[i];
      return p instanceof Error ? p : (outcomes.get(r) ?? new EngineError('the batched call returned no result'));
    });
  }

  /** Detects the spoken language from the first 30 s windows of the audio. */
  async detectLanguage(input: AudioInput, options: DetectLanguageOptions = {}): Promise<LanguageDetection> {
    const own = ownSamples(input);
    return withinTimeLimit(options, 'the language detection', (o) => this.detectLanguageWithin(own, o));
  }

  private async detectLanguageWithin(input: AudioInput, options: DetectLanguageOptions): Promise<LanguageDetection> {
    const engine = this.engine;
    const { languageDetectionSegments: segments, languageDetectionThreshold: threshold } = resolveDecoding({
      languageDetectionSegments: options.languageDetectionSegments,
      languageDetectionThreshold: options.languageDetectionThreshold,
    });
    const t0 = performance.now();
    const [audio] = await decodeAudio(input, { ...options, splitChannels: false });
    const stages = { decode: since(t0), vad: 0 };
    try {
      return await withControl(options, (c) => engine.detectLanguage(audio, segments, threshold, c), undefined, stages);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * A live transcription: push PCM as it comes (`push`, `pushPcm16`), iterate its events (turns
   * from the VAD, append-only deltas, each turn's `completed`, which is what `transcribe` gives
   * for that turn's audio with these options). See docs/library.md.
   */
  live(options: LiveOptions = {}): LiveTranscriber {
    const { inputRate, turnDetection, partialIntervalMs, maxTurnSeconds, ...transcribe } = options;
    resolveOptions(transcribe); // bad options fail here, not at the first turn
    const settings: LiveSettings = { inputRate, turnDetection, partialIntervalMs, maxTurnSeconds, vadModelPath: transcribe.vadModelPath };
    return new LiveTranscriber((audio, signal, kind) => this.transcribe(audio, { ...decodeOptions(transcribe, kind), signal }), settings);
  }

  /** Frees the model once calls in flight finish; later calls throw. */
  dispose(): void {
    this.native?.dispose();
    this.native = null;
  }
}

/** model.live's options: the transcription's (each turn is transcribed with them) and the session's. */
export type LiveOptions = Omit<TranscribeOptions, 'signal' | 'timeoutMs' | 'onProgress' | 'onSegment' | 'onTimings' | 'splitChannels' | 'diarize'> &
  Omit<LiveSettings, 'vadModelPath'>;

/** One recording for `transcribeTogether`: 16 kHz mono samples and its options. */
export interface BatchedRequest {
  audio: Float32Array;
  options: TranscribeOptions;
}

/** The options that may differ between requests decoded in the same batches (each item has its own prompt). */
const PER_REQUEST_OPTIONS = new Set(['language', 'task', 'initialPrompt', 'hotwords', 'tokenLogprobs']);

/** Whether clips are the whole recording (the default, [0]). */
const wholeRecording = (clips: number[]): boolean => clips.length === 1 && clips[0] === 0;

/**
 * A key equal for requests whose batched decoding settings are equal, so that
 * `transcribeTogether` may take them in one call: the decoding options as the batched pipeline
 * runs them, less the ones each request keeps for itself.
 */
export function batchKey(options: TranscribeOptions): string {
  const batched = resolveDecoding(options, true) as Record<string, unknown>;
  const shared = Object.entries(batched).filter(([k, v]) => !PER_REQUEST_OPTIONS.has(k) && v !== undefined && v !== null);
  return JSON.stringify(shared.sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** What the batched pipeline decodes for one recording, and how its result maps back. */
interface BatchedPlan {
  /** Each chunk as views of the samples (its stretches of speech), read in place by the engine. */
  chunks: NativeChunk[];
  clips: SpeechTimestamp[];
  /** Where the VAD hears speech (the words are trimmed to it), when it ran. */
  regions?: SpeechRegion[];
  /** Whether times go back from speech-only time to the recording's (VAD chunks; not given clips). */
  restore: boolean;
  duration: number;
  /** The options, resolved for the batched pipeline. */
  resolved: ResolvedOptions;
  mapSegment: (s: Segment) => Segment;
}

/** Where each of a chunk's parts (views of `audio`) starts in it, in seconds. */
function partOrigins(audio: Float32Array, parts: Float32Array[]): number[] {
  return parts.map((p) => (p.byteOffset - audio.byteOffset) / Float32Array.BYTES_PER_ELEMENT / SAMPLE_RATE);
}

/** The stretches without speech (between `regions`) that overlap [from, to] seconds, as start, end, start, end... */
function nonSpeechIn(regions: SpeechRegion[], duration: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = 0; i <= regions.length; i++) {
    const start = i === 0 ? 0 : regions[i - 1].end;
    const end = i === regions.length ? duration : regions[i].start;
    if (end > from && start < to && end > start) out.push(start, end);
  }
  return out;
}

/**
 * The batched pipeline's chunks do not join speech more than this many seconds apart (faster-whisper's
 * join any stretches up to chunkLength). Passages joined across a long pause often lose their
 * second part: the decoder ends the chunk early (no timestamp tokens tell it where it is). Chosen on
 * the timing bench's tuning half (1.5, 2, 3, 6 s tried; bench/TIMING.md); speech without such pauses
 * is chunked as before.
 */
const BATCH_CHUNK_GAP_S = 2;

/** The speech chunks of one recording (VAD, or the given clips). */
async function planBatched(audio: Float32Array, options: TranscribeOptions, resolved: ResolvedOptions): Promise<BatchedPlan> {
  const chunkLength = resolved.decoding.chunkLength ?? 30;
  const duration = audio.length / SAMPLE_RATE;
  let clips: SpeechTimestamp[];
  let probs: Float32Array | undefined;
  let restore = true;
  if (!wholeRecording(resolved.clips)) {
    const list = [...resolved.clips];
    if (list.length % 2 === 1) list.push(duration);
    clips = [];
    for (let i = 0; i < list.length; i += 2) clips.push({ start: Math.trunc(list[i] * SAMPLE_RATE), end: Math.trunc(list[i + 1] * SAMPLE_RATE) });
    restore = false;
  } else if (resolved.vadFilter) {
    probs = await speechProbabilities(audio, options.vadModelPath, options.signal);
    clips = speechTimestampsOf(probs, audio.length, resolved.vad);
  } else if (duration < chunkLength) {
    clips = [{ start: 0, end: audio.length }];
  } else {
    throw new InputError('the batched pipeline needs speech chunks: turn vadFilter on or give clipTimestamps');
  }
  if (!probs && resolved.speechRegions) probs = await speechProbabilities(audio, options.vadModelPath, options.signal);
  const regions = probs && speechRegions(probs);
  if (options.signal?.aborted) throw abortError(options.signal);
  // Each chunk with where its parts are in the recording and where the VAD heard no speech there (its segments' pauses).
  const located = (parts: Float32Array[], offset: number) => {
    const origins = partOrigins(audio, parts);
    const last = parts.length - 1;
    const nonSpeech = regions && last >= 0 ? nonSpeechIn(regions, duration, origins[0], origins[last] + parts[last].length / SAMPLE_RATE) : undefined;
    return { parts, offset, origins, nonSpeech };
  };
  const chunks = restore
    ? speechChunks(audio, clips, chunkLength, BATCH_CHUNK_GAP_S).map(({ parts, offset }) => located(parts, offset))
    : clips.map((c) => located([audio.subarray(c.start, c.end)], c.start / SAMPLE_RATE));
  return { chunks, clips, regions, restore, duration, resolved, mapSegment: (s) => (restore ? restoreSpeechTimestamps([s], clips)[0] : s) };
}

/** The engine's result of one planned recording, in the recording's time, with its info. */
function finishBatched(plan: BatchedPlan, r: { segments: NativeSegment[]; info: NativeTranscriptionInfo }): Transcription {
  const segments = r.segments.map(ownSegment);
  if (plan.restore) restoreSpeechTimestamps(segments, plan.clips);
  // The batched pipeline's segments are ours: its words start and end where the speech does.
  if (plan.regions) trimSegmentsToSpeech(segments, plan.regions);
  const kept = plan.clips.reduce((a, c) => a + (c.end - c.start), 0) / SAMPLE_RATE;
  return {
    segments,
    info: { ...r.info, duration: plan.duration, duration_after_vad: kept, transcription_options: report(plan.resolved) },
    ...(plan.regions ? { speech: plan.regions } : {}),
  };
}
