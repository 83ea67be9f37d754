//! The transcription pipelines, as faster-whisper composes them: a pipeline holds a model.
//! `SequentialPipeline` is faster-whisper's `WhisperModel.transcribe` (30 s windows in turn,
//! temperature fallback, conditioning on previous text); `BatchedPipeline` its
//! `BatchedInferencePipeline` (speech chunks decoded in batches). What both use is here:
//! language resolution and detection, prompts, CTranslate2's decoding options, the scores of a
//! hypothesis, and cutting tokens into segments at timestamp tokens.
//!
//! Nothing here knows Node-API: binding.rs calls in, `cargo test` tests without Node.

mod batched;
mod fallback;
mod sentences;
mod sequential;

pub use batched::{encoder_batches, BatchRequest, BatchedPipeline, Chunk};
pub use sequential::SequentialPipeline;

use std::io::Write;

use ct2rs::sys::{StorageView, WhisperOptions};

use crate::engine::features::{FeatureSource, HOP_LENGTH, INPUT_STRIDE, N_FRAMES, TIME_PRECISION};
use crate::engine::languages::LANGUAGE_CODES;
use crate::engine::model::WhisperModel;
use crate::engine::result::{LanguageDetection, LanguageProbs, Segment, Transcription, TranscriptionInfo};
use crate::engine::timings::{measure, Stage};
use crate::engine::word_timestamps::SubSegment;
use crate::error::{input_error, Error, Result};
use crate::options::DecodeOptions;

/// The most tokens the decoder holds: prompt and output together.
pub const MAX_LENGTH: usize = 448;

/// gzip-style compression ratio of the text (zlib at its default level, as Python's `zlib.compress`).
pub fn compression_ratio(text: &str) -> f64 {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(bytes).expect("in-memory write");
    let compressed = enc.finish().expect("in-memory write");
    bytes.len() as f64 / compressed.len() as f64
}

/// faster-whisper's average log probability of a hypothesis: its score (CTranslate2's
/// length-normalised log probability) back to the cumulative one, over the tokens plus one.
pub fn avg_logprob(score: f32, tokens: usize, length_penalty: f64) -> f64 {
    let seq_len = tokens as f64;
    score as f64 * seq_len.powf(length_penalty) / (seq_len + 1.0)
}

/// The language of a transcription and how it was decided.
pub struct LanguageChoice {
    pub language: String,
    pub probability: f64,
    /// Every language's probability, when it was detected.
    pub all: Option<LanguageProbs>,
}

impl LanguageChoice {
    /// The transcription of `segments` in this language, with the info both pipelines report.
    pub fn into_transcription(self, segments: Vec<Segment>, duration: f64, duration_after_vad: f64) -> Transcription {
        Transcription {
            segments,
            info: TranscriptionInfo {
                language: self.language,
                language_probability: self.probability,
                duration,
                duration_after_vad,
                all_language_probs: self.all,
            },
        }
    }
}

/// The language to transcribe in: the one asked for (checked against Whisper's codes; English
/// on an English-only model, as faster-whisper does), English on an English-only model, else
/// the one `detect` finds.
pub fn choose_language(
    model: &WhisperModel,
    opts: &DecodeOptions,
    detect: impl FnOnce() -> Result<LanguageDetection>,
) -> Result<LanguageChoice> {
    Ok(match &opts.language {
        Some(asked) => {
            let code = asked.trim().to_lowercase();
            if !LANGUAGE_CODES.contains(&code.as_str()) {
                input_error!("unknown language code {asked:?} (expected one of: {})", LANGUAGE_CODES.join(", "));
            }
            let language = if model.is_multilingual() { code } else { "en".into() };
            LanguageChoice { language, probability: 1.0, all: None }
        }
        None if !model.is_multilingual() => LanguageChoice { language: "en".into(), probability: 1.0, all: None },
        None => {
            let d = detect()?;
            LanguageChoice { language: d.language, probability: d.language_probability, all: Some(d.all_language_probs) }
        }
    })
}

