// Soak: many mixed jobs through the worker's local API (`worker --rp_serve_api`) and many mixed
// requests through `serve`, both real processes on loopback with tiny.en, then the RSS before and
// after and what is left in their temp and job directories (nothing should be).
//
//   node bench/soak.mjs [--jobs 1000] [--requests 1000] [--concurrency 4] [--threads 2]
//
// Worker jobs, by i mod 10: 0-3 good (/runsync, 3 s of jfk.flac as base64), 4 good through /run and
// /status, 5 a bad field, 6 not audio, 7 a body over the size limit (413), 8 a /runsync whose client
// leaves after 50 ms, 9 a body that is not JSON. Server requests: 0-4 good (json), 5 not audio (400),
// 6 a bad field (400), 7 an upload over --max-file-bytes (413), 8 a client that leaves after 50 ms,
// 9 good as srt with stream=true. Prints a Markdown summary (what bench/SOAK.md holds).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'lib', 'cli.js');
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(root, '..', 'shared', 'fixtures');
const { values } = parseArgs({ options: { jobs: { type: 'string', default: '1000' }, requests: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '4' }, threads: { type: 'string', default: '2' } } });
const JOBS = Number(values.jobs);
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-soak-'));
const tmp = path.join(work, 'tmp');
const jobsDir = path.join(work, 'jobs');
fs.mkdirSync(tmp);
fs.mkdirSync(jobsDir);
// 3 s of jfk.flac as a 16 kHz WAV: the good input.
const clip = path.join(work, 'clip.wav');
spawnSync('ffmpeg', ['-v', 'error', '-i', path.join(fixtures, 'audio', 'jfk.flac'), '-t', '3', '-ar', '16000', '-ac', '1', clip]);
const clipBytes = fs.readFileSync(clip);
const notAudio = Buffer.from('this is not audio, only words in a file.\n'.repeat(40));
const LIMIT = 1024 * 1024; // MAX_AUDIO_BYTES and --max-file-bytes: 1 MiB
const oversized = Buffer.alloc(LIMIT + 4096, 1);
// A worker body past MAX_AUDIO_BYTES as base64 and the 1 MiB for other fields.
const oversizedJob = JSON.stringify({ input: { audio_base_64: Buffer.alloc(2 * LIMIT, 1).toString('base64') } });

const status = (pid) => {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
};

function start(args, env, ready) {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, TMPDIR: tmp, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b) => (err = (err + b).slice(-20000)));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, err: () => err, ready: ready(child, () => err) };
}

/** Runs `count` tasks, `CONCURRENCY` at a time; tallies outcomes; the RSS of `pid` every tenth of the way. */
async function pool(count, task, pid) {
  const tally = {};
  const wrong = [];
  const series = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      const i = next++;
      if (i % Math.max(1, Math.round(count / 10)) === 0) series.push(Math.round(status(pid).rss));
      const { kind, ok, detail } = await task(i).catch((e) => ({ kind: `task ${i % 10}`, ok: false, detail: e.message }));
      tally[kind] = (tally[kind] ?? 0) + 1;
      if (!ok) wrong.push(`${i} ${kind}: ${detail}`);
    }
  }));
  return { tally, wrong, series, seconds: (Date.now() - started) / 1000 };
}

