// Speaker embeddings with CAM++ (192 dimensions, L2-normalized) from Kaldi fbank frames: of one
// local speaker in one segmentation window (the frames where it speaks, alone if it does so long
// enough), and of a whole clip (a speaker sample). Which frames make an embedding is chosen here;
// the features and the model run in the addon (embedFrameSets).
import type { FrameSet, NativeEmbedding } from '../native.js';
import { onnxCall } from '../onnx-models.js';
import { FRAME_LENGTH, FRAME_SHIFT, fbankFeatures, fbankFrameCount, type FbankFeatures } from './fbank.js';
import type { Pauser } from './pause.js';
import { FRAMES_PER_WINDOW, FRAME_STEP, LOCAL_SPEAKERS, WINDOW_SAMPLES, type WindowActivity } from './segmentation.js';

export type { FrameSet };
export const EMBEDDING_DIM = 192;
/** Fewest fbank frames (10 ms each) an embedding is computed from. */
export const MIN_EMBEDDING_FRAMES = 40;

export interface LocalEmbedding {
  window: number;
  speaker: number;
  vector: Float32Array;
  /** Fbank frames (10 ms) where this local speaker speaks alone in its window. */
  clean: number;
  /** Fbank frames the embedding was computed from. */
  frames: number;
}

export function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * The embedding of each set of fbank frames of one recording, computed by the addon off the JS
 * thread: `features` is the recording's fbank (fbankFeatures: 10 ms frames, frame t covering
 * samples [160 t, 160 t + 400)); each set's `runs` is [start, end) pairs of frame indices,
 * flattened (start0, end0, start1, end1, ...), none empty, all within the features. A set's frames
 * are gathered in order, mean-normalized per bin over the set, embedded by CAM++ and
 * L2-normalized: one 192-number vector per set, in order. `signal` stops it between sets.
 */
export function embedFrameSets(model: NativeEmbedding, features: FbankFeatures, sets: FrameSet[], signal?: AbortSignal): Promise<Float32Array[]> {
  return onnxCall(signal, (control) => model.embedFrameSets(features, sets, control));
}

/** Ascending frame indices as [start, end) runs, flattened. */
export function frameRuns(frames: ArrayLike<number>): Uint32Array {
  const runs: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    if (runs.length && runs[runs.length - 1] === frames[i]) runs[runs.length - 1] = frames[i] + 1;
    else runs.push(frames[i], frames[i] + 1);
  }
  return Uint32Array.from(runs);
}

/** The frames of one local speaker in one window: where it speaks alone, and where it speaks at all. */
function speakerFrames(window: WindowActivity, spk: number, first: number, last: number): { alone: number[]; any: number[] } {
  const alone: number[] = [];
  const any: number[] = [];
  for (let t = first; t < last; t++) {
    // The segmentation frame whose receptive field is centred nearest this fbank frame's centre.
    const f = Math.round((t * FRAME_SHIFT + FRAME_LENGTH / 2 - window.start - 495) / FRAME_STEP);
    if (f < 0 || f >= FRAMES_PER_WINDOW || !window.active[f * LOCAL_SPEAKERS + spk]) continue;
    any.push(t);
    let others = 0;
    for (let o = 0; o < LOCAL_SPEAKERS; o++) if (o !== spk) others += window.active[f * LOCAL_SPEAKERS + o];
    if (!others) alone.push(t);
  }
  return { alone, any };
}

/** The embedding of every local speaker that speaks long enough in its window; fbank and CAM++ on `threads` threads. */
export async function embedLocalSpeakers(
  audio: Float32Array,
  windows: WindowActivity[],
  model: NativeEmbedding,
  pauser: Pauser,
  threads = 1,
): Promise<LocalEmbedding[]> {
  const features = await fbankFeatures(audio, threads, pauser.signal);
  const total = features.frames;
  const chosen: Array<Omit<LocalEmbedding, 'vector'> & { runs: Uint32Array }> = [];
  for (let w = 0; w < windows.length; w++) {
    if (pauser.due()) await pauser.pause();
    else pauser.check();
    const first = Math.ceil(windows[w].start / FRAME_SHIFT);
    const last = Math.min(total, fbankFrameCount(Math.min(audio.length, windows[w].start + WINDOW_SAMPLES)));
    for (let spk = 0; spk < LOCAL_SPEAKERS; spk++) {
      const { alone, any } = speakerFrames(windows[w], spk, first, last);
      const rows = alone.length >= MIN_EMBEDDING_FRAMES ? alone : any;
      if (rows.length < MIN_EMBEDDING_FRAMES) continue;
      chosen.push({ window: w, speaker: spk, clean: alone.length, frames: rows.length, runs: frameRuns(rows) });
    }
  }
  const vectors = await embedFrameSets(model, features, chosen.map(({ runs }) => ({ runs })), pauser.signal);
  return chosen.map(({ runs: _runs, ...l }, i) => ({ ...l, vector: vectors[i] }));
}

/** The shortest clip embedClip embeds: MIN_EMBEDDING_FRAMES fbank frames, 0.415 s at 16 kHz. */
export const MIN_CLIP_SECONDS = (FRAME_LENGTH + (MIN_EMBEDDING_FRAMES - 1) * FRAME_SHIFT) / 16000;

/** The embedding of a whole clip (a speaker sample); undefined when it is shorter than MIN_CLIP_SECONDS. */
export async function embedClip(audio: Float32Array, model: NativeEmbedding, signal?: AbortSignal): Promise<Float32Array | undefined> {
  const n = fbankFrameCount(audio.length);
  if (n < MIN_EMBEDDING_FRAMES) return undefined;
  const features = await fbankFeatures(audio, 1, signal);
  const [vector] = await embedFrameSets(model, features, [{ runs: Uint32Array.of(0, n) }], signal);
  return vector;
}
