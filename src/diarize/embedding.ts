// Speaker embeddings with CAM++ (192 dimensions, L2-normalized) from Kaldi fbank frames: of one
// local speaker in one segmentation window (the frames where it speaks, alone if it does so long
// enough), and of a whole clip (a speaker sample).
import type { OrtSession } from '../onnx-session.js';
import { FBANK_BINS, FRAME_LENGTH, FRAME_SHIFT, fbank, fbankFrameCount, fbankPausing, gatherNormalized } from './fbank.js';
import type { Pauser } from './pause.js';
import { FRAMES_PER_WINDOW, FRAME_STEP, LOCAL_SPEAKERS, WINDOW_SAMPLES, type WindowActivity } from './segmentation.js';

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

async function embedRows({ ort, session }: OrtSession, features: Float32Array, rows: ArrayLike<number>): Promise<Float32Array> {
  const x = gatherNormalized(features, rows);
  const out = await session.run({ fbank: new ort.Tensor('float32', x, [1, rows.length, FBANK_BINS]) });
  return normalize(Float32Array.from(out.embedding.data as Float32Array));
}

/** The embedding of every local speaker that speaks long enough in its window. */
export async function embedLocalSpeakers(
  audio: Float32Array,
  windows: WindowActivity[],
  model: OrtSession,
  pauser: Pauser,
): Promise<LocalEmbedding[]> {
  const features = await fbankPausing(audio, pauser);
  const total = features.length / FBANK_BINS;
  const out: LocalEmbedding[] = [];
  for (let w = 0; w < windows.length; w++) {
    if (pauser.due()) await pauser.pause();
    else pauser.check();
    const { start, active } = windows[w];
    const first = Math.ceil(start / FRAME_SHIFT);
    const last = Math.min(total, fbankFrameCount(Math.min(audio.length, start + WINDOW_SAMPLES)));
    for (let spk = 0; spk < LOCAL_SPEAKERS; spk++) {
      const alone: number[] = [];
      const any: number[] = [];
      for (let t = first; t < last; t++) {
        // The segmentation frame whose receptive field is centred nearest this fbank frame's centre.
        const f = Math.round((t * FRAME_SHIFT + FRAME_LENGTH / 2 - start - 495) / FRAME_STEP);
        if (f < 0 || f >= FRAMES_PER_WINDOW || !active[f * LOCAL_SPEAKERS + spk]) continue;
        any.push(t);
        let others = 0;
        for (let o = 0; o < LOCAL_SPEAKERS; o++) if (o !== spk) others += active[f * LOCAL_SPEAKERS + o];
        if (!others) alone.push(t);
      }
      const rows = alone.length >= MIN_EMBEDDING_FRAMES ? alone : any;
      if (rows.length < MIN_EMBEDDING_FRAMES) continue;
      out.push({ window: w, speaker: spk, vector: await embedRows(model, features, rows), clean: alone.length, frames: rows.length });
    }
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
  return embedRows(model, features, Array.from({ length: n }, (_, i) => i));
}
