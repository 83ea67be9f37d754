//! Batched transcription over speech chunks (faster-whisper's `BatchedInferencePipeline`):
//! each chunk (at most one window long) gets its own features, chunks are encoded and decoded
//! in batches with no fallback, and segments come out in chunk time.
//!
//! One call takes one or several requests (`BatchRequest`): the chunks of all of them are
//! encoded and decoded together, `batch_size` at a time, each with its own prompt (language,
//! task, initial prompt, hotwords), and each request gets its own transcription. The decoding
//! settings that CTranslate2 takes per batch (beam size, penalties, suppressed tokens,
//! temperature, word timestamps, ...) must be the same for all of them (`shares_batch_settings`);
//! one request is the plain batched pipeline. A request whose control is cancelled, or whose
//! language or prompt is refused, fails on its own and the others go on.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use ct2rs::sys::{StorageView, WhisperOptions};

use super::sentences::{part_ends, split_segments, Joins};
use super::fallback::{decode_with_fallback, DecodeResult};
use super::{choose_language, compression_ratio, detect_language_features, detected_languages, get_prompt, max_length_for, split_segments_by_timestamps, whisper_options, LanguageChoice};
use crate::engine::control::Control;
use crate::engine::features::{Features, FRAMES_PER_SECOND, N_FRAMES, SAMPLE_RATE};
use crate::engine::model::WhisperModel;
use crate::engine::result::{Segment, TokenLogprob, Transcription};
use crate::engine::timings::{measure, Stage};
use crate::engine::tokenizer::WhisperTokenizer;
use crate::engine::token_logprobs::{start_of, token_logprobs};
use crate::engine::word_timestamps::{add_word_timestamps, SubSegment};
use crate::error::{Error, Result};
use crate::options::DecodeOptions;

/// Encoder batches run by the batched pipeline in this process, all models together.
static ENCODER_BATCHES: AtomicU64 = AtomicU64::new(0);

/// How many encoder batches the batched pipeline has run in this process.
pub fn encoder_batches() -> u64 {
    ENCODER_BATCHES.load(Ordering::Relaxed)
}

/// One stretch of speech to transcribe, placed at `offset` seconds of the audio that was kept:
/// its parts (the VAD's speech segments, one after another) borrowed from the recording's
/// samples, which the job holds while it runs; they are joined only when the chunk's batch
/// computes its features. `origins`: where each part starts in the recording, in seconds
/// (empty: the kept audio is the recording); `non_speech`: where the VAD heard no speech in the
/// recording. The segments' pauses are measured with both.
pub struct Chunk<'a> {
    pub parts: Vec<&'a [f32]>,
    pub offset: f64,
    pub origins: Vec<f64>,
    pub non_speech: Vec<(f64, f64)>,
}

impl Chunk<'_> {
    fn len(&self) -> usize {
        self.parts.iter().map(|p| p.len()).sum()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn duration(&self) -> f64 {
        self.len() as f64 / SAMPLE_RATE as f64
    }

    /// Where its stretches of speech are, in the kept audio and in the recording.
    fn joins(&self) -> Joins {
        let ends = part_ends(self.offset, &self.parts.iter().map(|p| p.len()).collect::<Vec<_>>());
        Joins { offset: self.offset, ends, origins: self.origins.clone(), non_speech: self.non_speech.clone() }
    }

    /// The chunk's samples in one piece (borrowed when it has one part).
    fn samples(&self) -> Cow<'_, [f32]> {
        match self.parts.as_slice() {
            [one] => Cow::Borrowed(one),
            parts => Cow::Owned(parts.concat()),
        }
    }
}

/// One request of a batched call: its chunks, the whole recording's `duration`, its options
/// (the batched pipeline's, `TranscribeOptions::for_batched`) and its control.
pub struct BatchRequest<'a> {
    pub chunks: &'a [Chunk<'a>],
    pub duration: f64,
    pub opts: &'a DecodeOptions,
    pub control: &'a Control,
}

