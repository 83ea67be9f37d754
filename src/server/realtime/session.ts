// One realtime transcription session on one WebSocket: client events in, OpenAI's server events
// out, over a LiveTranscriber whose decodings go through the server's scheduler. An error in
// what the client sends is an `error` event and the session goes on; the socket's close frees all.
import crypto from 'node:crypto';
import { LiveTranscriber, pcm16ToFloat, type DecodeKind, type LiveEvent } from '../../live/index.js';
import type { Transcription } from '../../model.js';
import type { TranscribeOptions } from '../../model.js';
import {
  ConfigError, applySessionUpdate, applyTranscriptionSessionUpdate, defaultConfig, inputRate, oldSessionJson, sessionJson, LOGPROBS, type SessionConfig,
} from './config.js';
import { g711ToFloat } from './g711.js';
import { OPEN, type Socket } from './socket.js';
import { logprobsOf } from '../responses.js';

export interface SessionDeps {
  /** Transcribes one stretch of 16 kHz audio with the session's model and options (the scheduler): a turn's partial or final decoding. */
  transcribe(model: string, audio: Float32Array, options: TranscribeOptions, kind: DecodeKind): Promise<Transcription>;
  /** Checks a model name; throws an ApiError-like error (code, param) when it is not served. */
  checkModel(model: string): void;
  vadModelPath?: string;
  /** Closes a session that sends nothing for this long. */
  idleMs: number;
  /** Audio a session may hold not yet transcribed, in seconds; past it, appends get an error event and are dropped. */
  maxPendingSeconds: number;
  /** The session's model when the URL names none. */
  defaultModel?: string;
}

/** A user message item holding input audio (OpenAI's conversation item; the audio itself is not echoed). */
const userItem = (id: string, transcript: string | null, status: string) => ({
  id,
  object: 'realtime.item',
  type: 'message',
  role: 'user',
  status,
  content: [{ type: 'input_audio', transcript }],
});

const eventId = () => `event_${crypto.randomBytes(10).toString('hex')}`;
type Json = Record<string, unknown>;

export class RealtimeSession {
  readonly id = `sess_${crypto.randomBytes(10).toString('hex')}`;
  private config: SessionConfig = defaultConfig();
  private live: LiveTranscriber | null = null;
  /** Every transcriber of the session (an earlier one finishes its items after a settings change). */
  private readonly all = new Set<LiveTranscriber>();
  /** Where the current transcriber's audio starts in the session's (after a format or turn change). */
  private offsetMs = 0;
  private idle: NodeJS.Timeout | undefined;
  private closed = false;
  private old = false;

  constructor(private readonly socket: Socket, private readonly deps: SessionDeps) {
    if (deps.defaultModel) this.config.transcription.model = deps.defaultModel;
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', () => this.dispose());
    socket.on('error', () => this.dispose());
    this.touch();
    this.send({ type: 'session.created', session: sessionJson(this.id, this.config) });
  }

  private send(event: Json): void {
    if (this.socket.readyState === OPEN) this.socket.send(JSON.stringify({ event_id: eventId(), ...event }));
  }

