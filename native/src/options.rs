//! Transcription options: faster-whisper's names (camelCase on the JS side) and defaults.
//!
//! `TranscribeOptions` is what JavaScript passes (every field optional, numbers as JS numbers);
//! `TranscribeOptions::resolve` validates it once, naming the field, and gives `DecodeOptions`,
//! the typed options with defaults applied that the pipelines use. Options that JS may set to
//! `null` are `Option<Either<T, Null>>`: absent is `None`, null is `Some(Either::B(Null))`.

use napi::bindgen_prelude::{Either, Null};
use napi_derive::napi;

use crate::error::{input_error, Error, Result};

/// Options of `transcribe`, faster-whisper's names in camelCase; all optional, with its defaults.
#[napi(object)]
#[derive(Clone, Debug, Default)]
pub struct TranscribeOptions {
    pub language: Option<Either<String, Null>>,
    #[napi(ts_type = "'transcribe' | 'translate'")]
    pub task: Option<String>,
    pub beam_size: Option<f64>,
    pub best_of: Option<f64>,
    pub patience: Option<f64>,
    pub length_penalty: Option<f64>,
    pub repetition_penalty: Option<f64>,
    pub no_repeat_ngram_size: Option<f64>,
    /// One temperature or the fallback list (default 0, 0.2, … 1.0).
    pub temperature: Option<Either<f64, Vec<f64>>>,
    pub compression_ratio_threshold: Option<Either<f64, Null>>,
    pub log_prob_threshold: Option<Either<f64, Null>>,
    pub no_speech_threshold: Option<Either<f64, Null>>,
    pub condition_on_previous_text: Option<bool>,
    pub prompt_reset_on_temperature: Option<f64>,
    pub initial_prompt: Option<Either<String, Null>>,
    pub prefix: Option<Either<String, Null>>,
    pub suppress_blank: Option<bool>,
    pub suppress_tokens: Option<Vec<f64>>,
    pub without_timestamps: Option<bool>,
    pub max_initial_timestamp: Option<f64>,
    pub word_timestamps: Option<bool>,
    pub prepend_punctuations: Option<String>,
    pub append_punctuations: Option<String>,
    pub multilingual: Option<bool>,
    pub max_new_tokens: Option<Either<f64, Null>>,
    /// Window length in seconds (default 30).
    pub chunk_length: Option<Either<f64, Null>>,
    /// "start,end,start,end…" in seconds, or the numbers; an odd count ends at the end of the audio.
    pub clip_timestamps: Option<Either<String, Vec<f64>>>,
    pub hallucination_silence_threshold: Option<Either<f64, Null>>,
    pub hotwords: Option<Either<String, Null>>,
    pub language_detection_threshold: Option<Either<f64, Null>>,
    pub language_detection_segments: Option<f64>,
}

/// The JS names of `TranscribeOptions`' fields, in order (the worker maps its job fields by them).
pub const DECODING_OPTION_NAMES: &[&str] = &[
    "language", "task", "beamSize", "bestOf", "patience", "lengthPenalty", "repetitionPenalty",
    "noRepeatNgramSize", "temperature", "compressionRatioThreshold", "logProbThreshold",
    "noSpeechThreshold", "conditionOnPreviousText", "promptResetOnTemperature", "initialPrompt",
    "prefix", "suppressBlank", "suppressTokens", "withoutTimestamps", "maxInitialTimestamp",
    "wordTimestamps", "prependPunctuations", "appendPunctuations", "multilingual", "maxNewTokens",
    "chunkLength", "clipTimestamps", "hallucinationSilenceThreshold", "hotwords",
    "languageDetectionThreshold", "languageDetectionSegments",
];

/// Options of `detectLanguage`.
#[napi(object)]
#[derive(Clone, Debug, Default)]
pub struct LanguageDetectionOptions {
    pub language_detection_segments: Option<f64>,
    pub language_detection_threshold: Option<Either<f64, Null>>,
}

/// Temperatures: at most this many (0 to 1 in steps of 0.05), each at most `MAX_TEMPERATURE`.
#[napi]
pub const MAX_TEMPERATURES: u32 = 21;
#[napi]
pub const MAX_TEMPERATURE: f64 = 2.0;
/// initialPrompt, prefix, hotwords: a cheap first bound (in UTF-16 units, as JS counts); the
/// pipeline bounds their tokens.
const MAX_TEXT_CHARS: usize = 10_000;
const MAX_LIST: usize = 10_000;

