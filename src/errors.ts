// Error types the API throws. Each carries a `code`, set where the failure is known (in Rust for
// the engine's failures, see native/src/error.rs), so callers and the worker tell bad input from
// an engine failure without reading messages.

/** The codes, one per class below. */
export const ErrorCode = {
  INPUT: 'ERR_INPUT',
  ABORTED: 'ERR_ABORTED',
  TIMEOUT: 'ERR_TIMEOUT',
  MODEL: 'ERR_MODEL',
  ENGINE: 'ERR_ENGINE',
  INTERNAL: 'ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The base of every error the library throws on purpose. */
export class CT2WhisperError extends Error {
  readonly code: ErrorCode = ErrorCode.ENGINE;
}

/** The input (audio, options, language, a job's fields) is not usable; the message says why. */
export class InputError extends CT2WhisperError {
  override name = 'InputError';
  override readonly code = ErrorCode.INPUT;
  /** The option it is about, by its library path (`beamSize`, `vadParameters.threshold`), when it is about one. */
  readonly option?: string;
  /** The message without the option's name ("must be …"; other options in it as `{libraryPath}`): front ends name them their own way (optionMessage). */
  readonly detail?: string;

  constructor(message: string, about?: { option: string; detail: string }) {
    super(message);
    if (about) {
      this.option = about.option;
      this.detail = about.detail;
    }
  }
}

/** The call was aborted through its AbortSignal. */
export class AbortError extends CT2WhisperError {
  override name = 'AbortError';
  override readonly code = ErrorCode.ABORTED;
}

/** A call ran past its time limit (`timeoutMs`); the work was stopped. */
export class TimeoutError extends CT2WhisperError {
  override name = 'TimeoutError';
  override readonly code = ErrorCode.TIMEOUT;
}

/** The model directory is missing, incomplete or not a CTranslate2 Whisper model. */
export class ModelError extends CT2WhisperError {
  override name = 'ModelError';
  override readonly code = ErrorCode.MODEL;
}

/** CTranslate2 or the device failed (out of memory, CUDA errors, ...): not the caller's input. */
export class EngineError extends CT2WhisperError {
  override name = 'EngineError';
  override readonly code = ErrorCode.ENGINE;
}

/** A bug: a panic in the native code, caught at the boundary. */
export class InternalError extends CT2WhisperError {
  override name = 'InternalError';
  override readonly code = ErrorCode.INTERNAL;
}

/**
 * An error from the native addon as the class its `code` names (set in Rust where the failure
 * is known). ERR_INTERNAL (a caught panic, "internal error: ...") stays the addon's own Error,
 * with its code.
 */
export function fromNative(e: unknown): Error {
  if (!(e instanceof Error)) return new EngineError(String(e));
  if (e instanceof CT2WhisperError) return e;
  const classes: Partial<Record<string, new (message: string) => CT2WhisperError>> = {
    [ErrorCode.INPUT]: InputError,
    [ErrorCode.ABORTED]: AbortError,
    [ErrorCode.MODEL]: ModelError,
    [ErrorCode.ENGINE]: EngineError,
  };
  const Class = classes[(e as { code?: string }).code ?? ''];
  return Class ? new Class(e.message) : e;
}

export function abortError(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  return new AbortError('The operation was aborted');
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