/// faster-whisper's `detect_language` over up to `segments` windows of `features` from
/// `start_frame`: the first window surer than `threshold`, else the language seen most often,
/// at its best probability.
pub fn detect_language_features(
    model: &WhisperModel,
    features: &dyn FeatureSource,
    start_frame: usize,
    segments: usize,
    window_frames: usize,
    threshold: f64,
) -> Result<LanguageDetection> {
    let nothing = || Error::engine("language detection returned nothing");
    let end = (start_frame + segments * window_frames).min(features.n_frames());
    let mut counts: Vec<(String, Vec<f64>)> = Vec::new();
    let mut all: LanguageProbs;
    let mut i = start_frame;
    loop {
        let len = (end.saturating_sub(i)).min(window_frames);
        let encoded = model.encode_window(features, i, len)?;
        all = model.detect_language(&encoded)?.into_iter().next().ok_or_else(nothing)?;
        let (lang, p) = all.first().cloned().ok_or_else(nothing)?;
        if p > threshold {
            return Ok(LanguageDetection { language: lang, language_probability: p, all_language_probs: all });
        }
        match counts.iter_mut().find(|(l, _)| *l == lang) {
            Some((_, v)) => v.push(p),
            None => counts.push((lang, vec![p])),
        }
        i += window_frames;
        if i >= end {
            break;
        }
    }
    let mut best = &counts[0];
    for c in &counts {
        if c.1.len() > best.1.len() {
            best = c;
        }
    }
    let p = best.1.iter().cloned().fold(f64::MIN, f64::max);
    Ok(LanguageDetection { language: best.0.clone(), language_probability: p, all_language_probs: all })
}

/// Detects the language of 16 kHz mono audio (its first `segments` windows).
pub fn detect_language(model: &WhisperModel, audio: &[f32], segments: usize, threshold: f64) -> Result<LanguageDetection> {
    if !model.is_multilingual() {
        return Ok(LanguageDetection {
            language: "en".into(),
            language_probability: 1.0,
            all_language_probs: vec![("en".into(), 1.0)],
        });
    }
    let n = audio.len().min(segments * N_FRAMES * HOP_LENGTH);
    let features = measure(Stage::Features, || model.extractor.compute(&audio[..n]));
    detect_language_features(model, &features, 0, segments, N_FRAMES, threshold)
}

/// The language each item of an encoded batch is in (the best of its probabilities).
pub fn detected_languages(model: &WhisperModel, encoded: &StorageView) -> Result<Vec<Option<String>>> {
    Ok(model.detect_language(encoded)?.into_iter().map(|probs| probs.into_iter().next().map(|(code, _)| code)).collect())
}

/// faster-whisper's `get_prompt`: previous text (or hotwords) after `<|startofprev|>`, the
/// start-of-transcript sequence, `<|notimestamps|>`, then the prefix.
pub fn get_prompt(
    model: &WhisperModel,
    sot_sequence: &[usize],
    previous_tokens: &[usize],
    without_timestamps: bool,
    prefix: Option<&str>,
    hotwords: Option<&str>,
) -> Result<Vec<usize>> {
    let tok = &model.tokenizer;
    let prefix = prefix.filter(|p| !p.is_empty());
    let hotwords = hotwords.filter(|h| !h.is_empty());
    let mut prompt = Vec::new();
    if !previous_tokens.is_empty() || (hotwords.is_some() && prefix.is_none()) {
        prompt.push(tok.sot_prev);
        if let (Some(h), None) = (hotwords, prefix) {
            let mut t = tok.encode(&format!(" {}", h.trim()))?;
            if t.len() >= MAX_LENGTH / 2 {
                t.truncate(MAX_LENGTH / 2 - 1);
            }
            prompt.extend(t);
        }
        let keep = MAX_LENGTH / 2 - 1;
        let from = previous_tokens.len().saturating_sub(keep);
        prompt.extend_from_slice(&previous_tokens[from..]);
    }
    prompt.extend_from_slice(sot_sequence);
    if without_timestamps {
        prompt.push(tok.no_timestamps);
    }
    if let Some(p) = prefix {
        let mut t = tok.encode(&format!(" {}", p.trim()))?;
        if t.len() >= MAX_LENGTH / 2 {
            t.truncate(MAX_LENGTH / 2 - 1);
        }
        if !without_timestamps {
            prompt.push(tok.timestamp_begin);
        }
        prompt.extend(t);
    }
    Ok(prompt)
}

