// The ONNX models as the addon runs them (native/src/onnx_binding.rs, on ONNX Runtime's released
// library shipped beside the .node): Silero VAD (vad.ts) and the diarization's segmentation and
// embedding models (diarize/), each loaded once per file and thread count and shared, and every
// call run off the JS thread with an abort wire to the caller's signal.
import { native, type JobControl, type NativeEmbedding, type NativeSegmentation, type NativeVad } from './native.js';
import { abortError, fromNative } from './errors.js';

type Loaded = NativeVad | NativeSegmentation | NativeEmbedding;
const models = new Map<string, Promise<Loaded>>();

function loadOnce<T extends Loaded>(kind: string, file: string, threads: number, load: () => Promise<T>): Promise<T> {
  const key = `${kind}\0${threads}\0${file}`;
  let m = models.get(key) as Promise<T> | undefined;
  if (!m) {
    m = load().catch((e) => {
      models.delete(key);
      throw fromNative(e);
    });
    models.set(key, m);
  }
  return m;
}

/** Silero VAD v6 from `file`, on `threads` intra-op threads. */
export function vadModel(file: string, threads = 1): Promise<NativeVad> {
  return loadOnce('vad', file, threads, () => native().loadVad(file, threads));
}

/** pyannote segmentation-3.0 from `file`, on `threads` intra-op threads. */
export function segmentationModel(file: string, threads: number): Promise<NativeSegmentation> {
  return loadOnce('segmentation', file, threads, () => native().loadSegmentation(file, threads));
}

/** The CAM++ speaker-embedding model from `file`, on `threads` intra-op threads. */
export function embeddingModel(file: string, threads: number): Promise<NativeEmbedding> {
  return loadOnce('embedding', file, threads, () => native().loadEmbedding(file, threads));
}

/**
 * Runs one native ONNX call with a JobControl that `signal` aborts; its errors become the
 * library's classes, and once the signal has fired, the signal's reason.
 */
export async function onnxCall<T>(signal: AbortSignal | undefined, run: (control: JobControl) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw abortError(signal);
  const control = new (native().JobControl)();
  const onAbort = () => control.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(control);
  } catch (e) {
    if (signal?.aborted) throw abortError(signal);
    throw fromNative(e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