async function soakWorker() {
  const port = 24000 + Math.floor(Math.random() * 10000);
  const api = `http://127.0.0.1:${port}`;
  const w = start(['worker', '--rp_serve_api', '--rp_api_port', String(port)], {
    WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: values.threads, JOBS_DIR: jobsDir, MAX_AUDIO_BYTES: String(LIMIT), CONSOLE_LOG_LEVEL: 'warn',
  }, async (child, err) => {
    for (let i = 0; i < 600; i++) {
      try { if ((await fetch(`${api}/health`)).ok) return; } catch {}
      if (child.exitCode !== null) throw new Error(`the worker exited: ${err()}`);
      await sleep(100);
    }
  });
  await w.ready;
  const good = clipBytes.toString('base64');
  const post = async (route, body, signal) => {
    const r = await fetch(`${api}${route}`, { method: 'POST', body, signal });
    return { code: r.status, body: await r.json() };
  };
  const task = async (i) => {
    switch (i % 10) {
      case 0: case 1: case 2: case 3: {
        const r = await post('/runsync', JSON.stringify({ input: { audio_base_64: good } }));
        return { kind: 'good /runsync', ok: r.body.status === 'COMPLETED' && /fellow/i.test(r.body.output.transcription), detail: JSON.stringify(r.body).slice(0, 200) };
      }
      case 4: {
        const { body } = await post('/run', JSON.stringify({ input: { audio_base_64: good } }));
        for (let k = 0; k < 600; k++) {
          const s = await (await fetch(`${api}/status/${body.id}`)).json();
          if (s.status === 'COMPLETED' || s.status === 'FAILED') return { kind: 'good /run + /status', ok: s.status === 'COMPLETED', detail: JSON.stringify(s).slice(0, 200) };
          await sleep(100);
        }
        return { kind: 'good /run + /status', ok: false, detail: 'never finished' };
      }
      case 5: {
        const r = await post('/runsync', JSON.stringify({ input: { audio_base_64: good, beam_size: 'five' } }));
        return { kind: 'bad field', ok: r.body.status === 'FAILED' && /beam_size/.test(r.body.error), detail: r.body.error };
      }
      case 6: {
        const r = await post('/runsync', JSON.stringify({ input: { audio_base_64: notAudio.toString('base64') } }));
        return { kind: 'not audio', ok: r.body.status === 'FAILED' && !r.body.refresh_worker, detail: r.body.error };
      }
      case 7: {
        const r = await fetch(`${api}/runsync`, { method: 'POST', body: oversizedJob }).catch((e) => e);
        return { kind: 'oversized (413)', ok: r.status === 413 || r.cause?.code === 'EPIPE' || r.cause?.code === 'ECONNRESET', detail: r.status ?? r.message };
      }
      case 8: {
        const r = await post('/runsync', JSON.stringify({ input: { audio_base_64: good } }), AbortSignal.timeout(50)).catch((e) => e);
        return { kind: 'client left', ok: r.name === 'TimeoutError' || r.body?.status === 'COMPLETED', detail: r.message ?? r.code };
      }
      default: {
        const r = await post('/runsync', '{"input": ');
        return { kind: 'not JSON (400)', ok: r.code === 400, detail: r.code };
      }
    }
  };
  await task(0); // warm: the model loaded, the first job run
  await sleep(1000);
  const before = status(w.child.pid);
  const result = await pool(JOBS, task, w.child.pid);
  // Let the jobs of clients that left finish.
  for (let k = 0; k < 600; k++) {
    const h = await (await fetch(`${api}/health`)).json();
    if (!h.jobs.IN_PROGRESS && !h.jobs.IN_QUEUE) break;
    await sleep(100);
  }
  await sleep(2000);
  const after = status(w.child.pid);
  w.child.kill('SIGTERM');
  const exit = await w.exited;
  return { ...result, before, after, exit };
}