/// The length limit for a prompt, checked as faster-whisper checks it.
pub fn max_length_for(prompt_len: usize, max_new_tokens: Option<usize>) -> Result<usize> {
    let max_length = match max_new_tokens {
        Some(n) => prompt_len + n,
        None => MAX_LENGTH,
    };
    if max_length > MAX_LENGTH {
        input_error!(
            "the prompt is {prompt_len} tokens and maxNewTokens {}: together {max_length}, more than the model's limit of {MAX_LENGTH}",
            max_length - prompt_len
        );
    }
    Ok(max_length)
}

/// CTranslate2's decoding options for beam search (the fallback turns on sampling).
pub fn whisper_options(opts: &DecodeOptions, suppress: &[i32], max_length: usize) -> WhisperOptions {
    WhisperOptions {
        beam_size: opts.beam_size as usize,
        patience: opts.patience as f32,
        length_penalty: opts.length_penalty as f32,
        repetition_penalty: opts.repetition_penalty as f32,
        no_repeat_ngram_size: opts.no_repeat_ngram_size as usize,
        max_length,
        return_scores: true,
        return_no_speech_prob: true,
        suppress_blank: opts.suppress_blank,
        suppress_tokens: suppress.to_vec(),
        max_initial_timestamp_index: (opts.max_initial_timestamp / TIME_PRECISION).round() as usize,
        ..Default::default()
    }
}

/// A window's tokens cut into segments.
#[derive(Debug)]
pub struct Split {
    pub segments: Vec<SubSegment>,
    /// Where the next window starts (frames).
    pub next_seek: usize,
    /// The window ended on a single timestamp token (its last segment runs to the window's end).
    pub single_timestamp_ending: bool,
}

