// Loads the native addon (native/, built by scripts/build-native.mjs, or a prebuilt
// package) and declares what it exports.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeLoadOptions {
  device: string;
  deviceIndex: number;
  computeType: string;
  cpuThreads: number;
  numWorkers: number;
}

export declare class JobControl {
  constructor();
  abort(): void;
  /** Segments finished since the last call, as JSON. */
  takeSegments(): string[];
  /** [secondsDone, secondsTotal] */
  progress(): [number, number];
}

export interface NativeModel {
  readonly device: string;
  readonly computeType: string;
  readonly isMultilingual: boolean;
  readonly nMels: number;
  readonly supportedLanguages: string[];
  transcribe(audio: Float32Array, optionsJson: string, control: JobControl): Promise<string>;
  transcribeBatched(chunks: Float32Array[], offsets: number[], duration: number, batchSize: number, optionsJson: string, control: JobControl): Promise<string>;
  detectLanguage(audio: Float32Array, segments: number, threshold: number, control: JobControl): Promise<string>;
  dispose(): void;
}

export interface DecodedAudio {
  channels: Float32Array[];
  sourceSampleRate: number;
  sourceChannels: number;
}

export interface LogMel {
  nMels: number;
  nFrames: number;
  data: Float32Array;
}

export interface NativeBinding {
  loadModel(path: string, options: NativeLoadOptions): Promise<NativeModel>;
  cudaDeviceCount(): number;
  languageCodes(): string[];
  decodeAudio(bytes: Buffer, extension: string | null, splitChannels: boolean): Promise<DecodedAudio>;
  logMelSpectrogram(audio: Float32Array, nMels: number): LogMel;
  JobControl: typeof JobControl;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '..');

/** Where the addon may be, most specific first. */
export function addonCandidates(): string[] {
  const triple = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : ''}`;
  const list: string[] = [];
  if (process.env.CT2_WHISPER_NATIVE) list.push(path.resolve(process.env.CT2_WHISPER_NATIVE));
  if (process.env.CT2_WHISPER_CUDA === '1') list.push(path.join(packageRoot, 'native', `ct2-whisper.${triple}-cuda.node`));
  list.push(path.join(packageRoot, 'native', `ct2-whisper.${triple}.node`));
  return list;
}

let cached: NativeBinding | undefined;

export function native(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const found = addonCandidates().find((p) => fs.existsSync(p));
  if (found) {
    cached = require(found) as NativeBinding;
    return cached;
  }
  const triple = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : ''}`;
  try {
    cached = require(`@ct2-whisper/${triple}`) as NativeBinding;
    return cached;
  } catch {
    throw new Error(
      `ct2-whisper's native addon was not found (looked in ${addonCandidates().join(', ')} and @ct2-whisper/${triple}); ` +
        'build it with `npm run build:native`',
    );
  }
}
