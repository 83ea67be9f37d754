// Turn detection for a live session (OpenAI's server_vad): Silero VAD's speech probability for
// each new 512-sample window (through vad.ts), speech starting at the first window at or above
// `threshold`, and stopping once `silenceDurationMs` of windows below the lower threshold (Silero's
// threshold - 0.15) have followed it. A turn's audio (its item) ends `END_PADDING_MS` after the
// silence began (never later than the stop), so that it is known, and can be transcribed, before
// the silence is long enough to end the turn (transcriber.ts starts that transcription early). Windows are scored as audio comes, each batch of new
// windows after a stretch of the audio before it, so that the model's state has settled.
import { speechProbabilities } from '../vad.js';
import type { SessionAudio } from './session-audio.js';

export interface TurnDetection {
  /** Speech probability at which speech starts (0–1). */
  threshold: number;
  /** Audio kept before the speech's start, in ms. */
  prefixPaddingMs: number;
  /** Silence that ends the speech, in ms. */
  silenceDurationMs: number;
}

export const DEFAULT_TURN_DETECTION: TurnDetection = { threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 };

export const VAD_WINDOW = 512;
/** Audio kept after the speech in a turn's item, in ms (at most silenceDurationMs). */
export const END_PADDING_MS = 200;
/** Windows scored again before each batch of new ones (0.5 s), for the model's state. */
const WARMUP = 16 * VAD_WINDOW;

/** A stop's `end` is where the turn's item ends: END_PADDING_MS after its silence began. */
export type Turn = { kind: 'start'; at: number; from: number } | { kind: 'stop'; at: number; end: number };

export class TurnDetector {
  /** Session samples whose windows are scored (a whole number of windows). */
  scored = 0;
  private speaking = false;
  private silenceStart: number | null = null;

  constructor(readonly settings: TurnDetection, private readonly vadModelPath?: string) {}

  get inSpeech(): boolean {
    return this.speaking;
  }

  /**
   * Where the turn in progress would end (its item's last sample) if the silence it is in lasts
   * for silenceDurationMs; null while speech goes on.
   */
  get pendingEnd(): number | null {
    return this.speaking && this.silenceStart !== null ? this.silenceStart + this.endPadding : null;
  }

  private get endPadding(): number {
    return Math.floor(Math.min(END_PADDING_MS, this.settings.silenceDurationMs)) * 16;
  }

  /** Audio to keep before the next window to score (padding and the model's warm-up). */
  get context(): number {
    return Math.max(WARMUP, Math.ceil((this.settings.prefixPaddingMs * 16) / VAD_WINDOW) * VAD_WINDOW);
  }

  /** Scores the whole windows received since the last call; the turns they start or stop. */
  async advance(audio: SessionAudio): Promise<Turn[]> {
    const end = audio.end - (audio.end % VAD_WINDOW);
    if (end <= this.scored) return [];
    const from = Math.max(audio.start, this.scored - WARMUP);
    const probs = await speechProbabilities(audio.slice(from, end), this.vadModelPath);
    const turns: Turn[] = [];
    const { threshold, prefixPaddingMs, silenceDurationMs } = this.settings;
    const low = Math.max(threshold - 0.15, 0.01);
    for (let at = this.scored; at < end; at += VAD_WINDOW) {
      const p = probs[(at - from) / VAD_WINDOW];
      if (!this.speaking) {
        if (p >= threshold) {
          this.speaking = true;
          this.silenceStart = null;
          turns.push({ kind: 'start', at, from: Math.max(audio.start, at - prefixPaddingMs * 16) });
        }
      } else if (p < low) {
        this.silenceStart ??= at;
        if (at + VAD_WINDOW - this.silenceStart >= silenceDurationMs * 16) {
          turns.push({ kind: 'stop', at: at + VAD_WINDOW, end: Math.min(at + VAD_WINDOW, this.silenceStart + this.endPadding) });
          this.speaking = false;
          this.silenceStart = null;
        }
      } else {
        this.silenceStart = null;
      }
    }
    this.scored = end;
    return turns;
  }

  /** Forgets a speech in progress (the buffer was cleared); scoring goes on from `at`. */
  reset(at: number): void {
    this.speaking = false;
    this.silenceStart = null;
    this.scored = Math.max(this.scored, at - (at % VAD_WINDOW));
  }
}