/// faster-whisper's `_split_segments_by_timestamps`: cuts a window's tokens into segments at
/// consecutive timestamp tokens (`timestamp_begin` and up), in seconds from `time_offset`.
pub fn split_segments_by_timestamps(
    timestamp_begin: usize,
    tokens: &[usize],
    time_offset: f64,
    segment_size: usize,
    segment_duration: f64,
    seek: usize,
) -> Split {
    let tb = timestamp_begin;
    let mut out = Vec::new();
    let n = tokens.len();
    let single_timestamp_ending = n >= 2 && tokens[n - 2] < tb && tb <= tokens[n - 1];
    let consecutive: Vec<usize> = (1..n).filter(|&i| tokens[i] >= tb && tokens[i - 1] >= tb).collect();
    let segment = |start: f64, end: f64, tokens: &[usize]| SubSegment { seek, start, end, tokens: tokens.to_vec(), words: Vec::new(), word_tokens: Vec::new() };
    let mut next_seek = seek;
    if !consecutive.is_empty() {
        let mut slices = consecutive;
        if single_timestamp_ending {
            slices.push(n);
        }
        let mut last_slice = 0;
        for &current in &slices {
            let sliced = &tokens[last_slice..current];
            let start_pos = sliced[0] as f64 - tb as f64;
            let end_pos = *sliced.last().unwrap() as f64 - tb as f64;
            out.push(segment(time_offset + start_pos * TIME_PRECISION, time_offset + end_pos * TIME_PRECISION, sliced));
            last_slice = current;
        }
        if single_timestamp_ending {
            next_seek += segment_size;
        } else {
            let last_pos = tokens[last_slice - 1] - tb;
            next_seek += last_pos * INPUT_STRIDE;
        }
    } else {
        let mut duration = segment_duration;
        if let Some(&last) = tokens.iter().filter(|&&t| t >= tb).last() {
            if last != tb {
                duration = (last - tb) as f64 * TIME_PRECISION;
            }
        }
        out.push(segment(time_offset, time_offset + duration, tokens));
        next_seek += segment_size;
    }
    Split { segments: out, next_seek, single_timestamp_ending }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TB: usize = 50364; // tiny.en's <|0.00|>

    #[test]
    fn compression_ratio_is_pythons_zlib() {
        assert_eq!(compression_ratio(""), 0.0);
        // Python: len(zlib.compress(b"hello hello hello hello")) == 16.
        assert_eq!(compression_ratio("hello hello hello hello"), 23.0 / 16.0);
        // Python: 640 / len(zlib.compress(("the same words again and again. " * 20).encode())).
        assert!((compression_ratio(&"the same words again and again. ".repeat(20)) - 14.883720930232558).abs() < 1e-12);
        let repetitive = "the same words again and again. ".repeat(20);
        assert!(compression_ratio(&repetitive) > 2.4, "repetition compresses well");
        assert!(compression_ratio("And so, my fellow Americans, ask not") < 2.4);
    }

    #[test]
    fn average_log_probability() {
        assert_eq!(avg_logprob(-0.5, 9, 1.0), -0.5 * 9.0 / 10.0);
        assert_eq!(avg_logprob(-1.0, 0, 1.0), 0.0);
        assert!((avg_logprob(-0.5, 4, 0.5) - (-0.5 * 2.0 / 5.0)).abs() < 1e-12);
    }

    #[test]
    fn segments_at_consecutive_timestamps() {
        // <|0.00|> a b <|1.00|><|1.00|> c <|2.50|><|2.50|> d <|3.00|>: a single timestamp ending.
        let tokens = [TB, 1, 2, TB + 50, TB + 50, 3, TB + 125, TB + 125, 4, TB + 150];
        let s = split_segments_by_timestamps(TB, &tokens, 10.0, 3000, 30.0, 1000);
        let spans: Vec<(f64, f64, usize)> = s.segments.iter().map(|x| (x.start, x.end, x.tokens.len())).collect();
        assert_eq!(spans, vec![(10.0, 11.0, 4), (11.0, 12.5, 3), (12.5, 13.0, 3)]);
        assert!(s.single_timestamp_ending);
        assert_eq!(s.next_seek, 1000 + 3000);
        assert!(s.segments.iter().all(|x| x.seek == 1000));

        // Ending on a pair: the next window starts at the last timestamp (2 frames per token).
        let tokens = [TB, 1, TB + 100, TB + 100, 2, TB + 200, TB + 200];
        let s = split_segments_by_timestamps(TB, &tokens, 0.0, 3000, 30.0, 0);
        assert_eq!(s.segments.len(), 2);
        assert!(!s.single_timestamp_ending);
        assert_eq!(s.next_seek, 200 * INPUT_STRIDE);
    }

    #[test]
    fn one_segment_without_consecutive_timestamps() {
        // <|0.00|> a b <|4.20|>: one segment to the last timestamp.
        let s = split_segments_by_timestamps(TB, &[TB, 1, 2, TB + 210], 5.0, 1500, 15.0, 500);
        assert_eq!(s.segments.len(), 1);
        assert_eq!((s.segments[0].start, s.segments[0].end), (5.0, 5.0 + 210.0 * TIME_PRECISION));
        assert_eq!(s.next_seek, 2000);
        // No timestamps at all: the whole window.
        let s = split_segments_by_timestamps(TB, &[1, 2, 3], 0.0, 1500, 15.0, 0);
        assert_eq!((s.segments[0].start, s.segments[0].end), (0.0, 15.0));
    }

    #[test]
    fn one_time_step() {
        assert_eq!(TIME_PRECISION, 0.02);
        assert_eq!(crate::engine::features::TOKENS_PER_SECOND, 50.0);
        assert_eq!(crate::engine::features::FRAMES_PER_SECOND, 100);
    }
}
