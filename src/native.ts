// Loads the native addon through the loader that napi-rs generates (native/binding.cjs): the
// addon built in native/ by scripts/build-native.mjs, else the platform package
// (ct2-whisper-linux-x64-gnu, an optional dependency), else NAPI_RS_NATIVE_LIBRARY_PATH.
// Its types are the ones napi-rs generates from the Rust code (native/binding.d.cts).
import { createRequire } from 'node:module';
import type * as Binding from '../native/binding.cjs';

export type NativeBinding = typeof Binding;
export type {
  DecodedAudio, DecodeOptions, JobControl, LanguageDetection, LogMel, NativeChunk, NativeLoadOptions, NativeModel, Segment, StageTimings,
  TokenLogprob, Transcription, TranscriptionInfo, Word,
  FbankFeatures, FrameSet, NativeEmbedding, NativeSegmentation, NativeVad, NativeVadParameters, SpeechStretch,
} from '../native/binding.cjs';

let cached: NativeBinding | undefined;

export function native(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require('../native/binding.cjs') as NativeBinding;
  } catch (e) {
    const cause = (e as Error).message.split('\n')[0];
    throw new Error(
      `ct2-whisper's native addon could not be loaded for ${process.platform}-${process.arch} (${cause}). ` +
        'Install the package for your platform (ct2-whisper-linux-x64-gnu, an optional dependency) or build it with `npm run build:native`.',
      { cause: e },
    );
  }
  return cached;
}
