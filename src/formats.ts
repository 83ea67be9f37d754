// Output formats of a transcription: JSON, plain text, SRT and WebVTT.
import type { Segment, Transcription } from './model.js';

export const FORMATS = ['json', 'text', 'srt', 'vtt'] as const;
export type Format = (typeof FORMATS)[number];

/** hh:mm:ss,mmm (SRT) or hh:mm:ss.mmm (VTT). */
export function formatTimestamp(seconds: number, decimalMarker: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${decimalMarker}${pad(ms % 1000, 3)}`;
}

/** The full text, as faster-whisper users join it: the segments' texts in order. */
export function joinedText(segments: Segment[]): string {
  return segments.map((s) => s.text).join('').trim();
}

/**
 * A speaker's name as one line of cue text: control characters, line and paragraph separators as
 * spaces (a name with a newline would start cues of its own in SRT and VTT), `-->` (a cue timing
 * in VTT) broken, spaces collapsed. Names come from callers (speaker samples' names).
 */
export function speakerLabel(name: string): string {
  return String(name).replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').replace(/-->/g, '->').replace(/\s+/g, ' ').trim();
}

/** A segment's text, prefixed with its speaker as WhisperX writes it (`[SPEAKER_00]: ...`) when it has one. */
function line(s: Segment): string {
  return s.speaker !== undefined ? `[${speakerLabel(s.speaker)}]: ${s.text.trim()}` : s.text.trim();
}

/** `line` as one line: no line break inside (in SRT and VTT a blank line ends a cue). */
function oneLine(s: Segment): string {
  return line(s).replace(/[\r\n\u2028\u2029]+/g, ' ');
}

/** A cue's text: one line, with no timing arrow inside. */
function cueText(s: Segment): string {
  return oneLine(s).replace(/-->/g, '->');
}

export function toText(t: Transcription): string {
  return t.segments.map(oneLine).join('\n') + (t.segments.length ? '\n' : '');
}

export function toSrt(t: Transcription): string {
  return t.segments
    .map((s, i) => `${i + 1}\n${formatTimestamp(s.start, ',')} --> ${formatTimestamp(s.end, ',')}\n${cueText(s)}\n`)
    .join('\n');
}

export function toVtt(t: Transcription): string {
  const cues = t.segments.map((s) => `${formatTimestamp(s.start, '.')} --> ${formatTimestamp(s.end, '.')}\n${cueText(s)}\n`);
  return ['WEBVTT\n', ...cues].join('\n');
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

export function render(t: Transcription, format: Format): string {
  switch (format) {
    case 'json':
      return JSON.stringify(toJsonObject(t), null, 2) + '\n';
    case 'text':
      return toText(t);
    case 'srt':
      return toSrt(t);
    case 'vtt':
      return toVtt(t);
  }
}
