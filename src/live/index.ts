export { LiveTranscriber, DEFAULT_PARTIAL_INTERVAL_MS, DEFAULT_MAX_TURN_SECONDS, type LiveDecode, type LiveSettings } from './transcriber.js';
export type { LiveEvent } from './events.js';
export { DEFAULT_TURN_DETECTION, type TurnDetection } from './turns.js';
export { LIVE_INPUT_RATES, pcm16ToFloat, Resampler, type LiveInputRate } from './resample.js';
export { PARTIAL_OPTIONS, decodeOptions, type DecodeKind } from './partial.js';