/// Whether two requests' options can share batches: equal in everything but the language, the
/// task, the initial prompt and the hotwords, which go into each item's own prompt.
pub fn shares_batch_settings(a: &DecodeOptions, b: &DecodeOptions) -> bool {
    a.beam_size == b.beam_size
        && a.patience == b.patience
        && a.length_penalty == b.length_penalty
        && a.repetition_penalty == b.repetition_penalty
        && a.no_repeat_ngram_size == b.no_repeat_ngram_size
        && a.temperature.first() == b.temperature.first()
        && a.suppress_blank == b.suppress_blank
        && a.suppress_tokens == b.suppress_tokens
        && a.without_timestamps == b.without_timestamps
        && a.max_initial_timestamp == b.max_initial_timestamp
        && a.word_timestamps == b.word_timestamps
        && a.prepend_punctuations == b.prepend_punctuations
        && a.append_punctuations == b.append_punctuations
        && a.multilingual == b.multilingual
        && a.max_new_tokens == b.max_new_tokens
}

pub struct BatchedPipeline<'m> {
    model: &'m WhisperModel,
}

/// One decoded chunk of a batch: its segments and the scores of its hypothesis.
struct Decoded {
    segments: Vec<SubSegment>,
    /// Each segment's text tokens with their log probabilities, when its request asks for them.
    token_logprobs: Option<Vec<Vec<TokenLogprob>>>,
    segment_size: usize,
    avg_logprob: f64,
    no_speech_prob: f64,
    /// The temperature it was decoded at (the first; a later one where the fallback ran).
    temperature: f64,
}

/// Where a request stands during a call.
struct Progress {
    language: LanguageChoice,
    sot_sequence: Vec<usize>,
    prompt: Vec<usize>,
    /// Where `<|startoftranscript|>` is in the prompt (after the previous text or hotwords).
    sot_position: usize,
    max_length: usize,
    /// Where the language token is in the prompt, when each item is decoded in its own language.
    language_index: Option<usize>,
    segments: Vec<Segment>,
    last_speech_timestamp: f64,
    done: f64,
}

/// A chunk of a request. Its features are computed when its batch comes (memory: one batch's
/// worth, whatever the audio's length).
struct Item<'a> {
    request: usize,
    chunk: &'a Chunk<'a>,
}

/// Each chunk's features, less the last frame, as faster-whisper computes them.
fn chunk_features(model: &WhisperModel, chunk: &Chunk) -> Features {
    let f = measure(Stage::Features, || model.extractor.compute(&chunk.samples()));
    let keep = f.n_frames.saturating_sub(1);
    Features { n_mels: f.n_mels, n_frames: keep, data: f.window(0, keep, keep) }
}

impl<'m> BatchedPipeline<'m> {
    pub fn new(model: &'m WhisperModel) -> Self {
        Self { model }
    }

    /// Transcribes `chunks` (`duration`: the whole recording's seconds) `batch_size` at a time.
    /// `opts` are the batched pipeline's (`TranscribeOptions::for_batched`).
    pub fn transcribe(&self, chunks: &[Chunk], duration: f64, opts: &DecodeOptions, batch_size: usize, control: &Control) -> Result<Transcription> {
        let request = BatchRequest { chunks, duration, opts, control };
        self.transcribe_many(&[request], batch_size)
            .pop()
            .unwrap_or_else(|| Err(Error::internal("internal error: a batched call returned no result")))
    }

