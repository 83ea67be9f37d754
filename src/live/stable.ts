// Local agreement: of two successive decodings of a growing utterance, the words they agree on
// from the start are stable; what is stable and not yet sent is the next delta. Text once sent
// is never taken back: when the stable words no longer continue it, nothing is sent.

const wordsOf = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/** The words two decodings agree on from the start, joined by single spaces. */
export function agreedPrefix(a: string, b: string): string {
  const x = wordsOf(a);
  const y = wordsOf(b);
  let k = 0;
  while (k < x.length && k < y.length && x[k] === y[k]) k++;
  return y.slice(0, k).join(' ');
}

/** The delta that extends `sent` to `stable` (whole words only), or '' when it does not continue it. */
export function nextDelta(sent: string, stable: string): string {
  if (stable.length <= sent.length || !stable.startsWith(sent)) return '';
  if (sent.length > 0 && stable[sent.length] !== ' ') return '';
  return stable.slice(sent.length);
}
