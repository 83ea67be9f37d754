// Voice activity detection with Silero VAD v6 (the ONNX model faster-whisper ships), run by the
// addon on ONNX Runtime (native/src/onnx/: the probabilities and faster-whisper's
// get_speech_timestamps); chunk collection and the map back to original time follow
// faster-whisper's vad.py here.
import fs from 'node:fs';
import path from 'node:path';
import { ModelError } from './errors.js';
import { cacheDir } from './model-path.js';
import { SAMPLE_RATE } from './ffmpeg.js';
import { native, type NativeVadParameters } from './native.js';
import { onnxCall, vadModel } from './onnx-models.js';
import { resolveVad, type ResolvedVad, type VadOptions } from './options/index.js';

export type { VadOptions };

export const VAD_MODEL_FILE = 'silero_vad_v6.onnx';

export interface SpeechTimestamp {
  start: number;
  end: number;
}

/**
 * Where the Silero model is: `explicit` (the vadModelPath option), else the default cache's
 * models/silero_vad_v6.onnx (~/.cache/ct2-whisper; the CLI and the worker pass the path they
 * take from CT2_WHISPER_VAD_MODEL or CT2_WHISPER_CACHE). A missing file is a ModelError that
 * says which option to pass.
 */
export function vadModelPath(explicit?: string): string {
  const p = explicit || path.join(cacheDir(), 'models', VAD_MODEL_FILE);
  if (!fs.existsSync(p)) {
    throw new ModelError(
      `the VAD model was not found at ${p}${explicit ? '' : ' (the default)'}: pass vadModelPath, the path of ${VAD_MODEL_FILE}` +
        ` (CT2_WHISPER_VAD_MODEL for the CLI and the worker), or run \`npm run models\` to put it in ${path.join(cacheDir(), 'models')} (it comes with faster-whisper's PyPI package)`,
    );
  }
  return p;
}

/** Whether the Silero model is where vadModelPath would look (what srt and vtt use when it is). */
export function hasVadModel(explicit?: string): boolean {
  return fs.existsSync(explicit || path.join(cacheDir(), 'models', VAD_MODEL_FILE));
}

/**
 * Speech probability of each 512-sample window (audio padded to a whole number of windows plus
 * one, as faster-whisper pads), computed by the addon off the JS thread; `signal` stops it.
 */
export async function speechProbabilities(audio: Float32Array, modelPath?: string, signal?: AbortSignal): Promise<Float32Array> {
  const vad = await vadModel(vadModelPath(modelPath));
  return onnxCall(signal, (control) => vad.speechProbabilities(audio, control));
}

/** faster-whisper's get_speech_timestamps: speech chunks in samples (options checked, with faster-whisper's defaults). */
export async function getSpeechTimestamps(audio: Float32Array, options: VadOptions = {}, modelPath?: string): Promise<SpeechTimestamp[]> {
  return speechTimestamps(audio, resolveVad(options), modelPath);
}

/** faster-whisper's get_speech_timestamps on probabilities computed already (speechProbabilities of `length` samples), by the addon. */
export function speechTimestampsOf(probs: Float32Array, length: number, options: ResolvedVad): SpeechTimestamp[] {
  return native().speechTimestampsOf(probs, length, vadParameters(options));
}
/**
 * getSpeechTimestamps with its parameters resolved already (what a transcription resolved for the
 * call): the probabilities and the chunks both computed by the addon (native/src/onnx/vad.rs and
 * speech.rs), off the JS thread; `signal` stops it.
 */
export async function speechTimestamps(audio: Float32Array, options: ResolvedVad, modelPath?: string, signal?: AbortSignal): Promise<SpeechTimestamp[]> {
  const vad = await vadModel(vadModelPath(modelPath));
  return onnxCall(signal, (control) => vad.speechTimestamps(audio, vadParameters(options), control));
}

/** The resolved VAD options as the addon takes them. */
function vadParameters(options: ResolvedVad): NativeVadParameters {
  return {
    threshold: options.threshold,
    negThreshold: options.negThreshold ?? undefined,
    minSpeechDurationMs: options.minSpeechDurationMs,
    maxSpeechDurationS: options.maxSpeechDurationS ?? Infinity,
    minSilenceDurationMs: options.minSilenceDurationMs,
    speechPadMs: options.speechPadMs,
  };
}

