// Output formats of a transcription: JSON, plain text, SRT and WebVTT (the subtitles' cues are
// cut by subtitles/, by the option table's "output" rules).
import type { Segment, Transcription } from './model.js';
import { resolveSubtitles } from './options/resolve.js';
import type { SubtitleOptions } from './options/types.js';
import { formatTimestamp, speakerLabel } from './subtitles/text.js';
import { writeSrt, writeVtt } from './subtitles/write.js';

export { formatTimestamp, speakerLabel } from './subtitles/text.js';

export const FORMATS = ['json', 'text', 'srt', 'vtt'] as const;
export type Format = (typeof FORMATS)[number];

/** The full text, as faster-whisper users join it: the segments' texts in order. */
export function joinedText(segments: Segment[]): string {
  return segments.map((s) => s.text).join('').trim();
}

/** A segment's text, prefixed with its speaker as WhisperX writes it (`[SPEAKER_00]: ...`) when it has one. */
function line(s: Segment): string {
  return s.speaker !== undefined ? `[${speakerLabel(s.speaker)}]: ${s.text.trim()}` : s.text.trim();
}

/** `line` as one line: no line break inside (in SRT and VTT a blank line ends a cue). */
function oneLine(s: Segment): string {
  return line(s).replace(/[\r\n\u2028\u2029]+/g, ' ');
}

export function toText(t: Transcription): string {
  return t.segments.map(oneLine).join('\n') + (t.segments.length ? '\n' : '');
}

/** SRT: the words cut into cues by `options` (the option table's "output" rules; defaults when absent). */
export function toSrt(t: Transcription, options?: SubtitleOptions): string {
  return writeSrt(t, resolveSubtitles(options));
}

/** WebVTT: the words cut into cues by `options`, as toSrt. */
export function toVtt(t: Transcription, options?: SubtitleOptions): string {
  return writeVtt(t, resolveSubtitles(options));
}

/** `oneLine` as cue text: no `-->` (a cue timing) inside. */
function cueText(s: Segment): string {
  return oneLine(s).replace(/-->/g, '->');
}

/**
 * SRT or WebVTT with one cue per segment, at the segment's times, its text on one line: what
 * faster-whisper users' writers and RunPod's faster-whisper worker give (its `transcription` field).
 */
export function segmentCues(t: Transcription, format: 'srt' | 'vtt'): string {
  const marker = format === 'srt' ? ',' : '.';
  const cues = t.segments.map((s, i) => `${format === 'srt' ? `${i + 1}\n` : ''}${formatTimestamp(s.start, marker)} --> ${formatTimestamp(s.end, marker)}\n${cueText(s)}\n`);
  return (format === 'vtt' ? ['WEBVTT\n', ...cues] : cues).join('\n');
}

/** The JSON document: text, language, duration and faster-whisper's segment fields. */
export function toJsonObject(t: Transcription): Record<string, unknown> {
  return {
    text: joinedText(t.segments),
    language: t.info.language,
    language_probability: t.info.language_probability,
    duration: t.info.duration,
    segments: t.segments,
    ...(t.speakers ? { speakers: t.speakers } : {}),
  };
}

/** The transcription in `format`; `options` lay out srt and vtt (the others do not use them). */
export function render(t: Transcription, format: Format, options?: SubtitleOptions): string {
  switch (format) {
    case 'json':
      return JSON.stringify(toJsonObject(t), null, 2) + '\n';
    case 'text':
      return toText(t);
    case 'srt':
      return toSrt(t, options);
    case 'vtt':
      return toVtt(t, options);
  }
}
