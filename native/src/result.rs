//! What a transcription returns, with faster-whisper's field names.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Word {
    pub start: f64,
    pub end: f64,
    pub word: String,
    pub probability: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Segment {
    pub id: usize,
    pub seek: usize,
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub tokens: Vec<usize>,
    pub avg_logprob: f64,
    pub compression_ratio: f64,
    pub no_speech_prob: f64,
    pub words: Option<Vec<Word>>,
    pub temperature: f32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Info {
    pub language: String,
    pub language_probability: f64,
    pub duration: f64,
    pub duration_after_vad: f64,
    pub all_language_probs: Option<Vec<(String, f64)>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Transcription {
    pub segments: Vec<Segment>,
    pub info: Info,
}

#[derive(Clone, Debug, Serialize)]
pub struct LanguageDetection {
    pub language: String,
    pub language_probability: f64,
    pub all_language_probs: Vec<(String, f64)>,
}
