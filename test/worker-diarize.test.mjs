// Issue 12, the worker: WhisperX workers' diarization jobs through the RunPod protocol. The
// recording is stereo_diarization.wav mixed to mono (one speaker per channel: the truth), the
// speaker samples are cut from each channel and served over loopback. A job with WhisperX's full
// example input (diarization, speaker counts, Hub token, speaker verification with { url, name }
// samples and a bare URL) succeeds with names on the right turns; bad jobs fail alone, with their
// field named, and leave JOBS_DIR empty; a job on silence has zero speakers and no error.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { root, fixture, tmpDir, wavBytes } from './helpers.mjs';
import { startRunpodStandIn } from './servers.mjs';
import { decodeAudio } from '../lib/index.js';

const SR = 16000;
const cli = path.join(root, 'lib', 'cli.js');

/** Serves `files` (name → bytes) on loopback. */
async function serve(t, files) {
  const server = http.createServer((req, res) => {
    const body = files[path.basename(new URL(req.url, 'http://x').pathname)];
    if (!body) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  return `http://127.0.0.1:${server.address().port}`;
}

function startWorker(t, env) {
  const child = spawn(process.execPath, [cli, 'worker'], {
    env: { ...process.env, RUNPOD_POD_ID: 'w1', RUNPOD_AI_API_KEY: 'test-key', RUNPOD_PING_INTERVAL: '300', RUNPOD_IDLE_DELAY_MS: '50', CPU_THREADS: '2', WHISPER_MODEL_NAME: 'tiny.en', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (b) => (logs += b));
  child.stderr.on('data', (b) => (logs += b));
  t.teardown(() => child.kill('SIGKILL'));
  return { child, logs: () => logs };
}

const spoken = (turns, speaker, start, end) =>
  turns.filter((x) => x.speaker === speaker).reduce((a, x) => a + Math.max(0, Math.min(end, x.end) - Math.max(start, x.start)), 0);

t.test('diarization jobs through the RunPod protocol', async (t) => {
  const [left, right] = await decodeAudio(fixture('stereo_diarization.wav'), { splitChannels: true });
  const mixed = left.map((x, i) => (x + right[i]) / 2);
  const files = {
    'mixed.wav': wavBytes(mixed),
    'left-sample.wav': wavBytes(left.subarray(Math.round(2.4 * SR), Math.round(4.7 * SR))),
    'Right.wav': wavBytes(right.subarray(Math.round(0.25 * SR), Math.round(2.3 * SR))),
    'silence.wav': wavBytes(new Float32Array(4 * SR)),
    'notes.wav': Buffer.from('these are meeting notes, not a recording\n'.repeat(50)),
  };
  const base = await serve(t, files);
  const rp = await startRunpodStandIn(t);
  const jobsDir = tmpDir(t);
  const w = startWorker(t, { ...rp.env, JOBS_DIR: jobsDir, ALLOW_PRIVATE_AUDIO_URLS: '1' });
  const token = 'hf_DIARIZATIONsecret0123456789';
  // WhisperX's worker input, every field of its example, diarization and verification on.
  const whisperx = {
    audio_file: `${base}/mixed.wav`,
    language: 'en',
    language_detection_min_prob: 0,
    language_detection_max_tries: 5,
    initial_prompt: null,
    batch_size: 16,
    temperature: 0,
    vad_onset: 0.5,
    vad_offset: 0.363,
    align_output: true,
    diarization: true,
    huggingface_access_token: token,
    min_speakers: 1,
    max_speakers: 2,
    debug: false,
    speaker_verification: true,
    speaker_samples: [{ url: `${base}/left-sample.wav`, name: 'Alice' }, `${base}/Right.wav`],
  };
  const jobs = [
    ['whisperx', whisperx],
    ['plain', { audio: `${base}/mixed.wav`, diarization: true, word_timestamps: true, output_formats: ['srt', 'text'] }],
    ['silence', { audio: `${base}/silence.wav`, diarization: true }],
    ['min-over-max', { audio: `${base}/mixed.wav`, diarization: true, min_speakers: 3, max_speakers: 2 }],
    ['zero-speakers', { audio: `${base}/mixed.wav`, diarization: true, min_speakers: 0 }],
    ['negative-speakers', { audio: `${base}/mixed.wav`, diarization: true, max_speakers: -1 }],
    ['sample-404', { audio: `${base}/mixed.wav`, speaker_verification: true, speaker_samples: [{ url: `${base}/nobody.wav`, name: 'Nobody' }] }],
    ['sample-not-audio', { audio: `${base}/mixed.wav`, diarization: true, speaker_samples: [{ url: `${base}/notes.wav`, name: 'Notes' }] }],
    ['verification-without-samples', { audio: `${base}/mixed.wav`, speaker_verification: true }],
    ['after', { audio: `${base}/mixed.wav`, diarization: true }],
  ];
  for (const [id, input] of jobs) rp.add({ id, input });

  const wx = await rp.result('whisperx');
  t.notOk(wx.error, wx.error ?? 'the WhisperX job succeeds');
  const out = wx.output;
  t.same(out.speakers.map((s) => s.speaker).sort(), ['Alice', 'Right'], `named after the samples: ${JSON.stringify(out.speakers)}`);
  t.ok(out.speakers.every((s) => s.matched && s.duration > 1), 'both matched, both speak');
  t.ok(out.segments.every((s) => typeof s.speaker === 'string'), 'every segment has a speaker');
  const words = out.word_timestamps;
  t.ok(words.length > 10 && words.every((w) => w.speaker === undefined || ['Alice', 'Right'].includes(w.speaker)), 'words carry the names');
  // Alice (the left channel) alone after 2.6 s: the words there are hers.
  const late = words.filter((w) => w.start > 2.8);
  t.ok(late.length > 3 && late.filter((w) => w.speaker === 'Alice').length / late.length >= 0.8, `late words are Alice's: ${late.map((w) => `${w.word}/${w.speaker}`).join(' ')}`);
  t.ok(out.model_output.speakers.length === 2, 'model_output has the summary too');
  t.ok(out.notes === undefined || !out.notes.some((n) => /speakers .* ignored/.test(n)), 'the speaker counts are used, not noted as ignored');

  const plain = (await rp.result('plain')).output;
  t.same(plain.speakers.map((s) => s.speaker), ['SPEAKER_00', 'SPEAKER_01']);
  t.match(plain.srt, /\[SPEAKER_0[01]\]: /, 'srt with the labels');
  t.match(plain.text, /^\[SPEAKER_0[01]\]: /, 'text with the labels');

  const silence = await rp.result('silence');
  t.notOk(silence.error, 'no speech is not an error');
  t.same(silence.output.speakers, [], 'zero speakers');

  const errors = {
    'min-over-max': /min_speakers \(3\) is more than max_speakers \(2\)/,
    'zero-speakers': /min_speakers: must be an integer of at least 1 and at most 64/,
    'negative-speakers': /max_speakers: must be an integer of at least 1 and at most 64/,
    'sample-404': /speaker_samples\[0\] \("Nobody"\): .*HTTP 404/,
    'sample-not-audio': /speaker sample "Notes" \(speaker_samples\[0\]\) could not be read as audio/,
    'verification-without-samples': /speaker_verification: needs speaker_samples/,
  };
  for (const [id, re] of Object.entries(errors)) {
    const r = await rp.result(id);
    t.match(r.error, re, `${id}: ${r.error}`);
    t.notOk(r.refresh_worker, `${id}: the job's fault, not the worker's`);
  }
  const after = await rp.result('after');
  t.equal(after.output?.speakers?.length, 2, 'the worker goes on after the bad jobs');
  t.same(fs.readdirSync(jobsDir), [], 'no job directory or sample left behind');
  t.notOk(w.logs().includes(token), 'the token is not logged');
});
