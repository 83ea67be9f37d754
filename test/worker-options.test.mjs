// The worker's one translation from a job's fields to the library's options, and how it tells a
// job's failure from its own: no list can drift from the library's option list, the mapping gives
// what the hand-written renaming gave, and the error codes decide the outcome.
import t from 'tap';
import { DECODING_OPTION_NAMES } from '../lib/options.js';
import { VAD_OPTION_NAMES } from '../lib/vad.js';
import { JobInputSchema, parseJobInput, JobInputError } from '../lib/worker/schema.js';
import {
  jobOptions, ruleOption, snakeToCamel, camelToSnake, JOB_FIELD_ALIASES, NOT_EXPOSED_TO_JOBS, NON_OPTION_JOB_FIELDS, PIPELINE_OPTION_NAMES,
} from '../lib/worker/job-options.js';
import { failureOutcome, JobCancelled } from '../lib/worker/handler.js';
import { runpodJobResult } from '../lib/worker/runpod.js';
import { InputError, ErrorCode } from '../lib/errors.js';

const jobFields = Object.keys(JobInputSchema.shape);
const aliasTargets = Object.values(JOB_FIELD_ALIASES);

t.test('every decoding option has a job field or is listed as not exposed to jobs', async (t) => {
  t.ok(DECODING_OPTION_NAMES.length >= 30, `${DECODING_OPTION_NAMES.length} decoding options`);
  for (const name of DECODING_OPTION_NAMES) {
    const byRule = jobFields.includes(camelToSnake(name)) && ruleOption(camelToSnake(name)) === name;
    const byAlias = aliasTargets.includes(name);
    const hidden = NOT_EXPOSED_TO_JOBS.includes(name);
    t.ok(byRule || byAlias || hidden, `${name}: a job field (${camelToSnake(name)}), an alias, or listed in NOT_EXPOSED_TO_JOBS`);
    t.notOk(hidden && (byRule || byAlias), `${name}: not both a job field and listed as not exposed`);
  }
  for (const name of NOT_EXPOSED_TO_JOBS) t.ok(DECODING_OPTION_NAMES.includes(name), `NOT_EXPOSED_TO_JOBS: ${name} is a decoding option`);
});

t.test('every job field maps to an option, is an alias, or is listed as not an option', async (t) => {
  for (const field of jobFields) {
    const option = ruleOption(field);
    const alias = Object.hasOwn(JOB_FIELD_ALIASES, field);
    const other = NON_OPTION_JOB_FIELDS.includes(field);
    t.equal([!!option, alias, other].filter(Boolean).length, 1, `${field}: exactly one of by rule (${option}), an alias, not an option`);
  }
  for (const [field, target] of Object.entries(JOB_FIELD_ALIASES)) {
    t.ok(jobFields.includes(field), `alias ${field}: a job field`);
    const [head, sub] = target.split('.');
    if (sub) {
      t.equal(head, 'vadParameters', `${field}: inside vadParameters`);
      t.ok(VAD_OPTION_NAMES.includes(sub), `${field} → ${target}: a VAD option`);
    } else {
      t.ok(DECODING_OPTION_NAMES.includes(target), `${field} → ${target}: a decoding option`);
    }
  }
  for (const field of NON_OPTION_JOB_FIELDS) t.ok(jobFields.includes(field), `${field}: a job field`);
  for (const name of PIPELINE_OPTION_NAMES) t.ok(jobFields.includes(camelToSnake(name)), `pipeline option ${name}: job field ${camelToSnake(name)}`);
  // vad_parameters' fields: VadOptions' names in snake_case, all of them.
  const vadFields = Object.keys(JobInputSchema.shape.vad_parameters.unwrap().shape);
  t.same(vadFields.map(snakeToCamel).sort(), [...VAD_OPTION_NAMES].sort(), 'vad_parameters: every VAD option, by rule');
  t.equal(snakeToCamel('max_speech_duration_s'), 'maxSpeechDurationS');
  t.equal(camelToSnake('languageDetectionSegments'), 'language_detection_segments');
});

