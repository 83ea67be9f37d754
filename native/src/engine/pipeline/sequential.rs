//! Sequential long-form transcription, as faster-whisper's `WhisperModel.transcribe`: seek
//! over 30 s windows, decode each with temperature fallback, cut segments at timestamp tokens,
//! optionally add word timestamps and skip hallucinated silence.

use ct2rs::sys::StorageView;

use super::fallback::{decode_with_fallback, DecodeResult};
use super::{choose_language, detect_language_features, detected_languages, get_prompt, max_length_for, split_segments_by_timestamps};
use crate::engine::control::Control;
use crate::engine::features::{FeatureSource, LazyFeatures, FRAMES_PER_SECOND, N_FRAMES, SAMPLE_RATE, TIME_PER_FRAME};
use crate::engine::model::WhisperModel;
use crate::engine::result::{Segment, TokenLogprob, Transcription, Word};
use crate::engine::timings::{measure, Stage};
use crate::engine::token_logprobs::{start_of, token_logprobs};
use crate::engine::word_timestamps::{add_word_timestamps, get_end, SubSegment};
use crate::error::Result;
use crate::options::DecodeOptions;

/// Punctuation that does not count towards a segment's anomaly score.
const PUNCTUATION: &str = "\"'“¿([{-\"'.。,，!！?？:：”)]}、";

pub struct SequentialPipeline<'m> {
    model: &'m WhisperModel,
}

/// Where a window lies: from `seek` (frames), `segment_size` frames long.
struct Window {
    seek: usize,
    time_offset: f64,
    window_end_time: f64,
    segment_size: usize,
    segment_duration: f64,
}

/// What carries over from window to window.
struct State {
    language: String,
    segments: Vec<Segment>,
    /// Every emitted token (after the initial prompt's), for conditioning on previous text.
    all_tokens: Vec<usize>,
    prompt_reset_since: usize,
    last_speech_timestamp: f64,
}

/// The audio's extent in frames and seconds (the last feature frame is not content).
struct Content {
    frames: usize,
    duration: f64,
}

/// What hallucination detection decided about a window's segments.
enum Hallucination {
    /// Nothing to skip.
    None,
    /// A hallucination right after a long silence opens the window: decode again from here.
    Redo(usize),
    /// Segments from a hallucination on were dropped; the next window starts here.
    Cut(usize),
}

impl<'m> SequentialPipeline<'m> {
    pub fn new(model: &'m WhisperModel) -> Self {
        Self { model }
    }

    /// Transcribes 16 kHz mono audio.
    pub fn transcribe(&self, audio: &[f32], opts: &DecodeOptions, control: &Control) -> Result<Transcription> {
        let model = self.model;
        let duration = audio.len() as f64 / SAMPLE_RATE as f64;
        control.set_total(duration);
        let features = measure(Stage::Features, || LazyFeatures::new(&model.extractor, audio, feature_threads()));
        control.check()?;
        let window_frames = opts.chunk_length.map(|c| c as usize * FRAMES_PER_SECOND).unwrap_or(N_FRAMES);
        let language = choose_language(model, opts, || {
            // From the first clip's start, when it lies within the audio.
            let content_frames = features.n_frames().saturating_sub(1);
            let start = opts.clip_timestamps.first().copied().unwrap_or(0.0);
            let start_frame = (start * FRAMES_PER_SECOND as f64) as usize;
            let seek = if (start * FRAMES_PER_SECOND as f64) < content_frames as f64 { start_frame } else { 0 };
            detect_language_features(model, &features, seek, opts.language_detection_segments as usize, window_frames, opts.language_detection_threshold)
        })?;
        let segments = self.generate_segments(&features, &language.language, opts, window_frames, control)?;
        control.set_done(duration);
        Ok(language.into_transcription(segments, duration, duration))
    }

    /// faster-whisper's `generate_segments`: each clip's windows in turn.
    fn generate_segments(
        &self,
        features: &dyn FeatureSource,
        language: &str,
        opts: &DecodeOptions,
        window_frames: usize,
        control: &Control,
    ) -> Result<Vec<Segment>> {
        let tok = &self.model.tokenizer;
        let content_frames = features.n_frames().saturating_sub(1);
        let content = Content { frames: content_frames, duration: content_frames as f64 * TIME_PER_FRAME };
        let clips = clip_ranges(&opts.clip_timestamps, content_frames);
        let suppress = tok.resolve_suppressed(&opts.suppress_tokens);
        let mut state = State {
            language: language.to_string(),
            segments: Vec::new(),
            all_tokens: match &opts.initial_prompt {
                Some(p) => tok.encode(&format!(" {}", p.trim()))?,
                None => Vec::new(),
            },
            prompt_reset_since: 0,
            last_speech_timestamp: 0.0,
        };
        let mut clip_idx = 0;
        let mut seek = clips[0].0;
        while clip_idx < clips.len() {
            control.check()?;
            let (clip_start, clip_end) = (clips[clip_idx].0, clips[clip_idx].1.min(content_frames));
            seek = seek.max(clip_start);
            if seek >= clip_end {
                clip_idx += 1;
                if clip_idx < clips.len() {
                    seek = clips[clip_idx].0;
                }
                continue;
            }
            let segment_size = window_frames.min(content_frames - seek).min(clip_end - seek);
            let window = Window {
                seek,
                time_offset: seek as f64 * TIME_PER_FRAME,
                window_end_time: (seek + window_frames) as f64 * TIME_PER_FRAME,
                segment_size,
                segment_duration: segment_size as f64 * TIME_PER_FRAME,
            };
            seek = self.transcribe_window(&mut state, features, &window, &content, opts, &suppress, control)?;
            control.set_done(seek.min(content_frames) as f64 * TIME_PER_FRAME);
        }
        Ok(state.segments)
    }

