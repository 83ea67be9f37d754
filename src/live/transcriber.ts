// A live transcription: PCM pushed as it comes, events out as an async iterator. Turns come from
// the VAD (turns.ts) or from the caller's commits. While a turn lasts, its growing audio is decoded
// again and again (quick partial decodings, partial.ts: the next one starts as soon as the last is
// done and at least `partialIntervalMs` of new audio has come, so the pace follows what a decoding
// costs), and the words two successive decodings agree on are sent as deltas (stable.ts). The
// turn's final decoding (the session's options, as a file would be transcribed) of the item's audio
// starts once the audio its item would hold is there: in a silence, END_PADDING_MS after it began,
// before the silence is long enough to end the turn; if speech goes on instead, it served as one
// more partial. Its text is the item's `completed`. One decoding of a session runs at a time.
import { SAMPLE_RATE } from '../audio.js';
import { joinedText } from '../formats.js';
import { InputError } from '../errors.js';
import type { Transcription } from '../model.js';
import { EventQueue, type LiveEvent } from './events.js';
import { Resampler, pcm16ToFloat, LIVE_INPUT_RATES, type LiveInputRate } from './resample.js';
import { SessionAudio } from './session-audio.js';
import { agreedPrefix, nextDelta } from './stable.js';
import type { DecodeKind } from './partial.js';
import { DEFAULT_TURN_DETECTION, TurnDetector, VAD_WINDOW, type TurnDetection } from './turns.js';

/**
 * Transcribes one stretch of 16 kHz audio (the model's transcribe, or a server's scheduler): a
 * partial decoding may be quick and rough (partial.ts), a final one is the item's transcription.
 */
export type LiveDecode = (audio: Float32Array, signal: AbortSignal, kind: DecodeKind) => Promise<Transcription>;

export interface LiveSettings {
  /** The rate of pushed samples and PCM16 (8, 16 or 24 kHz; default 16000). */
  inputRate?: LiveInputRate;
  /** Server-side turn detection with Silero VAD (defaults: 0.5, 300 ms, 500 ms); null: turns end only at commit(). */
  turnDetection?: Partial<TurnDetection> | null;
  /** New audio a partial decoding of a turn waits for at least, in ms (default 300; it also waits for the last one to finish). */
  partialIntervalMs?: number;
  /** A turn longer than this is committed at this length and the next begins (default 30 s). */
  maxTurnSeconds?: number;
  /** Path of silero_vad_v6.onnx. */
  vadModelPath?: string;
}

export const DEFAULT_PARTIAL_INTERVAL_MS = 300;
export const DEFAULT_MAX_TURN_SECONDS = 30;
/** Less audio than this in a turn is not decoded for partials. */
const MIN_PARTIAL_SAMPLES = SAMPLE_RATE / 2;

interface Turn {
  id: string;
  start: number;
  /** Text sent as deltas. */
  sent: string;
  /** The last partial decoding's text. */
  last: string | null;
  /** The session sample up to which the last partial decoding went. */
  decodedTo: number;
  /** The final decoding begun early, of the audio up to `end` (the item's, if the turn ends there). */
  early: { end: number; result: Promise<Transcription> } | null;
}

