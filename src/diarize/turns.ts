// From per-window local speakers with a global speaker at each frame to speaker turns over the recording:
// the windows' activities are summed per global speaker, each frame keeps as many speakers as the
// windows covering it saw on average (the most active ones), and turns are smoothed (short gaps
// within a speaker's speech filled, very short turns dropped).
import { SAMPLE_RATE } from '../ffmpeg.js';
import { FRAMES_PER_WINDOW, FRAME_SIZE, FRAME_STEP, LOCAL_SPEAKERS, type WindowActivity } from './segmentation.js';

export interface SpeakerTurn {
  start: number;
  end: number;
  speaker: string;
}

export interface TurnOptions {
  /** Gaps within one speaker's speech shorter than this are filled (seconds). */
  minGap: number;
  /** Turns shorter than this are dropped (seconds). */
  minDuration: number;
}

/** Hamming weights over a window's frames: its centre counts more than its edges. */
const WEIGHTS = Float32Array.from({ length: FRAMES_PER_WINDOW }, (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (FRAMES_PER_WINDOW - 1)));

/**
 * `assignment[w][f * LOCAL_SPEAKERS + k]`: the global speaker of local speaker k in window w at its
 * frame f (-1: none). Returns, per global speaker, its turns in seconds (sorted), for `speakers`
 * global speakers.
 */
export function reconstruct(
  windows: WindowActivity[],
  assignment: Int16Array[],
  speakers: number,
  samples: number,
  opts: TurnOptions,
): Array<Array<{ start: number; end: number }>> {
  const frames = Math.max(1, Math.ceil(samples / FRAME_STEP));
  const score = new Float32Array(frames * Math.max(speakers, 1));
  const count = new Float32Array(frames);
  const weight = new Float32Array(frames);
  windows.forEach(({ start, active }, w) => {
    const offset = Math.round(start / FRAME_STEP);
    for (let f = 0; f < FRAMES_PER_WINDOW; f++) {
      const g = offset + f;
      if (g >= frames) break;
      const wt = WEIGHTS[f];
      let n = 0;
      for (let k = 0; k < LOCAL_SPEAKERS; k++) {
        if (!active[f * LOCAL_SPEAKERS + k]) continue;
        n++;
        const s = assignment[w][f * LOCAL_SPEAKERS + k];
        if (s >= 0) score[g * speakers + s] += wt;
      }
      count[g] += wt * n;
      weight[g] += wt;
    }
  });
  const turns: Array<Array<{ start: number; end: number }>> = Array.from({ length: speakers }, () => []);
  const on = new Array<number>(speakers).fill(-1);
  const time = (g: number) => Math.min(samples, g * FRAME_STEP + (FRAME_SIZE - FRAME_STEP) / 2) / SAMPLE_RATE;
  const order = Array.from({ length: speakers }, (_, i) => i);
  for (let g = 0; g <= frames; g++) {
    const active = new Set<number>();
    if (g < frames && weight[g] > 0) {
      const n = Math.round(count[g] / weight[g]);
      order.sort((a, b) => score[g * speakers + b] - score[g * speakers + a]);
      for (let i = 0; i < Math.min(n, speakers); i++) if (score[g * speakers + order[i]] > 0) active.add(order[i]);
    }
    for (let s = 0; s < speakers; s++) {
      if (active.has(s) && on[s] < 0) on[s] = g;
      else if (!active.has(s) && on[s] >= 0) {
        turns[s].push({ start: time(on[s]), end: time(g) });
        on[s] = -1;
      }
    }
  }
  return turns.map((list) => smooth(list, opts));
}

function smooth(turns: Array<{ start: number; end: number }>, { minGap, minDuration }: TurnOptions) {
  const merged: Array<{ start: number; end: number }> = [];
  for (const t of turns) {
    const last = merged[merged.length - 1];
    if (last && t.start - last.end < minGap) last.end = Math.max(last.end, t.end);
    else merged.push({ ...t });
  }
  return merged.filter((t) => t.end - t.start >= minDuration);
}