    /// Transcribes the chunks of all `requests` together, `batch_size` chunks per encoder and
    /// decoder call, and returns each request's transcription (or its own failure), in order.
    /// With word timestamps, a batch holds only chunks with the same start-of-transcript
    /// sequence (language and task), which CTranslate2's alignment takes once per batch.
    pub fn transcribe_many(&self, requests: &[BatchRequest], batch_size: usize) -> Vec<Result<Transcription>> {
        let model = self.model;
        let batch_size = batch_size.max(1);
        let Some(first) = requests.first() else { return Vec::new() };
        let shared = first.opts;
        let mut failed: Vec<Option<Error>> = Vec::with_capacity(requests.len());
        let mut states: Vec<Option<Progress>> = Vec::with_capacity(requests.len());
        let mut items: Vec<Item> = Vec::new();
        for (index, request) in requests.iter().enumerate() {
            let after_vad: f64 = request.chunks.iter().map(|c| c.len() as f64).sum::<f64>() / SAMPLE_RATE as f64;
            request.control.set_total(after_vad);
            if !shares_batch_settings(shared, request.opts) {
                failed.push(Some(Error::input("requests batched together must have the same decoding settings (all but language, task, initial prompt and hotwords)")));
                states.push(None);
                continue;
            }
            let chunks: Vec<&Chunk> = request.chunks.iter().filter(|c| !c.is_empty()).collect();
            match self.prepare(request, &chunks) {
                Ok(progress) => {
                    states.push(Some(progress));
                    failed.push(None);
                    items.extend(chunks.into_iter().map(|chunk| Item { request: index, chunk }));
                }
                Err(e) => {
                    states.push(None);
                    failed.push(Some(e));
                }
            }
        }

        let suppress = model.tokenizer.resolve_suppressed(&shared.suppress_tokens);
        let ramp = requests.iter().any(|r| r.control.is_streaming());
        for batch in plan_batches(&items, &states, shared.word_timestamps, batch_size, ramp) {
            for &i in &batch {
                let r = items[i].request;
                if failed[r].is_none() {
                    if let Err(e) = requests[r].control.check() {
                        failed[r] = Some(e);
                    }
                }
            }
            let batch: Vec<usize> = batch.into_iter().filter(|&i| failed[items[i].request].is_none()).collect();
            if batch.is_empty() {
                continue;
            }
            if let Err(e) = self.run_batch(requests, &items, &batch, &mut states, shared, &suppress) {
                for &i in &batch {
                    let r = items[i].request;
                    if failed[r].is_none() {
                        failed[r] = Some(Error::new(e.code, e.message.clone()));
                    }
                }
            }
        }

        requests
            .iter()
            .zip(states)
            .zip(failed)
            .map(|((request, state), failure)| match (failure, state) {
                (Some(e), _) => Err(e),
                (None, Some(p)) => {
                    let after_vad = request.chunks.iter().map(|c| c.len() as f64).sum::<f64>() / SAMPLE_RATE as f64;
                    Ok(p.language.into_transcription(p.segments, request.duration, after_vad))
                }
                (None, None) => Err(Error::internal("internal error: a request has no state")),
            })
            .collect()
    }

    /// A request's language (detected on its chunks when not given), prompt and decoder limit.
    fn prepare(&self, request: &BatchRequest, chunks: &[&Chunk]) -> Result<Progress> {
        let model = self.model;
        let tok = &model.tokenizer;
        let opts = request.opts;
        request.control.check()?;
        let language = choose_language(model, opts, || {
            // faster-whisper detects on all chunks' features side by side, and reads only the
            // first `language_detection_segments` windows of them: the chunks those windows
            // reach are enough, and give the same frames.
            let wanted = opts.language_detection_segments as usize * N_FRAMES;
            let mut features = Vec::new();
            let mut frames = 0;
            for c in chunks {
                if frames >= wanted {
                    break;
                }
                let f = chunk_features(model, c);
                frames += f.n_frames;
                features.push(f);
            }
            let joined = join_features(model.n_mels(), &features);
            detect_language_features(model, &joined, 0, opts.language_detection_segments as usize, N_FRAMES, opts.language_detection_threshold)
        })?;
        let sot_sequence = tok.sot_sequence(&language.language, &opts.task);
        let previous = match &opts.initial_prompt {
            Some(p) => tok.encode(p)?,
            None => Vec::new(),
        };
        let prompt = get_prompt(model, &sot_sequence, &previous, opts.without_timestamps, None, opts.hotwords.as_deref())?;
        let max_length = max_length_for(prompt.len(), opts.max_new_tokens.map(|n| n as usize))?;
        let multilingual = opts.multilingual && model.is_multilingual();
        let language_index = if multilingual { prompt.iter().position(|&t| Some(t) == tok.language_token(&language.language)) } else { None };
        let sot_position = prompt.iter().position(|&t| t == tok.sot).unwrap_or(0);
        Ok(Progress { language, sot_sequence, prompt, sot_position, max_length, language_index, segments: Vec::new(), last_speech_timestamp: 0.0, done: 0.0 })
    }

