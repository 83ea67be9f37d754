// Local agreement: of two successive decodings of a growing utterance, the words they agree on
// from the start are stable; what is stable and not yet sent is the next delta. Words are compared
// by their letters and digits, case aside ("father's" and "fathers", "Americans," and "Americans."
// agree), so that a decoding that only spells a word sent before otherwise does not stop the deltas.
// Text once sent is never taken back: when the stable words no longer continue it, nothing is sent.

const wordsOf = (text: string): string[] => text.split(/\s+/).filter(Boolean);
/** A word as compared: lower case, letters and digits only. */
const key = (word: string): string => word.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
const same = (a: string, b: string): boolean => a === b || (key(a) !== '' && key(a) === key(b));

/** The words two decodings agree on from the start (as `b` writes them), joined by single spaces. */
export function agreedPrefix(a: string, b: string): string {
  const x = wordsOf(a);
  const y = wordsOf(b);
  let k = 0;
  while (k < x.length && k < y.length && same(x[k], y[k])) k++;
  return y.slice(0, k).join(' ');
}

/** The delta (whole words) that extends `sent` to `stable`, or '' when `stable` does not continue it. */
export function nextDelta(sent: string, stable: string): string {
  const have = wordsOf(sent);
  const next = wordsOf(stable);
  if (next.length <= have.length || !have.every((w, i) => same(w, next[i]))) return '';
  return (have.length ? ' ' : '') + next.slice(have.length).join(' ');
}
