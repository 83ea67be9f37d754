// Subtitles: a transcription's words cut into cues a person can read (cues.ts: at sentence and
// clause ends, never over a pause, within maxCueSeconds, maxLineCount lines of maxLineWidth
// characters), laid out in lines (lines.ts) and written as SRT or WebVTT (write.ts), plain or
// karaoke-style (highlightWords). The rules are the option table's "output" group.
import type { Format } from '../formats.js';
import type { TranscribeOptions, Transcription } from '../model.js';
import { resolveSubtitles } from '../options/resolve.js';
import type { SubtitleOptions } from '../options/types.js';
import { cuesOf } from './write.js';
import type { Cue } from './cues.js';

export { writeSrt, writeVtt } from './write.js';
export { cutCues, PAUSE_SECONDS, type Cue, type CueRules } from './cues.js';
export { cueWords, type CueWord } from './words.js';
export { formatTimestamp, speakerLabel } from './text.js';

/** The formats that are subtitles: their cues are cut from word times. */
export const SUBTITLE_FORMATS: readonly Format[] = ['srt', 'vtt'];

/**
 * The transcribe options that give the formats what they need: for srt and vtt, word timestamps
 * (cues are cut at word times) and, when the VAD model is there (`vad`), where speech is
 * (speechRegions: cues are trimmed to it), unless the options say otherwise (wordTimestamps:
 * false cuts cues from the segments, their times shared out by characters).
 */
export function optionsForFormats<T extends Pick<TranscribeOptions, 'wordTimestamps' | 'speechRegions'>>(options: T, formats: readonly string[], vad = true): T {
  if (!formats.some((f) => (SUBTITLE_FORMATS as readonly string[]).includes(f))) return options;
  return { ...options, wordTimestamps: options.wordTimestamps ?? true, speechRegions: options.speechRegions ?? vad };
}

/** The cues srt and vtt write for a transcription under `options` (the option table's "output" rules; defaults when absent). */
export function subtitleCues(t: Transcription, options?: SubtitleOptions): Cue[] {
  return cuesOf(t, resolveSubtitles(options));
}
