// Loopback servers for the worker tests: an audio file server, a stand-in for RunPod's job API,
// a stand-in for the Hugging Face Hub's file API, and a real S3-compatible server (moto).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { fixture, cache, root } from './helpers.mjs';

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Serves fixtures and misbehaving endpoints for audio URLs. */
export async function startAudioServer(t) {
  const sockets = new Set();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    if (p.startsWith('/audio/')) {
      const file = fixture(path.basename(p));
      if (!fs.existsSync(file)) return res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fs.statSync(file).size });
      return fs.createReadStream(file).pipe(res);
    }
    if (p.startsWith('/truncated/')) {
      const bytes = fs.readFileSync(fixture(path.basename(p)));
      return res.writeHead(200).end(bytes.subarray(0, Math.floor(bytes.length / 3)));
    }
    if (p.startsWith('/redirect-to/')) return res.writeHead(302, { location: `/audio/${path.basename(p)}` }).end();
    if (p === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (p === '/text') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not audio</html>'.repeat(100));
    if (p === '/empty') return res.writeHead(200, { 'content-length': 0 }).end();
    if (p === '/huge-header') return res.writeHead(200, { 'content-length': String(50 * 2 ** 30) }).end();
    if (p === '/endless') {
      res.writeHead(200);
      const block = Buffer.alloc(64 * 1024, 1);
      const pump = () => { while (res.write(block)) {} };
      res.on('drain', pump);
      pump();
      return;
    }
    if (p === '/hang') return; // never answers
    res.writeHead(404).end('not found');
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const base = await listen(server);
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  return base;
}

/** A stand-in for RunPod's job API: job-take, job-done, job-stream, job-stop and ping. */
export async function startRunpodStandIn(t) {
  const state = {
    queue: [],
    results: [],
    progress: [],
    stream: [],
    pings: [],
    auth: new Set(),
    takeStatusOverrides: [],
    stops: [],
    waiters: [],
  };
  const settle = () => {
    state.waiters = state.waiters.filter((w) => {
      const r = state.results.find((x) => x.id === w.id);
      if (r) w.resolve(r.body);
      return !r;
    });
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    state.auth.add(req.headers.authorization ?? '');
    const parts = url.pathname.split('/').filter(Boolean); // v2, endpoint, verb, worker, [id]
    const verb = parts[2];
    if (req.method === 'GET' && verb === 'job-take') {
      const override = state.takeStatusOverrides.shift();
      if (override) return res.writeHead(override).end();
      const job = state.queue.shift();
      if (!job) return res.writeHead(204).end();
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(job));
    }
    if (req.method === 'GET' && verb === 'job-stop') {
      if (state.stops.length) {
        const ids = state.stops.splice(0);
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jobsToStop: ids }));
      }
      return setTimeout(() => res.writeHead(204).end(), 100);
    }
    if (req.method === 'POST' && (verb === 'job-done' || verb === 'job-stream')) {
      const body = JSON.parse(await readBody(req));
      const id = decodeURIComponent(parts[4]);
      if (verb === 'job-stream') state.stream.push({ id, body, query: url.search });
      else if (body.status === 'IN_PROGRESS') state.progress.push({ id, body });
      else {
        state.results.push({ id, body, query: url.search });
        settle();
      }
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }
    if (req.method === 'GET' && verb === 'ping') {
      state.pings.push(url.search);
      return res.writeHead(200).end('{}');
    }
    res.writeHead(404).end();
  });
  const base = await listen(server);
  t.teardown(() => server.close());
  return {
    state,
    env: {
      RUNPOD_WEBHOOK_GET_JOB: `${base}/v2/ep/job-take/$ID?gpu=none`,
      RUNPOD_WEBHOOK_POST_OUTPUT: `${base}/v2/ep/job-done/$RUNPOD_POD_ID/$ID?gpu=none`,
      RUNPOD_WEBHOOK_POST_STREAM: `${base}/v2/ep/job-stream/$RUNPOD_POD_ID/$ID?gpu=none`,
      RUNPOD_WEBHOOK_PING: `${base}/v2/ep/ping/$RUNPOD_POD_ID?gpu=none`,
    },
    add(job) {
      state.queue.push(job);
    },
    /** The posted result of a job, when it comes. */
    result(id, timeoutMs = 300_000) {
      const found = state.results.find((x) => x.id === id);
      if (found) return Promise.resolve(found.body);
      return new Promise((resolve, reject) => {
        const w = { id, resolve };
        state.waiters.push(w);
        setTimeout(() => reject(new Error(`no result for ${id} within ${timeoutMs} ms`)), timeoutMs).unref();
      });
    },
  };
}

