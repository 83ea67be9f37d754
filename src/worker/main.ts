// `ct2-whisper worker`: picks the mode (RunPod, a test input, or the local API) and runs it.
import { parseArgs } from 'node:util';
import { configFromEnv } from './config.js';
import { createLogger } from './logger.js';
import { TranscriptionService } from './handler.js';
import { runpodEnv, RunpodWorker } from './runpod.js';
import { runTestInput, serveApi } from './local.js';

export async function workerMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      test_input: { type: 'string' },
      rp_serve_api: { type: 'boolean' },
      rp_api_port: { type: 'string' },
      rp_api_host: { type: 'string' },
    },
  });
  const log = createLogger();
  const config = configFromEnv();
  const service = new TranscriptionService(config, log);
  const rp = runpodEnv();
  try {
    if (values.test_input !== undefined || (!values.rp_serve_api && !rp)) {
      return await runTestInput(service, values.test_input, log);
    }
    await service.init();
    if (values.rp_serve_api) {
      const server = await serveApi(service, Number(values.rp_api_port ?? 8000), values.rp_api_host ?? '127.0.0.1', log);
      await new Promise<void>((resolve) => {
        const stop = () => server.close(() => resolve());
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      return 0;
    }
    log.info({ worker_id: rp!.workerId }, 'RunPod worker started');
    await new RunpodWorker(service, rp!, log).run();
    log.info('RunPod worker stopped');
    return 0;
  } finally {
    await service.close();
  }
}
