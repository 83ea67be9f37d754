// Local modes, as runpod-python offers them: run one test input and print the result, or
// serve /run, /runsync, /status/{id} and /health on loopback.
import fs from 'node:fs';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { TranscriptionService, JobResult } from './handler.js';
import type { Logger } from './logger.js';

/** Runs `--test_input` (or ./test_input.json); prints the result; resolves to an exit code. */
export async function runTestInput(service: TranscriptionService, raw: string | undefined, log: Logger): Promise<number> {
  let text = raw;
  if (text === undefined) {
    if (!fs.existsSync('test_input.json')) {
      process.stdout.write(JSON.stringify({ error: 'no RunPod environment, no --test_input and no ./test_input.json' }) + '\n');
      return 1;
    }
    text = fs.readFileSync('test_input.json', 'utf8');
  }
  let job: { id?: string; input?: unknown };
  try {
    job = JSON.parse(text);
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: `test input is not JSON: ${(e as Error).message}` }) + '\n');
    return 1;
  }
  if (!job || typeof job !== 'object' || !('input' in job)) {
    process.stdout.write(JSON.stringify({ error: 'test input has no "input" field' }) + '\n');
    return 1;
  }
  const id = typeof job.id === 'string' ? job.id : `local-${randomUUID()}`;
  log.info({ job_id: id }, 'running the test input');
  const result = await service.handle({ id, input: job.input });
  process.stdout.write(JSON.stringify(result) + '\n');
  return 'error' in result ? 1 : 0;
}

type Status = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
interface Entry {
  status: Status;
  result?: JobResult;
  done: Promise<void>;
}

/** An HTTP API like runpod-python's --rp_serve_api, for trying the worker without RunPod. */
export function serveApi(service: TranscriptionService, port: number, host: string, log: Logger): Promise<http.Server> {
  const jobs = new Map<string, Entry>();
  let queue: Promise<void> = Promise.resolve();
  const submit = (input: unknown): [string, Entry] => {
    const id = `local-${randomUUID()}`;
    const entry: Entry = { status: 'IN_QUEUE', done: Promise.resolve() };
    entry.done = queue = queue.then(async () => {
      entry.status = 'IN_PROGRESS';
      entry.result = await service.handle({ id, input });
      entry.status = 'error' in entry.result ? 'FAILED' : 'COMPLETED';
    });
    jobs.set(id, entry);
    return [id, entry];
  };
  const view = (id: string, e: Entry) => ({ id, status: e.status, ...(e.result ?? {}) });
  const server = http.createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') {
      const counts: Record<string, number> = {};
      for (const e of jobs.values()) counts[e.status] = (counts[e.status] ?? 0) + 1;
      return send(200, { status: 'ok', jobs: counts });
    }
    const status = /^\/status\/([\w-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && status) {
      const e = jobs.get(status[1]);
      return e ? send(200, view(status[1], e)) : send(404, { error: `no job ${status[1]}` });
    }
    if (req.method === 'POST' && (url.pathname === '/run' || url.pathname === '/runsync')) {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 2 * 1024 * 1024 * 1024) req.destroy();
        else chunks.push(c);
      });
      req.on('end', async () => {
        let body: { input?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(400, { error: 'the request body is not JSON' });
        }
        if (!body || typeof body !== 'object' || !('input' in body)) return send(400, { error: 'the request has no "input" field' });
        const [id, entry] = submit(body.input);
        if (url.pathname === '/run') return send(200, { id, status: entry.status });
        await entry.done;
        send(200, view(id, entry));
      });
      return;
    }
    send(404, { error: `no route ${req.method} ${url.pathname}` });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      log.info({ host, port }, `serving /run, /runsync, /status/{id} and /health on http://${host}:${port}`);
      resolve(server);
    });
  });
}
