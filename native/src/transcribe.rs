//! Sequential long-form transcription, as faster-whisper's `WhisperModel.transcribe`:
//! seek over 30 s windows, decode with temperature fallback, cut segments at timestamp
//! tokens, optionally add word timestamps and skip hallucinated silence.

use std::io::Write;

use anyhow::{anyhow, bail, Result};
use ct2rs::sys::{StorageView, WhisperOptions};

use crate::control::Control;
use crate::engine::Engine;
use crate::features::{Features, FRAMES_PER_SECOND, N_FRAMES, SAMPLE_RATE, TIME_PER_FRAME};
use crate::languages::LANGUAGE_CODES;
use crate::options::TranscribeOptions;
use crate::result::{Info, LanguageDetection, Segment, Transcription};
use crate::word_timestamps::{add_word_timestamps, get_end, SubSegment};

pub const MAX_LENGTH: usize = 448;
const TIME_PRECISION: f64 = 0.02;
const INPUT_STRIDE: usize = 2;
const PUNCTUATION: &str = "\"'“¿([{-\"'.。,，!！?？:：”)]}、";

pub struct DecodeResult {
    pub tokens: Vec<usize>,
    pub no_speech_prob: f64,
    pub avg_logprob: f64,
    pub temperature: f32,
    pub compression_ratio: f64,
}

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

/// Checks a requested language against the model and returns the one to use.
pub fn resolve_language(engine: &Engine, language: &str) -> Result<String> {
    let code = language.trim().to_lowercase();
    if !LANGUAGE_CODES.contains(&code.as_str()) {
        bail!(
            "unknown language code {language:?} (expected one of: {})",
            LANGUAGE_CODES.join(", ")
        );
    }
    // An English-only model transcribes English whatever it is told, as faster-whisper does.
    if !engine.is_multilingual() {
        return Ok("en".into());
    }
    Ok(code)
}