/// The range of a numeric option: faster-whisper's meaningful values, bounded so that no value
/// can make the engine allocate or loop without end (a beam of 1e9, a fallback list of millions).
struct Bound {
    name: &'static str,
    min: f64,
    max: f64,
    integer: bool,
}

const fn bound(name: &'static str, min: f64, max: f64, integer: bool) -> Bound {
    Bound { name, min, max, integer }
}

const BEAM_SIZE: Bound = bound("beamSize", 1.0, 10.0, true);
const BEST_OF: Bound = bound("bestOf", 1.0, 10.0, true);
const PATIENCE: Bound = bound("patience", 0.0, 10.0, false);
const LENGTH_PENALTY: Bound = bound("lengthPenalty", 0.0, 10.0, false);
const REPETITION_PENALTY: Bound = bound("repetitionPenalty", 0.0, 10.0, false);
const NO_REPEAT_NGRAM_SIZE: Bound = bound("noRepeatNgramSize", 0.0, 20.0, true);
const COMPRESSION_RATIO_THRESHOLD: Bound = bound("compressionRatioThreshold", 0.0, 100.0, false);
const LOG_PROB_THRESHOLD: Bound = bound("logProbThreshold", -100.0, 100.0, false);
const NO_SPEECH_THRESHOLD: Bound = bound("noSpeechThreshold", 0.0, 1.0, false);
const PROMPT_RESET_ON_TEMPERATURE: Bound = bound("promptResetOnTemperature", 0.0, 2.0, false);
const MAX_INITIAL_TIMESTAMP: Bound = bound("maxInitialTimestamp", 0.0, 30.0, false);
const MAX_NEW_TOKENS: Bound = bound("maxNewTokens", 1.0, 448.0, true);
const CHUNK_LENGTH: Bound = bound("chunkLength", 1.0, 3600.0, true);
const HALLUCINATION_SILENCE_THRESHOLD: Bound = bound("hallucinationSilenceThreshold", 0.0, 3600.0, false);
const LANGUAGE_DETECTION_THRESHOLD: Bound = bound("languageDetectionThreshold", 0.0, 1.0, false);
const LANGUAGE_DETECTION_SEGMENTS: Bound = bound("languageDetectionSegments", 1.0, 100.0, true);

/// A number as JavaScript's `JSON.stringify` writes it (`null` for NaN and ±Infinity).
pub fn js_number(v: f64) -> String {
    if !v.is_finite() {
        return "null".into();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-7..1e21).contains(&a) {
        // 1e+300, 1e-8: JS's exponent form.
        let s = format!("{v:e}");
        return match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        };
    }
    format!("{v}")
}

impl Bound {
    /// The value checked against the bound (`None` passes).
    fn check(&self, v: Option<f64>) -> Result<Option<f64>> {
        let Some(v) = v else { return Ok(None) };
        if !v.is_finite() || (self.integer && v.fract() != 0.0) || v < self.min || v > self.max {
            let kind = if self.integer { "an integer" } else { "a number" };
            input_error!("{} must be {kind} of at least {} and at most {}, got {}", self.name, js_number(self.min), js_number(self.max), js_number(v));
        }
        Ok(Some(v))
    }

    fn check_usize(&self, v: Option<f64>) -> Result<Option<usize>> {
        Ok(self.check(v)?.map(|v| v as usize))
    }
}

/// clipTimestamps as numbers of seconds: "start,end,…" is parsed, a list is taken as it is.
pub fn parse_clip_timestamps(v: &Either<String, Vec<f64>>) -> Result<Vec<f64>> {
    match v {
        Either::B(list) => Ok(list.clone()),
        Either::A(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(n),
                _ => Err(Error::input(format!("clipTimestamps: {s:?} is not a number of seconds"))),
            })
            .collect(),
    }
}

fn check_text(name: &str, v: &Option<String>) -> Result<()> {
    if let Some(s) = v {
        let n = s.encode_utf16().count();
        if n > MAX_TEXT_CHARS {
            input_error!("{name} is {n} characters; at most {MAX_TEXT_CHARS}");
        }
    }
    Ok(())
}

fn check_list<T>(name: &str, v: Option<&Vec<T>>) -> Result<()> {
    if let Some(v) = v {
        if v.len() > MAX_LIST {
            input_error!("{name} may list at most {MAX_LIST} values, got {}", v.len());
        }
    }
    Ok(())
}

/// Options resolved: validated, typed, with faster-whisper's defaults.
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    pub language: Option<String>,
    pub task: String,
    pub beam_size: usize,
    pub best_of: usize,
    pub patience: f32,
    pub length_penalty: f32,
    pub repetition_penalty: f32,
    pub no_repeat_ngram_size: usize,
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
    pub language_detection_threshold: f64,
    pub language_detection_segments: usize,
}

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

