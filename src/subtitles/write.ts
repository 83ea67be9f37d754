// SRT and WebVTT files of a transcription: its words cut into cues (cues.ts) and written out,
// or, with highlightWords, karaoke-style as openai-whisper's writer does it: while each word is
// spoken, a cue of the whole cue's text with that word underlined (and the plain text between
// words).
import type { Transcription } from '../model.js';
import { cutCues, type Cue } from './cues.js';
import { formatTimestamp, speakerPrefix } from './text.js';
import { cueWords } from './words.js';
import type { ResolvedSubtitles } from '../options/resolve.js';

/** One cue as written: its times and lines. */
interface Written {
  start: number;
  end: number;
  lines: string[];
}

/** `<`, `>` and `&` as WebVTT's cue text needs them (it reads tags); SRT's text is written as it is. */
const escapeVtt = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A cue's lines, the speaker label before the first; the word at `highlight` (an index into its words) underlined. */
function cueLines(cue: Cue, escape: (s: string) => string, highlight = -1): string[] {
  let at = 0;
  return cue.lines.map((size, li) => {
    const parts = cue.words.slice(at, at + size).map((w, k) => {
      const text = escape(w.text);
      return at + k === highlight ? text.replace(/^(\s*)(.*?)(\s*)$/s, '$1<u>$2</u>$3') : text;
    });
    at += size;
    return `${li === 0 ? escape(speakerPrefix(cue.speaker)) : ''}${parts.join('').trim()}`;
  });
}

/** The cues as written: one per cue, or, highlighting words, one per word and one per pause between words. */
function written(cues: Cue[], escape: (s: string) => string, highlight: boolean): Written[] {
  const out: Written[] = [];
  const push = (start: number, end: number, lines: string[]) => {
    if (Math.round(end * 1000) > Math.round(start * 1000)) out.push({ start, end, lines });
  };
  for (const cue of cues) {
    if (!highlight) {
      push(cue.start, Math.max(cue.end, cue.start + 0.001), cueLines(cue, escape));
      continue;
    }
    let last = cue.start;
    cue.words.forEach((w, i) => {
      push(last, w.start, cueLines(cue, escape));
      push(w.start, w.end, cueLines(cue, escape, i));
      last = Math.max(last, w.end);
    });
  }
  return out;
}

/** The transcription's cues, cut by the rules. */
export function cuesOf(t: Transcription, rules: ResolvedSubtitles): Cue[] {
  return cutCues(cueWords(t.segments, t.speech), rules);
}

export function writeSrt(t: Transcription, rules: ResolvedSubtitles): string {
  return written(cuesOf(t, rules), (s) => s, rules.highlightWords)
    .map((c, i) => `${i + 1}\n${formatTimestamp(c.start, ',')} --> ${formatTimestamp(c.end, ',')}\n${c.lines.join('\n')}\n`)
    .join('\n');
}

export function writeVtt(t: Transcription, rules: ResolvedSubtitles): string {
  const cues = written(cuesOf(t, rules), escapeVtt, rules.highlightWords)
    .map((c) => `${formatTimestamp(c.start, '.')} --> ${formatTimestamp(c.end, '.')}\n${c.lines.join('\n')}\n`);
  return ['WEBVTT\n', ...cues].join('\n');
}
