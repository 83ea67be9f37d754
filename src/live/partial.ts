// How a live turn's partial decodings are run: their text only has to agree with the next one's
// (stable.ts), so they are made as quick as the engine allows, as streaming systems do: greedy,
// one temperature (no fallback), text tokens only, no word timing, no scores, no VAD (the turn is
// speech already). The final decoding of a turn keeps the session's options (`completed` is what a
// file transcription of the turn's audio gives).
import type { TranscribeOptions } from '../model.js';

/** What a decoding of a turn is for. */
export type DecodeKind = 'partial' | 'final';

/** The options that make a decoding a partial one (set over the session's options). */
export const PARTIAL_OPTIONS = {
  beamSize: 1,
  bestOf: 1,
  temperature: 0,
  withoutTimestamps: true,
  wordTimestamps: false,
  tokenLogprobs: false,
  vadFilter: false,
} as const satisfies TranscribeOptions;

/** The session's options for a decoding of `kind`. */
export function decodeOptions<T extends TranscribeOptions>(options: T, kind: DecodeKind): T {
  return kind === 'partial' ? { ...options, ...PARTIAL_OPTIONS } : options;
}
