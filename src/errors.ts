// Error types the API throws, so callers can tell bad input from an engine failure.

/** The input (audio, options, model path) is not usable; the message says why. */
export class InputError extends Error {
  override name = 'InputError';
}

export function abortError(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** A call ran past its time limit (`timeoutMs`); the work was stopped. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * The caller's signal, joined with a time limit when `timeoutMs` is given. `done()` clears the
 * timer; the signal's reason on timeout is a TimeoutError that names the limit.
 */
export function callSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined, what: string): { signal?: AbortSignal; done: () => void } {
  if (timeoutMs === undefined) return { signal, done: () => {} };
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InputError(`timeoutMs must be a positive number of milliseconds, got ${JSON.stringify(timeoutMs)}`);
  }
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`${what} ran past its time limit of ${+(timeoutMs / 1000).toFixed(3)} s (timeoutMs) and was stopped`)),
    timeoutMs,
  );
  timer.unref();
  return {
    signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
    done: () => clearTimeout(timer),
  };
}