function checkSettings(s: LiveSettings): Required<Omit<LiveSettings, 'vadModelPath' | 'turnDetection'>> & { turnDetection: TurnDetection | null } {
  const inputRate = s.inputRate ?? SAMPLE_RATE;
  if (!(LIVE_INPUT_RATES as readonly number[]).includes(inputRate)) throw new InputError(`inputRate must be one of ${LIVE_INPUT_RATES.join(', ')}, got ${inputRate}`);
  const turnDetection = s.turnDetection === null ? null : { ...DEFAULT_TURN_DETECTION, ...stripUndefined(s.turnDetection ?? {}) };
  if (turnDetection) {
    const { threshold, prefixPaddingMs, silenceDurationMs } = turnDetection;
    if (!(threshold > 0 && threshold < 1)) throw new InputError(`threshold must be between 0 and 1, got ${threshold}`);
    if (!(prefixPaddingMs >= 0 && prefixPaddingMs <= 10_000)) throw new InputError(`prefixPaddingMs must be from 0 to 10000, got ${prefixPaddingMs}`);
    if (!(silenceDurationMs >= 32 && silenceDurationMs <= 10_000)) throw new InputError(`silenceDurationMs must be from 32 to 10000, got ${silenceDurationMs}`);
  }
  const partialIntervalMs = s.partialIntervalMs ?? DEFAULT_PARTIAL_INTERVAL_MS;
  if (!(partialIntervalMs >= 100 && partialIntervalMs <= 60_000)) throw new InputError(`partialIntervalMs must be from 100 to 60000, got ${partialIntervalMs}`);
  const maxTurnSeconds = s.maxTurnSeconds ?? DEFAULT_MAX_TURN_SECONDS;
  if (!(maxTurnSeconds >= 1 && maxTurnSeconds <= 600)) throw new InputError(`maxTurnSeconds must be from 1 to 600, got ${maxTurnSeconds}`);
  return { inputRate, turnDetection, partialIntervalMs, maxTurnSeconds };
}

const stripUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
const ms = (sample: number) => Math.round((sample * 1000) / SAMPLE_RATE);

export class LiveTranscriber implements AsyncIterable<LiveEvent> {
  private readonly events = new EventQueue<LiveEvent>();
  private readonly audio = new SessionAudio();
  private readonly resampler: Resampler;
  private readonly detector: TurnDetector | null;
  private readonly settings: ReturnType<typeof checkSettings>;
  private readonly life = new AbortController();
  private turn: Turn | null = null;
  /** Where the last item ended (a manual turn starts here). */
  private committedTo = 0;
  private lastItemId: string | null = null;
  private items = 0;
  private readonly idPrefix = `item_${Math.random().toString(36).slice(2, 10)}`;
  /** Steps that read or change the state, one at a time. */
  private steps: Promise<void> = Promise.resolve();
  private finals: Promise<void> = Promise.resolve();
  private finalsPending = 0;
  /** The decoding of the current turn in flight (partial, or its final begun early). */
  private partial: { abort: AbortController; kind: DecodeKind; turn: Turn; done: Promise<void> } | null = null;
  private ended = false;
  /** Session samples the VAD and turn logic have taken in. */
  private processed = 0;
  /** Samples held by items waiting for their transcription. */
  private finalsHeld = 0;

  constructor(private readonly decode: LiveDecode, settings: LiveSettings = {}) {
    this.settings = checkSettings(settings);
    this.resampler = new Resampler(this.settings.inputRate);
    this.detector = this.settings.turnDetection ? new TurnDetector(this.settings.turnDetection, settings.vadModelPath) : null;
  }

  [Symbol.asyncIterator](): AsyncIterator<LiveEvent> {
    return this.events[Symbol.asyncIterator]();
  }

  /** Audio since the session began, in ms (at 16 kHz). */
  get receivedMs(): number {
    return ms(this.audio.end);
  }

  /**
   * Audio received and not yet done with, in ms: not yet through the VAD, or in items waiting for
   * their transcription (a caller that sends faster than the engine keeps up sees it grow).
   */
  get pendingMs(): number {
    return ms(this.audio.end - this.processed + this.finalsHeld);
  }

  /** Samples at `inputRate`, mono float in [-1, 1]. */
  push(samples: Float32Array): void {
    if (this.ended) throw new InputError('the live transcription has ended');
    this.audio.append(this.resampler.push(samples));
    this.enqueue(() => this.advance());
  }

  /** PCM16 little-endian mono at `inputRate`. */
  pushPcm16(bytes: Uint8Array): void {
    this.push(pcm16ToFloat(bytes));
  }

  /**
   * Resolves once everything pushed so far is processed: VAD run, partial decodings and items'
   * transcriptions done (for a caller that feeds audio faster than real time and wants the
   * events a real-time feed would give on an idle machine).
   */
  async settled(): Promise<void> {
    for (;;) {
      const steps = this.steps;
      await steps;
      await this.partial?.done;
      await this.finals;
      if (steps === this.steps && !this.partial && this.finalsPending === 0) return;
    }
  }

