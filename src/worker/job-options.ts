// A job's fields (snake_case, the seed workers' names) to the library's transcribe options
// (camelCase), by the option table (src/options/spec.ts): every option a job may set is a field
// named by rule (beam_size → beamSize; vad_parameters.threshold → vadParameters.threshold;
// min_speakers → diarize.minSpeakers), checked as the table says (schema.ts builds the fields
// from here). What does not follow the rule is in one table, other workers' fields
// (peer-fields.ts, which gives JOB_FIELD_ALIASES); what the worker reads with semantics of its own
// is WORKER_OWN_OPTIONS. test/options-spec.test.mjs fails when an
// option has no job field and is not listed.
import type { TranscribeOptions } from '../model.js';
import { OPTIONS, frontName, optionAt, snake, type DiarizeSpecOptions, type OptionSpec, type SubtitleOptions, type VadOptions } from '../options/index.js';
import type { JobInput } from './schema.js';
import { JOB_FIELD_ALIASES } from './peer-fields.js';

/** Other workers' names for an option (job field → the option's library path): the table's (peer-fields.ts). */
export { JOB_FIELD_ALIASES };

/** Options the worker reads itself: `language` ("auto", DEFAULT_LANGUAGE_CODE, LANGUAGE_FALLBACK; handler.ts). */
export const WORKER_OWN_OPTIONS: readonly string[] = ['language'];

/** The options jobs set by rule, each with its job field (VAD parameters: their name inside vad_parameters). */
export function jobOptionFields(): Array<{ field: string; option: OptionSpec }> {
  return OPTIONS.filter((o) => frontName(o, 'job') !== undefined && !WORKER_OWN_OPTIONS.includes(o.name)).map((option) => ({
    field: option.group === 'vad' ? snake(option.name) : frontName(option, 'job')!,
    option,
  }));
}

/** A job's value for an option: `null` for one that takes no null means its default (as the seed workers' clients send it). */
const given = (o: OptionSpec, v: unknown): boolean => v !== undefined && !(v === null && !o.nullable);

/**
 * The transcribe options of a job: every option field set on it, by rule or through
 * JOB_FIELD_ALIASES; unset fields are left out (the library's defaults apply). The speaker
 * settings are jobDiarizeSettings', the subtitle writer's rules jobSubtitleOptions'; `language`
 * is the handler's.
 */
export function jobOptions(job: JobInput): TranscribeOptions {
  const fields = job as Record<string, unknown>;
  const opts: Record<string, unknown> = {};
  const vad: Record<string, unknown> = {};
  for (const { field, option } of jobOptionFields()) {
    if (option.group === 'diarize' || option.group === 'output') continue;
    const v = option.group === 'vad' ? (fields.vad_parameters as Record<string, unknown> | undefined)?.[field] : fields[field];
    if (given(option, v)) (option.group === 'vad' ? vad : opts)[option.name] = v;
  }
  for (const [field, path] of Object.entries(JOB_FIELD_ALIASES)) {
    const option = optionAt(path)!;
    if (!given(option, fields[field])) continue;
    if (option.group === 'vad') vad[option.name] = fields[field]; // the aliases win over vad_parameters' own fields
    else if (field === 'align_output') opts.wordTimestamps = opts.wordTimestamps === true || fields[field] === true;
    else opts[option.name] = fields[field];
  }
  opts.vadParameters = vad as VadOptions;
  // WhisperX's thresholds turn the VAD on, as they do there (an explicit vad_filter wins).
  if (opts.vadFilter === undefined && (given(optionAt('vadParameters.threshold')!, fields.vad_onset) || fields.vad_offset !== undefined)) opts.vadFilter = true;
  return opts as TranscribeOptions;
}

/** The options of one group of the table that a job gives. */
function jobGroupOptions(job: JobInput, group: OptionSpec['group']): Record<string, unknown> {
  const fields = job as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const { field, option } of jobOptionFields()) {
    if (option.group === group && given(option, fields[field])) out[option.name] = fields[field];
  }
  return out;
}

/** The speaker counts and settings a job gives (used with diarization). */
export function jobDiarizeSettings(job: JobInput): DiarizeSpecOptions {
  return jobGroupOptions(job, 'diarize') as DiarizeSpecOptions;
}

/** The subtitle writer's rules a job gives (max_line_width, highlight_words, ...: used for srt and vtt). */
export function jobSubtitleOptions(job: JobInput): SubtitleOptions {
  return jobGroupOptions(job, 'output') as SubtitleOptions;
}