    /// Decodes one window, adds its segments to `state`, and returns where the next one starts.
    #[allow(clippy::too_many_arguments)]
    fn transcribe_window(
        &self,
        state: &mut State,
        features: &dyn FeatureSource,
        w: &Window,
        content: &Content,
        opts: &DecodeOptions,
        suppress: &[i32],
        control: &Control,
    ) -> Result<usize> {
        let model = self.model;
        let tok = &model.tokenizer;
        let previous_tokens = state.all_tokens[state.prompt_reset_since..].to_vec();
        let encoded = model.encode_window(features, w.seek, w.segment_size)?;
        if opts.multilingual && model.is_multilingual() {
            // Each window in its own language.
            if let Some(code) = detected_languages(model, &encoded)?.into_iter().next().flatten() {
                state.language = code;
            }
        }
        let sot_sequence = tok.sot_sequence(&state.language, &opts.task);
        let prefix = if w.seek == 0 { opts.prefix.as_deref() } else { None };
        let prompt = get_prompt(model, &sot_sequence, &previous_tokens, opts.without_timestamps, prefix, opts.hotwords.as_deref())?;
        let max_length = max_length_for(prompt.len(), opts.max_new_tokens.map(|n| n as usize))?;
        let result = decode_with_fallback(model, &encoded, &prompt, opts, suppress, max_length, control, Vec::new())?;
        if is_silence(&result, opts) {
            return Ok(w.seek + w.segment_size);
        }

        let split = split_segments_by_timestamps(tok.timestamp_begin, &result.tokens, w.time_offset, w.segment_size, w.segment_duration, w.seek);
        let mut seek = split.next_seek;
        let mut current = split.segments;
        if opts.word_timestamps {
            current = self.add_words(current, state, &sot_sequence, &encoded, w, opts)?;
            if !split.single_timestamp_ending {
                // The next window starts at the last word's end.
                if let Some(last_word_end) = get_end(&current) {
                    if last_word_end > w.time_offset {
                        seek = (last_word_end * FRAMES_PER_SECOND as f64).round() as usize;
                    }
                }
            }
            if let Some(threshold) = opts.hallucination_silence_threshold {
                match skip_hallucinations(&mut current, w, content, threshold, state.last_speech_timestamp) {
                    Hallucination::None => {}
                    Hallucination::Redo(at) => return Ok(at),
                    Hallucination::Cut(at) => seek = at,
                }
            }
            if let Some(end) = get_end(&current) {
                state.last_speech_timestamp = end;
            }
        }

        let logprobs = if opts.token_logprobs {
            let sot_position = prompt.iter().position(|&t| t == tok.sot).unwrap_or(0);
            let start = start_of(&prompt, sot_position, sot_sequence.len());
            token_logprobs(model, &[Some(start)], &[&current[..]], &encoded, &[w.segment_size])?.pop().flatten()
        } else {
            None
        };
        self.push_segments(state, current, logprobs, w, &result, opts, control);
        if !opts.condition_on_previous_text || result.temperature > opts.prompt_reset_on_temperature {
            state.prompt_reset_since = state.all_tokens.len();
        }
        Ok(seek)
    }

    /// Words for one window's segments (one alignment call). The end of the last speech is the
    /// state's, which this does not move.
    fn add_words(&self, current: Vec<SubSegment>, state: &State, sot_sequence: &[usize], encoded: &StorageView, w: &Window, opts: &DecodeOptions) -> Result<Vec<SubSegment>> {
        let mut groups = vec![current];
        add_word_timestamps(
            self.model,
            &state.language,
            sot_sequence,
            &mut groups,
            encoded,
            &[w.segment_size],
            &opts.prepend_punctuations,
            &opts.append_punctuations,
            &[0],
            &mut [state.last_speech_timestamp],
        )?;
        Ok(groups.pop().unwrap())
    }