impl TranscribeOptions {
    /// The options as given, in the form the engine reads them back: temperature as a list,
    /// clipTimestamps as numbers. What `transcription_options` reports.
    pub fn normalized(&self) -> Result<TranscribeOptions> {
        let mut out = self.clone();
        if let Some(Either::A(t)) = out.temperature {
            out.temperature = Some(Either::B(vec![t]));
        }
        if let Some(c) = &out.clip_timestamps {
            out.clip_timestamps = Some(Either::B(parse_clip_timestamps(c)?));
        }
        Ok(out)
    }

    /// The batched pipeline's fixed choices, as faster-whisper's `BatchedInferencePipeline`
    /// makes them: the first temperature only, no timestamps unless asked for, no conditioning on
    /// previous text, no hallucination skipping; clips are the caller's (turned into chunks).
    pub fn for_batched(&self) -> TranscribeOptions {
        let mut out = self.clone();
        out.temperature = match &self.temperature {
            Some(Either::B(list)) => Some(Either::B(list.iter().take(1).copied().collect())),
            other => other.clone(),
        };
        out.without_timestamps = Some(self.without_timestamps.unwrap_or(true));
        out.condition_on_previous_text = Some(false);
        out.hallucination_silence_threshold = Some(Either::B(Null));
        out.clip_timestamps = None;
        out
    }

