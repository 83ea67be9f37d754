// `ct2-whisper serve`: the OpenAI-compatible server (server/app.ts) from flags and the
// environment (CT2_WHISPER_API_KEY, CT2_WHISPER_ALLOWED_HOSTS, CT2_WHISPER_MODEL_ALIASES, and the
// cache and VAD settings every command reads).
import os from 'node:os';
import type { Env, EnvSettings } from '../env.js';
import { defaultLocalModel, resolveModel } from '../model-path.js';
import type { LoadOptions } from '../model.js';
import { MAX_BATCH_SIZE } from '../options/index.js';
import { DEFAULT_MAX_AUDIO_SECONDS } from '../audio.js';
import { DEFAULT_REALTIME_LIMITS } from '../server/realtime/index.js';
import { startServer, DEFAULT_MAX_FILE_BYTES, DEFAULT_SCHEDULER, DEFAULT_TIMEOUTS, type HttpTimeouts } from '../server/app.js';
import { ALIAS_NAME, type ServedModel } from '../server/models.js';
import { parseAllowedHosts } from '../server/origin.js';
import { vadModelPath } from '../vad.js';
import { createLogger } from '../worker/logger.js';
import { listCachedModels } from './models.js';
import { UsageError, boolArg, intArg, parseFlags, spec, type FlagSpec } from './args.js';

export function serveSpecs(): Map<string, FlagSpec> {
  return new Map<string, FlagSpec>([
    ['--host', spec()],
    ['--port', spec()],
    ['--api-key', spec()],
    ['--allowed-hosts', spec()],
    ['--device', spec()],
    ['--compute-type', spec()],
    ['--threads', spec()],
    ['--batch-size', spec()],
    ['--batching', spec('bool')],
    ['--gather-ms', spec()],
    ['--max-queue', spec()],
    ['--max-file-bytes', spec()],
    ['--max-audio-seconds', spec()],
    ['--max-queue-bytes', spec()],
    ['--header-timeout', spec()],
    ['--body-timeout', spec()],
    ['--idle-timeout', spec()],
    ['--max-sessions', spec()],
    ['--session-idle-timeout', spec()],
    ['--model-alias', { kind: 'string', repeatable: true }],
  ]);
}

/** --model may be given several times (or as a comma-separated list); the rest goes to parseFlags. */
export function takeModels(argv: string[]): { models: string[]; rest: string[] } {
  const models: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model' || a === '--model-directory') {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a model name or directory`);
      models.push(...argv[++i].split(',').filter(Boolean));
    } else if (a.startsWith('--model=')) {
      models.push(...a.slice(8).split(',').filter(Boolean));
    } else {
      rest.push(a);
    }
  }
  return { models, rest };
}

/** The served models: those named, else every complete model in ct2-whisper's cache, the best first. */
async function servedModels(names: string[], settings: EnvSettings): Promise<ServedModel[]> {
  if (names.length) {
    const out: ServedModel[] = [];
    for (const name of names) {
      const r = await resolveModel(name, settings);
      if (out.some((m) => m.id === r.name)) throw new UsageError(`--model ${name}: a model named ${r.name} is already served`);
      out.push({ id: r.name, dir: r.dir });
    }
    return out;
  }
  const best = defaultLocalModel(settings);
  const others = listCachedModels(settings).filter((m) => m.source === 'cache' && m.complete && m.name !== best.name);
  return [{ id: best.name, dir: best.dir }, ...others.map((m) => ({ id: m.name, dir: m.path }))];
}

/**
 * --model-alias NAME=MODEL (repeatable) and CT2_WHISPER_MODEL_ALIASES (NAME=MODEL,...; a flag wins
 * for its name): each MODEL resolved as --model resolves it, and served (added when not already).
 */
async function modelAliases(flags: string[], env: string | undefined, served: ServedModel[], settings: EnvSettings): Promise<Record<string, string>> {
  const given = new Map<string, string>();
  const entries = [...(env ?? '').split(',').map((e) => ['CT2_WHISPER_MODEL_ALIASES', e.trim()]), ...flags.map((f) => ['--model-alias', f.trim()])];
  for (const [from, entry] of entries) {
    if (!entry) continue;
    const at = entry.indexOf('=');
    const name = entry.slice(0, at).trim();
    const model = entry.slice(at + 1).trim();
    if (at < 0 || !ALIAS_NAME.test(name) || !model) throw new UsageError(`${from}: give NAME=MODEL (a name with no spaces, "=" or ","; a model name or directory), got ${JSON.stringify(entry)}`);
    given.set(name, model);
  }
  const aliases: Record<string, string> = {};
  for (const [name, model] of given) {
    if (served.some((m) => m.id === name)) throw new UsageError(`--model-alias ${name}: a served model has that name`);
    const r = await resolveModel(model, settings);
    if (!served.some((m) => m.id === r.name)) served.push({ id: r.name, dir: r.dir });
    aliases[name] = r.name;
  }
  return aliases;
}