    /// Encodes and decodes one batch of items and adds their segments to their requests.
    fn run_batch(
        &self,
        requests: &[BatchRequest],
        items: &[Item],
        batch: &[usize],
        states: &mut [Option<Progress>],
        shared: &DecodeOptions,
        suppress: &[i32],
    ) -> Result<()> {
        let members: Vec<&Item> = batch.iter().map(|&i| &items[i]).collect();
        let encoded = self.encode_batch(&members)?;
        let progress: Vec<&Progress> = members.iter().map(|item| state_of(states, item.request)).collect::<Result<_>>()?;
        let (prompts, languages) = self.batch_prompts(&progress, &encoded)?;
        let max_length = progress.iter().map(|p| p.max_length).max().unwrap_or(super::MAX_LENGTH);
        let mut wo = whisper_options(shared, suppress, max_length);
        let temperature = shared.temperature[0];
        if temperature > 0.0 {
            wo.sampling_temperature = temperature as f32;
        }
        let results = self.decode_batch(&encoded, &prompts, &wo, shared)?;
        let results = self.fall_back(requests, &members, &progress, &prompts, results, suppress)?;
        let mut decoded: Vec<Decoded> = results.into_iter().zip(&members).map(|(r, item)| self.decoded(r, item.chunk)).collect();
        // Where an item's request asks for token log probabilities: its prompt, which they are scored after.
        let starts: Vec<Option<Vec<usize>>> = members
            .iter()
            .zip(&progress)
            .zip(&prompts)
            .map(|((item, p), prompt)| requests[item.request].opts.token_logprobs.then(|| start_of(prompt, p.sot_position, p.sot_sequence.len()).to_vec()))
            .collect();
        if shared.word_timestamps {
            self.align_batch(&members, states, &mut decoded, &languages[0], &encoded, shared)?;
        }
        if starts.iter().any(Option::is_some) {
            self.add_token_logprobs(&mut decoded, &starts, &encoded)?;
        }
        self.add_segments(requests, &members, states, decoded, shared)
    }

