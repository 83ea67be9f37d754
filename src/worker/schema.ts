// The job input a worker accepts: the fields of the workers users run today (faster-whisper and
// WhisperX RunPod workers), checked strictly; every error names its field.
import { z } from 'zod';
import { InputError } from '../errors.js';
import { checkValue, nameIn, optionAt, optionMessage, resolveDiarize, type OptionSpec } from '../options/index.js';
import { JOB_FIELD_ALIASES, jobDiarizeSettings, jobOptionFields } from './job-options.js';
import { TEXT_FORMATS, textFormat } from './text-formats.js';

const url = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((s) => /^https?:\/\//i.test(s), 'must be an http(s) URL');

/** Most speaker samples a job may give. */
export const MAX_SPEAKER_SAMPLES = 20;

export const OUTPUT_FORMATS = ['json', 'srt', 'vtt', 'text'] as const;

/** Base64 audio (optionally a data: URL), decoded by audio-source.ts. */
const base64 = z.string().min(1, 'must not be empty');

/** The format of `transcription` or `translation` in the output (text-formats.ts); null: plain text. */
const textFormatField = z
  .string()
  .transform((s, ctx) => {
    const f = textFormat(s);
    if (!f) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be one of ${TEXT_FORMATS.join(', ')}, got ${JSON.stringify(s)}` });
    return f ?? 'plain_text';
  })
  .nullable()
  .optional();

/** An option's job field: checked by the option table (`null` for one that takes none: its default). */
function optionField(o: OptionSpec) {
  return z
    .unknown()
    .superRefine((v, ctx) => {
      if (v === undefined || (v === null && !o.nullable)) return;
      try {
        checkValue(o, v);
      } catch (e) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: e instanceof InputError && e.detail ? e.detail.replace(/^: /, '') : (e as Error).message });
      }
    })
    .optional();
}

/** The option fields of a job, from the option table: by rule, VAD parameters inside vad_parameters, and the aliases. */
function optionFields(): Record<string, z.ZodTypeAny> {
  const fields: Record<string, z.ZodTypeAny> = {};
  const vad: Record<string, z.ZodTypeAny> = {};
  for (const { field, option } of jobOptionFields()) (option.group === 'vad' ? vad : fields)[field] = optionField(option);
  for (const [field, path] of Object.entries(JOB_FIELD_ALIASES)) fields[field] = optionField(optionAt(path)!);
  fields.vad_parameters = z.object(vad).strict().optional();
  return fields;
}

export const JobInputSchema = z
  .object({
    audio: url.nullable().optional(),
    audio_url: url.nullable().optional(),
    audio_file: url.nullable().optional(),
    audio_base_64: base64.nullable().optional(),
    /** RunPod's faster-whisper worker's name for audio_base_64. */
    audio_base64: base64.nullable().optional(),
    /** The worker's own: a code, "auto", or none (DEFAULT_LANGUAGE_CODE, else detection); see handler.ts. */
    language: z.string().trim().min(1).max(20).nullable().optional(),
    model: z.string().trim().min(1).max(300).nullable().optional(),
    ...optionFields(),
    output_formats: z.array(z.enum(OUTPUT_FORMATS)).max(4).optional(),
    /** RunPod's faster-whisper worker's: the format of the output's `transcription` (default plain_text). */
    transcription: textFormatField,
    /** RunPod's faster-whisper worker's: a second pass with task translate, in the output's `translation`. */
    translate: z.boolean().nullable().optional(),
    /** RunPod's faster-whisper worker's: the format of `translation` (default plain_text). */
    translation: textFormatField,
    debug: z.boolean().optional(),
    /**
     * What the output holds (see result.ts): "auto" (default) uploads the JSON when storage is
     * configured and returns a preview, else the full result unless it is over MAX_RESULT_BYTES;
     * "full" returns the full result inline and uploads only output_formats (the behaviour before).
     */
    result_mode: z.enum(['auto', 'full']).optional(),
    /** WhisperX workers' token for Hub downloads of this job's model; never logged nor echoed. */
    huggingface_access_token: z.string().trim().min(1, 'must not be empty').max(1000).nullable().optional(),
    /** WhisperX workers' diarization: speaker labels on segments and words, and a `speakers` summary. */
    diarization: z.boolean().nullable().optional(),
    /** Name the speakers after speaker_samples (turns diarization on). */
    speaker_verification: z.boolean().nullable().optional(),
    /** Recordings of known speakers: { url, name }, or a URL (named after its file, without the extension). */
    speaker_samples: z
      .array(z.union([url, z.object({ url, name: z.string().trim().min(1, 'must not be empty').max(200) }).strict()]))
      .max(MAX_SPEAKER_SAMPLES)
      .nullable()
      .optional(),
  })
  .strict();

/** A job's input, checked: the fields above, and the option fields (their values checked, typed by the option table). */
export type JobInput = z.infer<typeof JobInputSchema> & { readonly [optionField: string]: unknown };

/** A job's input is not usable (a field, its audio URL or payload): the job's fault, code ERR_INPUT. */
export class JobInputError extends InputError {
  override name = 'JobInputError';
}

function describe(issue: z.ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
  const field = issue.path.length ? issue.path.join('.') : 'input';
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return `${field}: is required`;
  return `${field}: ${issue.message}`;
}

/** The job's speaker samples with their names (a bare URL is named after its file). */
export function speakerSamples(job: JobInput): Array<{ url: string; name: string }> {
  return (job.speaker_samples ?? []).map((s, i) => {
    if (typeof s !== 'string') return s;
    let base = '';
    try {
      base = decodeURIComponent(new URL(s).pathname.split('/').pop() ?? '');
    } catch {
      // not a URL the schema let through; the download names the problem
    }
    return { url: s, name: base.replace(/\.[^.]*$/, '') || `sample_${i + 1}` };
  });
}

/** Whether the job asks for speaker labels: diarization, or speaker verification (which needs it). */
export function wantsDiarization(job: JobInput): boolean {
  return !!job.diarization || !!job.speaker_verification;
}

/** The fields that give a job's audio: a URL or base64. */
const AUDIO_FIELDS = ['audio', 'audio_url', 'audio_file', 'audio_base_64', 'audio_base64'] as const;

/** Validates a job's `input`; throws a JobInputError naming every bad field. */
export function parseJobInput(input: unknown): JobInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new JobInputError('input: must be a JSON object');
  }
  const r = JobInputSchema.safeParse(input);
  if (!r.success) throw new JobInputError(r.error.issues.map(describe).join('; '));
  const job = r.data;
  try {
    resolveDiarize(jobDiarizeSettings(job)); // the rules between the speaker counts, as the library has them
  } catch (e) {
    if (e instanceof InputError && e.option && e.detail) throw new JobInputError(optionMessage(nameIn(e.option, 'job'), e.detail, (p) => nameIn(p, 'job')));
    throw e;
  }
  if (job.speaker_verification && !job.speaker_samples?.length) {
    throw new JobInputError('speaker_verification: needs speaker_samples (a list of { url, name } or URLs)');
  }
  const names = speakerSamples(job).map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new JobInputError(`speaker_samples: the name ${JSON.stringify(twice)} is given twice`);
  const sources = AUDIO_FIELDS.filter((k) => job[k] !== undefined && job[k] !== null);
  if (sources.length === 0) throw new JobInputError(`audio: is required (give one of ${AUDIO_FIELDS.join(', ')})`);
  if (sources.length > 1) throw new JobInputError(`${sources.join(', ')}: give only one audio source`);
  return job;
}
