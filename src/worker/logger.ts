// Structured JSON logs (pino) on stderr, for the worker and the server (`ct2-whisper serve`).
// DEBUG (anything but 0/false/no/off) or CONSOLE_LOG_LEVEL=debug for more; CONSOLE_LOG_LEVEL=silent for none.
import { pino, type Logger } from 'pino';
import type { Env } from '../env.js';
import { debugFromEnv } from './config.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The logger of a process: its level from CONSOLE_LOG_LEVEL (or DEBUG), `service` on every line. */
export function createLogger(env: Env, service = 'ct2-whisper-worker'): Logger {
  const level = (env.CONSOLE_LOG_LEVEL?.trim() || (debugFromEnv(env) ? 'debug' : 'info')).toLowerCase();
  if (!LEVELS.includes(level)) throw new Error(`CONSOLE_LOG_LEVEL=${JSON.stringify(env.CONSOLE_LOG_LEVEL)}: expected one of ${LEVELS.join(', ')}`);
  // Logs go to stderr so that a local run's result on stdout stays clean JSON.
  return pino({ level, base: { service } }, pino.destination(2));
}

export type { Logger };
