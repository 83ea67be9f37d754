// The job input a worker accepts: the fields of the workers users run today (faster-whisper and
// WhisperX RunPod workers), checked strictly; every error names its field.
import { z } from 'zod';
import { InputError } from '../errors.js';
import { MAX_BATCH_SIZE } from '../model.js';
import { MAX_SPEAKERS } from '../diarize/index.js';

const url = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((s) => /^https?:\/\//i.test(s), 'must be an http(s) URL');

const probability = z.number().min(0).max(1);

/** Most speaker samples a job may give. */
export const MAX_SPEAKER_SAMPLES = 20;

export const OUTPUT_FORMATS = ['json', 'srt', 'vtt', 'text'] as const;

export const JobInputSchema = z
  .object({
    audio: url.optional(),
    audio_url: url.optional(),
    audio_file: url.optional(),
    audio_base_64: z.string().min(1, 'must not be empty').optional(),
    language: z.string().trim().min(1).max(20).nullable().optional(),
    language_detection_min_prob: probability.optional(),
    language_detection_max_tries: z.number().int().min(1).max(10).optional(),
    task: z.enum(['transcribe', 'translate']).optional(),
    initial_prompt: z.string().max(10_000).nullable().optional(),
    prefix: z.string().max(10_000).nullable().optional(),
    hotwords: z.string().max(10_000).nullable().optional(),
    model: z.string().trim().min(1).max(300).optional(),
    temperature: z.union([z.number().min(0).max(2), z.array(z.number().min(0).max(2)).min(1).max(10)]).optional(),
    // At least 0.05, so a fallback list from 0 to 1 holds at most 21 values (the library's limit).
    temperature_increment_on_fallback: z.number().min(0.05).max(1).nullable().optional(),
    beam_size: z.number().int().min(1).max(10).optional(),
    best_of: z.number().int().min(1).max(10).optional(),
    patience: z.number().positive().max(10).optional(),
    length_penalty: z.number().min(0).max(10).optional(),
    // Up to the library's limit; on CPU the worker clamps it (CPU_MAX_BATCH_SIZE) with a note.
    batch_size: z.number().int().min(1).max(MAX_BATCH_SIZE).optional(),
    word_timestamps: z.boolean().optional(),
    align_output: z.boolean().optional(),
    vad_filter: z.boolean().optional(),
    vad_onset: probability.optional(),
    vad_offset: probability.optional(),
    vad_parameters: z
      .object({
        threshold: probability.optional(),
        neg_threshold: probability.nullable().optional(),
        min_speech_duration_ms: z.number().int().min(0).max(600_000).optional(),
        max_speech_duration_s: z.number().positive().max(86_400).optional(),
        min_silence_duration_ms: z.number().int().min(0).max(600_000).optional(),
        speech_pad_ms: z.number().int().min(0).max(60_000).optional(),
      })
      .strict()
      .optional(),
    chunk_length: z.number().int().min(1).max(30).optional(),
    condition_on_previous_text: z.boolean().optional(),
    no_speech_threshold: probability.nullable().optional(),
    compression_ratio_threshold: z.number().positive().max(100).nullable().optional(),
    log_prob_threshold: z.number().min(-100).max(100).nullable().optional(),
    output_formats: z.array(z.enum(OUTPUT_FORMATS)).max(4).optional(),
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
    /** Speaker counts, used with diarization (1 to MAX_SPEAKERS; min at most max). */
    min_speakers: z.number().int().min(1).max(MAX_SPEAKERS).nullable().optional(),
    max_speakers: z.number().int().min(1).max(MAX_SPEAKERS).nullable().optional(),
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

export type JobInput = z.infer<typeof JobInputSchema>;

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

/** Validates a job's `input`; throws a JobInputError naming every bad field. */
export function parseJobInput(input: unknown): JobInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new JobInputError('input: must be a JSON object');
  }
  const r = JobInputSchema.safeParse(input);
  if (!r.success) throw new JobInputError(r.error.issues.map(describe).join('; '));
  const job = r.data;
  if (job.min_speakers != null && job.max_speakers != null && job.min_speakers > job.max_speakers) {
    throw new JobInputError(`min_speakers (${job.min_speakers}) is more than max_speakers (${job.max_speakers})`);
  }
  if (job.speaker_verification && !job.speaker_samples?.length) {
    throw new JobInputError('speaker_verification: needs speaker_samples (a list of { url, name } or URLs)');
  }
  const names = speakerSamples(job).map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new JobInputError(`speaker_samples: the name ${JSON.stringify(twice)} is given twice`);
  const sources = (['audio', 'audio_url', 'audio_file', 'audio_base_64'] as const).filter((k) => job[k] !== undefined);
  if (sources.length === 0) throw new JobInputError('audio: is required (give one of audio, audio_url, audio_file, audio_base_64)');
  if (sources.length > 1) throw new JobInputError(`${sources.join(', ')}: give only one audio source`);
  return job;
}
