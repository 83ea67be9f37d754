// Which frames each speaker embedding is computed from. A segmentation window's "local speaker"
// often covers two voices (the model's own behaviour), so one embedding per window and local
// speaker mixes them: instead, each local speaker's activity in each window is cut at its pauses
// (PAUSE_S or longer) into stretches, and each stretch into pieces of at most MAX_PIECE_S, one
// embedding each. A piece's fbank frames are those where its local speaker speaks alone, when there
// are enough of them, else all its active frames. Every active frame of a local speaker then takes
// the speaker of its piece (or of the nearest piece of the same local speaker in that window).
import { FRAME_LENGTH, FRAME_SHIFT } from './fbank.js';
import { MIN_EMBEDDING_FRAMES, type FrameSet } from './embedding.js';
import { FRAMES_PER_WINDOW, FRAME_SIZE, FRAME_STEP, LOCAL_SPEAKERS, WINDOW_SAMPLES, type WindowActivity } from './segmentation.js';
import { SAMPLE_RATE } from '../ffmpeg.js';

/** A pause of a local speaker at least this long (seconds) ends a stretch of its speech. */
export const PAUSE_S = 0.25;
/** Longest piece (seconds): a longer stretch is cut into equal pieces no longer than this. */
export const MAX_PIECE_S = 3;

export interface Piece extends FrameSet {
  window: number;
  /** The local speaker (0..LOCAL_SPEAKERS-1). */
  speaker: number;
  /** Segmentation frames [from, to) of the window the piece spans. */
  from: number;
  to: number;
  /** Fbank frames (10 ms) in `runs`. */
  frames: number;
  /** Of those, frames where the local speaker speaks alone. */
  clean: number;
  /**
   * Whether this window is the piece's home: the one whose centre is nearest the piece's centre.
   * Windows overlap, so most speech is cut into pieces twice; only home pieces are clustered (the
   * others are near copies of them, which would split the similarity graph into pairs).
   */
  home: boolean;
}

const framesOf = (seconds: number) => Math.round((seconds * SAMPLE_RATE) / FRAME_STEP);

/** The segmentation frame of window `start` whose receptive field is centred nearest fbank frame t's centre. */
const segFrame = (t: number, start: number) => Math.round((t * FRAME_SHIFT + FRAME_LENGTH / 2 - start - FRAME_SIZE / 2) / FRAME_STEP);

/** Stretches [from, to) of a local speaker's activity in a window, pauses shorter than PAUSE_S bridged. */
function stretches(active: Uint8Array, k: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const pause = framesOf(PAUSE_S);
  for (let f = 0; f < FRAMES_PER_WINDOW; f++) {
    if (!active[f * LOCAL_SPEAKERS + k]) continue;
    let end = f + 1;
    while (end < FRAMES_PER_WINDOW && active[end * LOCAL_SPEAKERS + k]) end++;
    const last = out[out.length - 1];
    if (last && f - last[1] < pause) last[1] = end;
    else out.push([f, end]);
    f = end;
  }
  return out;
}

/**
 * The pieces of every window's local speakers that hold at least MIN_EMBEDDING_FRAMES fbank frames.
 * `whole`: one piece per window and local speaker instead, of all its speech (alone where it has
 * MIN_EMBEDDING_FRAMES of that), every one home (the simpler path of short recordings).
 */
