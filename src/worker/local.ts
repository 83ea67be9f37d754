// Local modes, as runpod-python offers them: run one test input and print the result (here), or
// serve RunPod's endpoint API on loopback (local-api.ts, its jobs in local-jobs.ts).
// A worker fault's result is shown as the handler returns it, `refresh_worker: true` beside its
// error (runpod.ts turns that into RunPod's stopPod).
import fs from 'node:fs';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { JobCancelled, type TranscriptionService } from './handler.js';
import type { Logger } from './logger.js';
import { CANCEL_WAIT_MS } from './local-jobs.js';

export { CANCEL_WAIT_MS, DEFAULT_MAX_FINISHED_JOBS, DEFAULT_MAX_FINISHED_BYTES, type LocalApiOptions } from './local-jobs.js';
export { serveApi, maxRequestBytes, REPORT_WAIT_MS, type LocalApi } from './local-api.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];
export const signalExitCode = (sig: Signal) => 128 + os.constants.signals[sig];

/**
 * Runs `--test_input` (or ./test_input.json); prints the result; resolves to an exit code.
 * SIGTERM or SIGINT cancels the job: its directory is removed, the result says why, and the exit
 * code is 128 + the signal's number. If the work does not stop within CANCEL_WAIT_MS (or a second
 * signal comes), the directory is removed and the process exits at once.
 */
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
  const abort = new AbortController();
  let signalled: Signal | undefined;
  const exitNow = (sig: Signal, why: string) => {
    service.removeJobDirsSync();
    log.error({ job_id: id, signal: sig }, why);
    process.stdout.write(JSON.stringify({ error: `job cancelled: the worker received ${sig}` }) + '\n');
    process.exit(signalExitCode(sig));
  };
  const onSignal = (sig: Signal) => {
    if (signalled) return exitNow(sig, 'second signal: exiting without waiting for the job');
    signalled = sig;
    log.warn({ job_id: id, signal: sig }, `${sig}: cancelling the job`);
    abort.abort(new JobCancelled(`the worker received ${sig}`));
    setTimeout(() => exitNow(sig, `the job did not stop within ${CANCEL_WAIT_MS} ms of ${sig}: its directory removed, exiting`), CANCEL_WAIT_MS).unref();
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  try {
    log.info({ job_id: id }, 'running the test input');
    const result = await service.handle({ id, input: job.input }, { signal: abort.signal });
    process.stdout.write(JSON.stringify(result) + '\n');
    if (signalled) return signalExitCode(signalled);
    return 'error' in result ? 1 : 0;
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSignal);
  }
}
