// Where speech starts and ends, from Silero VAD's probabilities, to the 32 ms window: what word
// times are trimmed to. Whisper's word times come from cross-attention: a word after a pause tends
// to start early (faster-whisper lets the first word after a pause take up to twice the median
// word length, so it swallows part of the pause), and Silero is sure of speech a little after it
// starts. So a stretch of speech is where Silero is sure (STRONG), widened over the weak speech
// just before and after it (WEAK, across dips of at most MAX_DIP_SECONDS, by at most
// MAX_WIDEN_SECONDS); a word that starts (or ends) outside every stretch is moved to where the
// stretch inside it starts (or ends), and the first word of a stretch to where it starts.
// Tuned on the tuning half of bench/timing's recordings.
import { SAMPLE_RATE } from './ffmpeg.js';

/** A stretch of speech, in seconds. */
export interface SpeechRegion {
  start: number;
  end: number;
}

/** Seconds per Silero window (512 samples). */
const WINDOW_SECONDS = 512 / SAMPLE_RATE;
/** Silero's probability at or above which a window is speech for sure (its default threshold). */
const STRONG = 0.5;
/** Below this a stretch of speech may end (Silero's default: the threshold less 0.15). */
const END = 0.35;
/** Silence that ends a stretch: a tenth of a second (a pause between words, not a closure inside one). */
const MIN_SILENCE_SECONDS = 0.1;
/**
 * A probability at or above this, next to sure speech, is speech (Silero's is ~0 over silence,
 * tones and music) — or at or above FLOOR_TIMES the level of the non-speech before it (hum and
 * noise hold Silero at 0.02-0.06), its median over FLOOR_SECONDS beyond the widest widening.
 */
const WEAK = 0.02;
const FLOOR_TIMES = 2;
const FLOOR_SECONDS = 2;
const MAX_DIP_SECONDS = 0.2;
const MAX_WIDEN_SECONDS = 1.5;
/** How late into a stretch of speech its first word may start and still be moved to its start. */
const LEAD_SECONDS = 0.6;
/**
 * A word wholly in non-speech that ends at most this long before a stretch starts is where the
 * stretch starts (Silero is sure of speech up to about half a second after it starts; the word's
 * cross-attention time was early).
 */
const LAG_SECONDS = 0.6;

/** Where Silero is sure of speech: windows at or above STRONG, until MIN_SILENCE_SECONDS below END. */
function sureSpeech(probs: ArrayLike<number>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = -1;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] >= STRONG) {
      if (from < 0) from = i;
      last = i;
    } else if (from >= 0 && probs[i] < END && (i - last) * WINDOW_SECONDS > MIN_SILENCE_SECONDS) {
      out.push([from, last + 1]);
      from = -1;
    }
  }
  if (from >= 0) out.push([from, last + 1]);
  return out;
}

/**
 * The level of the non-speech beside window `i` (direction `step`, up to window `limit`, where
 * the next stretch of sure speech is): the median probability over FLOOR_SECONDS beyond
 * MAX_WIDEN_SECONDS, or over what there is when the non-speech is shorter.
 */
function floorNear(probs: ArrayLike<number>, i: number, step: 1 | -1, limit: number): number {
  const skip = Math.round(MAX_WIDEN_SECONDS / WINDOW_SECONDS);
  const n = Math.round(FLOOR_SECONDS / WINDOW_SECONDS);
  const gap: number[] = [];
  for (let k = i + step; k >= 0 && k < probs.length && k !== limit && gap.length < skip + n; k += step) gap.push(probs[k]);
  const values = gap.length > skip + n / 4 ? gap.slice(skip) : gap;
  values.sort((a, b) => a - b);
  return values.length ? values[values.length >> 1] : 0;
}

/** How far from window `i` (inclusive) weak speech goes in direction `step`, across short dips, within `limit`. */
function widen(probs: ArrayLike<number>, i: number, step: 1 | -1, limit: number): number {
  const weak = Math.max(WEAK, FLOOR_TIMES * floorNear(probs, i, step, limit));
  let best = i;
  let dip = 0;
  const max = Math.round(MAX_WIDEN_SECONDS / WINDOW_SECONDS);
  for (let k = i + step, n = 1; k >= 0 && k < probs.length && n <= max && k !== limit; k += step, n++) {
    if (probs[k] >= weak) {
      best = k;
      dip = 0;
    } else if ((dip += WINDOW_SECONDS) > MAX_DIP_SECONDS) break;
  }
  return best;
}

/** The stretches of speech in Silero's per-window probabilities (speechProbabilities), in seconds. */
export function speechRegions(probs: ArrayLike<number>): SpeechRegion[] {
  const sure = sureSpeech(probs);
  const out: SpeechRegion[] = [];
  sure.forEach(([from, to], n) => {
    const before = n > 0 ? sure[n - 1][1] - 1 : -1;
    const after = n + 1 < sure.length ? sure[n + 1][0] : probs.length;
    const start = widen(probs, from, -1, before) * WINDOW_SECONDS;
    const end = (widen(probs, to - 1, 1, after) + 1) * WINDOW_SECONDS;
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  });
  return out;
}

interface Timed {
  start: number;
  end: number;
}

/** The index of the last region that starts at or before `t` (-1: none), by bisection. */
function lastStartingBy(regions: readonly SpeechRegion[], t: number): number {
  let lo = 0;
  let hi = regions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (regions[mid].start <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Words (in order) trimmed to speech, in place: a word that starts outside every stretch, where a
 * stretch starts inside it, starts there (and one wholly outside, at most LAG_SECONDS before a
 * stretch, is moved to its start); one that ends outside every stretch, where a stretch ends
 * inside it, ends there. And a stretch starts with its first word: a word that starts at most
 * LEAD_SECONDS into a stretch no word before it reaches starts where the stretch does
 * (cross-attention places a word after a pause late about as often as early).
 */
export function trimToSpeech<T extends Timed>(words: T[], regions: readonly SpeechRegion[]): T[] {
  let previousEnd = -Infinity;
  for (const w of words) {
    const a = lastStartingBy(regions, w.start);
    if (a < 0 || w.start > regions[a].end) {
      const next = regions[a + 1];
      if (next && next.start < w.end) w.start = round(next.start);
      else if (next && next.start - w.end <= LAG_SECONDS) w.start = w.end = round(next.start); // Silero heard it late
    } else if (previousEnd < regions[a].start && w.start - regions[a].start <= LEAD_SECONDS) {
      w.start = round(regions[a].start);
    }
    const b = lastStartingBy(regions, w.end);
    if (b >= 0 && w.end > regions[b].end && regions[b].end > w.start) w.end = round(regions[b].end);
    previousEnd = w.end;
  }
  return words;
}

const round = (t: number): number => Math.round(t * 100) / 100;

/** Segments whose words are trimmed to speech, each then from its first word's start to its last word's end (in place). */
export function trimSegmentsToSpeech<S extends Timed & { words: Timed[] | null }>(segments: S[], regions: readonly SpeechRegion[]): S[] {
  trimToSpeech(segments.flatMap((s) => s.words ?? []), regions);
  for (const s of segments) {
    if (!s.words?.length) continue;
    s.start = s.words[0].start;
    s.end = Math.max(s.start, s.words[s.words.length - 1].end);
  }
  return segments;
}