    /// The items' features, one window each, through the encoder in one call.
    fn encode_batch(&self, members: &[&Item]) -> Result<StorageView<'static>> {
        let model = self.model;
        let mut windows = Vec::with_capacity(members.len() * model.n_mels() * N_FRAMES);
        for item in members {
            let f = chunk_features(model, item.chunk);
            windows.extend(f.window(0, f.n_frames, N_FRAMES));
        }
        let encoded = model.encode(windows, members.len())?;
        ENCODER_BATCHES.fetch_add(1, Ordering::Relaxed);
        Ok(encoded)
    }

    /// Each item's prompt and language: its request's, or, where the request decodes each item
    /// in its own language, the language detected on the item.
    fn batch_prompts(&self, progress: &[&Progress], encoded: &StorageView) -> Result<(Vec<Vec<usize>>, Vec<String>)> {
        let model = self.model;
        let mut prompts: Vec<Vec<usize>> = progress.iter().map(|p| p.prompt.clone()).collect();
        let mut languages: Vec<String> = progress.iter().map(|p| p.language.language.clone()).collect();
        if progress.iter().any(|p| p.language_index.is_some()) {
            // Each item decoded in its own language.
            for (k, code) in detected_languages(model, encoded)?.into_iter().enumerate() {
                if let (Some(code), Some(li)) = (code, progress[k].language_index) {
                    if let Some(id) = model.tokenizer.language_token(&code) {
                        prompts[k][li] = id;
                        languages[k] = code;
                    }
                }
            }
        }
        Ok((prompts, languages))
    }

    /// Decodes the batch at the first temperature: each item's hypothesis and its scores.
    fn decode_batch(&self, encoded: &StorageView, prompts: &[Vec<usize>], wo: &WhisperOptions, shared: &DecodeOptions) -> Result<Vec<DecodeResult>> {
        let mut results = Vec::with_capacity(prompts.len());
        for result in self.model.generate(encoded, prompts, wo)? {
            let g = result.into_iter().next().ok_or_else(|| Error::engine("the decoder returned no hypothesis"))?;
            results.push(DecodeResult::new(self.model, g.tokens, g.score, g.no_speech_prob, shared.temperature[0], shared));
        }
        Ok(results)
    }

    /// One chunk's hypothesis cut into segments at its timestamp tokens, placed at the chunk.
    fn decoded(&self, r: DecodeResult, chunk: &Chunk) -> Decoded {
        let chunk_duration = chunk.duration();
        let segment_size = chunk_duration.ceil() as usize * FRAMES_PER_SECOND;
        let mut segments = chunk_segments(self.model.tokenizer.timestamp_begin, &r.tokens, chunk.offset, segment_size, chunk_duration);
        let seek = (chunk.offset * FRAMES_PER_SECOND as f64) as usize;
        for s in segments.iter_mut() {
            s.seek = seek;
        }
        Decoded { segments, token_logprobs: None, segment_size, avg_logprob: r.avg_logprob, no_speech_prob: r.no_speech_prob, temperature: r.temperature }
    }

    /// The temperature fallback, for the chunks whose decode looks wrong (too repetitive or too
    /// unlikely, and not silence, by their request's thresholds): each decoded again on its own
    /// at its request's next temperatures (fallback.rs). faster-whisper's batched pipeline has
    /// none, and keeps a chunk stuck in a loop ("m-m-m-...") or cut short.
    fn fall_back(&self, requests: &[BatchRequest], members: &[&Item], progress: &[&Progress], prompts: &[Vec<usize>], results: Vec<DecodeResult>, suppress: &[i32]) -> Result<Vec<DecodeResult>> {
        results
            .into_iter()
            .enumerate()
            .map(|(k, first)| {
                let request = &requests[members[k].request];
                let opts = request.opts;
                if opts.temperature.len() < 2 || !first.needs_fallback(opts) {
                    return Ok(first);
                }
                let encoded = self.encode_batch(&members[k..=k])?;
                decode_with_fallback(self.model, &encoded, &prompts[k], opts, suppress, progress[k].max_length, request.control, vec![first])
            })
            .collect()
    }

    /// Words for the batch's segments: one alignment call for the batch (its items share one
    /// start-of-transcript sequence: plan_batches), and one language for its word splitting: the
    /// first item's, as faster-whisper does (each item was decoded in its own). Each request's
    /// end of the last speech moves on.
    fn align_batch(
        &self,
        members: &[&Item],
        states: &mut [Option<Progress>],
        decoded: &mut [Decoded],
        language: &str,
        encoded: &StorageView,
        shared: &DecodeOptions,
    ) -> Result<()> {
        let sot_sequence = state_of(states, members[0].request)?.sot_sequence.clone();
        let mut groups: Vec<Vec<SubSegment>> = decoded.iter_mut().map(|d| std::mem::take(&mut d.segments)).collect();
        let sizes: Vec<usize> = decoded.iter().map(|d| d.segment_size).collect();
        let owners: Vec<usize> = members.iter().map(|item| item.request).collect();
        let mut last: Vec<f64> = states.iter().map(|s| s.as_ref().map_or(0.0, |p| p.last_speech_timestamp)).collect();
        add_word_timestamps(
            self.model,
            language,
            &sot_sequence,
            &mut groups,
            encoded,
            &sizes,
            &shared.prepend_punctuations,
            &shared.append_punctuations,
            &owners,
            &mut last,
        )?;
        for (state, l) in states.iter_mut().zip(last) {
            if let Some(p) = state {
                p.last_speech_timestamp = l;
            }
        }
        for (d, group) in decoded.iter_mut().zip(groups) {
            d.segments = group;
        }
        Ok(())
    }

    /// The token log probabilities of the items whose `starts` are given (token_logprobs.rs).
    fn add_token_logprobs(&self, decoded: &mut [Decoded], starts: &[Option<Vec<usize>>], encoded: &StorageView) -> Result<()> {
        let groups: Vec<&[SubSegment]> = decoded.iter().map(|d| &d.segments[..]).collect();
        let sizes: Vec<usize> = decoded.iter().map(|d| d.segment_size).collect();
        let starts: Vec<Option<&[usize]>> = starts.iter().map(|s| s.as_deref()).collect();
        let logprobs = token_logprobs(self.model, &starts, &groups, encoded, &sizes)?;
        for (d, l) in decoded.iter_mut().zip(logprobs) {
            d.token_logprobs = l;
        }
        Ok(())
    }

    /// Adds each item's segments to its request, reports them through the request's control,
    /// and counts the item's chunk as done.
    fn add_segments(&self, requests: &[BatchRequest], members: &[&Item], states: &mut [Option<Progress>], decoded: Vec<Decoded>, shared: &DecodeOptions) -> Result<()> {
        let tok = &self.model.tokenizer;
        for (d, item) in decoded.into_iter().zip(members) {
            let r = item.request;
            let control = requests[r].control;
            let p = states[r].as_mut().ok_or_else(|| Error::internal("internal error: a request has no state"))?;
            // The chunk's text-token log probabilities in order, handed out to its segments as they are cut.
            let mut logprobs = d.token_logprobs.map(|l| l.into_iter().flatten());
            // With words, segments follow speech: a sentence each at most, cut at pauses of the recording.
            let segments = if shared.word_timestamps { split_segments(d.segments, &item.chunk.joins()) } else { d.segments };
            for sub in segments {
                let text_tokens = sub.tokens.iter().filter(|&&t| t < tok.eot).count();
                let token_logprobs = logprobs.as_mut().map(|l| l.by_ref().take(text_tokens).collect());
                push_segment(p, control, tok, sub, SegmentScores { avg_logprob: d.avg_logprob, no_speech_prob: d.no_speech_prob, temperature: d.temperature, token_logprobs }, shared.word_timestamps);
            }
            p.done += item.chunk.duration();
            control.set_done(p.done);
        }
        Ok(())
    }
}