  /** Ends the current turn now (or makes an item of the audio since the last one). */
  commit(): Promise<void> {
    return this.enqueue(() => {
      const from = this.turn?.start ?? Math.max(this.committedTo, this.audio.start);
      if (this.audio.end - from < SAMPLE_RATE / 10) {
        const have = ms(Math.max(0, this.audio.end - from));
        this.events.push({ type: 'error', code: 'input_audio_buffer_commit_empty', message: `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${have}ms of audio.` });
        return;
      }
      if (!this.turn) this.begin(from, false);
      this.finish(this.audio.end, false);
    });
  }

  /** Drops the audio not yet committed (a turn in progress gets no completed). */
  clear(): Promise<void> {
    return this.enqueue(() => {
      if (this.turn) this.dropDecoding(this.turn);
      this.turn = null;
      this.committedTo = this.audio.end;
      this.detector?.reset(this.audio.end);
      this.audio.trimBefore(this.audio.end - (this.audio.end % VAD_WINDOW));
      this.events.push({ type: 'cleared' });
    });
  }

  /** No more audio: a turn in progress is committed, and the events end once every item is done. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.enqueue(() => {
      // In a silence, the item ends where the VAD's stop would have ended it.
      const pending = this.detector?.pendingEnd ?? null;
      if (this.turn) this.finish(pending !== null && pending > this.turn.start && pending <= this.audio.end ? pending : this.audio.end, this.detector !== null, this.audio.end);
    });
    await this.finals;
    this.events.close();
  }

  /** Stops at once: decodings in flight are abandoned, the events end. */
  close(): void {
    this.ended = true;
    this.life.abort();
    this.partial?.abort.abort();
    this.events.close();
  }

  private enqueue(step: () => void | Promise<void>): Promise<void> {
    const run = this.steps.then(async () => {
      if (this.life.signal.aborted) return;
      try {
        await step();
      } catch (e) {
        const err = e as Error & { code?: string };
        this.events.push({ type: 'error', code: err.code ?? 'server_error', message: err.message });
      }
    });
    this.steps = run;
    return run;
  }

  private async advance(): Promise<void> {
    const max = this.settings.maxTurnSeconds * SAMPLE_RATE;
    this.processed = this.audio.end;
    if (this.detector) {
      for (const t of await this.detector.advance(this.audio)) {
        if (t.kind === 'start') this.begin(Math.max(t.from, this.committedTo), true);
        else if (this.turn) this.finish(Math.max(t.end, this.turn.start + VAD_WINDOW), true, t.at);
      }
    } else if (!this.turn && this.audio.end > this.committedTo) {
      this.begin(Math.max(this.committedTo, this.audio.start), false);
    }
    while (this.turn && this.audio.end - this.turn.start >= max) {
      const at = this.turn.start + max;
      this.finish(at, this.detector !== null);
      if (!this.detector || this.detector.inSpeech) this.begin(at, this.detector !== null);
    }
    if (!this.turn) {
      const keep = this.detector ? this.detector.scored - this.detector.context : this.audio.end;
      this.audio.trimBefore(keep - (keep % VAD_WINDOW));
    }
    this.maybeDecode();
  }

  private begin(start: number, announce: boolean): void {
    const id = `${this.idPrefix}_${++this.items}`;
    this.turn = { id, start, sent: '', last: null, decodedTo: start, early: null };
    if (announce) this.events.push({ type: 'speech_started', itemId: id, audioStartMs: ms(start) });
  }

