//! A loaded Whisper model: the CTranslate2 replica pool (through ct2rs), its tokenizer
//! and feature extractor, and the calls the pipelines make on them.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use ct2rs::sys::{Config, Device, StorageView, Whisper, WhisperOptions};

use crate::device::{resolve_compute_type, resolve_device};
use crate::features::{FeatureExtractor, Features, N_FRAMES};
use crate::tokenizer::WhisperTokenizer;

pub struct LoadOptions {
    pub device: String,
    pub device_index: i32,
    pub compute_type: String,
    pub cpu_threads: usize,
    pub num_workers: usize,
}

pub struct Engine {
    whisper: Whisper,
    pub tokenizer: WhisperTokenizer,
    pub extractor: FeatureExtractor,
    pub device: String,
    pub compute_type: String,
}

pub struct Generated {
    pub tokens: Vec<usize>,
    pub score: f32,
    pub no_speech_prob: f32,
}

pub struct Alignment {
    /// (text token index, frame index) pairs of the DTW path.
    pub path: Vec<(i64, i64)>,
    pub text_token_probs: Vec<f32>,
}

impl Engine {
    pub fn load(dir: &Path, opts: &LoadOptions) -> Result<Self> {
        if !dir.is_dir() {
            bail!("model directory not found: {}", dir.display());
        }
        for file in ["model.bin", "config.json"] {
            if !dir.join(file).is_file() {
                bail!("{} is not a CTranslate2 Whisper model: {file} is missing", dir.display());
            }
        }
        let device = resolve_device(&opts.device)?;
        let (compute_type, ct) = resolve_compute_type(&opts.compute_type, device)?;
        let config = Config {
            device,
            compute_type: ct,
            device_indices: vec![opts.device_index; opts.num_workers.max(1)],
            num_threads_per_replica: opts.cpu_threads,
            ..Default::default()
        };
        let path = dir.to_str().ok_or_else(|| anyhow!("model path is not valid UTF-8"))?;
        let whisper = Whisper::new(path, config)
            .map_err(|e| anyhow!("cannot load the model in {}: {e}", dir.display()))?;
        let tokenizer = WhisperTokenizer::from_model_dir(dir, whisper.is_multilingual())?;
        let extractor = FeatureExtractor::new(whisper.n_mels());
        Ok(Self {
            whisper,
            tokenizer,
            extractor,
            device: if device == Device::CUDA { "cuda" } else { "cpu" }.to_string(),
            compute_type,
        })
    }

    pub fn is_multilingual(&self) -> bool {
        self.whisper.is_multilingual()
    }

    pub fn n_mels(&self) -> usize {
        self.whisper.n_mels()
    }

    /// Encodes a batch of windows of `N_FRAMES` frames each (row-major `[batch, n_mels, N_FRAMES]`).
    pub fn encode(&self, mut windows: Vec<f32>, batch: usize) -> Result<StorageView<'static>> {
        let shape = [batch, self.n_mels(), N_FRAMES];
        let view = StorageView::new(&shape, &mut windows, Device::CPU)
            .map_err(|e| anyhow!("cannot build the feature tensor: {e}"))?;
        self.whisper
            .encode(&view, false)
            .map_err(|e| anyhow!("encoder failed: {e}"))
    }

    /// Encodes frames `[start, start + len)` of `features`, zero-padded to one window.
    pub fn encode_window(&self, features: &Features, start: usize, len: usize) -> Result<StorageView<'static>> {
        self.encode(features.window(start, len, N_FRAMES), 1)
    }

    /// Language probabilities for each item of an encoded batch, best first, as (code, probability).
    pub fn detect_language(&self, encoded: &StorageView) -> Result<Vec<Vec<(String, f64)>>> {
        let results = self.whisper.detect_language(encoded)?;
        Ok(results
            .into_iter()
            .map(|items| {
                items
                    .into_iter()
                    .map(|r| {
                        let (token, p) = detection_fields(&r);
                        (token.trim_start_matches("<|").trim_end_matches("|>").to_string(), p)
                    })
                    .collect()
            })
            .collect())
    }

    pub fn generate(&self, encoded: &StorageView, prompts: &[Vec<usize>], options: &WhisperOptions) -> Result<Vec<Vec<Generated>>> {
        let prompt_tokens: Vec<Vec<String>> = prompts
            .iter()
            .map(|p| p.iter().map(|&id| self.tokenizer.id_to_token(id)).collect())
            .collect();
        let results = self.whisper.generate(encoded, &prompt_tokens, options)?;
        Ok(results
            .into_iter()
            .map(|r| {
                r.sequences_ids
                    .iter()
                    .enumerate()
                    .map(|(i, ids)| Generated {
                        tokens: ids.clone(),
                        score: r.scores.get(i).copied().unwrap_or(0.0),
                        no_speech_prob: r.no_speech_prob,
                    })
                    .collect()
            })
            .collect())
    }

    pub fn align(
        &self,
        encoded: &StorageView,
        start_sequence: &[usize],
        text_tokens: &[Vec<usize>],
        num_frames: &[usize],
        median_filter_width: i64,
    ) -> Result<Vec<Alignment>> {
        let results = self
            .whisper
            .align(encoded, start_sequence, text_tokens, num_frames, median_filter_width)
            .context("word alignment failed")?;
        Ok(results
            .into_iter()
            .map(|r| Alignment {
                path: r.alignments.iter().map(|a| (a.token_x, a.frame_x)).collect(),
                text_token_probs: r.text_token_probs,
            })
            .collect())
    }
}

/// ct2rs keeps `DetectionResult`'s fields private to its crate; its `Debug` form
/// (`DetectionResult { language: "<|en|>", probability: 0.97 }`) is the public way to read them.
fn detection_fields(r: &ct2rs::sys::DetectionResult) -> (String, f64) {
    let text = format!("{r:?}");
    let language = text
        .split("language: \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string();
    let probability = text
        .split("probability: ")
        .nth(1)
        .and_then(|s| s.trim_end_matches(|c| c == '}' || c == ' ').parse::<f64>().ok())
        .unwrap_or(0.0);
    (language, probability)
}
