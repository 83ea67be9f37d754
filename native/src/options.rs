//! The decoding options a transcription runs with, as the TypeScript layer resolves them once per
//! call from the option table (src/options/spec.ts: every bound and default is written there):
//! every field set, checked, with the pipeline's choices made. The engine reads them as they are;
//! it neither checks nor defaults them again. Their meaning is faster-whisper's
//! `TranscriptionOptions`; `null` (None) turns a threshold off.

use napi_derive::napi;

/// Resolved decoding options (src/options/resolve.ts builds them; see docs/options.md).
#[napi(object)]
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// A language code, or none to detect it.
    pub language: Option<String>,
    /// "transcribe" or "translate".
    #[napi(ts_type = "'transcribe' | 'translate'")]
    pub task: String,
    pub beam_size: u32,
    pub best_of: u32,
    pub patience: f64,
    pub length_penalty: f64,
    pub repetition_penalty: f64,
    pub no_repeat_ngram_size: u32,
    /// Temperatures tried in turn when a decode fails the thresholds (never empty).
    pub temperature: Vec<f64>,
    pub compression_ratio_threshold: Option<f64>,
    pub log_prob_threshold: Option<f64>,
    pub no_speech_threshold: Option<f64>,
    pub condition_on_previous_text: bool,
    pub prompt_reset_on_temperature: f64,
    pub initial_prompt: Option<String>,
    pub prefix: Option<String>,
    pub suppress_blank: bool,
    pub suppress_tokens: Vec<i64>,
    pub without_timestamps: bool,
    pub max_initial_timestamp: f64,
    pub word_timestamps: bool,
    /// Each segment's text tokens with their log probabilities (token_logprobs.rs).
    pub token_logprobs: bool,
    pub prepend_punctuations: String,
    pub append_punctuations: String,
    pub multilingual: bool,
    pub max_new_tokens: Option<u32>,
    /// Window length in seconds (none: 30).
    pub chunk_length: Option<u32>,
    /// Start/end pairs in seconds; an odd count ends at the end of the audio.
    pub clip_timestamps: Vec<f64>,
    pub hallucination_silence_threshold: Option<f64>,
    pub hotwords: Option<String>,
    pub language_detection_threshold: f64,
    pub language_detection_segments: u32,
}

/// faster-whisper's defaults, for the unit tests only (the library's defaults are the option
/// table's, resolved in TypeScript).
#[cfg(test)]
impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            language: None,
            task: "transcribe".into(),
            beam_size: 5,
            best_of: 5,
            patience: 1.0,
            length_penalty: 1.0,
            repetition_penalty: 1.0,
            no_repeat_ngram_size: 0,
            temperature: vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
            compression_ratio_threshold: Some(2.4),
            log_prob_threshold: Some(-1.0),
            no_speech_threshold: Some(0.6),
            condition_on_previous_text: true,
            prompt_reset_on_temperature: 0.5,
            initial_prompt: None,
            prefix: None,
            suppress_blank: true,
            suppress_tokens: vec![-1],
            without_timestamps: false,
            max_initial_timestamp: 1.0,
            word_timestamps: false,
            token_logprobs: false,
            prepend_punctuations: "\"'“¿([{-".into(),
            append_punctuations: "\"'.。,，!！?？:：”)]}、".into(),
            multilingual: false,
            max_new_tokens: None,
            chunk_length: None,
            clip_timestamps: vec![0.0],
            hallucination_silence_threshold: None,
            hotwords: None,
            language_detection_threshold: 0.5,
            language_detection_segments: 1,
        }
    }
}
