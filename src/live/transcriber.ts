// A live transcription: PCM pushed as it comes, events out as an async iterator. Turns come from
// the VAD (turns.ts) or from the caller's commits; while a turn lasts, its growing audio is decoded
// again every `partialIntervalMs` of new audio and the words two successive decodings agree on are
// sent as deltas (stable.ts); once it ends, its audio is transcribed once more, as a file would be,
// and that text is the item's `completed`.
import { SAMPLE_RATE } from '../audio.js';
import { joinedText } from '../formats.js';
import { InputError } from '../errors.js';
import type { Transcription } from '../model.js';
import { EventQueue, type LiveEvent } from './events.js';
import { Resampler, pcm16ToFloat, LIVE_INPUT_RATES, type LiveInputRate } from './resample.js';
import { SessionAudio } from './session-audio.js';
import { agreedPrefix, nextDelta } from './stable.js';
import { DEFAULT_TURN_DETECTION, TurnDetector, VAD_WINDOW, type TurnDetection } from './turns.js';

/** Transcribes one stretch of 16 kHz audio (the model's transcribe, or a server's scheduler). */
export type LiveDecode = (audio: Float32Array, signal: AbortSignal) => Promise<Transcription>;

export interface LiveSettings {
  /** The rate of pushed samples and PCM16 (8, 16 or 24 kHz; default 16000). */
  inputRate?: LiveInputRate;
  /** Server-side turn detection with Silero VAD (defaults: 0.5, 300 ms, 500 ms); null: turns end only at commit(). */
  turnDetection?: Partial<TurnDetection> | null;
  /** Audio between two partial decodings of a turn, in ms (default 700). */
  partialIntervalMs?: number;
  /** A turn longer than this is committed at this length and the next begins (default 30 s). */
  maxTurnSeconds?: number;
  /** Path of silero_vad_v6.onnx. */
  vadModelPath?: string;
}

export const DEFAULT_PARTIAL_INTERVAL_MS = 700;
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
  private partial: { abort: AbortController; done: Promise<void> } | null = null;
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
      this.partial?.abort.abort();
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
      if (this.turn) this.finish(this.audio.end, this.detector !== null);
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
        else if (this.turn) this.finish(t.at, true);
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
    this.maybePartial();
  }

  private begin(start: number, announce: boolean): void {
    const id = `${this.idPrefix}_${++this.items}`;
    this.turn = { id, start, sent: '', last: null, decodedTo: start };
    if (announce) this.events.push({ type: 'speech_started', itemId: id, audioStartMs: ms(start) });
  }

  private finish(end: number, announce: boolean): void {
    const turn = this.turn!;
    this.turn = null;
    this.committedTo = end;
    this.partial?.abort.abort();
    if (announce) this.events.push({ type: 'speech_stopped', itemId: turn.id, audioEndMs: ms(end) });
    this.events.push({ type: 'committed', itemId: turn.id, previousItemId: this.lastItemId, audioStartMs: ms(turn.start), audioEndMs: ms(end) });
    this.lastItemId = turn.id;
    const audio = this.audio.slice(turn.start, end);
    const waitPartial = this.partial?.done ?? Promise.resolve();
    this.finalsPending++;
    this.finalsHeld += audio.length;
    this.finals = this.finals.then(async () => {
      await waitPartial;
      try {
        const transcription = await this.decode(audio, this.life.signal);
        const text = joinedText(transcription.segments);
        // The rest of the final text as a last delta, when it continues what was sent: the deltas
        // then add up to the transcript (as OpenAI's do), and a turn too short for partials has one.
        const rest = nextDelta(turn.sent, text.split(/\s+/).filter(Boolean).join(' '));
        if (rest) this.events.push({ type: 'delta', itemId: turn.id, delta: rest });
        this.events.push({ type: 'completed', itemId: turn.id, text, audioStartMs: ms(turn.start), audioEndMs: ms(end), transcription });
      } catch (e) {
        if (!this.life.signal.aborted) this.events.push({ type: 'failed', itemId: turn.id, error: e as Error });
      } finally {
        this.finalsPending--;
        this.finalsHeld -= audio.length;
        this.enqueue(() => this.maybePartial());
      }
    });
  }

  /** Starts a partial decoding of the current turn when enough new audio has come and the engine is free of this session's work. */
  private maybePartial(): void {
    const turn = this.turn;
    if (!turn || this.partial || this.finalsPending > 0) return;
    const end = this.audio.end;
    if (end - turn.start < MIN_PARTIAL_SAMPLES || end - turn.decodedTo < (this.settings.partialIntervalMs * SAMPLE_RATE) / 1000) return;
    turn.decodedTo = end;
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, this.life.signal]);
    const done = this.decode(this.audio.slice(turn.start, end), signal).then(
      (t) => {
        if (this.turn !== turn || signal.aborted) return;
        const text = joinedText(t.segments);
        if (turn.last !== null) {
          const delta = nextDelta(turn.sent, agreedPrefix(turn.last, text));
          if (delta) {
            turn.sent += delta;
            this.events.push({ type: 'delta', itemId: turn.id, delta });
          }
        }
        turn.last = text;
      },
      () => undefined,
    );
    this.partial = {
      abort,
      done: done.finally(() => {
        this.partial = null;
        this.enqueue(() => this.maybePartial());
      }),
    };
  }
}

