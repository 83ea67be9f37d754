// The option table (src/options/spec.ts) is the one place an option is defined: every front end
// takes every option it should (the worker's job fields, the CLI's flags, the server's form
// fields), the types and docs written from it are current, each bound is written once in src/,
// and an option's error names it as each front end calls it.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from './helpers.mjs';
import { OPTIONS, frontName, libraryPath, checkValue, valueFromText, resolveOptions, MAX_BATCH_SIZE } from '../lib/options/index.js';
import { JobInputSchema, parseJobInput } from '../lib/worker/schema.js';
import { JOB_FIELD_ALIASES, WORKER_OWN_OPTIONS, jobOptionFields } from '../lib/worker/job-options.js';
import { PEER_FIELDS } from '../lib/worker/peer-fields.js';
import { formOptionFields, FORM_OWN_OPTIONS } from '../lib/server/form.js';
import { transcribeOptionFlags } from '../lib/cli/transcribe-options.js';
import { InputError } from '../lib/errors.js';

t.test('every option is in every front end that should take it', async (t) => {
  t.ok(OPTIONS.length >= 45, `${OPTIONS.length} options`);
  const jobFields = new Set(Object.keys(JobInputSchema.shape));
  const vadFields = new Set(Object.keys(JobInputSchema.shape.vad_parameters.unwrap().shape));
  const flags = transcribeOptionFlags();
  const form = formOptionFields();
  for (const o of OPTIONS) {
    const job = frontName(o, 'job');
    if (job && !WORKER_OWN_OPTIONS.includes(o.name)) {
      const field = o.group === 'vad' ? job.replace('vad_parameters.', '') : job;
      t.ok((o.group === 'vad' ? vadFields : jobFields).has(field), `${libraryPath(o)}: job field ${job}`);
    } else t.ok(!job || jobFields.has(job), `${libraryPath(o)}: not a job field by rule, or the worker's own`);
    const flag = frontName(o, 'cli');
    if (flag) t.equal(flags.get(flag)?.option, o, `${libraryPath(o)}: flag ${flag}`);
    const field = frontName(o, 'form');
    if (field && !FORM_OWN_OPTIONS.includes(o.name)) t.equal(form.get(field), o, `${libraryPath(o)}: form field ${field}`);
    for (const [front, why] of Object.entries(o.notIn ?? {})) t.ok(why.length > 5, `${libraryPath(o)} not in ${front}: ${why}`);
  }
  // The server takes every option the worker takes.
  for (const { option } of jobOptionFields()) {
    if (!FORM_OWN_OPTIONS.includes(option.name) && !option.notIn?.form) t.ok(frontName(option, 'form'), `${libraryPath(option)}: the server takes it too`);
  }
  for (const [alias, target] of Object.entries(JOB_FIELD_ALIASES)) {
    t.ok(jobFields.has(alias), `alias ${alias} is a job field`);
    t.ok(OPTIONS.some((o) => libraryPath(o) === target), `alias ${alias} → ${target}, an option`);
  }
  // Other workers' fields (the table docs/worker.md is written from): each one taken, as what it says.
  for (const p of PEER_FIELDS) {
    t.ok(jobFields.has(p.field), `${p.from}'s ${p.field} is a job field`);
    if (p.option) t.ok(OPTIONS.some((o) => libraryPath(o) === p.option), `${p.field} → ${p.option}, an option`);
    if (p.ours) t.ok(jobFields.has(p.ours), `${p.field} → ${p.ours}, a job field`);
    t.ok(p.option || p.ours || p.note, `${p.field}: its meaning here is said`);
  }
});

t.test('the types and docs written from the table are current', async (t) => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'options-docs.mjs'), '--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr || 'src/options/types.ts and docs/options.md are what the table gives');
  const types = fs.readFileSync(path.join(root, 'src', 'options', 'types.ts'), 'utf8');
  for (const o of OPTIONS) t.match(types, new RegExp(`/\\*\\* [^\\n]*Values: [^\\n]*Default: [^\\n]*\\*/\\n  ${o.name}\\?:`), `${o.name}: documented with its values and default`);
  const doc = fs.readFileSync(path.join(root, 'docs', 'options.md'), 'utf8');
  for (const o of OPTIONS) t.match(doc, `\`${libraryPath(o)}\``, `docs/options.md: ${libraryPath(o)}`);
});