  private error(message: string, code: string, param: string | null = null, clientEventId: string | null = null, type = 'invalid_request_error'): void {
    this.send({ type: 'error', error: { type, code, message, param, event_id: clientEventId } });
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      this.error(`the session was idle for ${this.deps.idleMs / 1000} s and is closed`, 'session_idle_timeout', null, null, 'server_error');
      this.socket.close(1000, 'idle');
      this.dispose();
    }, this.deps.idleMs);
    this.idle.unref?.();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.touch();
    let event: Json;
    try {
      event = JSON.parse(data.toString('utf8'));
      if (isBinary || typeof event !== 'object' || event === null || typeof event.type !== 'string') throw new Error('not an event');
    } catch {
      return this.error('each message must be a JSON object with a "type" (a client event)', 'invalid_json');
    }
    const clientId = typeof event.event_id === 'string' ? event.event_id : null;
    try {
      this.handle(event, clientId);
    } catch (e) {
      const err = e as Error & { param?: string; code?: string };
      this.error(err.message, err.code ?? 'invalid_value', err.param ?? null, clientId);
    }
  }

  private handle(event: Json, clientId: string | null): void {
    switch (event.type) {
      case 'session.update':
        return this.update(applySessionUpdate(this.config, event.session), false);
      case 'transcription_session.update':
        return this.update(applyTranscriptionSessionUpdate(this.config, event.session), true);
      case 'input_audio_buffer.append':
        return this.append(event.audio, clientId);
      case 'input_audio_buffer.commit':
        void this.transcriber().commit();
        return;
      case 'input_audio_buffer.clear':
        void this.transcriber().clear();
        return;
      default:
        return this.error(`this server takes session.update, transcription_session.update and input_audio_buffer.append, .commit and .clear in a transcription session, not ${JSON.stringify(event.type)}`, 'unknown_event', 'type', clientId);
    }
  }

  private update(next: SessionConfig, old: boolean): void {
    if (next.transcription.model !== this.config.transcription.model) {
      try {
        this.deps.checkModel(next.transcription.model);
      } catch (e) {
        throw new ConfigError((e as Error).message, old ? 'session.input_audio_transcription.model' : 'session.audio.input.transcription.model', 'model_not_found');
      }
    }
    const restart = this.live && (inputRate(next) !== inputRate(this.config) || next.format.type !== this.config.format.type || JSON.stringify(next.turnDetection) !== JSON.stringify(this.config.turnDetection));
    this.config = next;
    this.old = old;
    if (restart && this.live) {
      // What was sent goes on to its items; new audio starts a transcriber with the new settings.
      const done = this.live;
      this.offsetMs += done.receivedMs;
      this.live = null;
      void done.end();
    }
    if (old) this.send({ type: 'transcription_session.updated', session: oldSessionJson(this.id, next) });
    else this.send({ type: 'session.updated', session: sessionJson(this.id, next) });
  }

  private transcriber(): LiveTranscriber {
    if (this.live) return this.live;
    const c = this.config;
    const live = new LiveTranscriber(
      (audio, signal, kind) => {
        const t = this.config.transcription;
        // Logprobs, when asked for, score the item's final text (partial decodings are not scored).
        const tokenLogprobs = kind === 'final' && this.config.include.includes(LOGPROBS);
        return this.deps.transcribe(t.model, audio, { language: t.language ?? undefined, initialPrompt: t.prompt || undefined, tokenLogprobs, signal }, kind);
      },
      { inputRate: inputRate(c), turnDetection: c.turnDetection, vadModelPath: this.deps.vadModelPath },
    );
    this.live = live;
    this.all.add(live);
    void this.forward(live, this.offsetMs).finally(() => this.all.delete(live));
    return live;
  }

  private append(audio: unknown, clientId: string | null): void {
    if (typeof audio !== 'string') return this.error('input_audio_buffer.append needs "audio": base64 audio in the session\'s format', 'invalid_value', 'audio', clientId);
    const live = this.transcriber();
    if (live.pendingMs > this.deps.maxPendingSeconds * 1000) {
      return this.error(`the server is behind: ${Math.round(live.pendingMs / 1000)} s of this session's audio wait to be transcribed (at most ${this.deps.maxPendingSeconds}); this audio was dropped, send at real time`, 'buffer_full', 'audio', clientId, 'server_error');
    }
    const bytes = Buffer.from(audio, 'base64');
    const f = this.config.format;
    live.push(f.type === 'audio/pcm' ? pcm16ToFloat(bytes) : g711ToFloat(bytes, f.type === 'audio/pcmu' ? 'pcmu' : 'pcma'));
  }

  /** The transcriber's events as OpenAI's. */
  private async forward(live: LiveTranscriber, offsetMs: number): Promise<void> {
    for await (const e of live) {
      this.send(this.toOpenAI(e, offsetMs));
      // The item the committed audio becomes (a user message), added at commit and done with its transcript.
      if (e.type === 'committed') this.send({ type: 'conversation.item.added', previous_item_id: e.previousItemId, item: userItem(e.itemId, null, 'in_progress') });
      if (e.type === 'completed') this.send({ type: 'conversation.item.done', item: userItem(e.itemId, e.text, 'completed') });
    }
  }

  private toOpenAI(e: LiveEvent, offsetMs: number): Json {
    // Deltas come from partial decodings, which are not scored: their logprobs are null.
    const logprobs = this.config.include.includes(LOGPROBS) ? { logprobs: null } : {};
    switch (e.type) {
      case 'speech_started':
        return { type: 'input_audio_buffer.speech_started', audio_start_ms: e.audioStartMs + offsetMs, item_id: e.itemId };
      case 'speech_stopped':
        return { type: 'input_audio_buffer.speech_stopped', audio_end_ms: e.audioEndMs + offsetMs, item_id: e.itemId };
      case 'committed':
        return { type: 'input_audio_buffer.committed', previous_item_id: e.previousItemId, item_id: e.itemId };
      case 'delta':
        return { type: 'conversation.item.input_audio_transcription.delta', item_id: e.itemId, content_index: 0, delta: e.delta, ...logprobs };
      case 'completed':
        return {
          type: 'conversation.item.input_audio_transcription.completed',
          item_id: e.itemId,
          content_index: 0,
          transcript: e.text,
          ...(this.config.include.includes(LOGPROBS) ? { logprobs: logprobsOf(e.transcription.segments) } : {}),
          usage: { type: 'duration', seconds: Math.ceil((e.audioEndMs - e.audioStartMs) / 1000) },
        };
      case 'failed': {
        const err = e.error as Error & { code?: string };
        return { type: 'conversation.item.input_audio_transcription.failed', item_id: e.itemId, content_index: 0, error: { type: 'server_error', code: err.code ?? 'transcription_failed', message: err.message, param: null } };
      }
      case 'cleared':
        return { type: 'input_audio_buffer.cleared' };
      case 'error':
        return { type: 'error', error: { type: 'invalid_request_error', code: e.code, message: e.message, param: null, event_id: null } };
    }
  }

  /** Frees everything (the transcriber, its decodings, the timer); once. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    for (const live of this.all) live.close();
    this.all.clear();
    this.live = null;
    this.onClose?.();
  }

  onClose?: () => void;
}
