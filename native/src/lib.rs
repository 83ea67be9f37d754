//! ct2-whisper's native engine: Whisper on CTranslate2 (through ct2rs), as a Node-API addon.
//!
//! Layers, each depending only on those below it (`engine`, `onnx` and `audio` side by side):
//!
//! - the N-API boundary: `binding` (the Node-API surface: entry points, async jobs, error codes
//!   on rejections), `onnx_binding` (the ONNX models' classes and the fbank, on `binding`'s
//!   jobs), `options` (the `#[napi(object)]` options as JS passes them, checked once) and
//!   `node_api` (what only the boundary needs: `guard`, panics caught). The only code that
//!   speaks napi, besides the `#[napi(object)]` result and timing structs the engine returns.
//! - `engine`: Whisper itself: the model, tokenizer, features, languages, word timestamps, the
//!   two pipelines, device choice, stage timings, abort and progress. No napi calls.
//! - `onnx`: the ONNX models on ONNX Runtime (its released library, loaded at run time): Silero
//!   VAD and speech chunks, Kaldi fbank, segmentation and speaker embeddings. No napi calls; it
//!   uses `engine::control` for abort and nothing else of the engine.
//! - `audio`: audio in: decoding hostile audio to 16 kHz float32 (header checks, resampling).
//!   It takes the engine's sample rate from `engine::features` and nothing else.
//!
//! `error` is shared by all of them: errors with codes, set where the failure is known.
//!
//! `cargo test` (scripts/test-native.mjs) runs the unit tests without Node: the test binary leaves
//! the Node-API symbols unresolved, as the addon does, and no test calls them.

mod audio;
mod binding;
mod engine;
mod error;
mod node_api;
mod onnx;
mod onnx_binding;
mod options;
