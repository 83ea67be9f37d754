// A cue's words laid out in lines: as few lines as the width and word limits allow, the breaks
// chosen so that lines are even and end at punctuation rather than after "the" or "of".

export interface LineRules {
  maxLineWidth: number;
  maxLineCount: number;
  /** null: no limit. */
  maxWordsPerLine: number | null;
}

const widthOf = (text: string): number => [...text].length;

/**
 * The widths of a run of words (each as written, with the space before it), so that the width of
 * any line of them is found at once: the words joined, less the spaces at the line's two ends.
 */
export class Measure {
  private readonly sums: number[] = [0];
  private readonly leading: number[];
  private readonly trailing: number[];

  constructor(readonly words: readonly string[]) {
    for (const w of words) this.sums.push(this.sums[this.sums.length - 1] + widthOf(w));
    this.leading = words.map((w) => widthOf(w) - widthOf(w.trimStart()));
    this.trailing = words.map((w) => widthOf(w) - widthOf(w.trimEnd()));
  }

  /** The width of words[from..to) as one line. */
  width(from: number, to: number): number {
    return Math.max(0, this.sums[to] - this.sums[from] - this.leading[from] - this.trailing[to - 1]);
  }

  /** The text of words[from..to) as one line. */
  line(from: number, to: number): string {
    return this.words.slice(from, to).join('').trim();
  }

  /** Whether words[from..to) fit on one line (`lead`: characters taken before them, a speaker label). */
  fits(from: number, to: number, rules: LineRules, lead = 0): boolean {
    if (rules.maxWordsPerLine !== null && to - from > rules.maxWordsPerLine) return false;
    return lead + this.width(from, to) <= rules.maxLineWidth;
  }

  /** The fewest lines words[from..to) take (a word wider than a line takes one of its own). */
  linesNeeded(from: number, to: number, rules: LineRules, lead = 0): number {
    let lines = 0;
    let at = from;
    while (at < to) {
      let end = at + 1;
      while (end < to && this.fits(at, end + 1, rules, lines === 0 ? lead : 0)) end++;
      lines++;
      at = end;
    }
    return lines;
  }
}

/** Words a line should not end on: they lean on the word after them. */
const LEANING = new Set([
  'a', 'an', 'the', 'of', 'to', 'in', 'on', 'at', 'for', 'with', 'from', 'by', 'and', 'or', 'but', 'my', 'your', 'his', 'her', 'our',
  'their', 'its', 'this', 'that', 'these', 'those', 'is', 'are', 'was', 'were', 'i', 'we', 'you', 'he', 'she', 'they', 'it', 'not', 'very',
]);
/** Words that open a clause: a good place to start a line. */
const OPENING = new Set(['and', 'but', 'or', 'so', 'because', 'while', 'when', 'which', 'who', 'where', 'if', 'then', 'although', 'though', 'after', 'before', 'until', 'since', 'unless']);

const bare = (word: string): string => word.trim().toLowerCase().replace(/^["'“‘(\[]+|["'”’)\].,;:!?]+$/g, '');

/**
 * How bad a break after `word` (before `next`) is: 0 after a sentence end, 1 after a clause end,
 * 1.5 before a word that opens a clause, 2 elsewhere, 4 after a word that leans on the next one.
 */
export function breakBadness(word: string, next?: string): number {
  const w = word.trim();
  if (/[.!?。！？…]["'”’)\]]*$/.test(w)) return 0;
  if (/[,;:—–、，；：]["'”’)\]]*$/.test(w)) return 1;
  if (LEANING.has(bare(w))) return 4;
  return next !== undefined && OPENING.has(bare(next)) ? 1.5 : 2;
}

/**
 * words[from..to) in as few lines as they fit in, the breaks picked to make the lines even (the
 * squared difference from an even share) and to end them at punctuation. Returns how many words
 * each line holds.
 */
export function layOut(m: Measure, from: number, to: number, rules: LineRules, lead = 0): number[] {
  const count = m.linesNeeded(from, to, rules, lead);
  const n = to - from;
  if (count <= 1 || n <= 1) return [n];
  const even = (m.width(from, to) + lead) / count;
  // best[k][j]: the least cost of the first j words in k lines; start[k][j]: where the k-th line starts.
  const best = Array.from({ length: count + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const start = Array.from({ length: count + 1 }, () => new Array<number>(n + 1).fill(0));
  best[0][0] = 0;
  for (let k = 1; k <= count; k++) {
    const l = k === 1 ? lead : 0;
    for (let j = 1; j <= n; j++) {
      for (let i = j - 1; i >= 0; i--) {
        if (j - i > 1 && !m.fits(from + i, from + j, rules, l)) break;
        if (best[k - 1][i] === Infinity) continue;
        const off = (m.width(from + i, from + j) + l - even) / Math.max(1, rules.maxLineWidth);
        const cost = best[k - 1][i] + off * off * 10 + (j < n ? breakBadness(m.words[from + j - 1], m.words[from + j]) : 0);
        if (cost < best[k][j]) {
          best[k][j] = cost;
          start[k][j] = i;
        }
      }
    }
  }
  if (best[count][n] === Infinity) return [n];
  const sizes: number[] = [];
  for (let k = count, j = n; k > 0; k--) {
    const i = start[k][j];
    sizes.unshift(j - i);
    j = i;
  }
  return sizes;
}
