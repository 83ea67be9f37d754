//! Transcription options, with faster-whisper's names (camelCase on the JS side) and defaults.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscribeOptions {
    pub language: Option<String>,
    pub task: String,
    pub beam_size: usize,
    pub best_of: usize,
    pub patience: f32,
    pub length_penalty: f32,
    pub repetition_penalty: f32,
    pub no_repeat_ngram_size: usize,
    /// Temperatures tried in turn when a decode fails the thresholds.
    pub temperature: Vec<f32>,
    pub compression_ratio_threshold: Option<f64>,
    pub log_prob_threshold: Option<f64>,
    pub no_speech_threshold: Option<f64>,
    pub condition_on_previous_text: bool,
    pub prompt_reset_on_temperature: f32,
    pub initial_prompt: Option<String>,
    pub prefix: Option<String>,
    pub suppress_blank: bool,
    pub suppress_tokens: Vec<i64>,
    pub without_timestamps: bool,
    pub max_initial_timestamp: f64,
    pub word_timestamps: bool,
    pub prepend_punctuations: String,
    pub append_punctuations: String,
    pub multilingual: bool,
    pub max_new_tokens: Option<usize>,
    /// Window length in seconds (default 30).
    pub chunk_length: Option<usize>,
    /// Start/end pairs in seconds; an odd count ends at the end of the audio.
    pub clip_timestamps: Vec<f64>,
    pub hallucination_silence_threshold: Option<f64>,
    pub hotwords: Option<String>,
    pub language_detection_threshold: Option<f32>,
    pub language_detection_segments: usize,
}

impl Default for TranscribeOptions {
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
            prepend_punctuations: "\"'“¿([{-".into(),
            append_punctuations: "\"'.。,，!！?？:：”)]}、".into(),
            multilingual: false,
            max_new_tokens: None,
            chunk_length: None,
            clip_timestamps: vec![0.0],
            hallucination_silence_threshold: None,
            hotwords: None,
            language_detection_threshold: Some(0.5),
            language_detection_segments: 1,
        }
    }
}

impl TranscribeOptions {
    /// Rejects out-of-range values with a message naming the option.
    pub fn validate(&self) -> Result<()> {
        if self.task != "transcribe" && self.task != "translate" {
            bail!("task must be \"transcribe\" or \"translate\", got {:?}", self.task);
        }
        if self.beam_size < 1 {
            bail!("beamSize must be at least 1, got {}", self.beam_size);
        }
        if self.best_of < 1 {
            bail!("bestOf must be at least 1, got {}", self.best_of);
        }
        if !(self.patience > 0.0) {
            bail!("patience must be greater than 0, got {}", self.patience);
        }
        if self.temperature.is_empty() {
            bail!("temperature must hold at least one value");
        }
        if let Some(t) = self.temperature.iter().find(|t| !(**t >= 0.0) || !t.is_finite()) {
            bail!("temperature must be 0 or more, got {t}");
        }
        if !(self.repetition_penalty > 0.0) {
            bail!("repetitionPenalty must be greater than 0, got {}", self.repetition_penalty);
        }
        if let Some(c) = self.chunk_length {
            if c == 0 || c > 30 {
                bail!("chunkLength must be between 1 and 30 seconds, got {c}");
            }
        }
        if self.clip_timestamps.iter().any(|t| !(*t >= 0.0) || !t.is_finite()) {
            bail!("clipTimestamps must be non-negative numbers of seconds");
        }
        if self.clip_timestamps.windows(2).any(|w| w[1] < w[0]) {
            bail!("clipTimestamps must be in increasing order");
        }
        if self.max_initial_timestamp < 0.0 {
            bail!("maxInitialTimestamp must be 0 or more");
        }
        if self.language_detection_segments < 1 {
            bail!("languageDetectionSegments must be at least 1");
        }
        if self.max_new_tokens == Some(0) {
            bail!("maxNewTokens must be at least 1");
        }
        Ok(())
    }
}