async function soakServe() {
  const s = start(['serve', '--port', '0', '--model', 'tiny.en', '--threads', values.threads, '--max-file-bytes', String(LIMIT)], {}, (child, err) => new Promise((resolve, reject) => {
    child.stderr.on('data', () => {
      const m = /on (http:\/\/[^\s;,]+)/.exec(err());
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`serve exited: ${err()}`)));
  }));
  const url = await s.ready;
  const form = (bytes, name, fields = {}) => {
    const f = new FormData();
    f.append('file', new Blob([bytes]), name);
    f.append('model', 'whisper-1');
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    return f;
  };
  const post = (body, signal) => fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body, signal });
  const task = async (i) => {
    switch (i % 10) {
      case 0: case 1: case 2: case 3: case 4: {
        const r = await post(form(clipBytes, 'clip.wav'));
        const body = await r.json();
        return { kind: 'good', ok: r.status === 200 && /fellow/i.test(body.text), detail: `${r.status} ${JSON.stringify(body).slice(0, 200)}` };
      }
      case 5: {
        const r = await post(form(notAudio, 'notes.txt'));
        return { kind: 'not audio (400)', ok: r.status === 400, detail: `${r.status} ${await r.text()}` };
      }
      case 6: {
        const r = await post(form(clipBytes, 'clip.wav', { temperature: '5' }));
        return { kind: 'bad field (400)', ok: r.status === 400, detail: `${r.status} ${await r.text()}` };
      }
      case 7: {
        const r = await post(form(oversized, 'big.wav')).catch((e) => e);
        return { kind: 'oversized (413)', ok: r.status === 413, detail: r.status ?? r.message };
      }
      case 8: {
        const r = await post(form(clipBytes, 'clip.wav'), AbortSignal.timeout(50)).then((x) => x.text().then(() => x)).catch((e) => e);
        return { kind: 'client left', ok: r.name === 'TimeoutError' || r.status === 200, detail: r.message ?? r.status };
      }
      default: {
        const r = await post(form(clipBytes, 'clip.wav', { stream: 'true', response_format: 'srt' }));
        const text = await r.text();
        return { kind: 'good, streamed', ok: r.status === 200 && /transcript\.text\.done/.test(text), detail: `${r.status} ${text.slice(0, 200)}` };
      }
    }
  };
  await task(0);
  await sleep(1000);
  const before = status(s.child.pid);
  const result = await pool(REQUESTS, task, s.child.pid);
  for (let k = 0; k < 600; k++) {
    const h = await (await fetch(`${url}/health`)).json();
    if (!h.scheduler.admitted) break;
    await sleep(100);
  }
  await sleep(2000);
  const after = status(s.child.pid);
  s.child.kill('SIGTERM');
  const exit = await s.exited;
  return { ...result, before, after, exit };
}

const left = (dir) => fs.readdirSync(dir);
const started = Date.now();
const skipped = { tally: {}, wrong: [], series: [], seconds: 0, before: { rss: 0 }, after: { rss: 0, peak: 0 }, exit: { code: 'skipped' } };
const worker = JOBS ? await soakWorker() : skipped;
const workerLeft = { tmp: left(tmp), jobs: left(jobsDir) };
const serve = REQUESTS ? await soakServe() : skipped;
const serveLeft = { tmp: left(tmp) };
const mb = (x) => x.toFixed(0);
const lines = [
  `${new Date().toISOString()} — ${os.cpus().length} cores (${os.cpus()[0].model}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end; tiny.en, --threads/CPU_THREADS ${values.threads}, ${CONCURRENCY} clients at once; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
  '',
  '| | count | wall s | outcomes | wrong | RSS after warm-up MB | RSS after MB | peak RSS MB | exit | left in TMPDIR | left in JOBS_DIR |',
  '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- | --- |',
  `| worker --rp_serve_api | ${JOBS} | ${worker.seconds.toFixed(0)} | ${Object.entries(worker.tally).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${worker.wrong.length} | ${mb(worker.before.rss)} | ${mb(worker.after.rss)} | ${mb(worker.after.peak)} | ${worker.exit.code ?? worker.exit.signal} | ${workerLeft.tmp.length ? workerLeft.tmp.join(' ') : 'nothing'} | ${workerLeft.jobs.length ? workerLeft.jobs.join(' ') : 'nothing'} |`,
  `| serve | ${REQUESTS} | ${serve.seconds.toFixed(0)} | ${Object.entries(serve.tally).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${serve.wrong.length} | ${mb(serve.before.rss)} | ${mb(serve.after.rss)} | ${mb(serve.after.peak)} | ${serve.exit.code ?? serve.exit.signal} | ${serveLeft.tmp.length ? serveLeft.tmp.join(' ') : 'nothing'} | — |`,
];
lines.push('', `RSS MB every tenth of the way: worker ${worker.series.join(' ')} → ${mb(worker.after.rss)}; serve ${serve.series.join(' ')} → ${mb(serve.after.rss)}`);
console.log(lines.join('\n'));
for (const w of [...worker.wrong, ...serve.wrong].slice(0, 20)) console.log(`wrong: ${w}`);
fs.rmSync(work, { recursive: true, force: true });
process.exit(worker.wrong.length + serve.wrong.length + workerLeft.tmp.length + workerLeft.jobs.length + serveLeft.tmp.length ? 1 : 0);
