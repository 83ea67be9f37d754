// `ct2-whisper worker`: picks the mode (RunPod, a test input, or the local API) and runs it. The
// worker's entry: `env` (the process's environment, from cli.ts) is read here and through config.ts, once, at
// start-up; everything below takes what they read as parameters.
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Env } from '../env.js';
import { configFromEnv } from './config.js';
import { createLogger } from './logger.js';
import { TranscriptionService } from './handler.js';
import { runpodEnv, shutdownGraceMs, RunpodWorker } from './runpod.js';
import { runTestInput, serveApi, CANCEL_WAIT_MS } from './local.js';
import { mounts } from './mounts.js';
import { hubCacheDir } from '../hub-download.js';

export async function workerMain(argv: string[], env: Env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      test_input: { type: 'string' },
      rp_serve_api: { type: 'boolean' },
      rp_api_port: { type: 'string' },
      rp_api_host: { type: 'string' },
    },
  });
  const log = createLogger(env);
  const config = configFromEnv(env);
  const graceMs = shutdownGraceMs(env);
  const rp = runpodEnv(env);
  let port = 8000;
  if (values.rp_api_port !== undefined) {
    port = Number(values.rp_api_port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--rp_api_port must be a port number, got ${JSON.stringify(values.rp_api_port)}`);
  }
  if (config.printMounts) {
    const where = mounts(['/', '/runpod-volume', config.jobsDir, config.cacheDir, hubCacheDir(config.hub), os.tmpdir()]);
    log.info(where, `mounts: ${where.mounts.map((m) => `${m.mount} (${m.type}${m.free_gb !== undefined ? `, ${m.free_gb} GB free of ${m.total_gb}` : ''})`).join(', ')}`);
  }
  const service = new TranscriptionService(config, log);
  // Job directories that a crashed or killed worker left behind.
  await service.sweepJobsDir();
  // The models are disposed only once no job is in hand; if one outlived its cancellation, they
  // are left alone and the exit code says so.
  let clean = true;
  try {
    if (values.test_input !== undefined || (!values.rp_serve_api && !rp)) {
      return await runTestInput(service, values.test_input, log);
    }
    await service.init();
    if (values.rp_serve_api) {
      const api = await serveApi(service, port, values.rp_api_host ?? '127.0.0.1', log);
      const sig = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      const started = Date.now();
      log.info({ signal: sig, grace_ms: graceMs }, 'shutting down: no new jobs; the running job has the grace period');
      // A second signal cancels the running job at once.
      const again = (s: NodeJS.Signals) => {
        log.warn({ signal: s }, 'second signal: cancelling the running job now');
        api.cancelRunning();
      };
      process.on('SIGTERM', again);
      process.on('SIGINT', again);
      clean = await api.shutdown(graceMs);
      log.info({ shutdown_s: (Date.now() - started) / 1000 }, 'local API stopped');
      return clean ? 0 : 1;
    }
    log.info({ worker_id: rp!.workerId }, 'RunPod worker started');
    const worker = new RunpodWorker(service, rp!, log);
    await worker.run();
    clean = worker.stoppedCleanly;
    log.info('RunPod worker stopped');
    return clean ? 0 : 1;
  } finally {
    if (!(await service.close(clean ? CANCEL_WAIT_MS : 0))) {
      // A job's native work is still running: do not wait for it to end the process.
      log.flush?.();
      setTimeout(() => process.exit(1), 100).unref();
      process.exitCode = 1;
    }
  }
}