  /** Ends the turn: its item is the audio up to `end` (`stoppedAt`: where the VAD stopped it, when later). */
  private finish(end: number, announce: boolean, stoppedAt = end): void {
    const turn = this.turn!;
    this.turn = null;
    this.committedTo = end;
    // The early final decoding of this very audio is the item's transcription; any other decoding is dropped.
    const early = turn.early?.end === end ? turn.early.result : null;
    if (!early) this.dropDecoding(turn);
    if (announce) this.events.push({ type: 'speech_stopped', itemId: turn.id, audioEndMs: ms(stoppedAt) });
    this.events.push({ type: 'committed', itemId: turn.id, previousItemId: this.lastItemId, audioStartMs: ms(turn.start), audioEndMs: ms(end) });
    this.lastItemId = turn.id;
    const audio = early ? null : this.audio.slice(turn.start, end);
    const held = end - turn.start;
    const waitPartial = this.partial?.done ?? Promise.resolve();
    this.finalsPending++;
    this.finalsHeld += held;
    this.finals = this.finals.then(async () => {
      try {
        const transcription = await (early ?? waitPartial.then(() => this.decode(audio!, this.life.signal, 'final')));
        this.complete(turn, transcription, end);
      } catch (e) {
        if (!this.life.signal.aborted) this.events.push({ type: 'failed', itemId: turn.id, error: e as Error });
      } finally {
        this.finalsPending--;
        this.finalsHeld -= held;
        this.enqueue(() => this.maybeDecode());
      }
    });
  }

  /** The item's `completed`, after the rest of its text as a last delta when it continues what was sent. */
  private complete(turn: Turn, transcription: Transcription, end: number): void {
    const text = joinedText(transcription.segments);
    // The deltas then add up to the transcript (as OpenAI's do), and a turn too short for partials has one.
    const rest = nextDelta(turn.sent, text.split(/\s+/).filter(Boolean).join(' '));
    if (rest) this.events.push({ type: 'delta', itemId: turn.id, delta: rest });
    this.events.push({ type: 'completed', itemId: turn.id, text, audioStartMs: ms(turn.start), audioEndMs: ms(end), transcription });
  }

  /** Aborts the decoding in flight if it is `turn`'s (an item's final decoding begun early is not: it belongs to a turn already ended). */
  private dropDecoding(turn: Turn): void {
    if (this.partial?.turn === turn) this.partial.abort.abort();
  }

  /**
   * Starts the current turn's next decoding when the engine is free of this session's work: its
   * final one, early, once the audio of the item it would be is there (in a silence); otherwise a
   * partial one when enough new audio has come (none in a silence: nothing new is said there).
   */
  private maybeDecode(): void {
    const turn = this.turn;
    if (!turn || this.finalsPending > 0) return;
    const pendingEnd = this.detector?.pendingEnd ?? null;
    const earlyEnd = pendingEnd !== null && pendingEnd > turn.start && this.audio.end >= pendingEnd ? pendingEnd : null;
    if (earlyEnd !== null && turn.early?.end !== earlyEnd) {
      // A partial still running only delays the final: it is dropped.
      if (this.partial && this.partial.kind === 'partial') this.partial.abort.abort();
      if (this.partial) return;
      turn.early = { end: earlyEnd, result: this.start(turn, earlyEnd, 'final') };
      return;
    }
    if (this.partial || pendingEnd !== null) return;
    const end = this.audio.end;
    if (end - turn.start < MIN_PARTIAL_SAMPLES || end - turn.decodedTo < (this.settings.partialIntervalMs * SAMPLE_RATE) / 1000) return;
    turn.decodedTo = end;
    void this.start(turn, end, 'partial').catch(() => undefined);
  }

  /** Runs a decoding of the turn's audio up to `end`; its text goes to the local agreement (deltas). */
  private start(turn: Turn, end: number, kind: DecodeKind): Promise<Transcription> {
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, this.life.signal]);
    const result = this.decode(this.audio.slice(turn.start, end), signal, kind);
    const done = result.then(
      (t) => {
        if (this.turn === turn && !signal.aborted) this.agree(turn, joinedText(t.segments));
      },
      () => undefined,
    );
    this.partial = {
      abort,
      kind,
      turn,
      done: done.finally(() => {
        this.partial = null;
        this.enqueue(() => this.maybeDecode());
      }),
    };
    return result;
  }

  /** Sends what this decoding and the last agree on, beyond what was sent. */
  private agree(turn: Turn, text: string): void {
    if (turn.last !== null) {
      const delta = nextDelta(turn.sent, agreedPrefix(turn.last, text));
      if (delta) {
        turn.sent += delta;
        this.events.push({ type: 'delta', itemId: turn.id, delta });
      }
    }
    turn.last = text;
  }
}
