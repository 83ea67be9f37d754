// What a cue's text and timing look like in SRT and WebVTT: timestamps, speaker labels, and text
// kept on the lines it was laid out in (no blank line inside a cue, no timing arrow).

/** hh:mm:ss,mmm (SRT) or hh:mm:ss.mmm (VTT). */
export function formatTimestamp(seconds: number, decimalMarker: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${decimalMarker}${pad(ms % 1000, 3)}`;
}

/**
 * A speaker's name as one line of cue text: control characters, line and paragraph separators as
 * spaces (a name with a newline would start cues of its own in SRT and VTT), `-->` (a cue timing
 * in VTT) broken, spaces collapsed. Names come from callers (speaker samples' names).
 */
export function speakerLabel(name: string): string {
  return String(name).replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').replace(/-->/g, '->').replace(/\s+/g, ' ').trim();
}

/** `[SPEAKER_00]: ` before a cue's (or a line's) text, as WhisperX writes it; nothing without a speaker. */
export function speakerPrefix(speaker: string | undefined): string {
  return speaker !== undefined ? `[${speakerLabel(speaker)}]: ` : '';
}

/** Text that stays on its line: line breaks as spaces, no timing arrow (a blank line would end a cue). */
export function lineText(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/-->/g, '->');
}

/** The number of characters a line takes on screen (code points). */
export const width = (text: string): number => [...text].length;
