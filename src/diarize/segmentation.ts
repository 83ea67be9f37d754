// Local speaker activity with pyannote segmentation-3.0 over sliding 10 s windows. The model gives,
// for each of its frames (every 270 samples, 16.9 ms), log-probabilities over 7 "powerset" classes:
// no speaker, one of three local speakers, or one of the three pairs; decoding takes the most
// likely class and turns it into three binary activities. The windows are chosen here; the model
// and the decoding run in the addon (native/src/onnx/segmentation.rs), off the JS thread.
import type { NativeSegmentation } from '../native.js';
import { onnxCall } from '../onnx-models.js';

export const WINDOW_SAMPLES = 160_000; // 10 s at 16 kHz
export const FRAME_STEP = 270; // samples between two model frames (SincNet's strides)
export const FRAME_SIZE = 991; // samples one frame sees (receptive field)
export const FRAMES_PER_WINDOW = 589;
export const LOCAL_SPEAKERS = 3;

export interface WindowActivity {
  /** First sample of the window in the recording. */
  start: number;
  /** [frame][speaker] activities (0/1), row-major FRAMES_PER_WINDOW × LOCAL_SPEAKERS. */
  active: Uint8Array;
}

/** Window starts: every `stepSamples`, the last window flush with the end (or one zero-padded window). */
export function windowStarts(samples: number, stepSamples: number): number[] {
  if (samples <= WINDOW_SAMPLES) return [0];
  const starts: number[] = [];
  for (let s = 0; s + WINDOW_SAMPLES < samples; s += stepSamples) starts.push(s);
  starts.push(samples - WINDOW_SAMPLES);
  return starts;
}

/** The activity of every window (a window past the end zero-padded); `signal` stops it. */
export async function segment(audio: Float32Array, stepSamples: number, model: NativeSegmentation, signal?: AbortSignal): Promise<WindowActivity[]> {
  const starts = windowStarts(audio.length, stepSamples);
  const active = await onnxCall(signal, (control) => model.activities(audio, starts, control));
  return starts.map((start, i) => ({ start, active: active[i] }));
}
