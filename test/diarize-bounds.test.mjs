// Resource bounds of diarization: speaker samples are capped (30 s, 20 of them) in the library and
// in a worker job, whose time limit covers them; and the diarization's JavaScript work (fbank,
// clustering) lets the event loop run, measured on a real diarization.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fixture, tmpDir } from './helpers.mjs';
import { diarize, decodeAudio } from '../lib/index.js';
import { configFromEnv } from '../lib/worker/config.js';
import { createLogger } from '../lib/worker/logger.js';
import { TranscriptionService } from '../lib/worker/handler.js';

const silenceWav = (dir, seconds) => {
  const file = path.join(dir, `silence-${seconds}.wav`);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', String(seconds), '-c:a', 'pcm_s16le', file]);
  if (r.status !== 0) throw new Error(String(r.stderr));
  return file;
};

/**
 * While `work` runs: the longest the event loop went unanswered (`wall`, ms, from
 * monitorEventLoopDelay) and the most CPU time this process used in one such gap (`cpu`, ms): on
 * a loaded machine a gap may be the process waiting for a core, a gap full of CPU is the work's.
 */
async function longestStall(work) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  let last = process.cpuUsage();
  let cpu = 0;
  const tick = setInterval(() => {
    const used = process.cpuUsage(last);
    cpu = Math.max(cpu, (used.user + used.system) / 1000);
    last = process.cpuUsage();
  }, 5);
  h.enable();
  try {
    await work();
  } finally {
    h.disable();
    clearInterval(tick);
  }
  return { wall: h.max / 1e6, cpu };
}

t.test('speaker samples are at most 30 s and 20 in number', async (t) => {
  const dir = tmpDir(t);
  const [jfk] = await decodeAudio(fixture('jfk.flac'));
  const long = silenceWav(dir, 600);
  const started = Date.now();
  await t.rejects(diarize(jfk, { speakerSamples: [{ name: 'Ten minutes', audio: long }] }), {
    message: /speaker sample "Ten minutes" \(speakerSamples\[0\]\) is longer than 30 s: give 2 to 30 s of that speaker alone/,
  });
  t.ok(Date.now() - started < 30_000, `a 10-minute sample is refused at once (${Date.now() - started} ms)`);
  await t.rejects(diarize(jfk, { speakerSamples: [{ name: 'Raw', audio: new Float32Array(16000 * 31) }] }), { message: /speaker sample "Raw" .* longer than 30 s/ });
  const many = Array.from({ length: 21 }, (_, i) => ({ name: `s${i}`, audio: jfk }));
  await t.rejects(diarize(jfk, { speakerSamples: many }), { message: /speakerSamples: at most 20 samples, got 21/ });
  // 30 s is still a sample (the first 11 s of jfk.flac, padded with silence to 30 s).
  const thirty = new Float32Array(16000 * 30);
  thirty.set(jfk);
  const d = await diarize(jfk, { speakerSamples: [{ name: 'JFK', audio: thirty }] });
  t.equal(d.speakers[0].speaker, 'JFK', 'a 30 s sample names its speaker');
});

t.test('a worker job with a 10-minute speaker sample fails fast, naming it', async (t) => {
  const dir = tmpDir(t);
  const long = silenceWav(dir, 600);
  const server = http.createServer((req, res) => {
    const file = req.url === '/long.wav' ? long : fixture('jfk.flac');
    res.writeHead(200, { 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${server.address().port}`;
  const env = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '1', ALLOW_PRIVATE_AUDIO_URLS: '1', JOBS_DIR: tmpDir(t), JOB_TIMEOUT_S: '60', MAX_AUDIO_SECONDS: '60' };
  const service = new TranscriptionService(configFromEnv(env), createLogger({ CONSOLE_LOG_LEVEL: 'silent' }));
  t.teardown(() => service.close());
  const started = Date.now();
  const r = await service.handle({ id: 'long-sample', input: { audio: `${base}/jfk.flac`, diarization: true, speaker_samples: [{ url: `${base}/long.wav`, name: 'Ten minutes' }] } });
  const took = Date.now() - started;
  t.match(r.error, /speaker sample "Ten minutes" \(speaker_samples\[0\]\) is longer than 30 s/, r.error);
  t.notOk(r.refresh_worker, 'the job\'s fault, not the worker\'s');
  t.ok(took < 60_000, `answered within the job's time limit (${took} ms)`);
  t.comment(`a job with a 10-minute speaker sample: ${took} ms`);
});

t.test('diarization lets the event loop run', async (t) => {
  const { fbank, fbankPausing } = await import('../lib/diarize/fbank.js');
  const { cluster } = await import('../lib/diarize/clustering.js');
  const { Pauser } = await import('../lib/diarize/pause.js');
  // 12 minutes of noise: the fbank alone is seconds of JavaScript.
  const audio = Float32Array.from({ length: 16000 * 720 }, () => Math.random() * 0.2 - 0.1);
  let features;
  const fbankStall = await longestStall(async () => (features = await fbankPausing(audio, new Pauser())));
  t.ok(fbankStall.cpu < 250, `fbank of 12 min: at most ${fbankStall.cpu.toFixed(0)} ms of CPU between two turns of the event loop (longest wait ${fbankStall.wall.toFixed(0)} ms)`);
  t.same(features.subarray(0, 8000), fbank(audio.subarray(0, 16000 * 10 + 240)).subarray(0, 8000), 'the same features as in one go');
  // 800 embeddings (an hour's worth) in 4 groups.
  const vectors = Array.from({ length: 800 }, (_, i) => {
    const v = Float32Array.from({ length: 192 }, (_, d) => (d % 4 === i % 4 ? 1 : 0) + Math.random() * 0.3);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  let labels;
  const clusterStall = await longestStall(async () => (labels = await cluster(vectors, { threshold: 0.6, minSpeakers: 1, maxSpeakers: 64 })));
  t.ok(clusterStall.cpu < 250, `clustering 800 embeddings: at most ${clusterStall.cpu.toFixed(0)} ms of CPU between two turns of the event loop (longest wait ${clusterStall.wall.toFixed(0)} ms)`);
  t.equal(new Set(labels).size, 4, 'four speakers');
  // A real diarization (3 min 48 s, several readers): what stays are the ONNX runs (two windows or
  // one local speaker each), a few hundred ms on a loaded 2-core machine.
  const [arthur] = await decodeAudio(fixture('Arthur.mp3'));
  await diarize(arthur.subarray(0, 16000 * 12));
  let d;
  const stall = await longestStall(async () => (d = await diarize(arthur)));
  t.ok(d.speakers.length >= 2, `${d.speakers.length} speakers`);
  t.ok(stall.wall < 2500, `diarizing Arthur.mp3: the event loop waited at most ${stall.wall.toFixed(0)} ms`);
  t.comment(`longest event-loop stall: fbank 12 min ${fbankStall.wall.toFixed(0)} ms (${fbankStall.cpu.toFixed(0)} ms CPU), clustering 800 ${clusterStall.wall.toFixed(0)} ms (${clusterStall.cpu.toFixed(0)} ms CPU), diarizing 228 s ${stall.wall.toFixed(0)} ms`);
});
