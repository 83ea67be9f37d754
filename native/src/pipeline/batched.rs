//! Batched transcription over speech chunks (faster-whisper's `BatchedInferencePipeline`):
//! each chunk (at most one window long) gets its own features, chunks are encoded and decoded
//! in batches with one shared prompt and no fallback, and segments come out in chunk time.

use super::{avg_logprob, choose_language, compression_ratio, detect_language_features, detected_languages, get_prompt, max_length_for, split_segments_by_timestamps, whisper_options};
use crate::control::Control;
use crate::error::{Error, Result};
use crate::features::{Features, FRAMES_PER_SECOND, N_FRAMES, SAMPLE_RATE};
use crate::model::WhisperModel;
use crate::options::DecodeOptions;
use crate::result::{Segment, Transcription};
use crate::timings::{measure, Stage};
use crate::word_timestamps::{add_word_timestamps, SubSegment};

/// One stretch of audio to transcribe, placed at `offset` seconds of the audio that was kept.
pub struct Chunk {
    pub samples: Vec<f32>,
    pub offset: f64,
}

impl Chunk {
    fn duration(&self) -> f64 {
        self.samples.len() as f64 / SAMPLE_RATE as f64
    }
}

pub struct BatchedPipeline<'m> {
    model: &'m WhisperModel,
}

/// One decoded chunk of a batch: its segments and the scores of its hypothesis.
struct Decoded {
    segments: Vec<SubSegment>,
    segment_size: usize,
    avg_logprob: f64,
    no_speech_prob: f64,
}

impl<'m> BatchedPipeline<'m> {
    pub fn new(model: &'m WhisperModel) -> Self {
        Self { model }
    }