/// What a decoded chunk says of each of its segments.
struct SegmentScores {
    avg_logprob: f64,
    no_speech_prob: f64,
    temperature: f64,
    token_logprobs: Option<Vec<TokenLogprob>>,
}

/// Adds one segment to its request and reports it; with words, a segment with no text is dropped.
fn push_segment(p: &mut Progress, control: &Control, tok: &WhisperTokenizer, sub: SubSegment, scores: SegmentScores, with_words: bool) {
    let text = tok.decode(&sub.tokens);
    if with_words && text.trim().is_empty() {
        return;
    }
    p.segments.push(Segment {
        id: p.segments.len() as u32 + 1,
        seek: sub.seek as u32,
        start: (sub.start * 1000.0).round() / 1000.0,
        end: (sub.end * 1000.0).round() / 1000.0,
        compression_ratio: compression_ratio(&text),
        text,
        tokens: sub.tokens.iter().map(|&t| t as u32).collect(),
        avg_logprob: scores.avg_logprob,
        no_speech_prob: scores.no_speech_prob,
        words: if with_words { Some(sub.words) } else { None },
        temperature: scores.temperature,
        token_logprobs: scores.token_logprobs,
    });
    control.push_segment(p.segments.last().expect("just pushed"));
}

/// A chunk's tokens cut into segments at its timestamp tokens (faster-whisper's split), and what
/// follows the last pair of them (the decoder stopped with no timestamp after its text; a window
/// of the sequential pipeline would decode it again, a chunk is decoded once) as a segment of its
/// own to the chunk's end, so that no text is lost.
fn chunk_segments(timestamp_begin: usize, tokens: &[usize], offset: f64, segment_size: usize, duration: f64) -> Vec<SubSegment> {
    let mut segments = split_segments_by_timestamps(timestamp_begin, tokens, offset, segment_size, duration, 0).segments;
    let covered: usize = segments.iter().map(|s| s.tokens.len()).sum();
    let rest: Vec<usize> = tokens[covered.min(tokens.len())..].to_vec();
    if rest.iter().any(|&t| t < timestamp_begin) {
        let start = segments.last().map_or(offset, |s| s.end);
        segments.push(SubSegment { seek: 0, start, end: (offset + duration).max(start), tokens: rest, words: Vec::new(), word_tokens: Vec::new() });
    }
    segments
}

