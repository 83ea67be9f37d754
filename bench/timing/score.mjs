// Scores one transcription of a timing-benchmark recording against its reference: word times
// (hypothesis words matched to reference words by a minimum-edit alignment of their normalised
// text), word error rate, and the cues (a subtitle file's, or the segments as whisper-style cues)
// against where the speech is.
import { words as normalise, wordErrorRate } from '../../test/helpers.mjs';

/** Tokens of a list of timed words: each word's normalised text split at spaces, all with its times. */
function tokens(list) {
  const out = [];
  for (const w of list) {
    const number = /[\d%$]/.test(w.word);
    for (const t of normalise(w.word).split(' ').filter(Boolean)) out.push({ t, start: w.start, end: w.end, number });
  }
  return out;
}

/** Pairs of (reference token, hypothesis token) with equal text, from a minimum-edit alignment. */
export function matchWords(ref, hyp) {
  const n = ref.length;
  const m = hyp.length;
  const d = Array.from({ length: n + 1 }, (_, i) => Int32Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ref[i - 1].t === hyp[j - 1].t ? 0 : 1));
    }
  }
  const pairs = [];
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    const same = ref[i - 1].t === hyp[j - 1].t;
    if (d[i][j] === d[i - 1][j - 1] + (same ? 0 : 1)) {
      if (same) pairs.push([ref[i - 1], hyp[j - 1]]);
      i--;
      j--;
    } else if (d[i][j] === d[i - 1][j] + 1) i--;
    else j--;
  }
  return pairs.reverse();
}

export const quantile = (xs, q) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** Every reference word, in order. */
export const referenceWords = (reference) => reference.passages.flatMap((p) => p.words);

/**
 * Word timing: for each reference word matched by a hypothesis word, |start error| and |end error|
 * (a hypothesis word split into several tokens counts once per token). Words spread over several
 * tokens in the reference ("10%" → "10") keep their times.
 */
export function wordTiming(reference, segments, timed) {
  const hypWords = timed ?? segments.flatMap((s) => s.words ?? []);
  if (!hypWords.length) return null;
  const ref = tokens(referenceWords(reference));
  const pairs = matchWords(ref, tokens(hypWords));
  const numbers = pairs.filter(([r]) => r.number);
  return {
    matched: pairs.length,
    numbersSaid: ref.filter((r) => r.number).length,
    numberStarts: numbers.map(([r, h]) => Math.abs(h.start - r.start)),
    starts: pairs.map(([r, h]) => Math.abs(h.start - r.start)),
    ends: pairs.map(([r, h]) => Math.abs(h.end - r.end)),
  };
}

/**
 * The cues against the speech: how many; how many last over 10 s; how many start more than 1.5 s
 * before the first word they hold; how many hold a stretch of more than 1 s between two words
 * (across non-speech); how many hold no word at all; and per passage, whether its first cue starts
 * within 0.6 s of its first word.
 */
export function cueRules(reference, cues) {
  const ref = referenceWords(reference);
  const firstWordIn = (c) => ref.find((w) => w.end > c.start && w.start < c.end);
  let early = 0;
  let overNothing = 0;
  let spanning = 0;
  for (const c of cues) {
    const w = firstWordIn(c);
    if (!w) {
      overNothing++;
      continue;
    }
    if (w.start - c.start > 1.5) early++;
    for (let i = 0; i + 1 < ref.length; i++) {
      if (ref[i + 1].start - ref[i].end > 1 && c.start < ref[i].end && c.end > ref[i + 1].start) {
        spanning++;
        break;
      }
    }
  }
  const onsets = reference.passages.map((p) => {
    const c = cues.find((x) => x.end > p.start && x.start < p.end);
    return c ? c.start - p.start : null;
  });
  const lengths = cues.map((c) => c.end - c.start);
  return {
    cues: cues.length,
    longerThan10: lengths.filter((l) => l > 10).length,
    longest: lengths.length ? Math.max(...lengths) : 0,
    lengths,
    early,
    spanning,
    overNothing,
    passages: onsets.length,
    passagesOff: onsets.filter((o) => o === null || Math.abs(o) > 0.6).length,
    onsetErrors: onsets.filter((o) => o !== null).map(Math.abs),
  };
}

/**
 * Everything for one transcription: `cues` default to the segments (as whisper-style writers
 * write them); `timed`: the words whose times are scored (default: the segments' words).
 */
export function score(reference, segments, cues = segments, timed = undefined) {
  return {
    wer: wordErrorRate(reference.text, segments.map((s) => s.text).join(' ')),
    timing: wordTiming(reference, segments, timed),
    cues: cueRules(reference, cues),
  };
}

/** hh:mm:ss,mmm or hh:mm:ss.mmm (or mm:ss.mmm) in seconds. */
function seconds(stamp) {
  const parts = stamp.trim().replace(',', '.').split(':').map(Number);
  return parts.reduce((a, v) => a * 60 + v, 0);
}

/** The cues of an SRT or WebVTT file: start, end, text. */
export function parseCues(text) {
  const cues = [];
  for (const block of text.replace(/\r/g, '').split(/\n\n+/)) {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => l.includes('-->'));
    if (at < 0) continue;
    const [a, b] = lines[at].split('-->');
    cues.push({ start: seconds(a), end: seconds(b.trim().split(/\s+/)[0]), text: lines.slice(at + 1).join('\n') });
  }
  return cues;
}
