// Speaker embeddings with CAM++ (192 dimensions, L2-normalized) from Kaldi fbank frames: of sets of
// frames of a recording (the pieces of pieces.ts), and of a whole clip (a speaker sample). Every
// embedding is computed by embedFrameSets.
import type { OrtSession } from '../onnx-session.js';
import { FBANK_BINS, FRAME_LENGTH, FRAME_SHIFT, fbank, gatherNormalized } from './fbank.js';
import type { Pauser } from './pause.js';

export const EMBEDDING_DIM = 192;
/** Fewest fbank frames (10 ms each) an embedding is computed from. */
export const MIN_EMBEDDING_FRAMES = 40;

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

/** A set of fbank frames of the recording, as [start, end) runs of frame indices: start0, end0, start1, end1, ... */
export interface FrameSet {
  runs: Uint32Array;
}

/** Frames a set holds. */
export function frameCount(set: FrameSet): number {
  let n = 0;
  for (let i = 0; i < set.runs.length; i += 2) n += set.runs[i + 1] - set.runs[i];
  return n;
}

/**
 * Every speaker embedding goes through here: one L2-normalized CAM++ vector per set, of that set's
 * fbank frames (rows of `features`, [frames, 80]) gathered in order and mean-normalized per bin.
 * Lets the event loop in between two sets (`pauser`).
 */
export async function embedFrameSets(features: Float32Array, sets: FrameSet[], { ort, session }: OrtSession, pauser?: Pauser): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const set of sets) {
    if (pauser?.due()) await pauser.pause();
    const rows = new Uint32Array(frameCount(set));
    let at = 0;
    for (let i = 0; i < set.runs.length; i += 2) for (let t = set.runs[i]; t < set.runs[i + 1]; t++) rows[at++] = t;
    const x = gatherNormalized(features, rows);
    const result = await session.run({ fbank: new ort.Tensor('float32', x, [1, rows.length, FBANK_BINS]) });
    out.push(normalize(Float32Array.from(result.embedding.data as Float32Array)));
  }
  return out;
}

/** The shortest clip embedClip embeds: MIN_EMBEDDING_FRAMES fbank frames, 0.415 s at 16 kHz. */
export const MIN_CLIP_SECONDS = (FRAME_LENGTH + (MIN_EMBEDDING_FRAMES - 1) * FRAME_SHIFT) / 16000;

/** The embedding of a whole clip (a speaker sample); undefined when it is shorter than MIN_CLIP_SECONDS. */
export async function embedClip(audio: Float32Array, model: OrtSession): Promise<Float32Array | undefined> {
  const features = fbank(audio);
  const n = features.length / FBANK_BINS;
  if (n < MIN_EMBEDDING_FRAMES) return undefined;
  const [v] = await embedFrameSets(features, [{ runs: Uint32Array.of(0, n) }], model);
  return v;
}
