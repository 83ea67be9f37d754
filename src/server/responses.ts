// A transcription as OpenAI's audio endpoints return it, per response_format; text, srt and vtt
// are the library's own renderings (formats.ts).
import type { Segment, Transcription } from '../model.js';
import type { TokenLogprob } from '../native.js';
import { joinedText, toSrt, toVtt } from '../formats.js';
import { languageName } from './language-names.js';
import type { AudioRequest } from './form.js';

export interface Rendered {
  contentType: string;
  body: string | object;
}

/** OpenAI's `usage` of a whisper request: the audio's duration. */
export const usageOf = (t: Transcription) => ({ type: 'duration' as const, seconds: Math.ceil(t.info.duration) });

export function verboseJson(t: Transcription, request: Pick<AudioRequest, 'words' | 'segments' | 'logprobs'>, task: 'transcribe' | 'translate'): object {
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
  if (request.logprobs) out.logprobs = logprobsOf(t.segments);
  out.usage = usageOf(t);
  return out;
}

/** OpenAI's `logprobs`: every text token of the transcript with its log probability. */
export const logprobsOf = (segments: Segment[]): TokenLogprob[] => segments.flatMap((s) => s.token_logprobs ?? []);

/** A diarized segment of diarized_json (and of the stream's `transcript.text.segment` events). */
export interface DiarizedSegment {
  type: 'transcript.text.segment';
  id: string;
  start: number;
  end: number;
  text: string;
  speaker: string;
}

/** "A", "B", …, "Z", "AA", "AB", …: OpenAI's labels for speakers no known speaker matched. */
function letters(n: number): string {
  return (n >= 26 ? letters(Math.floor(n / 26) - 1) : '') + String.fromCharCode(65 + (n % 26));
}

/** Each speaker's label in diarized_json: a matched known speaker's name, else a letter in order of first speech. */
function speakerLabels(t: Transcription): Map<string, string> {
  const labels = new Map<string, string>();
  let unnamed = 0;
  for (const s of t.speakers ?? []) labels.set(s.speaker, s.matched ? s.speaker : letters(unnamed++));
  return labels;
}

/**
 * The transcript cut into stretches of one speaker, as diarized_json has them: each segment's
 * words in runs of one speaker (a word with none goes with the run it is in), or the segment whole
 * when it has no words. A stretch with no speaker at all takes the one before it (else after it).
 */
export function diarizedSegments(t: Transcription): DiarizedSegment[] {
  const runs: Array<{ start: number; end: number; text: string; speaker?: string }> = [];
  for (const s of t.segments) {
    if (!s.words?.length) {
      runs.push({ start: s.start, end: s.end, text: s.text, speaker: s.speaker });
      continue;
    }
    let run: (typeof runs)[number] | undefined;
    for (const w of s.words) {
      if (run && (w.speaker === undefined || w.speaker === run.speaker || run.speaker === undefined)) {
        run.end = w.end;
        run.text += w.word;
        run.speaker ??= w.speaker;
      } else {
        run = { start: w.start, end: w.end, text: w.word, speaker: w.speaker };
        runs.push(run);
      }
    }
  }
  runs.forEach((r, i) => (r.speaker ??= runs.slice(0, i).reverse().find((x) => x.speaker)?.speaker ?? runs.slice(i).find((x) => x.speaker)?.speaker));
  const labels = speakerLabels(t);
  return runs.map((r, i) => ({
    type: 'transcript.text.segment' as const,
    id: `seg_${i}`,
    start: r.start,
    end: r.end,
    text: r.text,
    speaker: (r.speaker !== undefined ? labels.get(r.speaker) ?? r.speaker : undefined) ?? letters(0),
  }));
}

/** OpenAI's diarized_json: {task, duration, text, segments, usage} (with include[]=logprobs: `logprobs`). */
function diarizedJson(t: Transcription, request: AudioRequest, task: 'transcribe' | 'translate'): object {
  return {
    task,
    duration: t.info.duration,
    text: joinedText(t.segments),
    segments: diarizedSegments(t),
    ...(request.logprobs ? { logprobs: logprobsOf(t.segments) } : {}),
    usage: usageOf(t),
  };
}

export function render(t: Transcription, request: AudioRequest, task: 'transcribe' | 'translate'): Rendered {
  switch (request.responseFormat) {
    case 'json':
      return { contentType: 'application/json', body: { text: joinedText(t.segments), ...(request.logprobs ? { logprobs: logprobsOf(t.segments) } : {}), usage: usageOf(t) } };
    case 'diarized_json':
      return { contentType: 'application/json', body: diarizedJson(t, request, task) };
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
