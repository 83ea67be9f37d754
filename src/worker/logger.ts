// Structured JSON logs (pino). DEBUG (anything but 0/false/no/off) or CONSOLE_LOG_LEVEL=debug for more.
import { pino, type Logger } from 'pino';
import type { Env } from '../env.js';
import { debugFromEnv } from './config.js';

export function createLogger(env: Env): Logger {
  const level = (env.CONSOLE_LOG_LEVEL?.trim() || (debugFromEnv(env) ? 'debug' : 'info')).toLowerCase();
  // Logs go to stderr so that a local run's result on stdout stays clean JSON.
  return pino({ level, base: { service: 'ct2-whisper-worker' } }, pino.destination(2));
}

export type { Logger };
