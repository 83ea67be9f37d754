//! faster-whisper's temperature fallback: a window's decode is tried again at the next
//! temperature while it looks wrong (too repetitive or too unlikely) and is not silence; when
//! every temperature fails, the most likely result is kept, preferring those that are not
//! repetitive. The sequential pipeline decodes every window this way; the batched one decodes
//! a batch at the first temperature and sends the chunks that failed through the rest.

use ct2rs::sys::StorageView;

use super::{avg_logprob, compression_ratio, whisper_options};
use crate::engine::control::Control;
use crate::engine::model::WhisperModel;
use crate::error::{Error, Result};
use crate::options::DecodeOptions;

/// One window's decode at one temperature.
pub struct DecodeResult {
    pub tokens: Vec<usize>,
    pub no_speech_prob: f64,
    pub avg_logprob: f64,
    pub temperature: f64,
    pub compression_ratio: f64,
}

impl DecodeResult {
    /// A hypothesis's tokens and scores as a result at `temperature`.
    pub fn new(model: &WhisperModel, tokens: Vec<usize>, score: f32, no_speech_prob: f32, temperature: f64, opts: &DecodeOptions) -> Self {
        let avg_logprob = avg_logprob(score, tokens.len(), opts.length_penalty);
        let compression_ratio = compression_ratio(model.tokenizer.decode(&tokens).trim());
        DecodeResult { tokens, no_speech_prob: no_speech_prob as f64, avg_logprob, temperature, compression_ratio }
    }

    /// Too repetitive (above the compression-ratio threshold) or too unlikely (below the log
    /// probability threshold), unless it is likely silence.
    pub fn needs_fallback(&self, opts: &DecodeOptions) -> bool {
        let repetitive = opts.compression_ratio_threshold.is_some_and(|th| self.compression_ratio > th);
        let unlikely = opts.log_prob_threshold.is_some_and(|lp| self.avg_logprob < lp);
        let silence = matches!((opts.no_speech_threshold, opts.log_prob_threshold), (Some(ns), Some(lp)) if self.no_speech_prob > ns && self.avg_logprob < lp);
        (repetitive || unlikely) && !silence
    }

    fn below_compression_threshold(&self, opts: &DecodeOptions) -> bool {
        opts.compression_ratio_threshold.is_some_and(|th| self.compression_ratio <= th)
    }
}

/// Decodes one window (`encoded`, batch of one) at each of the options' temperatures after the
/// `earlier` results (which were decoded at the first ones and failed), until one does not need
/// the fallback; when none passes, the best of all of them, at the last temperature.
pub fn decode_with_fallback(
    model: &WhisperModel,
    encoded: &StorageView,
    prompt: &[usize],
    opts: &DecodeOptions,
    suppress: &[i32],
    max_length: usize,
    control: &Control,
    mut earlier: Vec<DecodeResult>,
) -> Result<DecodeResult> {
    for &temperature in opts.temperature.iter().skip(earlier.len()) {
        control.check()?;
        let mut wo = whisper_options(opts, suppress, max_length);
        if temperature > 0.0 {
            wo.beam_size = 1;
            wo.num_hypotheses = opts.best_of as usize;
            wo.sampling_topk = 0;
            wo.sampling_temperature = temperature as f32;
        }
        let generated = model
            .generate(encoded, &[prompt.to_vec()], &wo)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .ok_or_else(|| Error::engine("the decoder returned no hypothesis"))?;
        let result = DecodeResult::new(model, generated.tokens, generated.score, generated.no_speech_prob, temperature, opts);
        if !result.needs_fallback(opts) {
            return Ok(result);
        }
        earlier.push(result);
    }
    best_of_failed(earlier, opts)
}

/// Every temperature failed: the most likely result, preferring non-repetitive ones, marked
/// with the last temperature (as faster-whisper does).
fn best_of_failed(mut all: Vec<DecodeResult>, opts: &DecodeOptions) -> Result<DecodeResult> {
    let below: Vec<usize> = (0..all.len()).filter(|&i| all[i].below_compression_threshold(opts)).collect();
    let candidates: Vec<usize> = if below.is_empty() { (0..all.len()).collect() } else { below };
    let best = candidates
        .into_iter()
        .fold(None::<usize>, |acc, i| match acc {
            Some(a) if all[a].avg_logprob >= all[i].avg_logprob => Some(a),
            _ => Some(i),
        })
        .ok_or_else(|| Error::engine("no temperature to decode at"))?;
    let mut result = all.swap_remove(best);
    result.temperature = *opts.temperature.last().unwrap_or(&result.temperature);
    Ok(result)
}
