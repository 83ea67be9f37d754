// Cutting words into cues, as subtitle tools do: a cue never holds a pause of more than
// PAUSE_SECONDS or two speakers; within those stretches the cuts are chosen together (dynamic
// programming) so that every cue lasts at most maxCueSeconds and fits in maxLineCount lines of
// maxLineWidth characters (and maxWordsPerLine words), with as few cues as that allows, cut at
// sentence ends first, then at clause ends, segment ends and pauses, never after "the" or "of".
// A cue runs from its first word's start to its last word's end.
import { breakBadness, layOut, Measure, type LineRules } from './lines.js';
import { speakerPrefix, width } from './text.js';
import type { CueWord } from './words.js';

/** A pause between words longer than this (seconds) always ends a cue: a cue never shows over non-speech. */
export const PAUSE_SECONDS = 1;
/** A pause at least this long (seconds) is a good place to cut. */
const GOOD_PAUSE_SECONDS = 0.4;

export interface CueRules extends LineRules {
  maxCueSeconds: number;
}

export interface Cue {
  start: number;
  end: number;
  words: CueWord[];
  /** How many of its words each line holds. */
  lines: number[];
  speaker?: string;
}

/** Stretches of words with no long pause inside and one speaker. */
function stretches(words: CueWord[]): CueWord[][] {
  const out: CueWord[][] = [];
  let current: CueWord[] = [];
  for (const w of words) {
    const last = current[current.length - 1];
    if (last && (w.start - last.end > PAUSE_SECONDS || w.speaker !== last.speaker)) {
      out.push(current);
      current = [];
    }
    current.push(w);
  }
  if (current.length) out.push(current);
  return out;
}

/** How bad ending a cue after words[j] is (the stretch's last word: not at all). */
function cutCost(words: CueWord[], j: number): number {
  if (j === words.length - 1) return 0;
  const pause = words[j + 1].start - words[j].end;
  let cost = breakBadness(words[j].text, words[j + 1].text) * 3;
  if (words[j].segmentEnd) cost = Math.min(cost, 3);
  if (pause >= GOOD_PAUSE_SECONDS) cost = Math.min(cost, 3);
  return cost - Math.min(pause, 1);
}

/** Whether words[i..j] can be one cue (one word always can). */
function fitsCue(words: CueWord[], m: Measure, i: number, j: number, rules: CueRules, lead: number): boolean {
  if (i === j) return true;
  if (words[j].end - words[i].start > rules.maxCueSeconds) return false;
  return m.linesNeeded(i, j + 1, rules, lead) <= rules.maxLineCount;
}

/** The cuts of one stretch: the cues' word ranges, chosen together for the least total cost. */
function cutStretch(words: CueWord[], m: Measure, rules: CueRules, lead: number): Array<[number, number]> {
  const n = words.length;
  // best[j]: the least cost of words[0..j) as cues; start[j]: where the last of them starts.
  const best = new Array<number>(n + 1).fill(Infinity);
  const start = new Array<number>(n + 1).fill(0);
  best[0] = 0;
  for (let j = 0; j < n; j++) {
    for (let i = j; i >= 0; i--) {
      if (!fitsCue(words, m, i, j, rules, lead)) break;
      // Each cue costs 1 (fewer, fuller cues), a lone word 2 more (an orphan) unless it is all there is.
      const cost = best[i] + 1 + (i === j && n > 1 ? 2 : 0) + cutCost(words, j);
      if (cost < best[j + 1]) {
        best[j + 1] = cost;
        start[j + 1] = i;
      }
    }
  }
  const ranges: Array<[number, number]> = [];
  for (let j = n; j > 0; j = start[j]) ranges.unshift([start[j], j - 1]);
  return ranges;
}

/** The cues of a transcript's words, in order. */
export function cutCues(words: CueWord[], rules: CueRules): Cue[] {
  const cues: Cue[] = [];
  for (const stretch of stretches(words)) {
    const speaker = stretch[0].speaker;
    const prefix = speakerPrefix(speaker);
    const m = new Measure(stretch.map((w) => w.text));
    for (const [i, j] of cutStretch(stretch, m, rules, width(prefix))) {
      const lines = layOut(m, i, j + 1, rules, width(prefix));
      cues.push({ start: stretch[i].start, end: stretch[j].end, lines, words: stretch.slice(i, j + 1), speaker });
    }
  }
  return cues;
}
