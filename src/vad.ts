// Voice activity detection with Silero VAD v6 (the ONNX model faster-whisper ships), run with
// onnxruntime-node; speech timestamps, chunk collection and the map back to original time
// follow faster-whisper's vad.py.
import fs from 'node:fs';
import path from 'node:path';
import { ModelError } from './errors.js';
import { cacheDir } from './model-path.js';
import { SAMPLE_RATE } from './ffmpeg.js';
import { onnxSession } from './onnx-session.js';
import { resolveVad, type ResolvedVad, type VadOptions } from './options/index.js';

export type { VadOptions };

export const VAD_MODEL_FILE = 'silero_vad_v6.onnx';
const WINDOW = 512;
const CONTEXT = 64;

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

/** Speech probability of each 512-sample window (audio padded to a whole number of windows). */
export async function speechProbabilities(audio: Float32Array, modelPath?: string): Promise<Float32Array> {
  const { ort, session: sess } = await onnxSession(vadModelPath(modelPath));
  const n = Math.floor(audio.length / WINDOW) + 1; // faster-whisper always pads, even a whole window
  const ROW = CONTEXT + WINDOW;
  const probs = new Float32Array(n);
  let h = new ort.Tensor('float32', new Float32Array(128), [1, 1, 128]);
  let c = new ort.Tensor('float32', new Float32Array(128), [1, 1, 128]);
  // The model's input rows, one batch at a time (the LSTM state carried from batch to batch), so
  // that memory stays one batch's (23 MB), not a padded copy of the audio and all its rows (2.1×
  // the samples: 490 MB an hour).
  const BATCH = 10000;
  const rows = new Float32Array(Math.min(BATCH, n) * ROW);
  for (let i = 0; i < n; i += BATCH) {
    const m = Math.min(BATCH, n - i);
    rows.fill(0);
    for (let k = 0; k < m; k++) {
      // Each window is preceded by the last 64 samples of the window before it (zeros for the
      // first); past the audio's end, zeros.
      const start = (i + k) * WINDOW - (i + k > 0 ? CONTEXT : 0);
      const at = k * ROW + (i + k > 0 ? 0 : CONTEXT);
      const end = Math.min((i + k + 1) * WINDOW, audio.length);
      if (end > start) rows.set(audio.subarray(start, end), at);
    }
    const input = new ort.Tensor('float32', rows.subarray(0, m * ROW), [m, ROW]);
    const out = await sess.run({ input, h, c });
    probs.set(out.speech_probs.data as Float32Array, i);
    h = out.hn as typeof h;
    c = out.cn as typeof c;
  }
  return probs;
}

/** faster-whisper's get_speech_timestamps: speech chunks in samples (options checked, with faster-whisper's defaults). */
export async function getSpeechTimestamps(audio: Float32Array, options: VadOptions = {}, modelPath?: string): Promise<SpeechTimestamp[]> {
  return speechTimestamps(audio, resolveVad(options), modelPath);
}

/** getSpeechTimestamps with its parameters resolved already (what a transcription resolved for the call). */
export async function speechTimestamps(audio: Float32Array, options: ResolvedVad, modelPath?: string): Promise<SpeechTimestamp[]> {
  return speechTimestampsOf(await speechProbabilities(audio, modelPath), audio.length, options);
}

/** faster-whisper's get_speech_timestamps on probabilities computed already (speechProbabilities of `length` samples). */
export function speechTimestampsOf(probs: Float32Array, length: number, options: ResolvedVad): SpeechTimestamp[] {
  const threshold = options.threshold;
  const negThreshold = options.negThreshold ?? Math.max(threshold - 0.15, 0.01);
  const minSpeechSamples = (SAMPLE_RATE * options.minSpeechDurationMs) / 1000;
  const speechPadSamples = (SAMPLE_RATE * options.speechPadMs) / 1000;
  const maxSpeechSamples = SAMPLE_RATE * (options.maxSpeechDurationS ?? Infinity) - WINDOW - 2 * speechPadSamples;
  const minSilenceSamples = (SAMPLE_RATE * options.minSilenceDurationMs) / 1000;
  const minSilenceAtMax = (SAMPLE_RATE * 98) / 1000;

  let triggered = false;
  const speeches: SpeechTimestamp[] = [];
  let current: Partial<SpeechTimestamp> = {};
  let tempEnd = 0;
  let prevEnd = 0;
  let nextStart = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    const at = WINDOW * i;
    if (p >= threshold && tempEnd) {
      tempEnd = 0;
      if (nextStart < prevEnd) nextStart = at;
    }
    if (p >= threshold && !triggered) {
      triggered = true;
      current.start = at;
      continue;
    }
    if (triggered && at - current.start! > maxSpeechSamples) {
      if (prevEnd) {
        current.end = prevEnd;
        speeches.push(current as SpeechTimestamp);
        current = {};
        if (nextStart < prevEnd) triggered = false;
        else current.start = nextStart;
        prevEnd = nextStart = tempEnd = 0;
      } else {
        current.end = at;
        speeches.push(current as SpeechTimestamp);
        current = {};
        prevEnd = nextStart = tempEnd = 0;
        triggered = false;
        continue;
      }
    }
    if (p < negThreshold && triggered) {
      if (!tempEnd) tempEnd = at;
      if (at - tempEnd > minSilenceAtMax) prevEnd = tempEnd;
      if (at - tempEnd < minSilenceSamples) continue;
      current.end = tempEnd;
      if (current.end - current.start! > minSpeechSamples) speeches.push(current as SpeechTimestamp);
      current = {};
      prevEnd = nextStart = tempEnd = 0;
      triggered = false;
      continue;
    }
  }
  if (current.start !== undefined && length - current.start > minSpeechSamples) {
    current.end = length;
    speeches.push(current as SpeechTimestamp);
  }
  padSpeeches(speeches, speechPadSamples, length);
  return speeches;
}

/**
 * Pads each speech chunk by `padSamples` on both sides, within the audio (`length` samples), as
 * faster-whisper does: where two chunks are closer than twice the pad, they meet halfway.
 */
function padSpeeches(speeches: SpeechTimestamp[], padSamples: number, length: number): void {
  for (let i = 0; i < speeches.length; i++) {
    const s = speeches[i];
    if (i === 0) s.start = Math.trunc(Math.max(0, s.start - padSamples));
    if (i !== speeches.length - 1) {
      const silence = speeches[i + 1].start - s.end;
      if (silence < 2 * padSamples) {
        s.end += Math.trunc(Math.floor(silence / 2));
        speeches[i + 1].start = Math.trunc(Math.max(0, speeches[i + 1].start - Math.floor(silence / 2)));
      } else {
        s.end = Math.trunc(Math.min(length, s.end + padSamples));
        speeches[i + 1].start = Math.trunc(Math.max(0, speeches[i + 1].start - padSamples));
      }
    } else {
      s.end = Math.trunc(Math.min(length, s.end + padSamples));
    }
  }
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
 */
export function speechChunks(audio: Float32Array, chunks: SpeechTimestamp[], maxDuration = Infinity): SpeechChunk[] {
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
  for (const chunk of chunks) {
    const len = chunk.end - chunk.start;
    if (current + len > maxDuration * SAMPLE_RATE) {
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
