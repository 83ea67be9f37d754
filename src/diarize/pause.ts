// Cooperative pauses for the diarization work that runs in JavaScript on the main thread (fbank,
// clustering): the long loops ask `due()` cheaply and, once `everyMs` has passed, `await pause()`
// lets the event loop run (a server answers /health, notices a client gone, sends its events) and
// stops the work if its signal was aborted (a job's time limit, a cancellation).
import { abortError } from '../errors.js';

/** How long the diarization's JavaScript loops run before they let the event loop in. */
export const PAUSE_EVERY_MS = 20;

export class Pauser {
  private last = performance.now();

  /** `signal`: the work's, also handed to the native calls it makes. */
  constructor(readonly signal?: AbortSignal, private readonly everyMs = PAUSE_EVERY_MS) {}

  /** Whether it is time to pause. */
  due(): boolean {
    return performance.now() - this.last >= this.everyMs;
  }

  /** Lets the event loop run once, then throws if the work was aborted meanwhile. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
    this.check();
  }

  check(): void {
    if (this.signal?.aborted) throw abortError(this.signal);
  }
}
