// Other RunPod workers' job fields, in one table: each entry is a field as the jobs of a worker
// people run today send it, and what it is here. Three kinds:
//   option  an option of the option table (src/options/spec.ts), checked as that option; one
//           named otherwise than by rule (logprob_threshold, not log_prob_threshold) is an alias,
//           which schema.ts takes and job-options.ts applies (JOB_FIELD_ALIASES);
//   field   a field of the worker's own, under another name (audio_base64 for audio_base_64);
//   own     a field with semantics of its own here (the handler's: transcription, translate, translation).
// The table in docs/worker.md is written from this one (scripts/options-docs.mjs);
// test/options-spec.test.mjs checks that every field is a job field and every option exists.
import { frontName, optionAt } from '../options/spec.js';

/** RunPod's own faster-whisper worker (runpod-workers/worker-faster_whisper), its src/rp_schema.py. */
export const RUNPOD_FASTER_WHISPER = 'runpod-workers/worker-faster_whisper';
const WHISPERX = 'WhisperX workers';
const FASTER_WHISPER_WORKERS = 'faster-whisper workers';

export interface PeerField {
  /** The field as that worker's jobs send it. */
  readonly field: string;
  /** The worker(s) whose jobs send it. */
  readonly from: string;
  /** An option's library path (`logProbThreshold`): the field is checked as that option. */
  readonly option?: string;
  /** Our job field it stands for (`audio_base_64`). */
  readonly ours?: string;
  /** What it does here, where that is more than the option or the field says. */
  readonly note?: string;
}

const fw = (field: string, more: Omit<PeerField, 'field' | 'from'> = {}): PeerField => ({ field, from: RUNPOD_FASTER_WHISPER, ...more });

/** Every field of RunPod's faster-whisper worker (its rp_schema.py), and the other workers' fields that are named otherwise here. */
export const PEER_FIELDS: readonly PeerField[] = Object.freeze([
  fw('audio', { ours: 'audio', note: 'an http(s) URL' }),
  fw('audio_base64', { ours: 'audio_base_64', note: 'the audio as base64' }),
  fw('model', { ours: 'model', note: "a model name (that worker's default: `base`; here the worker's own model)" }),
  fw('transcription', { note: '`plain_text` (the default), `formatted_text` (one line per segment), `srt` or `vtt` (a cue per segment, on one line, as that worker writes them): the format of the output\'s `transcription` ("plain text" with a space, as that worker\'s example jobs write it, is plain_text)' }),
  fw('translate', { note: '`true`: a second pass with task `translate` (same options and language, the detected one when none is given); the output\'s `translation` holds it, else `null`' }),
  fw('translation', { note: 'the format of `translation`, as `transcription`\'s' }),
  fw('language', { ours: 'language', note: 'a code; `null`: detected' }),
  fw('temperature', { option: 'temperature', note: 'with `temperature_increment_on_fallback` (that worker always sends 0.2) the fallback list up to 1; without, here the one value (or a list)' }),
  fw('best_of', { option: 'bestOf' }),
  fw('beam_size', { option: 'beamSize' }),
  fw('patience', { option: 'patience' }),
  fw('length_penalty', { option: 'lengthPenalty', note: "that worker's schema defaults to 0; here faster-whisper's 1" }),
  fw('suppress_tokens', { option: 'suppressTokens', note: 'a list or a comma-separated string (`"-1"`); that worker ignores it, here it is used' }),
  fw('initial_prompt', { option: 'initialPrompt' }),
  fw('condition_on_previous_text', { option: 'conditionOnPreviousText' }),
  fw('temperature_increment_on_fallback', { option: 'temperatureIncrementOnFallback' }),
  fw('compression_ratio_threshold', { option: 'compressionRatioThreshold' }),
  fw('logprob_threshold', { option: 'logProbThreshold' }),
  fw('no_speech_threshold', { option: 'noSpeechThreshold' }),
  fw('enable_vad', { option: 'vadFilter' }),
  fw('word_timestamps', { option: 'wordTimestamps', note: 'the output\'s `word_timestamps`: every word, `{word, start, end, probability}`, in one list' }),
  { field: 'language_detection_min_prob', from: FASTER_WHISPER_WORKERS, option: 'languageDetectionThreshold' },
  { field: 'language_detection_max_tries', from: FASTER_WHISPER_WORKERS, option: 'languageDetectionSegments' },
  { field: 'align_output', from: WHISPERX, option: 'wordTimestamps', note: 'either field turns word timestamps on' },
  { field: 'vad_onset', from: WHISPERX, option: 'vadParameters.threshold', note: 'wins over `vad_parameters.threshold`; turns the VAD on unless `vad_filter` is given' },
  { field: 'vad_offset', from: WHISPERX, option: 'vadParameters.negThreshold', note: 'wins over `vad_parameters.neg_threshold`; turns the VAD on unless `vad_filter` is given' },
]);

/** An option's job field by rule (`vad_parameters.threshold`, `beam_size`). */
const ruleName = (path: string): string | undefined => {
  const o = optionAt(path);
  return o && frontName(o, 'job');
};

/** Other workers' names for an option (job field → the option's library path), checked as that option. */
export const JOB_FIELD_ALIASES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(PEER_FIELDS.filter((p) => p.option && ruleName(p.option) !== p.field).map((p) => [p.field, p.option!])),
);

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** What a peer's field is here, as docs/worker.md says it. */
function hereText(p: PeerField): string {
  const note = p.note ? `: ${p.note}` : '';
  if (p.option) {
    const rule = ruleName(p.option);
    return `option \`${p.option}\`${rule === p.field ? '' : ` (our \`${rule}\`)`}${note}`;
  }
  if (p.ours) return `${p.ours === p.field ? 'the same field' : `\`${p.ours}\``}${note}`;
  return `the worker's own${note}`;
}

/** The table of other workers' job fields in docs/worker.md (scripts/options-docs.mjs writes it there). */
export function renderPeerFieldsTable(): string {
  const from = (f: string) => (f === RUNPOD_FASTER_WHISPER ? "RunPod's faster-whisper worker" : f);
  return [
    '| field | sent by | here |',
    '| --- | --- | --- |',
    ...PEER_FIELDS.map((p) => `| \`${p.field}\` | ${from(p.from)} | ${cell(hereText(p))} |`),
  ].join('\n');
}