/** Speech chunks as views of the audio: each chunk's stretches, in order, with no copy. */
export interface SpeechChunk {
  parts: Float32Array[];
  /** Seconds into the audio that was kept. */
  offset: number;
  duration: number;
  segments: SpeechTimestamp[];
}

export interface CollectedChunk {
  samples: Float32Array;
  /** Seconds into the audio that was kept. */
  offset: number;
  duration: number;
  segments: SpeechTimestamp[];
}

/**
 * Groups speech chunks into pieces of at most `maxDuration` seconds (faster-whisper's
 * collect_chunks), each as views of `audio`: the batched pipeline's engine reads them in place.
 * With `maxGap` (seconds), a chunk that starts more than that after the one before it also
 * starts a new piece (faster-whisper has none: Infinity).
 */
export function speechChunks(audio: Float32Array, chunks: SpeechTimestamp[], maxDuration = Infinity, maxGap = Infinity): SpeechChunk[] {
  if (chunks.length === 0) return [{ parts: [], offset: 0, duration: 0, segments: [] }];
  const out: SpeechChunk[] = [];
  let parts: Float32Array[] = [];
  let segments: SpeechTimestamp[] = [];
  let current = 0;
  let total = 0;
  const flush = () => {
    out.push({ parts, offset: total / SAMPLE_RATE, duration: current / SAMPLE_RATE, segments });
    total += current;
  };
  let previousEnd = -Infinity;
  for (const chunk of chunks) {
    const len = chunk.end - chunk.start;
    const apart = current > 0 && chunk.start - previousEnd > maxGap * SAMPLE_RATE;
    previousEnd = chunk.end;
    if (current + len > maxDuration * SAMPLE_RATE || apart) {
      flush();
      parts = [audio.subarray(chunk.start, chunk.end)];
      segments = [];
      current = len;
    } else {
      segments.push(chunk);
      parts.push(audio.subarray(chunk.start, chunk.end));
      current += len;
    }
  }
  flush();
  return out;
}

/** speechChunks with each chunk's stretches joined into one array of samples. */
export function collectChunks(audio: Float32Array, chunks: SpeechTimestamp[], maxDuration = Infinity): CollectedChunk[] {
  return speechChunks(audio, chunks, maxDuration).map(({ parts, offset, duration, segments }) => {
    const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      samples.set(p, at);
      at += p.length;
    }
    return { samples, offset, duration, segments };
  });
}

/** Maps times in the speech-only audio back to the original recording. */
export class SpeechTimestampsMap {
  private chunkEndSample: number[] = [];
  private totalSilenceBefore: number[] = [];

  constructor(chunks: SpeechTimestamp[]) {
    let previousEnd = 0;
    let silent = 0;
    for (const c of chunks) {
      silent += c.start - previousEnd;
      previousEnd = c.end;
      this.chunkEndSample.push(c.end - silent);
      this.totalSilenceBefore.push(silent / SAMPLE_RATE);
    }
  }

  chunkIndex(time: number, isEnd = false): number {
    const sample = Math.trunc(time * SAMPLE_RATE);
    if (isEnd) {
      const exact = this.chunkEndSample.indexOf(sample);
      if (exact >= 0) return exact;
    }
    // bisect_right
    let lo = 0;
    let hi = this.chunkEndSample.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sample < this.chunkEndSample[mid]) hi = mid;
      else lo = mid + 1;
    }
    return Math.min(lo, this.chunkEndSample.length - 1);
  }

  originalTime(time: number, chunkIndex?: number, isEnd = false): number {
    const i = chunkIndex ?? this.chunkIndex(time, isEnd);
    return Math.round((this.totalSilenceBefore[i] + time) * 100) / 100;
  }
}

interface Timed {
  start: number;
  end: number;
  words: Array<{ start: number; end: number }> | null;
}

/** Moves segments (and their words) from speech-only time back to the recording's time. */
export function restoreSpeechTimestamps<T extends Timed>(segments: T[], chunks: SpeechTimestamp[]): T[] {
  const map = new SpeechTimestampsMap(chunks);
  for (const s of segments) {
    if (s.words && s.words.length) {
      for (const w of s.words) {
        const i = map.chunkIndex((w.start + w.end) / 2);
        w.start = map.originalTime(w.start, i);
        w.end = map.originalTime(w.end, i);
      }
      s.start = s.words[0].start;
      s.end = s.words[s.words.length - 1].end;
    } else {
      s.start = map.originalTime(s.start);
      s.end = map.originalTime(s.end, undefined, true);
    }
  }
  return segments;
}
