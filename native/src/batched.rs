//! Batched transcription over speech chunks (faster-whisper's `BatchedInferencePipeline`):
//! each chunk (at most one window long) gets its own features, chunks are encoded and decoded
//! in batches with one shared prompt and no fallback, and segments come out in chunk time.

use anyhow::{anyhow, Result};

use crate::control::Control;
use crate::engine::Engine;
use crate::features::{Features, FRAMES_PER_SECOND, N_FRAMES, SAMPLE_RATE};
use crate::options::TranscribeOptions;
use crate::result::{Info, Segment, Transcription};
use crate::transcribe::{compression_ratio, resolve_language};
use crate::word_timestamps::{add_word_timestamps, SubSegment};

/// One stretch of audio to transcribe, placed at `offset` seconds of the audio that was kept.
pub struct Chunk {
    pub samples: Vec<f32>,
    pub offset: f64,
}

impl Engine {
    pub fn transcribe_batched(
        &self,
        chunks: &[Chunk],
        duration: f64,
        opts: &TranscribeOptions,
        batch_size: usize,
        control: &Control,
    ) -> Result<Transcription> {
        opts.validate()?;
        let batch_size = batch_size.max(1);
        let tok = &self.tokenizer;
        let duration_after_vad: f64 = chunks.iter().map(|c| c.samples.len() as f64).sum::<f64>() / SAMPLE_RATE as f64;
        control.set_total(duration_after_vad);
        // Each chunk's features, less the last frame, as faster-whisper computes them.
        let features: Vec<Features> = chunks
            .iter()
            .filter(|c| !c.samples.is_empty())
            .map(|c| {
                let f = self.extractor.compute(&c.samples);
                let keep = f.n_frames.saturating_sub(1);
                Features { n_mels: f.n_mels, n_frames: keep, data: f.window(0, keep, keep) }
            })
            .collect();
        let chunks: Vec<&Chunk> = chunks.iter().filter(|c| !c.samples.is_empty()).collect();
        control.check()?;

        let (language, language_probability, all_language_probs) = match &opts.language {
            Some(l) => (resolve_language(self, l)?, 1.0, None),
            None if !self.is_multilingual() => ("en".to_string(), 1.0, None),
            None => {
                // All chunks' features side by side, plus one dummy frame so that empty audio works.
                let n_mels = self.n_mels();
                let total: usize = features.iter().map(|f| f.n_frames).sum::<usize>() + 1;
                let mut data = vec![0f32; n_mels * total];
                for m in 0..n_mels {
                    let mut at = 0;
                    for f in &features {
                        data[m * total + at..m * total + at + f.n_frames]
                            .copy_from_slice(&f.data[m * f.n_frames..(m + 1) * f.n_frames]);
                        at += f.n_frames;
                    }
                    data[m * total + at] = -1.5;
                }
                let joined = Features { n_mels, n_frames: total, data };
                let d = self.detect_language_features(
                    &joined,
                    0,
                    opts.language_detection_segments,
                    N_FRAMES,
                    opts.language_detection_threshold.map(|t| t as f64).unwrap_or(0.5),
                )?;
                (d.language, d.language_probability, Some(d.all_language_probs))
            }
        };

        let suppress = tok.resolve_suppressed(&opts.suppress_tokens);
        let sot_sequence = tok.sot_sequence(&language, &opts.task);
        let previous = match &opts.initial_prompt {
            Some(p) => tok.encode(p)?,
            None => Vec::new(),
        };
        let prompt = self.get_prompt(&sot_sequence, &previous, opts.without_timestamps, None, opts.hotwords.as_deref())?;
        let max_length = self.max_length_for(prompt.len(), opts.max_new_tokens)?;
        let mut wo = self.base_whisper_options(opts, &suppress, max_length);
        let temperature = opts.temperature[0];
        if temperature > 0.0 {
            wo.sampling_temperature = temperature;
        }
        let multilingual = opts.multilingual && self.is_multilingual();
        let language_index = prompt.iter().position(|&t| Some(t) == tok.language_token(&language));

        let mut segments: Vec<Segment> = Vec::new();
        let mut last_speech_timestamp = 0.0;
        let mut done = 0.0;
        for (batch_features, batch_chunks) in features.chunks(batch_size).zip(chunks.chunks(batch_size)) {
            control.check()?;
            let n = batch_features.len();
            let mut windows = Vec::with_capacity(n * self.n_mels() * N_FRAMES);
            for f in batch_features {
                windows.extend(f.window(0, f.n_frames, N_FRAMES));
            }
            let encoded = self.encode(windows, n)?;
            let mut prompts = vec![prompt.clone(); n];
            let mut languages = vec![language.clone(); n];
            if multilingual {
                if let Some(li) = language_index {
                    for (i, probs) in self.detect_language(&encoded)?.into_iter().enumerate() {
                        if let Some((code, _)) = probs.into_iter().next() {
                            if let Some(id) = tok.language_token(&code) {
                                prompts[i][li] = id;
                                languages[i] = code;
                            }
                        }
                    }
                }
            }
            let results = self.generate(&encoded, &prompts, &wo)?;
            let mut groups: Vec<Vec<SubSegment>> = Vec::new();
            let mut segment_sizes = Vec::new();
            let mut stats = Vec::new();
            for (i, result) in results.into_iter().enumerate() {
                let g = result.into_iter().next().ok_or_else(|| anyhow!("the decoder returned no hypothesis"))?;
                let chunk = batch_chunks[i];
                let chunk_duration = chunk.samples.len() as f64 / SAMPLE_RATE as f64;
                let segment_size = chunk_duration.ceil() as usize * FRAMES_PER_SECOND;
                segment_sizes.push(segment_size);
                let seq_len = g.tokens.len() as f64;
                let avg_logprob = g.score as f64 * seq_len.powf(opts.length_penalty as f64) / (seq_len + 1.0);
                let (mut subs, _, _) = self.split_segments_by_timestamps(&g.tokens, chunk.offset, segment_size, chunk_duration, 0);
                let seek = (chunk.offset * FRAMES_PER_SECOND as f64) as usize;
                for s in subs.iter_mut() {
                    s.seek = seek;
                }
                groups.push(subs);
                stats.push((avg_logprob, g.no_speech_prob as f64));
            }
            if opts.word_timestamps {
                // One alignment call for the batch; each item uses its own language's word splitting.
                let lang = languages.first().cloned().unwrap_or_else(|| language.clone());
                last_speech_timestamp = add_word_timestamps(
                    self,
                    &lang,
                    &sot_sequence,
                    &mut groups,
                    &encoded,
                    &segment_sizes,
                    &opts.prepend_punctuations,
                    &opts.append_punctuations,
                    last_speech_timestamp,
                )?;
            }
            for (group, (avg_logprob, no_speech_prob)) in groups.into_iter().zip(stats) {
                for sub in group {
                    let text = tok.decode(&sub.tokens);
                    segments.push(Segment {
                        id: segments.len() + 1,
                        seek: sub.seek,
                        start: (sub.start * 1000.0).round() / 1000.0,
                        end: (sub.end * 1000.0).round() / 1000.0,
                        compression_ratio: compression_ratio(&text),
                        text,
                        tokens: sub.tokens,
                        avg_logprob,
                        no_speech_prob,
                        words: if opts.word_timestamps { Some(sub.words) } else { None },
                        temperature,
                    });
                    control.push_segment(segments.last().unwrap());
                }
            }
            done += batch_chunks.iter().map(|c| c.samples.len() as f64 / SAMPLE_RATE as f64).sum::<f64>();
            control.set_done(done);
        }
        Ok(Transcription {
            segments,
            info: Info { language, language_probability, duration, duration_after_vad, all_language_probs },
        })
    }
}