fn state_of(states: &[Option<Progress>], request: usize) -> Result<&Progress> {
    states[request].as_ref().ok_or_else(|| Error::internal("internal error: a request has no state"))
}

/// The items (indices into `items`) of each batch, in order, `batch_size` at a time. Items go
/// together only when their prompts have `<|startoftranscript|>` at the same place (CTranslate2's
/// `generate` requires it: requests with previous text or hotwords of different lengths are
/// decoded in batches of their own) and, with word timestamps, the same start-of-transcript
/// sequence (the alignment takes one per batch).
///
/// With `ramp` (a request streams its segments), the requests' chunks are taken in turn (each
/// one's first, then each one's second, ...) and the batches grow 1, 2, 4, ... up to
/// `batch_size`, so that every request's first segments come after a small batch. Each
/// request's own chunks stay in order.
fn plan_batches(items: &[Item], states: &[Option<Progress>], word_timestamps: bool, batch_size: usize, ramp: bool) -> Vec<Vec<usize>> {
    let order: Vec<usize> = if ramp { in_turn(items) } else { (0..items.len()).collect() };
    let mut kinds: Vec<((usize, Vec<usize>), Vec<usize>)> = Vec::new();
    for i in order {
        let key = match &states[items[i].request] {
            Some(p) => (p.sot_position, if word_timestamps { p.sot_sequence.clone() } else { Vec::new() }),
            None => (0, Vec::new()),
        };
        match kinds.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(i),
            None => kinds.push((key, vec![i])),
        }
    }
    let mut size = if ramp { 1 } else { batch_size };
    let mut batches = Vec::new();
    for (_, list) in kinds {
        let mut rest = &list[..];
        while !rest.is_empty() {
            let n = size.min(batch_size).min(rest.len());
            batches.push(rest[..n].to_vec());
            rest = &rest[n..];
            size = (size * 2).min(batch_size);
        }
    }
    batches
}

