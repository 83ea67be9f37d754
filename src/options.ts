// Transcription options. Their names, types, defaults and bounds are the engine's
// (native/src/options.rs): the interface is the one napi-rs generates from it, and it checks
// every value, naming the option. This module re-exports them for TypeScript.
import { native, type TranscribeOptions } from './native.js';
import { fromNative } from './errors.js';

/** Options of `transcribe`, faster-whisper's names in camelCase; all optional, with its defaults. */
export type DecodingOptions = TranscribeOptions;

/** The decoding options' names, from the engine (the worker maps its job fields by them). */
export const DECODING_OPTION_NAMES = native().decodingOptionNames() as ReadonlyArray<keyof DecodingOptions>;

/** Temperatures: at most this many, each at most MAX_TEMPERATURE. */
export const MAX_TEMPERATURES = native().MAX_TEMPERATURES;
export const MAX_TEMPERATURE = native().MAX_TEMPERATURE;

/** clipTimestamps as numbers of seconds (a copy: the caller's array is left as it is). */
export function parseClipTimestamps(v: string | number[]): number[] {
  try {
    return native().parseClipTimestamps(v);
  } catch (e) {
    throw fromNative(e);
  }
}

/**
 * The decoding options of `opts` (which may hold other options too), checked by the engine and
 * as it reads them: temperature as a list, clipTimestamps as numbers; with `batched`, with the
 * batched pipeline's fixed choices. Throws an InputError naming the option.
 */
export function decodingOptions(opts: DecodingOptions, batched = false): DecodingOptions {
  try {
    return native().normalizeTranscribeOptions(opts, batched);
  } catch (e) {
    throw fromNative(e);
  }
}
