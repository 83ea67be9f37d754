// ct2-whisper: Whisper speech-to-text on CTranslate2, natively in Node.js.
export { WhisperModel, batchKey } from './model.js';
export type {
  LoadOptions, Device, ComputeType, TranscribeOptions, Transcription, TranscriptionInfo, Segment, Word,
  LanguageDetection, DetectLanguageOptions, CallOptions, Timings, TranscribeDiarizeOptions,
} from './model.js';
export type { DecodingOptions, VadOptions, PipelineSpecOptions, DiarizeSpecOptions, SubtitleOptions } from './options/index.js';
export type { TokenLogprob } from './native.js';
export { OPTIONS, MAX_BATCH_SIZE, MAX_SPEAKERS, type OptionSpec } from './options/index.js';
export { decodeAudio, SAMPLE_RATE, DEFAULT_MAX_AUDIO_SECONDS, DEFAULT_MAX_AUDIO_BYTES } from './audio.js';
export type { AudioInput, AudioOptions } from './audio.js';
export { render, toSrt, toVtt, toText, toJsonObject, joinedText, formatTimestamp, FORMATS } from './formats.js';
export type { Format } from './formats.js';
export { optionsForFormats, subtitleCues, SUBTITLE_FORMATS, PAUSE_SECONDS } from './subtitles/index.js';
export type { Cue, CueWord } from './subtitles/index.js';
export { defaultLocalModel, resolveModel, cacheDir, DEFAULT_MODEL } from './model-path.js';
export { downloadModel, hubCacheDir, HUB_MODELS } from './hub-download.js';
export type { ModelLocations, ResolveOptions, ResolvedModel } from './model-path.js';
export type { HubOptions, DownloadOptions } from './hub-download.js';
export { settingsFromEnv, hubOptionsFromEnv } from './env.js';
export type { EnvSettings, Env } from './env.js';
export { InputError, ModelError, EngineError, AbortError, TimeoutError, InternalError, CT2WhisperError, ErrorCode } from './errors.js';
export { getSpeechTimestamps, collectChunks, speechChunks, restoreSpeechTimestamps, speechProbabilities, vadModelPath } from './vad.js';
export type { SpeechTimestamp } from './vad.js';
export type { PipelineOptions, BatchedRequest, LiveOptions } from './model.js';
export { LiveTranscriber, DEFAULT_TURN_DETECTION, LIVE_INPUT_RATES, pcm16ToFloat, PARTIAL_OPTIONS, decodeOptions } from './live/index.js';
export type { LiveEvent, LiveSettings, LiveDecode, TurnDetection, LiveInputRate, DecodeKind } from './live/index.js';
import { native } from './native.js';

/** Log-mel features of 16 kHz mono samples, as the engine computes them (row-major [nMels, nFrames]). */
export function logMelSpectrogram(audio: Float32Array, nMels = 80): { nMels: number; nFrames: number; data: Float32Array } {
  return native().logMelSpectrogram(audio, nMels);
}

/** Whisper's language codes (what multilingual models accept). */
export function languageCodes(): string[] {
  return native().languageCodes();
}

/** Number of CUDA devices this build of the addon can use (0 on a CPU build). */
export function cudaDeviceCount(): number {
  return native().cudaDeviceCount();
}
export { diarize, diarizeSamples, assignSpeakers, resolveDiarizationModels } from './diarize/index.js';
export type { DiarizeOptions, Diarization, SpeakerTurn, SpeakerSummary, SpeakerSample } from './diarize/index.js';