export function cutPieces(windows: WindowActivity[], fbankFrames: number, whole = false): Piece[] {
  const out: Piece[] = [];
  if (whole) {
    windows.forEach(({ start, active }, w) => {
      for (let k = 0; k < LOCAL_SPEAKERS; k++) {
        const piece = framesFor(active, k, start, 0, FRAMES_PER_WINDOW, fbankFrames, 0);
        if (piece.frames >= MIN_EMBEDDING_FRAMES) out.push({ window: w, speaker: k, from: 0, to: FRAMES_PER_WINDOW, ...piece, home: true });
      }
    });
    return out;
  }
  const maxPiece = framesOf(MAX_PIECE_S);
  const centres = windows.map((x) => x.start + WINDOW_SAMPLES / 2);
  const home = (w: number, sample: number) => centres.every((c, v) => v === w || Math.abs(c - sample) > Math.abs(centres[w] - sample) || (Math.abs(c - sample) === Math.abs(centres[w] - sample) && v > w));
  windows.forEach(({ start, active }, w) => {
    for (let k = 0; k < LOCAL_SPEAKERS; k++) {
      for (const [a, b] of stretches(active, k)) {
        const n = Math.ceil((b - a) / maxPiece);
        for (let i = 0; i < n; i++) {
          const from = a + Math.round(((b - a) * i) / n);
          const to = a + Math.round(((b - a) * (i + 1)) / n);
          const piece = framesFor(active, k, start, from, to, fbankFrames, 0.5);
          const middle = start + ((from + to) / 2) * FRAME_STEP + FRAME_SIZE / 2;
          if (piece.frames >= MIN_EMBEDDING_FRAMES) out.push({ window: w, speaker: k, from, to, ...piece, home: home(w, middle) });
        }
      }
    }
  });
  return out;
}

/**
 * The fbank frames of local speaker k within segmentation frames [from, to): those where it speaks
 * alone if there are MIN_EMBEDDING_FRAMES of them and at least `aloneShare` of all, else all active.
 */
function framesFor(active: Uint8Array, k: number, start: number, from: number, to: number, total: number, aloneShare: number) {
  const alone: number[] = [];
  const any: number[] = [];
  // The first fbank frame whose centre is in segmentation frame `from`.
  const first = Math.max(0, Math.floor((start + (from - 0.5) * FRAME_STEP + FRAME_SIZE / 2 - FRAME_LENGTH / 2) / FRAME_SHIFT));
  for (let t = first; t < total; t++) {
    const f = segFrame(t, start);
    if (f < from) continue;
    if (f >= to) break;
    if (!active[f * LOCAL_SPEAKERS + k]) continue;
    let others = 0;
    for (let o = 0; o < LOCAL_SPEAKERS; o++) if (o !== k) others += active[f * LOCAL_SPEAKERS + o];
    (others ? any : alone).push(t);
  }
  const useAlone = alone.length >= MIN_EMBEDDING_FRAMES && alone.length >= aloneShare * (alone.length + any.length);
  const rows = useAlone ? alone : [...alone, ...any].sort((x, y) => x - y);
  return { runs: toRuns(rows), frames: rows.length, clean: alone.length };
}

/** Sorted frame indices as [start, end) runs. */
function toRuns(rows: number[]): Uint32Array {
  const runs: number[] = [];
  for (const t of rows) {
    if (runs.length && runs[runs.length - 1] === t) runs[runs.length - 1] = t + 1;
    else runs.push(t, t + 1);
  }
  return Uint32Array.from(runs);
}

/**
 * The global speaker of every active (segmentation frame, local speaker) of every window, from the
 * pieces' labels: `out[w][f * LOCAL_SPEAKERS + k]`, -1 where the local speaker is silent or has no
 * piece in that window. Frames outside every piece take the nearest piece's label.
 */
export function frameSpeakers(windows: WindowActivity[], pieces: Piece[], labels: number[]): Int16Array[] {
  const out = windows.map(() => new Int16Array(FRAMES_PER_WINDOW * LOCAL_SPEAKERS).fill(-1));
  const byLocal = new Map<number, number[]>();
  pieces.forEach((p, i) => {
    const key = p.window * LOCAL_SPEAKERS + p.speaker;
    if (!byLocal.has(key)) byLocal.set(key, []);
    byLocal.get(key)!.push(i);
  });
  for (const [key, list] of byLocal) {
    const w = Math.floor(key / LOCAL_SPEAKERS);
    const k = key % LOCAL_SPEAKERS;
    const { active } = windows[w];
    for (let f = 0; f < FRAMES_PER_WINDOW; f++) {
      if (!active[f * LOCAL_SPEAKERS + k]) continue;
      let best = list[0];
      let distance = Infinity;
      for (const i of list) {
        const p = pieces[i];
        const d = f < p.from ? p.from - f : f >= p.to ? f - p.to + 1 : 0;
        if (d < distance) {
          distance = d;
          best = i;
        }
      }
      out[w][f * LOCAL_SPEAKERS + k] = labels[best];
    }
  }
  return out;
}