    /// Adds a window's segments that have text and length to `state` (with their token log
    /// probabilities, when asked for), and reports them.
    #[allow(clippy::too_many_arguments)]
    fn push_segments(
        &self,
        state: &mut State,
        current: Vec<SubSegment>,
        logprobs: Option<Vec<Vec<TokenLogprob>>>,
        w: &Window,
        result: &DecodeResult,
        opts: &DecodeOptions,
        control: &Control,
    ) {
        let tok = &self.model.tokenizer;
        let mut logprobs = logprobs.map(Vec::into_iter);
        for sub in current {
            let token_logprobs = logprobs.as_mut().map(|l| l.next().unwrap_or_default());
            let text = tok.decode(&sub.tokens);
            if sub.start == sub.end || text.trim().is_empty() {
                continue;
            }
            state.all_tokens.extend_from_slice(&sub.tokens);
            state.segments.push(Segment {
                id: state.segments.len() as u32 + 1,
                seek: w.seek as u32,
                start: sub.start,
                end: sub.end,
                text,
                tokens: sub.tokens.iter().map(|&t| t as u32).collect(),
                avg_logprob: result.avg_logprob,
                compression_ratio: result.compression_ratio,
                no_speech_prob: result.no_speech_prob,
                words: if opts.word_timestamps { Some(sub.words) } else { None },
                temperature: result.temperature,
                token_logprobs,
            });
            control.push_segment(state.segments.last().unwrap());
        }
    }
}

/// Threads for the features' pass over the whole audio: the cores, as the engine's own
/// default, since nothing else runs yet when it does.
fn feature_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8)
}

/// The clips to transcribe, as (start, end) frames: `clip_timestamps` in pairs, an odd one
/// ending at the end of the content.
fn clip_ranges(clip_timestamps: &[f64], content_frames: usize) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = clip_timestamps.iter().map(|ts| (ts * FRAMES_PER_SECOND as f64).round() as usize).collect();
    if points.is_empty() {
        points.push(0);
    }
    if points.len() % 2 == 1 {
        points.push(content_frames);
    }
    points.chunks(2).map(|c| (c[0], c[1])).collect()
}

/// faster-whisper's no-speech skip: likely silence, unless the text is likely enough.
fn is_silence(result: &DecodeResult, opts: &DecodeOptions) -> bool {
    let Some(ns) = opts.no_speech_threshold else { return false };
    let mut should_skip = result.no_speech_prob > ns;
    if let Some(lp) = opts.log_prob_threshold {
        if result.avg_logprob > lp {
            should_skip = false;
        }
    }
    should_skip
}

/// faster-whisper's `hallucination_silence_threshold`: a segment of anomalous words between
/// long silences is a hallucination; the window is cut before it (or, when it opens the window
/// after a long gap, the gap is skipped and the window decoded again).
fn skip_hallucinations(current: &mut Vec<SubSegment>, w: &Window, content: &Content, threshold: f64, last_speech_timestamp: f64) -> Hallucination {
    if let Some(first) = current.iter().find(|s| !s.words.is_empty()) {
        if is_segment_anomaly(first) {
            let gap = first.start - w.time_offset;
            if gap > threshold {
                return Hallucination::Redo(w.seek + (gap * FRAMES_PER_SECOND as f64).round() as usize);
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
                None => w.time_offset + w.segment_duration,
            };
            let silence_before =
                segment.start - hal_last_end > threshold || segment.start < threshold || segment.start - w.time_offset < 2.0;
            let silence_after = hal_next_start - segment.end > threshold
                || next.map_or(false, is_segment_anomaly)
                || w.window_end_time - segment.end < 2.0;
            if silence_before && silence_after {
                let mut seek = ((w.time_offset + 1.0).max(segment.start) * FRAMES_PER_SECOND as f64).round() as usize;
                if content.duration - segment.end < threshold {
                    seek = content.frames;
                }
                current.truncate(si);
                return Hallucination::Cut(seek);
            }
        }
        hal_last_end = current[si].end;
        si += 1;
    }
    Hallucination::None
}

fn word_anomaly_score(w: &Word) -> f64 {
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
    let words: Vec<_> = segment.words.iter().filter(|w| !PUNCTUATION.contains(w.word.as_str())).take(8).collect();
    let score: f64 = words.iter().map(|w| word_anomaly_score(w)).sum();
    score >= 3.0 || score + 0.01 >= words.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_in_frames() {
        assert_eq!(clip_ranges(&[0.0], 1234), vec![(0, 1234)]);
        assert_eq!(clip_ranges(&[], 1234), vec![(0, 1234)]);
        assert_eq!(clip_ranges(&[1.0, 2.5, 7.0], 1234), vec![(100, 250), (700, 1234)]);
    }

    fn word(start: f64, end: f64, probability: f64) -> Word {
        Word { start, end, word: " w".into(), probability }
    }

    #[test]
    fn anomalous_segments() {
        let seg = |words: Vec<Word>| SubSegment { seek: 0, start: 0.0, end: 1.0, tokens: vec![], words, word_tokens: vec![] };
        assert!(!is_segment_anomaly(&seg(vec![])));
        assert!(!is_segment_anomaly(&seg(vec![word(0.0, 0.4, 0.9), word(0.4, 0.8, 0.8)])));
        // Unlikely, too short words.
        assert!(is_segment_anomaly(&seg(vec![word(0.0, 0.01, 0.1), word(0.01, 0.02, 0.1)])));
        // One word of 6 s.
        assert!(is_segment_anomaly(&seg(vec![word(0.0, 6.0, 0.9)])));
    }
}
