// The words cues are cut from: every segment's words in order, with their speaker and where
// segments end. A segment without words (word timestamps off) gives its text's words with times
// spread over the segment by their share of its characters: cues of it can only be as exact as
// the segment's own bounds. Where the VAD said where speech is, words are trimmed to it
// (speech-bounds.ts): cues start and end where the speech does.
import type { Segment } from '../model.js';
import { trimToSpeech, type SpeechRegion } from '../speech-bounds.js';
import { lineText } from './text.js';

export interface CueWord {
  /** The word as the transcript writes it, with the space before it (Whisper's words start with one). */
  text: string;
  start: number;
  end: number;
  speaker?: string;
  /** The last word of its segment. */
  segmentEnd: boolean;
  /** Its time is the segment's, shared out by characters, not the word's own. */
  estimated: boolean;
}

/** A segment's text as words, each with the space before it. */
function splitText(text: string): string[] {
  return lineText(text).match(/\s*\S+/g) ?? [];
}

/** A segment without words: its text's words, each given a share of the segment by its characters. */
function estimatedWords(s: Segment): CueWord[] {
  const parts = splitText(s.text);
  const total = parts.reduce((n, p) => n + p.trim().length, 0);
  const span = Math.max(0, s.end - s.start);
  let done = 0;
  return parts.map((text, i) => {
    const start = s.start + (total ? (span * done) / total : 0);
    done += text.trim().length;
    const end = s.start + (total ? (span * done) / total : span);
    return { text, start, end, speaker: s.speaker, segmentEnd: i === parts.length - 1, estimated: true };
  });
}

/**
 * Every word of the segments, in order, each starting no earlier than the one before it (a word
 * that overlaps the previous one starts where that one ends), trimmed to `speech` when the VAD
 * said where it is (the transcription's `speech`). Words with no text are left out.
 */
export function cueWords(segments: Segment[], speech?: readonly SpeechRegion[]): CueWord[] {
  const all: CueWord[] = segments.flatMap((s) =>
    s.words && s.words.length
      ? s.words.map((w, i, list) => ({
          text: lineText(w.word),
          start: w.start,
          end: w.end,
          speaker: w.speaker ?? s.speaker,
          segmentEnd: i === list.length - 1,
          estimated: false,
        }))
      : estimatedWords(s),
  );
  if (speech) trimToSpeech(all, speech);
  const out: CueWord[] = [];
  for (const w of all) {
    if (!w.text.trim() || !Number.isFinite(w.start) || !Number.isFinite(w.end)) continue;
    const previous = out[out.length - 1];
    const start = previous ? Math.max(w.start, previous.end) : w.start;
    out.push({ ...w, start, end: Math.max(start, w.end) });
  }
  return out;
}
