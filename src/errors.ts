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