    /// Validates every option, naming it in the error, and applies the defaults.
    pub fn resolve(&self) -> Result<DecodeOptions> {
        let d = DecodeOptions::default();
        // Ranges first, then list sizes and text lengths, then the rules between values.
        let beam_size = BEAM_SIZE.check_usize(self.beam_size)?;
        let best_of = BEST_OF.check_usize(self.best_of)?;
        let patience = PATIENCE.check(self.patience)?;
        let length_penalty = LENGTH_PENALTY.check(self.length_penalty)?;
        let repetition_penalty = REPETITION_PENALTY.check(self.repetition_penalty)?;
        let no_repeat_ngram_size = NO_REPEAT_NGRAM_SIZE.check_usize(self.no_repeat_ngram_size)?;
        let compression_ratio_threshold = COMPRESSION_RATIO_THRESHOLD.check(value(&self.compression_ratio_threshold))?;
        let log_prob_threshold = LOG_PROB_THRESHOLD.check(value(&self.log_prob_threshold))?;
        let no_speech_threshold = NO_SPEECH_THRESHOLD.check(value(&self.no_speech_threshold))?;
        let prompt_reset_on_temperature = PROMPT_RESET_ON_TEMPERATURE.check(self.prompt_reset_on_temperature)?;
        let max_initial_timestamp = MAX_INITIAL_TIMESTAMP.check(self.max_initial_timestamp)?;
        let max_new_tokens = MAX_NEW_TOKENS.check_usize(value(&self.max_new_tokens))?;
        let chunk_length = CHUNK_LENGTH.check_usize(value(&self.chunk_length))?;
        let hallucination_silence_threshold = HALLUCINATION_SILENCE_THRESHOLD.check(value(&self.hallucination_silence_threshold))?;
        let language_detection_threshold = LANGUAGE_DETECTION_THRESHOLD.check(value(&self.language_detection_threshold))?;
        let language_detection_segments = LANGUAGE_DETECTION_SEGMENTS.check_usize(self.language_detection_segments)?;

        let temperature = match &self.temperature {
            None => d.temperature,
            Some(Either::A(t)) => vec![*t],
            Some(Either::B(list)) => list.clone(),
        };
        if temperature.len() > MAX_TEMPERATURES as usize {
            input_error!("temperature may list at most {MAX_TEMPERATURES} values, got {}", temperature.len());
        }
        for &t in &temperature {
            if !t.is_finite() || t < 0.0 {
                input_error!("temperature must be 0 or more, got {}", js_number(t));
            }
            if t > MAX_TEMPERATURE {
                input_error!("temperature must be at most {}, got {}", js_number(MAX_TEMPERATURE), js_number(t));
            }
        }
        let initial_prompt = value(&self.initial_prompt);
        let prefix = value(&self.prefix);
        let hotwords = value(&self.hotwords);
        check_text("initialPrompt", &initial_prompt)?;
        check_text("prefix", &prefix)?;
        check_text("hotwords", &hotwords)?;
        check_list("suppressTokens", self.suppress_tokens.as_ref())?;
        let clip_timestamps = match &self.clip_timestamps {
            None => d.clip_timestamps,
            Some(c) => parse_clip_timestamps(c)?,
        };
        check_list("clipTimestamps", Some(&clip_timestamps))?;
        let suppress_tokens = match &self.suppress_tokens {
            None => d.suppress_tokens,
            Some(list) => list
                .iter()
                .map(|&t| {
                    if t.is_finite() && t.fract() == 0.0 && t >= -1.0 {
                        Ok(t as i64)
                    } else {
                        Err(Error::input(format!("suppressTokens must list token ids (or -1), got {}", js_number(t))))
                    }
                })
                .collect::<Result<_>>()?,
        };

        let task = self.task.clone().unwrap_or(d.task);
        if task != "transcribe" && task != "translate" {
            input_error!("task must be \"transcribe\" or \"translate\", got {task:?}");
        }
        if let Some(p) = patience {
            if p <= 0.0 {
                input_error!("patience must be greater than 0, got {}", js_number(p));
            }
        }
        if temperature.is_empty() {
            input_error!("temperature must hold at least one value");
        }
        if let Some(r) = repetition_penalty {
            if r <= 0.0 {
                input_error!("repetitionPenalty must be greater than 0, got {}", js_number(r));
            }
        }
        if let Some(c) = chunk_length {
            if c == 0 || c > 30 {
                input_error!("chunkLength must be between 1 and 30 seconds, got {c}");
            }
        }
        if clip_timestamps.iter().any(|t| !(*t >= 0.0) || !t.is_finite()) {
            input_error!("clipTimestamps must be non-negative numbers of seconds");
        }
        if clip_timestamps.windows(2).any(|w| w[1] < w[0]) {
            input_error!("clipTimestamps must be in increasing order");
        }

        Ok(DecodeOptions {
            language: value(&self.language),
            task,
            beam_size: beam_size.unwrap_or(d.beam_size),
            best_of: best_of.unwrap_or(d.best_of),
            patience: patience.map_or(d.patience, |v| v as f32),
            length_penalty: length_penalty.map_or(d.length_penalty, |v| v as f32),
            repetition_penalty: repetition_penalty.map_or(d.repetition_penalty, |v| v as f32),
            no_repeat_ngram_size: no_repeat_ngram_size.unwrap_or(d.no_repeat_ngram_size),
            temperature,
            // An option given as null turns its check off, as faster-whisper's None does.
            compression_ratio_threshold: given_or(&self.compression_ratio_threshold, compression_ratio_threshold, d.compression_ratio_threshold),
            log_prob_threshold: given_or(&self.log_prob_threshold, log_prob_threshold, d.log_prob_threshold),
            no_speech_threshold: given_or(&self.no_speech_threshold, no_speech_threshold, d.no_speech_threshold),
            condition_on_previous_text: self.condition_on_previous_text.unwrap_or(d.condition_on_previous_text),
            prompt_reset_on_temperature: prompt_reset_on_temperature.unwrap_or(d.prompt_reset_on_temperature),
            initial_prompt,
            prefix,
            suppress_blank: self.suppress_blank.unwrap_or(d.suppress_blank),
            suppress_tokens,
            without_timestamps: self.without_timestamps.unwrap_or(d.without_timestamps),
            max_initial_timestamp: max_initial_timestamp.unwrap_or(d.max_initial_timestamp),
            word_timestamps: self.word_timestamps.unwrap_or(d.word_timestamps),
            prepend_punctuations: self.prepend_punctuations.clone().unwrap_or(d.prepend_punctuations),
            append_punctuations: self.append_punctuations.clone().unwrap_or(d.append_punctuations),
            multilingual: self.multilingual.unwrap_or(d.multilingual),
            max_new_tokens,
            chunk_length,
            clip_timestamps,
            hallucination_silence_threshold,
            hotwords,
            language_detection_threshold: language_detection_threshold.unwrap_or(d.language_detection_threshold),
            language_detection_segments: language_detection_segments.unwrap_or(d.language_detection_segments),
        })
    }
}

/// The value of an option that may be null (null and absent are both `None`).
fn value<T: Clone>(v: &Option<Either<T, Null>>) -> Option<T> {
    match v {
        Some(Either::A(v)) => Some(v.clone()),
        _ => None,
    }
}

/// A threshold: off when given as null, the checked value when given, else the default.
fn given_or(given: &Option<Either<f64, Null>>, checked: Option<f64>, default: Option<f64>) -> Option<f64> {
    match given {
        None => default,
        Some(_) => checked,
    }
}

