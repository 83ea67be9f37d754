//! The ONNX models, on ONNX Runtime through the `ort` crate: Silero VAD and the diarization's
//! segmentation and speaker-embedding models, and the features they take. No napi calls (the
//! boundary is `onnx_binding`); each module has one job:
//!
//! - `runtime`: the library (ONNX Runtime's released `libonnxruntime`, beside the `.node`,
//!   loaded on first use, its version checked), the environment, and pools of sessions.
//! - `vad`: Silero's speech probability per 512-sample window; `speech`: speech chunks from them
//!   (faster-whisper's `get_speech_timestamps`).
//! - `fbank`: Kaldi fbank features; `segmentation`: pyannote segmentation-3.0 per 10 s window;
//!   `embedding`: CAM++ embeddings of sets of fbank frames.

pub mod embedding;
pub mod fbank;
pub mod runtime;
pub mod segmentation;
pub mod speech;
pub mod vad;
