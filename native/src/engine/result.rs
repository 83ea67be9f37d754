//! What a transcription returns, with faster-whisper's field names (snake_case, as JavaScript
//! sees them too). `null` where faster-whisper has None.

use napi_derive::napi;

#[napi(object)]
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub start: f64,
    pub end: f64,
    pub word: String,
    pub probability: f64,
}

/// A text token and its log probability (OpenAI's `logprobs` entries): the token's text (its
/// bytes read as UTF-8, lossily: a token may hold part of a character) and its bytes.
#[napi(object)]
#[derive(Clone, Debug, PartialEq)]
pub struct TokenLogprob {
    pub token: String,
    pub logprob: f64,
    pub bytes: Vec<u32>,
}

#[napi(object, use_nullable = true)]
#[derive(Clone, Debug)]
pub struct Segment {
    pub id: u32,
    pub seek: u32,
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub tokens: Vec<u32>,
    #[napi(js_name = "avg_logprob")]
    pub avg_logprob: f64,
    #[napi(js_name = "compression_ratio")]
    pub compression_ratio: f64,
    #[napi(js_name = "no_speech_prob")]
    pub no_speech_prob: f64,
    pub words: Option<Vec<Word>>,
    pub temperature: f64,
    /// With `token_logprobs`: the segment's text tokens with their log probabilities.
    #[napi(js_name = "token_logprobs")]
    pub token_logprobs: Option<Vec<TokenLogprob>>,
}

/// Language codes with their probabilities, best first: `[code, probability]` pairs.
pub type LanguageProbs = Vec<(String, f64)>;

#[napi(object, use_nullable = true)]
#[derive(Clone, Debug)]
pub struct TranscriptionInfo {
    pub language: String,
    #[napi(js_name = "language_probability")]
    pub language_probability: f64,
    pub duration: f64,
    #[napi(js_name = "duration_after_vad")]
    pub duration_after_vad: f64,
    #[napi(js_name = "all_language_probs")]
    pub all_language_probs: Option<Vec<(String, f64)>>,
}

#[napi(object)]
#[derive(Clone, Debug)]
pub struct Transcription {
    pub segments: Vec<Segment>,
    pub info: TranscriptionInfo,
}

#[napi(object)]
#[derive(Clone, Debug)]
pub struct LanguageDetection {
    pub language: String,
    #[napi(js_name = "language_probability")]
    pub language_probability: f64,
    #[napi(js_name = "all_language_probs")]
    pub all_language_probs: Vec<(String, f64)>,
}