/// The items' indices with the requests taken in turn: every request's first chunk, then every
/// request's second, and so on.
fn in_turn(items: &[Item]) -> Vec<usize> {
    let mut taken: Vec<usize> = Vec::new();
    let mut ranked: Vec<(usize, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if taken.len() <= item.request {
                taken.resize(item.request + 1, 0);
            }
            taken[item.request] += 1;
            (taken[item.request], i)
        })
        .collect();
    ranked.sort_unstable();
    ranked.into_iter().map(|(_, i)| i).collect()
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

    fn progress(sot: Vec<usize>) -> Option<Progress> {
        progress_at(sot, 0)
    }

    fn progress_at(sot: Vec<usize>, sot_position: usize) -> Option<Progress> {
        Some(Progress {
            language: LanguageChoice { language: "en".into(), probability: 1.0, all: None },
            sot_sequence: sot,
            prompt: Vec::new(),
            sot_position,
            max_length: 448,
            language_index: None,
            segments: Vec::new(),
            last_speech_timestamp: 0.0,
            done: 0.0,
        })
    }

    #[test]
    fn a_chunk_joins_its_parts_only_when_it_has_several() {
        let (a, b) = (vec![1.0f32, 2.0], vec![3.0f32]);
        let two = Chunk { parts: vec![&a[..], &b[..]], offset: 0.0, origins: vec![], non_speech: vec![] };
        assert_eq!((two.len(), two.samples().into_owned()), (3, vec![1.0, 2.0, 3.0]));
        let one = Chunk { parts: vec![&a[..]], offset: 0.0, origins: vec![], non_speech: vec![] };
        assert!(matches!(one.samples(), Cow::Borrowed(_)));
        assert!(Chunk { parts: vec![], offset: 0.0, origins: vec![], non_speech: vec![] }.is_empty());
    }

    #[test]
    fn batches_across_requests() {
        let samples = vec![0.0; 10];
        let chunk = Chunk { parts: vec![&samples[..]], offset: 0.0, origins: vec![], non_speech: vec![] };
        let item = |request| Item { request, chunk: &chunk };
        // Requests 0 and 2 transcribe in one language, request 1 in another.
        let states = vec![progress(vec![1, 2]), progress(vec![1, 3]), progress(vec![1, 2])];
        let items = vec![item(0), item(0), item(1), item(2), item(2)];
        assert_eq!(plan_batches(&items, &states, false, 2, false), vec![vec![0, 1], vec![2, 3], vec![4]], "in order, across requests");
        assert_eq!(
            plan_batches(&items, &states, true, 2, false),
            vec![vec![0, 1], vec![3, 4], vec![2]],
            "with word timestamps, one start-of-transcript sequence per batch"
        );
        assert_eq!(plan_batches(&items, &states, false, 8, false), vec![vec![0, 1, 2, 3, 4]]);
        // Request 1 has a prompt of previous text: its start of transcript is elsewhere.
        let states = vec![progress(vec![1, 2]), progress_at(vec![1, 2], 5), progress(vec![1, 2])];
        assert_eq!(plan_batches(&items, &states, false, 8, false), vec![vec![0, 1, 3, 4], vec![2]], "one start-of-transcript position per batch");
    }

    #[test]
    fn streamed_batches_grow_and_take_requests_in_turn() {
        let samples = vec![0.0; 10];
        let chunk = Chunk { parts: vec![&samples[..]], offset: 0.0, origins: vec![0.0], non_speech: Vec::new() };
        let one: Vec<Item> = (0..7).map(|_| Item { request: 0, chunk: &chunk }).collect();
        let states = vec![progress(vec![1, 2])];
        assert_eq!(plan_batches(&one, &states, false, 4, true), vec![vec![0], vec![1, 2], vec![3, 4, 5, 6]], "1, 2, 4, ... up to the batch size");
        assert_eq!(plan_batches(&one, &states, false, 8, false), vec![(0..7).collect::<Vec<_>>()], "one batch when not streamed");
        // Request 0 has three chunks, request 1 two: taken in turn, each one's in order.
        let items = vec![Item { request: 0, chunk: &chunk }, Item { request: 0, chunk: &chunk }, Item { request: 0, chunk: &chunk }, Item { request: 1, chunk: &chunk }, Item { request: 1, chunk: &chunk }];
        let states = vec![progress(vec![1, 2]), progress(vec![1, 2])];
        assert_eq!(plan_batches(&items, &states, false, 8, true), vec![vec![0], vec![3, 1], vec![4, 2]]);
    }

    #[test]
    fn text_after_the_last_timestamps_is_kept() {
        const TB: usize = 50364;
        // <|0.00|> a <|1.00|><|1.00|> b c (no timestamp after): b c become a segment to the chunk's end.
        let s = chunk_segments(TB, &[TB, 1, TB + 50, TB + 50, 2, 3], 10.0, 500, 4.5);
        let spans: Vec<(f64, f64, Vec<usize>)> = s.iter().map(|x| (x.start, x.end, x.tokens.clone())).collect();
        assert_eq!(spans, vec![(10.0, 11.0, vec![TB, 1, TB + 50]), (11.0, 14.5, vec![TB + 50, 2, 3])]);
        // Ending on a timestamp: nothing more.
        assert_eq!(chunk_segments(TB, &[TB, 1, TB + 50, TB + 50, 2, TB + 100], 0.0, 500, 4.5).len(), 2);
        // Without timestamps: one segment, as before.
        assert_eq!(chunk_segments(TB, &[1, 2], 0.0, 500, 4.5).len(), 1);
    }

    #[test]
    fn batch_settings_ignore_what_each_prompt_holds() {
        let a = DecodeOptions::default();
        let b = DecodeOptions { language: Some("de".into()), task: "translate".into(), initial_prompt: Some("x".into()), hotwords: Some("y".into()), ..DecodeOptions::default() };
        assert!(shares_batch_settings(&a, &b));
        let c = DecodeOptions { beam_size: 1, ..DecodeOptions::default() };
        assert!(!shares_batch_settings(&a, &c));
        let d = DecodeOptions { word_timestamps: true, ..DecodeOptions::default() };
        assert!(!shares_batch_settings(&a, &d));
    }
}
