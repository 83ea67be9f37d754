// A transcription as OpenAI's audio endpoints return it, per response_format; text, srt and vtt
// are the library's own renderings (formats.ts).
import type { Transcription } from '../model.js';
import { joinedText, toSrt, toVtt } from '../formats.js';
import { languageName } from './language-names.js';
import type { AudioRequest } from './form.js';

export interface Rendered {
  contentType: string;
  body: string | object;
}

/** OpenAI's `usage` of a whisper request: the audio's duration. */
export const usageOf = (t: Transcription) => ({ type: 'duration' as const, seconds: Math.ceil(t.info.duration) });

export function verboseJson(t: Transcription, request: Pick<AudioRequest, 'words' | 'segments'>, task: 'transcribe' | 'translate'): object {
  const out: Record<string, unknown> = {
    task,
    language: languageName(t.info.language),
    duration: t.info.duration,
    text: joinedText(t.segments),
  };
  if (request.segments) {
    // OpenAI's segment ids start at 0; faster-whisper's (and ours) at 1.
    out.segments = t.segments.map((s, i) => ({
      id: i,
      seek: s.seek,
      start: s.start,
      end: s.end,
      text: s.text,
      tokens: s.tokens,
      temperature: s.temperature,
      avg_logprob: s.avg_logprob,
      compression_ratio: s.compression_ratio,
      no_speech_prob: s.no_speech_prob,
      ...(s.speaker !== undefined ? { speaker: s.speaker } : {}),
    }));
  }
  if (request.words) {
    out.words = t.segments.flatMap((s) => (s.words ?? []).map((w) => ({
      word: w.word.trim(), start: w.start, end: w.end, ...(w.speaker !== undefined ? { speaker: w.speaker } : {}),
    })));
  }
  // With diarize (our extra): who spoke, and how long.
  if (t.speakers) out.speakers = t.speakers;
  out.usage = usageOf(t);
  return out;
}

export function render(t: Transcription, request: AudioRequest, task: 'transcribe' | 'translate'): Rendered {
  switch (request.responseFormat) {
    case 'json':
      return { contentType: 'application/json', body: { text: joinedText(t.segments), usage: usageOf(t) } };
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', body: joinedText(t.segments) + '\n' };
    case 'srt':
      return { contentType: 'text/plain; charset=utf-8', body: toSrt(t, request.subtitles) };
    case 'vtt':
      return { contentType: 'text/plain; charset=utf-8', body: toVtt(t, request.subtitles) };
    case 'verbose_json':
      return { contentType: 'application/json', body: verboseJson(t, request, task) };
  }
}
