// A job's fields (snake_case, the seed workers' names) to the library's transcribe options
// (camelCase). The decoding options come from the library's one list (DECODING_OPTION_NAMES) and
// map by rule, snake_case ⇄ camelCase; the pipeline options (batch_size, vad_filter,
// vad_parameters and its fields) too. What does not follow the rule is in one table,
// JOB_FIELD_ALIASES. The job's public contract, with its bounds and messages, stays in schema.ts;
// test/worker-options.test.mjs fails when a decoding option has no job field and is not listed in
// NOT_EXPOSED_TO_JOBS, or a job field maps to nothing.
import type { TranscribeOptions, PipelineOptions } from '../model.js';
import { DECODING_OPTION_NAMES, type DecodingOptions } from '../options.js';
import { VAD_OPTION_NAMES, type VadOptions } from '../vad.js';
import type { JobInput } from './schema.js';

/** "beam_size" → "beamSize". */
export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** "beamSize" → "beam_size". */
export function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The pipeline options a job can set, each under its snake_case name. */
export const PIPELINE_OPTION_NAMES = ['batchSize', 'vadFilter', 'vadParameters'] as const satisfies ReadonlyArray<keyof PipelineOptions>;

/**
 * Job fields that do not map by rule: the seed workers' names for an option, and fields that feed
 * an option in a way of their own. Field → the option it sets (a dotted path inside vadParameters).
 */
export const JOB_FIELD_ALIASES = {
  /** faster-whisper workers' name for languageDetectionThreshold. */
  language_detection_min_prob: 'languageDetectionThreshold',
  /** faster-whisper workers' name for languageDetectionSegments. */
  language_detection_max_tries: 'languageDetectionSegments',
  /** WhisperX's: word timestamps as well (either field turns them on). */
  align_output: 'wordTimestamps',
  /** faster-whisper's transcribe() argument: the fallback list from `temperature` up to 1 in these steps. */
  temperature_increment_on_fallback: 'temperature',
  /** WhisperX's VAD onset: vadParameters.threshold (wins over vad_parameters.threshold); turns the VAD on unless vad_filter is given. */
  vad_onset: 'vadParameters.threshold',
  /** WhisperX's VAD offset: vadParameters.negThreshold (wins over vad_parameters.neg_threshold); turns the VAD on unless vad_filter is given. */
  vad_offset: 'vadParameters.negThreshold',
} as const;

/**
 * Decoding options that jobs cannot set (no job field): faster-whisper's defaults apply. Adding
 * one to the job schema means taking it out of here.
 */
export const NOT_EXPOSED_TO_JOBS: ReadonlyArray<keyof DecodingOptions> = [
  'repetitionPenalty',
  'noRepeatNgramSize',
  'promptResetOnTemperature',
  'suppressBlank',
  'suppressTokens',
  'withoutTimestamps',
  'maxInitialTimestamp',
  'prependPunctuations',
  'appendPunctuations',
  'multilingual',
  'maxNewTokens',
  'clipTimestamps',
  'hallucinationSilenceThreshold',
];

/** Job fields that are not transcription options: the audio, the model, what to return. */
export const NON_OPTION_JOB_FIELDS = [
  'audio', 'audio_url', 'audio_file', 'audio_base_64', 'model', 'output_formats', 'debug', 'result_mode',
  // the Hub token for this job's model (handler.ts; never logged nor echoed)
  'huggingface_access_token',
  // diarization and speaker verification: the handler builds transcribe's `diarize` from them
  // (the samples are downloaded first); the speaker counts are ignored without diarization
  'diarization', 'speaker_verification', 'speaker_samples', 'min_speakers', 'max_speakers',
] as const;

const RULE_OPTIONS = new Set<string>([...DECODING_OPTION_NAMES, ...PIPELINE_OPTION_NAMES]);
const VAD_NAMES = new Set<string>(VAD_OPTION_NAMES);

/** The option a job field maps to by rule (its camelCase name is an option), else undefined. */
export function ruleOption(field: string): string | undefined {
  if (Object.hasOwn(JOB_FIELD_ALIASES, field)) return undefined;
  const option = snakeToCamel(field);
  return RULE_OPTIONS.has(option) ? option : undefined;
}

/** vad_parameters' fields by rule: { min_silence_duration_ms: 500 } → { minSilenceDurationMs: 500 }. */
function vadParameters(job: JobInput): VadOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(job.vad_parameters ?? {})) {
    const name = snakeToCamel(k);
    if (v !== undefined && VAD_NAMES.has(name)) out[name] = v;
  }
  // The aliases win over vad_parameters' own fields.
  if (job.vad_onset !== undefined) out.threshold = job.vad_onset;
  if (job.vad_offset !== undefined) out.negThreshold = job.vad_offset;
  return out as VadOptions;
}

/**
 * The transcribe options of a job: every field set on it, by rule or through JOB_FIELD_ALIASES.
 * Unset fields are left out (the library's defaults apply); vadParameters is always there.
 * `language` comes through as the job gave it: the worker checks it against SUPPORTED_LANGUAGES
 * and passes its own choice.
 */
export function jobOptions(job: JobInput): TranscribeOptions {
  const opts: Record<string, unknown> = {};
  const fields = job as Record<string, unknown>;
  for (const [field, v] of Object.entries(fields)) {
    if (v === undefined || field === 'vad_parameters') continue;
    const option = ruleOption(field);
    if (option) opts[option] = v;
  }
  // Renamed fields.
  for (const field of ['language_detection_min_prob', 'language_detection_max_tries'] as const) {
    if (job[field] !== undefined) opts[JOB_FIELD_ALIASES[field]] = job[field];
  }
  // align_output: word timestamps too (left unset when neither asks for them).
  const words = job.word_timestamps || job.align_output || undefined;
  if (words === undefined) delete opts.wordTimestamps;
  else opts.wordTimestamps = words;
  // temperature_increment_on_fallback: the fallback list, built by count (the schema bounds the
  // increment), never by a float loop.
  const step = job.temperature_increment_on_fallback;
  if (typeof job.temperature === 'number' && step) {
    const start = job.temperature;
    const count = start <= 1 ? Math.floor((1 - start) / step + 1e-9) + 1 : 1;
    opts.temperature = Array.from({ length: count }, (_, i) => Math.round((start + i * step) * 1000) / 1000);
  }
  opts.vadParameters = vadParameters(job);
  // WhisperX's thresholds turn the VAD on, as they do there (an explicit vad_filter wins).
  if (job.vad_filter === undefined && (job.vad_onset !== undefined || job.vad_offset !== undefined)) opts.vadFilter = true;
  return opts as TranscribeOptions;
}

// Compile-time check: every job field that maps by rule holds what its option takes.
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type RuleFields = { [K in keyof JobInput & string as Camel<K> extends keyof TranscribeOptions ? (K extends 'vad_parameters' ? never : K) : never]: K };
type Mismatched = {
  [K in keyof RuleFields]: Exclude<JobInput[K], undefined> extends TranscribeOptions[Camel<K> & keyof TranscribeOptions] ? never : K;
}[keyof RuleFields];
const ruleFieldsTypeCheck: [Mismatched] extends [never] ? true : Mismatched = true;
void ruleFieldsTypeCheck;