/** --allowed-hosts (or CT2_WHISPER_ALLOWED_HOSTS), checked. */
function allowedHostsArg(value: string | undefined): string[] {
  try {
    return parseAllowedHosts(value);
  } catch (e) {
    throw new UsageError(`--allowed-hosts (CT2_WHISPER_ALLOWED_HOSTS): ${(e as Error).message}`);
  }
}

/** --header-timeout, --body-timeout and --idle-timeout, in seconds. */
function timeoutFlags(values: Map<string, string>): HttpTimeouts {
  const seconds = (flag: string, def: number) => (intArg(flag, values.get(flag), 1, 24 * 3600) ?? def / 1000) * 1000;
  return {
    headersMs: seconds('--header-timeout', DEFAULT_TIMEOUTS.headersMs),
    bodyMs: seconds('--body-timeout', DEFAULT_TIMEOUTS.bodyMs),
    idleMs: seconds('--idle-timeout', DEFAULT_TIMEOUTS.idleMs),
  };
}

export async function serveCommand(argv: string[], env: Env, settings: EnvSettings, load: (values: Map<string, string>) => LoadOptions): Promise<void> {
  const { models: names, rest } = takeModels(argv);
  const { values, lists, positionals } = parseFlags(rest, serveSpecs());
  if (positionals.length) throw new UsageError(`serve takes no arguments, got ${JSON.stringify(positionals[0])}`);
  const host = values.get('--host') ?? '127.0.0.1';
  const port = intArg('--port', values.get('--port'), 0, 65535) ?? 8000;
  const apiKey = values.get('--api-key') ?? (env.CT2_WHISPER_API_KEY || undefined);
  const allowedHosts = allowedHostsArg(values.get('--allowed-hosts') ?? (env.CT2_WHISPER_ALLOWED_HOSTS || undefined));
  const scheduler = {
    batching: values.has('--batching') ? boolArg('--batching', values.get('--batching')!) : DEFAULT_SCHEDULER.batching,
    batchSize: intArg('--batch-size', values.get('--batch-size'), 1, MAX_BATCH_SIZE) ?? DEFAULT_SCHEDULER.batchSize,
    gatherMs: intArg('--gather-ms', values.get('--gather-ms'), 0, 10_000) ?? DEFAULT_SCHEDULER.gatherMs,
    maxQueue: intArg('--max-queue', values.get('--max-queue'), 1, 100_000) ?? DEFAULT_SCHEDULER.maxQueue,
    maxQueueBytes: intArg('--max-queue-bytes', values.get('--max-queue-bytes'), 1, 2 ** 40) ?? DEFAULT_SCHEDULER.maxQueueBytes,
  };
  const timeouts = timeoutFlags(values);
  const maxFileBytes = intArg('--max-file-bytes', values.get('--max-file-bytes'), 1, 2 ** 32) ?? DEFAULT_MAX_FILE_BYTES;
  const maxAudioSeconds = intArg('--max-audio-seconds', values.get('--max-audio-seconds'), 1, 10 * 24 * 3600) ?? DEFAULT_MAX_AUDIO_SECONDS;
  const realtime = {
    maxSessions: intArg('--max-sessions', values.get('--max-sessions'), 0, 10_000) ?? DEFAULT_REALTIME_LIMITS.maxSessions,
    idleMs: (intArg('--session-idle-timeout', values.get('--session-idle-timeout'), 1, 24 * 3600) ?? DEFAULT_REALTIME_LIMITS.idleMs / 1000) * 1000,
  };
  const loadOptions = load(values);
  // Requests and errors as JSON lines on stderr (CONSOLE_LOG_LEVEL, as the worker's).
  const logger = createLogger(env, 'ct2-whisper-server');
  vadModelPath(settings.vadModelPath);
  const models = await servedModels(names, settings);
  const aliases = await modelAliases(lists.get('--model-alias') ?? [], env.CT2_WHISPER_MODEL_ALIASES, models, settings);
  const server = await startServer(
    { models, modelAliases: aliases, load: loadOptions, apiKey, allowedHosts, maxFileBytes, maxAudioSeconds, scheduler, timeouts, realtime, vadModelPath: settings.vadModelPath, ffmpegPath: settings.ffmpegPath, logger },
    host,
    port,
  );
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(host);
  const byModel = new Map<string, string[]>();
  for (const [name, id] of server.models.aliases) byModel.set(id, [...(byModel.get(id) ?? []), name]);
  process.stderr.write(
    `ct2-whisper: serving ${models.map((m) => m.id).join(', ')} (${[...byModel].map(([id, names]) => `${names.join(', ')}: ${id}`).join('; ')}) on ${server.url}` +
      `${apiKey ? ', API key required' : loopback ? '' : `, with no API key on a non-loopback address: Host names answered are loopback's, the address and port listened on and --allowed-hosts (${allowedHosts.join(', ') || 'none'})`}; batching ${scheduler.batching ? `on (batch size ${scheduler.batchSize})` : 'off'}; ${os.availableParallelism()} cores\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