t.test('the options of a job: what the hand-written renaming gave', async (t) => {
  const job = parseJobInput({
    audio: 'https://example.com/a.mp3', model: 'base', debug: true, output_formats: ['srt'],
    language: 'en', language_detection_min_prob: 0.6, language_detection_max_tries: 3, task: 'translate',
    initial_prompt: 'Hello.', prefix: null, hotwords: 'Kennedy', temperature: 0.2, temperature_increment_on_fallback: 0.4,
    beam_size: 3, best_of: 4, patience: 1.5, length_penalty: 0.9, batch_size: 8, word_timestamps: false, align_output: true,
    vad_filter: true, vad_onset: 0.6, vad_parameters: { threshold: 0.4, neg_threshold: null, min_speech_duration_ms: 100, max_speech_duration_s: 20, min_silence_duration_ms: 300, speech_pad_ms: 50 },
    chunk_length: 20, condition_on_previous_text: false, no_speech_threshold: null, compression_ratio_threshold: 2.2, log_prob_threshold: -0.8,
  });
  t.same(jobOptions(job), {
    language: 'en', // the worker passes its own choice after SUPPORTED_LANGUAGES
    languageDetectionThreshold: 0.6,
    languageDetectionSegments: 3,
    task: 'translate',
    initialPrompt: 'Hello.',
    prefix: null,
    hotwords: 'Kennedy',
    temperature: [0.2, 0.6, 1],
    beamSize: 3,
    bestOf: 4,
    patience: 1.5,
    lengthPenalty: 0.9,
    batchSize: 8,
    wordTimestamps: true,
    vadFilter: true,
    vadParameters: { threshold: 0.6, negThreshold: null, minSpeechDurationMs: 100, maxSpeechDurationS: 20, minSilenceDurationMs: 300, speechPadMs: 50 },
    chunkLength: 20,
    conditionOnPreviousText: false,
    noSpeechThreshold: null,
    compressionRatioThreshold: 2.2,
    logProbThreshold: -0.8,
  });
  const bare = jobOptions(parseJobInput({ audio: 'https://example.com/a.mp3' }));
  t.same(bare, { vadParameters: {} }, 'nothing set: the library defaults, and an empty vadParameters as before');
  t.same(jobOptions(parseJobInput({ audio_base_64: 'AAAA', word_timestamps: false })), { vadParameters: {} }, 'word_timestamps false: left unset, as before');
  t.same(jobOptions(parseJobInput({ audio_base_64: 'AAAA', vad_offset: 0.2, vad_parameters: { neg_threshold: 0.1 } })).vadParameters, { negThreshold: 0.2 }, 'vad_offset wins');
  t.same(jobOptions(parseJobInput({ audio_base_64: 'AAAA', temperature: [0, 0.5], temperature_increment_on_fallback: 0.2 })).temperature, [0, 0.5], 'a list stays a list');
  t.same(jobOptions(parseJobInput({ audio_base_64: 'AAAA', temperature: 0, temperature_increment_on_fallback: 0.2 })).temperature, [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

t.test('job or worker: by the error code', async (t) => {
  const coded = (code) => Object.assign(new Error(code ?? 'no code'), code === undefined ? {} : { code });
  const ownModel = { loadingModel: { jobsModel: false } };
  const jobsModel = { loadingModel: { jobsModel: true } };
  const table = [
    [ErrorCode.INPUT, {}, 'job'],
    [ErrorCode.ABORTED, {}, 'job'],
    [ErrorCode.TIMEOUT, {}, 'job'],
    [ErrorCode.MODEL, jobsModel, 'job'],
    [ErrorCode.INPUT, jobsModel, 'job'],
    [ErrorCode.MODEL, ownModel, 'worker'],
    [ErrorCode.INPUT, ownModel, 'worker'], // the worker's own model, whatever the code
    [ErrorCode.MODEL, {}, 'worker'], // the VAD model, say
    [ErrorCode.ENGINE, {}, 'worker'],
    [ErrorCode.ENGINE, jobsModel, 'worker'],
    [ErrorCode.INTERNAL, {}, 'worker'],
    [undefined, {}, 'worker'],
    [undefined, jobsModel, 'worker'],
    ['ENOSPC', {}, 'worker'],
    ['ERR_INVALID_ARG_TYPE', {}, 'worker'],
  ];
  for (const [code, ctx, want] of table) t.equal(failureOutcome(coded(code), ctx), want, `${code ?? 'no code'} ${JSON.stringify(ctx)}: ${want}`);
  t.equal(failureOutcome('a string'), 'worker');
  t.equal(failureOutcome(undefined), 'worker');
  // The worker's own job errors carry codes too.
  t.equal(new JobInputError('x').code, 'ERR_INPUT');
  t.ok(new JobInputError('x') instanceof InputError, 'a JobInputError is an InputError');
  t.equal(new JobInputError('x').name, 'JobInputError');
  t.equal(new JobCancelled('x').code, 'ERR_ABORTED');
  t.equal(failureOutcome(new JobInputError('audio URL: the server answered HTTP 404')), 'job');
  // No message decides anything: the same words with another code give another outcome.
  t.equal(failureOutcome(Object.assign(new Error('unknown language code "xx"'), { code: ErrorCode.ENGINE })), 'worker');
  t.equal(failureOutcome(Object.assign(new Error('CUDA out of memory'), { code: ErrorCode.INPUT })), 'job');
});

t.test('a worker fault is posted to RunPod as runpod-python posts refresh_worker: stopPod', async (t) => {
  t.same(runpodJobResult({ error: 'transcription failed: x', refresh_worker: true }), { error: 'transcription failed: x', stopPod: true });
  t.same(runpodJobResult({ error: 'audio: is required' }), { error: 'audio: is required' });
  t.same(runpodJobResult({ output: { transcription: 'hi' } }), { output: { transcription: 'hi' } });
});
