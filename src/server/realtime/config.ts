// A realtime transcription session's settings: read from OpenAI's `session.update` (session.type
// "transcription", audio.input.{format, transcription, turn_detection, noise_reduction}, include)
// or the older `transcription_session.update` (input_audio_format, input_audio_transcription,
// turn_detection), checked, and echoed in the shape the client used.
import { DEFAULT_TURN_DETECTION, type TurnDetection } from '../../live/index.js';
import type { LiveInputRate } from '../../live/index.js';
import { OPENAI_DEFAULT_MODEL } from '../models.js';

export interface SessionConfig {
  /** audio/pcm is PCM16 little-endian mono at `rate`; pcmu/pcma are G.711 at 8 kHz. */
  format: { type: 'audio/pcm'; rate: 16000 | 24000 } | { type: 'audio/pcmu' } | { type: 'audio/pcma' };
  transcription: { model: string; language: string | null; prompt: string };
  turnDetection: TurnDetection | null;
  include: string[];
}

export const LOGPROBS = 'item.input_audio_transcription.logprobs';

export const defaultConfig = (): SessionConfig => ({
  format: { type: 'audio/pcm', rate: 24000 },
  transcription: { model: OPENAI_DEFAULT_MODEL, language: null, prompt: '' },
  turnDetection: { ...DEFAULT_TURN_DETECTION },
  include: [],
});

/** A client's setting refused: an `error` event with its param. */
export class ConfigError extends Error {
  constructor(message: string, readonly param: string, readonly code = 'invalid_value') {
    super(message);
  }
}

export const inputRate = (c: SessionConfig): LiveInputRate => (c.format.type === 'audio/pcm' ? c.format.rate : 8000);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(v: unknown, param: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${param} must be a string`, param);
  return v;
}

function numberIn(v: unknown, param: string, min: number, max: number, def: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ConfigError(`${param} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`, param);
  return v;
}

function turnDetection(v: unknown, param: string, current: TurnDetection | null): TurnDetection | null {
  if (v === undefined) return current;
  if (v === null) return null;
  if (!isObject(v)) throw new ConfigError(`${param} must be an object or null`, param);
  if (v.type !== undefined && v.type !== 'server_vad') throw new ConfigError(`${param}.type: this server offers "server_vad" (Silero VAD) or null, not ${JSON.stringify(v.type)}`, `${param}.type`, 'unsupported_value');
  const base = current ?? DEFAULT_TURN_DETECTION;
  return {
    threshold: numberIn(v.threshold, `${param}.threshold`, 0.01, 0.99, base.threshold),
    prefixPaddingMs: numberIn(v.prefix_padding_ms, `${param}.prefix_padding_ms`, 0, 10_000, base.prefixPaddingMs),
    silenceDurationMs: numberIn(v.silence_duration_ms, `${param}.silence_duration_ms`, 32, 10_000, base.silenceDurationMs),
  };
}

function transcription(v: unknown, param: string, current: SessionConfig['transcription']): SessionConfig['transcription'] {
  if (v === undefined || v === null) return current;
  if (!isObject(v)) throw new ConfigError(`${param} must be an object`, param);
  return {
    model: optionalString(v.model, `${param}.model`) ?? current.model,
    language: v.language === null ? null : (optionalString(v.language, `${param}.language`) ?? current.language),
    prompt: optionalString(v.prompt, `${param}.prompt`) ?? current.prompt,
  };
}

function include(v: unknown, current: string[]): string[] {
  if (v === undefined || v === null) return current;
  if (!Array.isArray(v) || v.some((x) => x !== LOGPROBS)) throw new ConfigError(`include may hold only "${LOGPROBS}"`, 'session.include');
  return [...new Set(v as string[])];
}

function format(v: unknown, param: string, current: SessionConfig['format']): SessionConfig['format'] {
  if (v === undefined || v === null) return current;
  if (!isObject(v)) throw new ConfigError(`${param} must be an object`, param);
  if (v.type === 'audio/pcmu' || v.type === 'audio/pcma') return { type: v.type };
  if (v.type !== 'audio/pcm') throw new ConfigError(`${param}.type must be "audio/pcm", "audio/pcmu" or "audio/pcma"`, `${param}.type`);
  const rate = v.rate ?? 24000;
  if (rate !== 24000 && rate !== 16000) throw new ConfigError(`${param}.rate must be 24000 or 16000, got ${JSON.stringify(rate)}`, `${param}.rate`);
  return { type: 'audio/pcm', rate };
}

/** The settings after a `session.update` (GA shape). */
export function applySessionUpdate(c: SessionConfig, session: unknown): SessionConfig {
  if (!isObject(session)) throw new ConfigError('session must be an object', 'session');
  if (session.type !== undefined && session.type !== 'transcription') {
    throw new ConfigError(`this server offers transcription sessions only: session.type must be "transcription", got ${JSON.stringify(session.type)}`, 'session.type');
  }
  const input = isObject(session.audio) && isObject(session.audio.input) ? session.audio.input : {};
  const p = 'session.audio.input';
  return {
    format: format(input.format, `${p}.format`, c.format),
    transcription: transcription(input.transcription, `${p}.transcription`, c.transcription),
    turnDetection: turnDetection(input.turn_detection, `${p}.turn_detection`, c.turnDetection),
    include: include(session.include, c.include),
  };
}

const OLD_FORMATS: Record<string, SessionConfig['format']> = { pcm16: { type: 'audio/pcm', rate: 24000 }, g711_ulaw: { type: 'audio/pcmu' }, g711_alaw: { type: 'audio/pcma' } };

/** The settings after a `transcription_session.update` (the older shape). */
export function applyTranscriptionSessionUpdate(c: SessionConfig, session: unknown): SessionConfig {
  if (!isObject(session)) throw new ConfigError('session must be an object', 'session');
  const f = session.input_audio_format;
  if (f !== undefined && !(typeof f === 'string' && f in OLD_FORMATS)) throw new ConfigError('session.input_audio_format must be pcm16, g711_ulaw or g711_alaw', 'session.input_audio_format');
  return {
    format: f === undefined ? c.format : OLD_FORMATS[f as string],
    transcription: transcription(session.input_audio_transcription, 'session.input_audio_transcription', c.transcription),
    turnDetection: turnDetection(session.turn_detection, 'session.turn_detection', c.turnDetection),
    include: include(session.include, c.include),
  };
}

const turnJson = (t: TurnDetection | null) =>
  t && { type: 'server_vad', threshold: t.threshold, prefix_padding_ms: t.prefixPaddingMs, silence_duration_ms: t.silenceDurationMs };

/** The session as `session.created` / `session.updated` show it. */
export function sessionJson(id: string, c: SessionConfig): Json {
  return {
    type: 'transcription',
    object: 'realtime.transcription_session',
    id,
    audio: {
      input: {
        format: c.format,
        transcription: { model: c.transcription.model, language: c.transcription.language, prompt: c.transcription.prompt },
        turn_detection: turnJson(c.turnDetection),
        noise_reduction: null,
      },
    },
    include: c.include,
  };
}

/** The session as `transcription_session.updated` shows it (the older shape). */
export function oldSessionJson(id: string, c: SessionConfig): Json {
  const format = c.format.type === 'audio/pcm' ? 'pcm16' : c.format.type === 'audio/pcmu' ? 'g711_ulaw' : 'g711_alaw';
  return {
    id,
    object: 'realtime.transcription_session',
    input_audio_format: format,
    input_audio_transcription: c.transcription,
    turn_detection: turnJson(c.turnDetection),
    input_audio_noise_reduction: null,
    include: c.include,
  };
}
