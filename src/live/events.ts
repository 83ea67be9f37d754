// What a live transcription reports, in order, for each utterance (an "item"): speech_started,
// deltas (append-only: a delta is never taken back), speech_stopped, committed, then completed
// (or failed). Times are milliseconds of the session's audio, at 16 kHz.
import type { Transcription } from '../model.js';

export type LiveEvent =
  | { type: 'speech_started'; itemId: string; audioStartMs: number }
  | { type: 'speech_stopped'; itemId: string; audioEndMs: number }
  | { type: 'committed'; itemId: string; previousItemId: string | null; audioStartMs: number; audioEndMs: number }
  | { type: 'delta'; itemId: string; delta: string }
  | {
      type: 'completed';
      itemId: string;
      /** The file transcription's text of the item's audio (joinedText). */
      text: string;
      audioStartMs: number;
      audioEndMs: number;
      transcription: Transcription;
    }
  | { type: 'failed'; itemId: string; error: Error }
  | { type: 'cleared' }
  /** A request that could not be done (a commit of too little audio, a failed step); the session goes on. */
  | { type: 'error'; code: string; message: string };

/** An unbounded async queue of events that ends once closed. */
export class EventQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiters: Array<(r: IteratorResult<T>) => void> = [];
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    const w = this.waiters.shift();
    if (w) w({ value: item, done: false });
    else this.items.push(item);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined as never, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.closed) return Promise.resolve({ value: undefined as never, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: () => {
        this.close();
        this.items = [];
        return Promise.resolve({ value: undefined as never, done: true });
      },
    };
  }
}
