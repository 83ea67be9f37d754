//! The engine: faster-whisper's two pipelines (`pipeline`: `SequentialPipeline`,
//! `BatchedPipeline`), each holding a `model::WhisperModel`, and what they are made of. It makes
//! no napi calls; its results (`result`) and stage timings (`timings`) are `#[napi(object)]`
//! structs so the boundary hands them to JS as they are.
//!
//! - `model`: a loaded model through ct2rs (encode, detect language, generate, align).
//! - `features`, `tokenizer`, `languages`, `word_timestamps`, `token_logprobs`: what the pipelines are made of.
//! - `device`: device and compute type resolution.
//! - `control`: abort and progress shared with the JS thread; `timings`: seconds per stage.
//! - `result`: segments, words and language results, with faster-whisper's field names.

pub mod control;
pub mod device;
pub mod features;
pub mod languages;
pub mod model;
pub mod pipeline;
pub mod result;
pub mod timings;
pub mod token_logprobs;
pub mod tokenizer;
pub mod word_timestamps;
