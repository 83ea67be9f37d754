// The worker's one translation from a job's fields to the library's options, and how it tells a
// job's failure from its own: no list can drift from the library's option list, the mapping gives
// what the hand-written renaming gave, and the error codes decide the outcome.
import t from 'tap';
import { JobInputSchema, parseJobInput, JobInputError } from '../lib/worker/schema.js';
import { jobOptions, jobDiarizeSettings, JOB_FIELD_ALIASES } from '../lib/worker/job-options.js';
import { failureOutcome, JobCancelled } from '../lib/worker/handler.js';
import { runpodJobResult } from '../lib/worker/runpod.js';
import { InputError, ErrorCode } from '../lib/errors.js';

t.test('a bad option field is refused naming the field, with the option table\'s bounds', async (t) => {
  const bad = (input, re) => t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', ...input }), re, JSON.stringify(input));
  bad({ beam_size: 11 }, /beam_size: must be an integer of at least 1 and at most 10, got 11/);
  bad({ vad_parameters: { threshold: 2 } }, /vad_parameters\.threshold: must be a number of at least 0 and at most 1, got 2/);
  bad({ vad_onset: -1 }, /vad_onset: must be a number of at least 0 and at most 1/);
  bad({ min_speakers: 0 }, /min_speakers: must be an integer of at least 1 and at most 64/);
  bad({ temperature: [0, 3] }, /temperature: must be at most 2, got 3/);
  bad({ clip_timestamps: '5,x' }, /clip_timestamps: "x" is not a number of seconds/);
  bad({ no_such_field: 1 }, /unknown field\(s\): no_such_field/);
  bad({ vad_parameters: { nope: 1 } }, /unknown field\(s\): nope/);
  // null for an option that takes none means its default, as the seed workers' clients send it.
  t.same(jobOptions(parseJobInput({ audio_base_64: 'AAAA', beam_size: null, patience: null })), { vadParameters: {} });
  t.same(jobDiarizeSettings(parseJobInput({ audio_base_64: 'AAAA', min_speakers: 2, max_speakers: null, num_speakers: null })), { minSpeakers: 2, maxSpeakers: null, numSpeakers: null });
  t.ok(Object.keys(JobInputSchema.shape).length > 45, 'every option is a field');
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
    languageDetectionThreshold: 0.6,
    languageDetectionSegments: 3,
    task: 'translate',
    initialPrompt: 'Hello.',
    prefix: null,
    hotwords: 'Kennedy',
    temperature: 0.2,
    temperatureIncrementOnFallback: 0.4,
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
  t.same(jobOptions(parseJobInput({ audio_base_64: 'AAAA', word_timestamps: false })), { wordTimestamps: false, vadParameters: {} }, 'word_timestamps false');
  t.same(jobOptions(parseJobInput({ audio_base_64: 'AAAA', vad_offset: 0.2, vad_parameters: { neg_threshold: 0.1 } })).vadParameters, { negThreshold: 0.2 }, 'vad_offset wins');
  t.same(jobOptions(parseJobInput({ audio_base_64: 'AAAA', temperature: 0, temperature_increment_on_fallback: 0.2 })), { temperature: 0, temperatureIncrementOnFallback: 0.2, vadParameters: {} }, 'the increment is an option: the library builds the list');
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