impl LanguageDetectionOptions {
    /// (segments, threshold), validated with the same bounds as `transcribe`'s.
    pub fn resolve(&self) -> Result<(usize, f64)> {
        let d = DecodeOptions::default();
        let segments = LANGUAGE_DETECTION_SEGMENTS.check_usize(self.language_detection_segments)?;
        let threshold = LANGUAGE_DETECTION_THRESHOLD.check(value(&self.language_detection_threshold))?;
        Ok((segments.unwrap_or(d.language_detection_segments), threshold.unwrap_or(d.language_detection_threshold)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(o: TranscribeOptions) -> String {
        o.resolve().unwrap_err().message
    }

    #[test]
    fn defaults_are_faster_whispers() {
        let d = TranscribeOptions::default().resolve().unwrap();
        assert_eq!(d.beam_size, 5);
        assert_eq!(d.temperature, vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(d.compression_ratio_threshold, Some(2.4));
        assert_eq!(d.clip_timestamps, vec![0.0]);
        assert_eq!(d.suppress_tokens, vec![-1]);
    }

    #[test]
    fn bounds_name_the_field() {
        let o = TranscribeOptions { beam_size: Some(1e9), ..Default::default() };
        assert_eq!(err(o), "beamSize must be an integer of at least 1 and at most 10, got 1000000000");
        let o = TranscribeOptions { best_of: Some(1.5), ..Default::default() };
        assert!(err(o).starts_with("bestOf must be an integer"));
        let o = TranscribeOptions { log_prob_threshold: Some(Either::A(f64::NAN)), ..Default::default() };
        assert_eq!(err(o), "logProbThreshold must be a number of at least -100 and at most 100, got null");
        let o = TranscribeOptions { temperature: Some(Either::A(1e300)), ..Default::default() };
        assert_eq!(err(o), "temperature must be at most 2, got 1e+300");
        let o = TranscribeOptions { temperature: Some(Either::B(vec![])), ..Default::default() };
        assert_eq!(err(o), "temperature must hold at least one value");
        let o = TranscribeOptions { chunk_length: Some(Either::A(45.0)), ..Default::default() };
        assert_eq!(err(o), "chunkLength must be between 1 and 30 seconds, got 45");
        let o = TranscribeOptions { prefix: Some(Either::A("x".repeat(10_001))), ..Default::default() };
        assert_eq!(err(o), "prefix is 10001 characters; at most 10000");
        let o = TranscribeOptions { task: Some("summarize".into()), ..Default::default() };
        assert_eq!(err(o), "task must be \"transcribe\" or \"translate\", got \"summarize\"");
    }

    #[test]
    fn null_turns_a_threshold_off() {
        let o = TranscribeOptions { log_prob_threshold: Some(Either::B(Null)), ..Default::default() };
        let r = o.resolve().unwrap();
        assert_eq!(r.log_prob_threshold, None);
        assert_eq!(r.no_speech_threshold, Some(0.6));
    }

    #[test]
    fn clip_timestamps_parse_and_order() {
        assert_eq!(parse_clip_timestamps(&Either::A(" 1.5, 3 ,".into())).unwrap(), vec![1.5, 3.0]);
        assert_eq!(parse_clip_timestamps(&Either::A("5,x".into())).unwrap_err().message, "clipTimestamps: \"x\" is not a number of seconds");
        let o = TranscribeOptions { clip_timestamps: Some(Either::B(vec![5.0, 2.0])), ..Default::default() };
        assert_eq!(err(o), "clipTimestamps must be in increasing order");
    }

    #[test]
    fn normalized_and_batched() {
        let o = TranscribeOptions { temperature: Some(Either::A(0.0)), clip_timestamps: Some(Either::A("1,2".into())), ..Default::default() };
        let n = o.normalized().unwrap();
        assert!(matches!(n.temperature, Some(Either::B(ref v)) if v == &vec![0.0]));
        assert!(matches!(n.clip_timestamps, Some(Either::B(ref v)) if v == &vec![1.0, 2.0]));
        let b = TranscribeOptions { temperature: Some(Either::B(vec![0.2, 0.4])), ..Default::default() }.for_batched();
        let r = b.resolve().unwrap();
        assert_eq!(r.temperature, vec![0.2]);
        assert!(r.without_timestamps && !r.condition_on_previous_text);
    }

    #[test]
    fn js_numbers() {
        assert_eq!(js_number(1e9), "1000000000");
        assert_eq!(js_number(0.5), "0.5");
        assert_eq!(js_number(-1.0), "-1");
        assert_eq!(js_number(f64::INFINITY), "null");
        assert_eq!(js_number(1e21), "1e+21");
    }
}