impl Engine {
    /// faster-whisper's `detect_language` over up to `segments` windows of `features`.
    pub fn detect_language_features(
        &self,
        features: &Features,
        start_frame: usize,
        segments: usize,
        window_frames: usize,
        threshold: f64,
    ) -> Result<LanguageDetection> {
        let end = (start_frame + segments * window_frames).min(features.n_frames);
        let mut counts: Vec<(String, Vec<f64>)> = Vec::new();
        let mut all: Vec<(String, f64)>;
        let mut i = start_frame;
        loop {
            let len = (end.saturating_sub(i)).min(window_frames);
            let encoded = self.encode_window(features, i, len)?;
            all = self
                .detect_language(&encoded)?
                .into_iter()
                .next()
                .ok_or_else(|| anyhow!("language detection returned nothing"))?;
            let (lang, p) = all.first().cloned().ok_or_else(|| anyhow!("language detection returned nothing"))?;
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
        // No window was sure: the language seen most often, at its best probability.
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
    pub fn detect_language_audio(&self, audio: &[f32], segments: usize, threshold: f64) -> Result<LanguageDetection> {
        if !self.is_multilingual() {
            return Ok(LanguageDetection {
                language: "en".into(),
                language_probability: 1.0,
                all_language_probs: vec![("en".into(), 1.0)],
            });
        }
        let n = audio.len().min(segments * N_FRAMES * crate::features::HOP_LENGTH);
        let features = self.extractor.compute(&audio[..n]);
        self.detect_language_features(&features, 0, segments, N_FRAMES, threshold)
    }

    pub fn get_prompt(
        &self,
        sot_sequence: &[usize],
        previous_tokens: &[usize],
        without_timestamps: bool,
        prefix: Option<&str>,
        hotwords: Option<&str>,
    ) -> Result<Vec<usize>> {
        let tok = &self.tokenizer;
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
    pub fn max_length_for(&self, prompt_len: usize, max_new_tokens: Option<usize>) -> Result<usize> {
        let max_length = match max_new_tokens {
            Some(n) => prompt_len + n,
            None => MAX_LENGTH,
        };
        if max_length > MAX_LENGTH {
            bail!(
                "the prompt is {prompt_len} tokens and maxNewTokens {}: together {max_length}, more than the model's limit of {MAX_LENGTH}",
                max_length - prompt_len
            );
        }
        Ok(max_length)
    }

    pub fn base_whisper_options(&self, opts: &TranscribeOptions, suppress: &[i32], max_length: usize) -> WhisperOptions {
        WhisperOptions {
            beam_size: opts.beam_size,
            patience: opts.patience,
            length_penalty: opts.length_penalty,
            repetition_penalty: opts.repetition_penalty,
            no_repeat_ngram_size: opts.no_repeat_ngram_size,
            max_length,
            return_scores: true,
            return_no_speech_prob: true,
            suppress_blank: opts.suppress_blank,
            suppress_tokens: suppress.to_vec(),
            max_initial_timestamp_index: (opts.max_initial_timestamp / TIME_PRECISION).round() as usize,
            ..Default::default()
        }
    }

    /// Decodes one window, retrying at the next temperature while the result looks wrong.
    pub fn generate_with_fallback(
        &self,
        encoded: &StorageView,
        prompt: &[usize],
        opts: &TranscribeOptions,
        suppress: &[i32],
        control: &Control,
    ) -> Result<DecodeResult> {
        let max_length = self.max_length_for(prompt.len(), opts.max_new_tokens)?;
        let mut all_results: Vec<DecodeResult> = Vec::new();
        let mut below_cr: Vec<usize> = Vec::new();
        for &temperature in &opts.temperature {
            control.check()?;
            let mut wo = self.base_whisper_options(opts, suppress, max_length);
            if temperature > 0.0 {
                wo.beam_size = 1;
                wo.num_hypotheses = opts.best_of;
                wo.sampling_topk = 0;
                wo.sampling_temperature = temperature;
            }
            let generated = self
                .generate(encoded, &[prompt.to_vec()], &wo)?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next())
                .ok_or_else(|| anyhow!("the decoder returned no hypothesis"))?;
            let seq_len = generated.tokens.len() as f64;
            let cum_logprob = generated.score as f64 * seq_len.powf(opts.length_penalty as f64);
            let avg_logprob = cum_logprob / (seq_len + 1.0);
            let text = self.tokenizer.decode(&generated.tokens);
            let ratio = compression_ratio(text.trim());
            let result = DecodeResult {
                tokens: generated.tokens,
                no_speech_prob: generated.no_speech_prob as f64,
                avg_logprob,
                temperature,
                compression_ratio: ratio,
            };
            let mut needs_fallback = false;
            if let Some(th) = opts.compression_ratio_threshold {
                if ratio > th {
                    needs_fallback = true;
                } else {
                    below_cr.push(all_results.len());
                }
            }
            if let Some(lp) = opts.log_prob_threshold {
                if avg_logprob < lp {
                    needs_fallback = true;
                }
            }
            if let (Some(ns), Some(lp)) = (opts.no_speech_threshold, opts.log_prob_threshold) {
                if result.no_speech_prob > ns && avg_logprob < lp {
                    needs_fallback = false; // silence
                }
            }
            if !needs_fallback {
                return Ok(result);
            }
            all_results.push(result);
        }
        // Every temperature failed: keep the most likely result, preferring non-repetitive ones.
        let last_temperature = *opts.temperature.last().unwrap();
        let candidates: Vec<usize> = if below_cr.is_empty() { (0..all_results.len()).collect() } else { below_cr };
        let best = candidates
            .into_iter()
            .fold(None::<usize>, |acc, i| match acc {
                Some(a) if all_results[a].avg_logprob >= all_results[i].avg_logprob => Some(a),
                _ => Some(i),
            })
            .unwrap();
        let mut result = all_results.swap_remove(best);
        result.temperature = last_temperature;
        Ok(result)
    }

    /// Cuts a window's tokens into segments at consecutive timestamp tokens.
    /// Returns the segments, the next seek and whether the window ended on a single timestamp.
    pub(crate) fn split_segments_by_timestamps(
        &self,
        tokens: &[usize],
        time_offset: f64,
        segment_size: usize,
        segment_duration: f64,
        seek: usize,
    ) -> (Vec<SubSegment>, usize, bool) {
        let tb = self.tokenizer.timestamp_begin;
        let mut out = Vec::new();
        let n = tokens.len();
        let single_timestamp_ending = n >= 2 && tokens[n - 2] < tb && tb <= tokens[n - 1];
        let consecutive: Vec<usize> = (1..n).filter(|&i| tokens[i] >= tb && tokens[i - 1] >= tb).collect();
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
                out.push(SubSegment {
                    seek,
                    start: time_offset + start_pos * TIME_PRECISION,
                    end: time_offset + end_pos * TIME_PRECISION,
                    tokens: sliced.to_vec(),
                    words: Vec::new(),
                });
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
            out.push(SubSegment {
                seek,
                start: time_offset,
                end: time_offset + duration,
                tokens: tokens.to_vec(),
                words: Vec::new(),
            });
            next_seek += segment_size;
        }
        (out, next_seek, single_timestamp_ending)
    }

    /// Transcribes 16 kHz mono audio.
    pub fn transcribe(&self, audio: &[f32], opts: &TranscribeOptions, control: &Control) -> Result<Transcription> {
        opts.validate()?;
        let duration = audio.len() as f64 / SAMPLE_RATE as f64;
        control.set_total(duration);
        let features = self.extractor.compute(audio);
        control.check()?;
        let window_frames = opts.chunk_length.map(|c| c * FRAMES_PER_SECOND).unwrap_or(N_FRAMES);
        let multilingual = opts.multilingual && self.is_multilingual();

        let (language, language_probability, all_language_probs) = match &opts.language {
            Some(l) => (resolve_language(self, l)?, 1.0, None),
            None if !self.is_multilingual() => ("en".to_string(), 1.0, None),
            None => {
                let content_frames = features.n_frames.saturating_sub(1);
                let start = opts.clip_timestamps.first().copied().unwrap_or(0.0);
                let start_frame = (start * FRAMES_PER_SECOND as f64) as usize;
                let seek = if (start * FRAMES_PER_SECOND as f64) < content_frames as f64 { start_frame } else { 0 };
                let d = self.detect_language_features(
                    &features,
                    seek,
                    opts.language_detection_segments,
                    window_frames,
                    opts.language_detection_threshold.map(|t| t as f64).unwrap_or(0.5),
                )?;
                (d.language, d.language_probability, Some(d.all_language_probs))
            }
        };
        let segments = self.generate_segments(&features, &language, opts, multilingual, window_frames, control)?;
        control.set_done(duration);
        Ok(Transcription {
            segments,
            info: Info {
                language,
                language_probability,
                duration,
                duration_after_vad: duration,
                all_language_probs,
            },
        })
    }

    fn generate_segments(
        &self,
        features: &Features,
        language: &str,
        opts: &TranscribeOptions,
        multilingual: bool,
        window_frames: usize,
        control: &Control,
    ) -> Result<Vec<Segment>> {
        let tok = &self.tokenizer;
        let content_frames = features.n_frames.saturating_sub(1);
        let content_duration = content_frames as f64 * TIME_PER_FRAME;
        let mut seek_points: Vec<usize> = opts
            .clip_timestamps
            .iter()
            .map(|ts| (ts * FRAMES_PER_SECOND as f64).round() as usize)
            .collect();
        if seek_points.is_empty() {
            seek_points.push(0);
        }
        if seek_points.len() % 2 == 1 {
            seek_points.push(content_frames);
        }
        let clips: Vec<(usize, usize)> = seek_points.chunks(2).map(|c| (c[0], c[1])).collect();
        let suppress = tok.resolve_suppressed(&opts.suppress_tokens);

        let mut language = language.to_string();
        let mut segments_out: Vec<Segment> = Vec::new();
        let mut all_tokens: Vec<usize> = Vec::new();
        let mut prompt_reset_since = 0;
        if let Some(p) = &opts.initial_prompt {
            all_tokens.extend(tok.encode(&format!(" {}", p.trim()))?);
        }
        let mut idx = 0;
        let mut clip_idx = 0;
        let mut seek = clips[0].0;
        let mut last_speech_timestamp = 0.0f64;

        while clip_idx < clips.len() {
            control.check()?;
            let (clip_start, mut clip_end) = clips[clip_idx];
            if clip_end > content_frames {
                clip_end = content_frames;
            }
            if seek < clip_start {
                seek = clip_start;
            }
            if seek >= clip_end {
                clip_idx += 1;
                if clip_idx < clips.len() {
                    seek = clips[clip_idx].0;
                }
                continue;
            }
            let time_offset = seek as f64 * TIME_PER_FRAME;
            let window_end_time = (seek + window_frames) as f64 * TIME_PER_FRAME;
            let segment_size = window_frames.min(content_frames - seek).min(clip_end - seek);
            let segment_duration = segment_size as f64 * TIME_PER_FRAME;
            let previous_tokens = all_tokens[prompt_reset_since..].to_vec();
            let encoded = self.encode_window(features, seek, segment_size)?;

            if multilingual {
                if let Some((code, _)) = self.detect_language(&encoded)?.into_iter().next().and_then(|v| v.into_iter().next()) {
                    language = code;
                }
            }
            let sot_sequence = tok.sot_sequence(&language, &opts.task);
            let prompt = self.get_prompt(
                &sot_sequence,
                &previous_tokens,
                opts.without_timestamps,
                if seek == 0 { opts.prefix.as_deref() } else { None },
                opts.hotwords.as_deref(),
            )?;
            let result = self.generate_with_fallback(&encoded, &prompt, opts, &suppress, control)?;

            if let Some(ns) = opts.no_speech_threshold {
                let mut should_skip = result.no_speech_prob > ns;
                if let Some(lp) = opts.log_prob_threshold {
                    if result.avg_logprob > lp {
                        should_skip = false;
                    }
                }
                if should_skip {
                    seek += segment_size;
                    control.set_done(seek.min(content_frames) as f64 * TIME_PER_FRAME);
                    continue;
                }
            }

            let previous_seek = seek;
            let (mut current, next_seek, single_timestamp_ending) =
                self.split_segments_by_timestamps(&result.tokens, time_offset, segment_size, segment_duration, seek);
            seek = next_seek;

            if opts.word_timestamps {
                let mut groups = vec![current];
                add_word_timestamps(
                    self,
                    &language,
                    &sot_sequence,
                    &mut groups,
                    &encoded,
                    &[segment_size],
                    &opts.prepend_punctuations,
                    &opts.append_punctuations,
                    last_speech_timestamp,
                )?;
                current = groups.pop().unwrap();
                if !single_timestamp_ending {
                    if let Some(last_word_end) = get_end(&current) {
                        if last_word_end > time_offset {
                            seek = (last_word_end * FRAMES_PER_SECOND as f64).round() as usize;
                        }
                    }
                }
                if let Some(threshold) = opts.hallucination_silence_threshold {
                    // A hallucination right after a long silence: skip the silence and decode again.
                    let first = current.iter().find(|s| !s.words.is_empty());
                    if let Some(first) = first {
                        if is_segment_anomaly(first) {
                            let gap = first.start - time_offset;
                            if gap > threshold {
                                seek = previous_seek + (gap * FRAMES_PER_SECOND as f64).round() as usize;
                                continue;
                            }
                        }
                    }
                    let mut hal_last_end = last_speech_timestamp;
                    let mut si = 0;
                    while si < current.len() {
                        if current[si].words.is_empty() {
                            si += 1;
                            continue;
                        }
                        let segment = &current[si];
                        if is_segment_anomaly(segment) {
                            let next = current[si + 1..].iter().find(|s| !s.words.is_empty());
                            let hal_next_start = match next {
                                Some(n) => n.words[0].start,
                                None => time_offset + segment_duration,
                            };
                            let silence_before = segment.start - hal_last_end > threshold
                                || segment.start < threshold
                                || segment.start - time_offset < 2.0;
                            let silence_after = hal_next_start - segment.end > threshold
                                || next.map_or(false, is_segment_anomaly)
                                || window_end_time - segment.end < 2.0;
                            if silence_before && silence_after {
                                seek = ((time_offset + 1.0).max(segment.start) * FRAMES_PER_SECOND as f64).round() as usize;
                                if content_duration - segment.end < threshold {
                                    seek = content_frames;
                                }
                                current.truncate(si);
                                break;
                            }
                        }
                        hal_last_end = current[si].end;
                        si += 1;
                    }
                }
                if let Some(end) = get_end(&current) {
                    last_speech_timestamp = end;
                }
            }

            for sub in current {
                let text = tok.decode(&sub.tokens);
                if sub.start == sub.end || text.trim().is_empty() {
                    continue;
                }
                all_tokens.extend_from_slice(&sub.tokens);
                idx += 1;
                segments_out.push(Segment {
                    id: idx,
                    seek: previous_seek,
                    start: sub.start,
                    end: sub.end,
                    text,
                    tokens: sub.tokens,
                    avg_logprob: result.avg_logprob,
                    compression_ratio: result.compression_ratio,
                    no_speech_prob: result.no_speech_prob,
                    words: if opts.word_timestamps { Some(sub.words) } else { None },
                    temperature: result.temperature,
                });
                control.push_segment(segments_out.last().unwrap());
            }
            if !opts.condition_on_previous_text || result.temperature > opts.prompt_reset_on_temperature {
                prompt_reset_since = all_tokens.len();
            }
            control.set_done(seek.min(content_frames) as f64 * TIME_PER_FRAME);
        }
        Ok(segments_out)
    }
}

fn word_anomaly_score(w: &crate::result::Word) -> f64 {
    let duration = w.end - w.start;
    let mut score = 0.0;
    if w.probability < 0.15 {
        score += 1.0;
    }
    if duration < 0.133 {
        score += (0.133 - duration) * 15.0;
    }
    if duration > 2.0 {
        score += duration - 2.0;
    }
    score
}

fn is_segment_anomaly(segment: &SubSegment) -> bool {
    if segment.words.is_empty() {
        return false;
    }
    let words: Vec<_> = segment
        .words
        .iter()
        .filter(|w| !PUNCTUATION.contains(w.word.as_str()))
        .take(8)
        .collect();
    let score: f64 = words.iter().map(|w| word_anomaly_score(w)).sum();
    score >= 3.0 || score + 0.01 >= words.len() as f64
}
