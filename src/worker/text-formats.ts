// The formats of the output's `transcription` and `translation` that RunPod's faster-whisper
// worker (runpod-workers/worker-faster_whisper) offers its jobs: plain text (the segments' text
// joined), formatted text (a line per segment), SRT and WebVTT (a cue per segment, as it writes them).
import type { Transcription } from '../model.js';
import { joinedText, render, segmentCues } from '../formats.js';

export const TEXT_FORMATS = ['plain_text', 'formatted_text', 'srt', 'vtt'] as const;
export type TextFormat = (typeof TEXT_FORMATS)[number];

/**
 * A format as a job names it, or undefined when it is none of them: case and the separator do not
 * matter ("plain text", as that worker's own example jobs write it, is plain_text).
 */
export function textFormat(name: string): TextFormat | undefined {
  const key = name.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return (TEXT_FORMATS as readonly string[]).includes(key) ? (key as TextFormat) : undefined;
}

/** A transcription in one of the formats. */
export function renderText(result: Transcription, format: TextFormat): string {
  switch (format) {
    case 'plain_text':
      return joinedText(result.segments);
    case 'formatted_text':
      return render(result, 'text').replace(/\n$/, '');
    case 'srt':
    case 'vtt':
      // That worker's cues are its segments (our subtitle writer's cues are in output_formats).
      return segmentCues(result, format);
  }
}