t.test('a bound is written once in src/', async (t) => {
  const files = [];
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.ts') && files.push(path.join(d, e.name))));
  walk(path.join(root, 'src'));
  const count = (re) => files.filter((f) => !f.endsWith('types.ts')).reduce((n, f) => n + (fs.readFileSync(f, 'utf8').match(re)?.length ?? 0), 0);
  t.equal(count(/batch[^\n]*\b1024\b/gi), 1, 'the batch-size bound (1024)');
  t.equal(count(/\b4 \* 3600\b/g), 1, 'the audio-length default (4 h)');
  t.equal(count(/\b2 \* 3600\b/g), 0, 'no second audio-length default');
  t.equal(count(/0\.2, 0\.4, 0\.6, 0\.8/g), 1, 'the temperature fallback list');
  t.equal(count(/'int8_float16'/g), 1, 'the compute types');
  t.equal(MAX_BATCH_SIZE, 1024);
});

t.test('checking and reading values', async (t) => {
  const o = (name) => OPTIONS.find((x) => libraryPath(x) === name);
  const err = (f) => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  const e = err(() => checkValue(o('beamSize'), 11));
  t.ok(e instanceof InputError, 'an InputError');
  t.equal(e.option, 'beamSize');
  t.equal(e.detail, 'must be an integer of at least 1 and at most 10, got 11');
  t.equal(e.message, 'beamSize must be an integer of at least 1 and at most 10, got 11');
  t.equal(err(() => valueFromText(o('temperature'), '0x1'))?.option, 'temperature', 'hex refused');
  t.equal(err(() => valueFromText(o('beamSize'), '')).option, 'beamSize', 'empty refused');
  t.same(valueFromText(o('temperature'), '0, 0.5'), [0, 0.5]);
  t.equal(valueFromText(o('compressionRatioThreshold'), 'none'), null);
  t.equal(valueFromText(o('language'), 'auto'), null);
  t.equal(valueFromText(o('vadFilter'), 'yes'), true);
  t.same(checkValue(o('clipTimestamps'), ' 1.5, 3 ,'), [1.5, 3]);
  t.equal(err(() => checkValue(o('clipTimestamps'), [5, 2])).detail, 'must be in increasing order');
  t.equal(err(() => checkValue(o('vadParameters.maxSpeechDurationS'), 0)).option, 'vadParameters.maxSpeechDurationS', 'above 0');
  t.equal(err(() => checkValue(o('language'), 'xx'))?.option, 'language', 'unknown language');
});

t.test('resolved once: every option set, the batched pipeline\'s choices made', async (t) => {
  const seq = resolveOptions({});
  t.equal(seq.decoding.beamSize, 5);
  t.same(seq.decoding.temperature, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.equal(seq.decoding.compressionRatioThreshold, 2.4);
  t.equal(seq.batchSize, null);
  t.equal(seq.vadFilter, false);
  t.equal(seq.vad.minSilenceDurationMs, 2000);
  for (const x of OPTIONS.filter((x) => x.group === 'decoding')) t.not(seq.decoding[x.name], undefined, `${x.name} set`);
  const batched = resolveOptions({ batchSize: 4, temperature: [0.2, 0.4], chunkLength: 20 });
  t.same(batched.decoding.temperature, [0.2, 0.4], 'the fallback list kept (batches decode at the first; a failing chunk goes through the rest)');
  t.equal(batched.decoding.withoutTimestamps, true);
  t.equal(batched.decoding.wordTimestamps, true, 'words by default: the batched segments are cut by them');
  t.equal(batched.speechRegions, true, 'the VAD runs: where the speech is comes back');
  t.equal(seq.speechRegions, false);
  t.equal(batched.decoding.conditionOnPreviousText, false);
  t.equal(batched.vadFilter, true);
  t.equal(batched.vad.minSilenceDurationMs, 160);
  t.equal(batched.vad.maxSpeechDurationS, 20, 'chunks at most chunkLength');
  t.same(resolveOptions({ temperature: 0.2, temperatureIncrementOnFallback: 0.4 }).decoding.temperature, [0.2, 0.6, 1]);
  t.same(resolveOptions({ temperatureIncrementOnFallback: 0.5 }).decoding.temperature, [0, 0.5, 1], 'from 0 when no temperature is given');
  t.throws(() => resolveOptions({ splitChannels: true, batchSize: 2 }), /splitChannels is not supported with batchSize/);
});

t.test('each front end names the option its own way', async (t) => {
  t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', best_of: 0 }), /best_of: must be an integer of at least 1 and at most 10, got 0/);
  const r = spawnSync(process.execPath, [path.join(root, 'lib', 'cli.js'), 'transcribe', 'x.wav', '--best-of', '0'], { encoding: 'utf8' });
  t.match(r.stderr, /--best-of must be an integer of at least 1 and at most 10, got 0/);
  t.equal(r.status, 2);
});
