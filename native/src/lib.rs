//! ct2-whisper's native engine: Whisper on CTranslate2 (through ct2rs), as a Node-API addon.
//!
//! - `binding`: the Node-API surface (the only module that speaks napi, besides the
//!   `#[napi(object)]` option and result structs in `options` and `result`).
//! - `pipeline`: faster-whisper's two pipelines, `SequentialPipeline` and `BatchedPipeline`,
//!   each holding a `model::WhisperModel`.
//! - `features`, `tokenizer`, `word_timestamps`: what the pipelines are made of.
//! - `audio` (with `headers`, `resample`): decoding hostile audio to 16 kHz float32.
//! - `error`, `guard`: errors with codes; panics caught at the boundary.
//! - `timings`: seconds per stage of a call, for profiling.
//!
//! `cargo test` (scripts/test-native.mjs) runs the unit tests without Node: the test binary leaves
//! the Node-API symbols unresolved, as the addon does, and no test calls them.

mod audio;
mod binding;
mod control;
mod device;
mod error;
mod features;
mod guard;
mod headers;
mod languages;
mod model;
mod options;
mod pipeline;
mod resample;
mod result;
mod timings;
mod tokenizer;
mod word_timestamps;