    /// Transcribes `chunks` (`duration`: the whole recording's seconds) `batch_size` at a time.
    /// `opts` are the batched pipeline's (`TranscribeOptions::for_batched`).
    pub fn transcribe(&self, chunks: &[Chunk], duration: f64, opts: &DecodeOptions, batch_size: usize, control: &Control) -> Result<Transcription> {
        let model = self.model;
        let tok = &model.tokenizer;
        let batch_size = batch_size.max(1);
        let duration_after_vad: f64 = chunks.iter().map(|c| c.samples.len() as f64).sum::<f64>() / SAMPLE_RATE as f64;
        control.set_total(duration_after_vad);
        let chunks: Vec<&Chunk> = chunks.iter().filter(|c| !c.samples.is_empty()).collect();
        // Each chunk's features, less the last frame, as faster-whisper computes them.
        let features: Vec<Features> = measure(Stage::Features, || {
            chunks
                .iter()
                .map(|c| {
                    let f = model.extractor.compute(&c.samples);
                    let keep = f.n_frames.saturating_sub(1);
                    Features { n_mels: f.n_mels, n_frames: keep, data: f.window(0, keep, keep) }
                })
                .collect()
        });
        control.check()?;

        let language = choose_language(model, opts, || {
            let joined = join_features(model.n_mels(), &features);
            detect_language_features(model, &joined, 0, opts.language_detection_segments, N_FRAMES, opts.language_detection_threshold)
        })?;

        let suppress = tok.resolve_suppressed(&opts.suppress_tokens);
        let sot_sequence = tok.sot_sequence(&language.language, &opts.task);
        let previous = match &opts.initial_prompt {
            Some(p) => tok.encode(p)?,
            None => Vec::new(),
        };
        let prompt = get_prompt(model, &sot_sequence, &previous, opts.without_timestamps, None, opts.hotwords.as_deref())?;
        let max_length = max_length_for(prompt.len(), opts.max_new_tokens)?;
        let mut wo = whisper_options(opts, &suppress, max_length);
        let temperature = opts.temperature[0];
        if temperature > 0.0 {
            wo.sampling_temperature = temperature as f32;
        }
        let multilingual = opts.multilingual && model.is_multilingual();
        let language_index = prompt.iter().position(|&t| Some(t) == tok.language_token(&language.language));

        let mut segments: Vec<Segment> = Vec::new();
        let mut last_speech_timestamp = 0.0;
        let mut done = 0.0;
        for (batch_features, batch_chunks) in features.chunks(batch_size).zip(chunks.chunks(batch_size)) {
            control.check()?;
            let n = batch_features.len();
            let mut windows = Vec::with_capacity(n * model.n_mels() * N_FRAMES);
            for f in batch_features {
                windows.extend(f.window(0, f.n_frames, N_FRAMES));
            }
            let encoded = model.encode(windows, n)?;
            let mut prompts = vec![prompt.clone(); n];
            let mut languages = vec![language.language.clone(); n];
            if let (true, Some(li)) = (multilingual, language_index) {
                // Each item decoded in its own language.
                for (i, code) in detected_languages(model, &encoded)?.into_iter().enumerate() {
                    if let Some(code) = code {
                        if let Some(id) = tok.language_token(&code) {
                            prompts[i][li] = id;
                            languages[i] = code;
                        }
                    }
                }
            }
            let mut decoded = Vec::with_capacity(n);
            for (result, chunk) in model.generate(&encoded, &prompts, &wo)?.into_iter().zip(batch_chunks) {
                let g = result.into_iter().next().ok_or_else(|| Error::engine("the decoder returned no hypothesis"))?;
                let chunk_duration = chunk.duration();
                let segment_size = chunk_duration.ceil() as usize * FRAMES_PER_SECOND;
                let split = split_segments_by_timestamps(tok.timestamp_begin, &g.tokens, chunk.offset, segment_size, chunk_duration, 0);
                let mut subs = split.segments;
                let seek = (chunk.offset * FRAMES_PER_SECOND as f64) as usize;
                for s in subs.iter_mut() {
                    s.seek = seek;
                }
                decoded.push(Decoded {
                    segments: subs,
                    segment_size,
                    avg_logprob: avg_logprob(g.score, g.tokens.len(), opts.length_penalty),
                    no_speech_prob: g.no_speech_prob as f64,
                });
            }
            let mut groups: Vec<Vec<SubSegment>> = decoded.iter_mut().map(|d| std::mem::take(&mut d.segments)).collect();
            if opts.word_timestamps {
                // One alignment call for the batch, and one language for its word splitting: the
                // first item's, as faster-whisper does (each item was decoded in its own).
                let sizes: Vec<usize> = decoded.iter().map(|d| d.segment_size).collect();
                let lang = languages.first().cloned().unwrap_or_else(|| language.language.clone());
                last_speech_timestamp = add_word_timestamps(
                    model,
                    &lang,
                    &sot_sequence,
                    &mut groups,
                    &encoded,
                    &sizes,
                    &opts.prepend_punctuations,
                    &opts.append_punctuations,
                    last_speech_timestamp,
                )?;
            }
            for (group, d) in groups.into_iter().zip(&decoded) {
                for sub in group {
                    let text = tok.decode(&sub.tokens);
                    segments.push(Segment {
                        id: segments.len() as u32 + 1,
                        seek: sub.seek as u32,
                        start: (sub.start * 1000.0).round() / 1000.0,
                        end: (sub.end * 1000.0).round() / 1000.0,
                        compression_ratio: compression_ratio(&text),
                        text,
                        tokens: sub.tokens.iter().map(|&t| t as u32).collect(),
                        avg_logprob: d.avg_logprob,
                        no_speech_prob: d.no_speech_prob,
                        words: if opts.word_timestamps { Some(sub.words) } else { None },
                        temperature,
                    });
                    control.push_segment(segments.last().unwrap());
                }
            }
            done += batch_chunks.iter().map(|c| c.duration()).sum::<f64>();
            control.set_done(done);
        }
        Ok(language.into_transcription(segments, duration, duration_after_vad))
    }
}

/// All chunks' features side by side, plus one dummy frame so that empty audio works (what
/// faster-whisper detects the language on).
fn join_features(n_mels: usize, features: &[Features]) -> Features {
    let total: usize = features.iter().map(|f| f.n_frames).sum::<usize>() + 1;
    let mut data = vec![0f32; n_mels * total];
    for m in 0..n_mels {
        let mut at = 0;
        for f in features {
            data[m * total + at..m * total + at + f.n_frames].copy_from_slice(&f.data[m * f.n_frames..(m + 1) * f.n_frames]);
            at += f.n_frames;
        }
        data[m * total + at] = -1.5;
    }
    Features { n_mels, n_frames: total, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_joined_with_a_dummy_frame() {
        let a = Features { n_mels: 2, n_frames: 2, data: vec![1.0, 2.0, 3.0, 4.0] };
        let b = Features { n_mels: 2, n_frames: 1, data: vec![5.0, 6.0] };
        let j = join_features(2, &[a, b]);
        assert_eq!(j.n_frames, 4);
        assert_eq!(j.data, vec![1.0, 2.0, 5.0, -1.5, 3.0, 4.0, 6.0, -1.5]);
        assert_eq!(join_features(3, &[]).data, vec![-1.5; 3]);
    }
}