/** A stand-in for the Hub's file API, serving one model directory as repository `repo`. */
export async function startHubStandIn(t, repo, dir) {
  const sha = crypto.createHash('sha1').update(repo).digest('hex');
  const files = fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isFile());
  const oid = (f) => crypto.createHash('sha1').update(f + fs.statSync(path.join(dir, f)).size).digest('hex');
  const entry = (f) => ({ type: 'file', path: f, size: fs.statSync(path.join(dir, f)).size, oid: oid(f), lastCommit: { id: sha, title: 'init', date: '2026-01-01T00:00:00.000Z' } });
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    const json = (code, body) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const api = `/api/models/${repo}`;
    if (!url.pathname.startsWith(api) && !url.pathname.startsWith(`/${repo}/`)) return json(404, { error: 'Repository not found' });
    if (req.method === 'GET' && url.pathname.startsWith(`${api}/tree/`)) return json(200, files.map(entry));
    if (req.method === 'POST' && url.pathname.startsWith(`${api}/paths-info/`)) {
      const body = await readBody(req);
      let paths = [];
      try { paths = JSON.parse(body).paths; } catch { paths = new URLSearchParams(body).getAll('paths'); }
      return json(200, files.filter((f) => paths.includes(f)).map(entry));
    }
    if (req.method === 'GET' && (url.pathname === api || url.pathname.startsWith(`${api}/revision/`))) {
      return json(200, { id: repo, sha, siblings: files.map((f) => ({ rfilename: f })) });
    }
    const resolve = new RegExp(`^/${repo}/resolve/[^/]+/(.+)$`).exec(url.pathname);
    if (resolve && files.includes(decodeURIComponent(resolve[1]))) {
      const f = decodeURIComponent(resolve[1]);
      const size = fs.statSync(path.join(dir, f)).size;
      const headers = { etag: `"${oid(f)}"`, 'x-repo-commit': sha, 'accept-ranges': 'bytes' };
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
        res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` });
        if (req.method === 'HEAD') return res.end();
        return fs.createReadStream(path.join(dir, f), { start, end }).pipe(res);
      }
      res.writeHead(200, { ...headers, 'content-length': size });
      if (req.method === 'HEAD') return res.end();
      return fs.createReadStream(path.join(dir, f)).pipe(res);
    }
    json(404, { error: 'Entry not found' });
  });
  const base = await listen(server);
  t.teardown(() => server.close());
  return { base, requests, sha };
}

/** A real S3-compatible server (moto, from PyPI, in the test venv) on loopback. */
export async function startS3(t) {
  const bin = path.join(cache, 'test-venv', 'bin', 'moto_server');
  if (!fs.existsSync(bin)) throw new Error(`moto_server not found at ${bin}: run node scripts/prepare-test.mjs`);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${base}/moto-api/`);
      if (r.ok || r.status < 500) return base;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('moto_server did not start');
}

/**
 * Runs `ct2-whisper serve --port 0 ARGS` (the real CLI) and resolves with its base URL once it
 * listens; stopped with SIGTERM at the test's end.
 */
export async function startServe(t, args, env = {}) {
  const child = spawn(process.execPath, [path.join(root, 'lib', 'cli.js'), 'serve', '--port', '0', '--threads', '2', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      stderr += b;
      const m = /on (http:\/\/[^\s;,]+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
  t.teardown(() => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  }));
  return { url, child, stderr: () => stderr };
}
