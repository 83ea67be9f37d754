// Options resolved once per call: every value checked against the table (spec.ts), the defaults
// applied, and the pipeline's choices made. What comes out is what the engine runs with and what
// the result reports (`info.transcription_options`, as faster-whisper's TranscriptionOptions);
// nothing downstream checks or defaults an option again.
import { checkValue, optionError } from './check.js';
import { optionsOf, type Group, type OptionSpec } from './spec.js';
import type { DecodingOptions, DiarizeSpecOptions, PipelineSpecOptions, SubtitleOptions, VadOptions } from './types.js';

/** Every field set, the way it is given to the engine: lists for temperature, clipTimestamps and suppressTokens. */
type Filled<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
/** The decoding options with every field set, as the engine takes them. */
export type ResolvedDecoding = Omit<Filled<DecodingOptions>, 'temperature' | 'clipTimestamps' | 'suppressTokens'> & { temperature: number[]; clipTimestamps: number[]; suppressTokens: number[] };
/** Silero VAD's parameters with every field set. */
export type ResolvedVad = Filled<VadOptions>;
/** The subtitle writer's rules with every field set. */
export type ResolvedSubtitles = Filled<SubtitleOptions>;
/** The speaker-count and clustering settings with every field set. */
export type ResolvedDiarize = Filled<DiarizeSpecOptions>;

export interface ResolvedOptions {
  /** What the engine decodes with (the batched pipeline's choices made when `batchSize` is set). */
  decoding: ResolvedDecoding;
  vadFilter: boolean;
  /** null: the sequential pipeline. */
  batchSize: number | null;
  splitChannels: boolean;
  /** Whether the result says where the VAD hears speech (`speech`): asked for, or the VAD runs over the recording anyway. */
  speechRegions: boolean;
  /** The VAD's parameters (the batched pipeline's defaults when batched). */
  vad: ResolvedVad;
  /** The stretches to transcribe, in seconds ([0]: all); the batched pipeline makes them its chunks. */
  clips: number[];
}

/** One group's options from `given` (an object holding them by name), checked, with defaults. */
export function resolveGroup(group: Group, given: Record<string, unknown> | undefined, batched = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of optionsOf(group)) {
    const v = given?.[o.name];
    out[o.name] = v === undefined ? defaultOf(o, batched) : checkValue(o, v);
  }
  return out;
}

function defaultOf(o: OptionSpec, batched: boolean): unknown {
  const d = batched && o.batchedDefault !== undefined ? o.batchedDefault : o.default;
  return Array.isArray(d) ? [...d] : d;
}

/** The fallback list from `temperature` up to 1 in `step`s, built by count (never a float loop). */
function fallbackList(start: number, step: number): number[] {
  const count = start <= 1 ? Math.floor((1 - start) / step + 1e-9) + 1 : 1;
  return Array.from({ length: count }, (_, i) => Math.round((start + i * step) * 1000) / 1000);
}

/** The decoding options checked, with faster-whisper's defaults (and, batched, its batched pipeline's choices). */
export function resolveDecoding(given: DecodingOptions, batched = false): ResolvedDecoding {
  return decodingAndClips(given, batched).decoding;
}

/** The decoding options, and the clips given (which the batched pipeline turns into its chunks). */
function decodingAndClips(given: DecodingOptions, batched: boolean): { decoding: ResolvedDecoding; clips: number[] } {
  const d = resolveGroup('decoding', given as Record<string, unknown>, batched) as ResolvedDecoding;
  const clips = d.clipTimestamps;
  const step = d.temperatureIncrementOnFallback;
  if (step !== null) {
    const t = given.temperature;
    if (Array.isArray(t) && t.length > 1) throw optionError('temperatureIncrementOnFallback', 'takes one {temperature} to start from, not a list');
    d.temperature = fallbackList(Array.isArray(t) ? t[0] : (t ?? 0), step);
  }
  if (batched) {
    // faster-whisper's BatchedInferencePipeline: no conditioning on previous text, no
    // hallucination skipping; clips become chunks (the caller's). Its batches decode at the first
    // temperature; unlike it, a chunk that fails the thresholds goes through the rest of the list
    // on its own (the engine's fallback), as a window of the sequential pipeline does.
    d.conditionOnPreviousText = false;
    d.hallucinationSilenceThreshold = null;
    d.clipTimestamps = [0];
  }
  return { decoding: d, clips };
}

/** The VAD parameters checked, with faster-whisper's defaults (batched: its batched pipeline's, chunks at most `chunkLength`). */
export function resolveVad(given: VadOptions | undefined, batched = false, chunkLength = 30): ResolvedVad {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw optionError('vadParameters', `must be an object of VAD parameters, got ${JSON.stringify(given)}`);
  }
  const vad = resolveGroup('vad', given as Record<string, unknown>, batched) as ResolvedVad;
  if (batched) vad.maxSpeechDurationS = chunkLength;
  return vad;
}

/** The speaker counts and clustering settings checked, with their defaults; numSpeakers sets both counts. */
export function resolveDiarize(given: DiarizeSpecOptions): ResolvedDiarize {
  const d = resolveGroup('diarize', given as Record<string, unknown>) as ResolvedDiarize;
  const num = d.numSpeakers;
  if (num !== null) {
    const clash = (d.minSpeakers !== null && d.minSpeakers !== num) || (d.maxSpeakers !== null && d.maxSpeakers !== num);
    if (clash) throw optionError('diarize.numSpeakers', `(${num}) disagrees with {diarize.minSpeakers}/{diarize.maxSpeakers}`);
    d.minSpeakers = d.maxSpeakers = num;
  }
  if (d.minSpeakers !== null && d.maxSpeakers !== null && d.minSpeakers > d.maxSpeakers) {
    throw optionError('diarize.minSpeakers', `(${d.minSpeakers}) is more than {diarize.maxSpeakers} (${d.maxSpeakers})`);
  }
  return d;
}

/** The subtitle writer's rules checked, with their defaults. */
export function resolveSubtitles(given: SubtitleOptions | undefined): ResolvedSubtitles {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw optionError('subtitles', `must be an object of subtitle options, got ${JSON.stringify(given)}`);
  }
  return resolveGroup('output', given as Record<string, unknown>) as ResolvedSubtitles;
}

/** Every option of a transcription, resolved once for the call. */
export function resolveOptions(given: DecodingOptions & PipelineSpecOptions & { vadParameters?: VadOptions }): ResolvedOptions {
  const batched = given.batchSize !== undefined && given.batchSize !== null;
  const pipeline = resolveGroup('pipeline', given as Record<string, unknown>, batched) as Filled<PipelineSpecOptions>;
  const { decoding, clips } = decodingAndClips(given, batched);
  if (pipeline.splitChannels && (batched || pipeline.vadFilter || pipeline.speechRegions)) {
    throw optionError('splitChannels', `is not supported with ${batched ? '{batchSize}' : pipeline.vadFilter ? '{vadFilter}' : '{speechRegions}'}`);
  }
  return {
    decoding,
    vadFilter: pipeline.vadFilter,
    batchSize: pipeline.batchSize,
    splitChannels: pipeline.splitChannels,
    // The VAD runs over the whole recording with vadFilter (unless clips are given): its speech comes back.
    speechRegions: pipeline.speechRegions || (pipeline.vadFilter && clips.length === 1 && clips[0] === 0),
    vad: resolveVad(given.vadParameters, batched, decoding.chunkLength ?? 30),
    clips,
  };
}
