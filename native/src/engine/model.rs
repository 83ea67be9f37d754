//! A loaded Whisper model (faster-whisper's `WhisperModel`): the CTranslate2 replica pool
//! (through ct2rs), its tokenizer and feature extractor, and the calls the pipelines make on them.

use std::path::Path;

use ct2rs::sys::{Config, Device, StorageView, Whisper, WhisperOptions};

use crate::engine::device::{resolve_compute_type, resolve_device};
use crate::engine::features::{FeatureExtractor, FeatureSource, N_FRAMES};
use crate::engine::result::LanguageProbs;
use crate::engine::timings::{measure, Stage};
use crate::engine::tokenizer::WhisperTokenizer;
use crate::error::{Context, Error, ErrorCode, Result};

pub struct LoadOptions {
    pub device: String,
    pub device_index: i32,
    pub compute_type: String,
    pub cpu_threads: usize,
    pub num_workers: usize,
}

pub struct WhisperModel {
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

/// Whose failure a CTranslate2 load error is: the device (CUDA, memory) or the model files.
/// CTranslate2 reports both as text, so this is read from the text, here where it is known to
/// be a load failure of a model whose files exist.
fn load_failure_code(message: &str) -> ErrorCode {
    let m = message.to_lowercase();
    let device = ["cuda", "cublas", "cudnn", "out of memory", "bad_alloc", "gpu", "driver"];
    if device.iter().any(|w| m.contains(w)) {
        ErrorCode::Engine
    } else if m.contains("compute type") || m.contains("float16") || m.contains("bfloat16") || m.contains("int8") || m.contains("int16") {
        // "Requested float16 compute type, but the target device or backend do not support
        // efficient float16 computation": the computeType option does not fit the device.
        ErrorCode::Input
    } else {
        ErrorCode::Model
    }
}

impl WhisperModel {
    pub fn load(dir: &Path, opts: &LoadOptions) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::model(format!("model directory not found: {}", dir.display())));
        }
        for file in ["model.bin", "config.json"] {
            if !dir.join(file).is_file() {
                return Err(Error::model(format!("{} is not a CTranslate2 Whisper model: {file} is missing", dir.display())));
            }
        }
        let device = resolve_device(&opts.device).map_err(|e| Error::input(format!("{e:#}")))?;
        let (compute_type, ct) = resolve_compute_type(&opts.compute_type, device).map_err(|e| Error::input(format!("{e:#}")))?;
        let config = Config {
            device,
            compute_type: ct,
            device_indices: vec![opts.device_index; opts.num_workers.max(1)],
            num_threads_per_replica: opts.cpu_threads,
            ..Default::default()
        };
        let path = dir.to_str().ok_or_else(|| Error::input("model path is not valid UTF-8"))?;
        let whisper = Whisper::new(path, config).map_err(|e| {
            let message = format!("cannot load the model in {}: {e}", dir.display());
            Error::new(load_failure_code(&format!("{e:#}")), message)
        })?;
        let tokenizer = WhisperTokenizer::from_model_dir(dir, whisper.is_multilingual()).map_err(|e| Error::model(format!("{e:#}")))?;
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
        let view = StorageView::new(&shape, &mut windows, Device::CPU).or_engine("cannot build the feature tensor")?;
        measure(Stage::Encode, || self.whisper.encode(&view, false)).or_engine("encoder failed")
    }

    /// Encodes frames `[start, start + len)` of `features`, zero-padded to one window.
    pub fn encode_window(&self, features: &dyn FeatureSource, start: usize, len: usize) -> Result<StorageView<'static>> {
        let window = measure(Stage::Features, || features.window(start, len, N_FRAMES));
        self.encode(window, 1)
    }

    /// Language probabilities for each item of an encoded batch, best first, as (code, probability).
    pub fn detect_language(&self, encoded: &StorageView) -> Result<Vec<LanguageProbs>> {
        let results = measure(Stage::Language, || self.whisper.detect_language(encoded)).or_engine("")?;
        Ok(results
            .iter()
            .map(|items| {
                items
                    .iter()
                    .map(|r| {
                        let d = detection::fields(r);
                        (language_code(&d.language).to_string(), detection::probability(d.probability))
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
        let results = measure(Stage::Generate, || self.whisper.generate(encoded, &prompt_tokens, options)).or_engine("")?;
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
        let results = measure(Stage::Align, || self.whisper.align(encoded, start_sequence, text_tokens, num_frames, median_filter_width))
            .or_engine("word alignment failed")?;
        Ok(results
            .into_iter()
            .map(|r| Alignment {
                path: r.alignments.iter().map(|a| (a.token_x, a.frame_x)).collect(),
                text_token_probs: r.text_token_probs,
            })
            .collect())
    }
}

/// "<|en|>" → "en".
fn language_code(token: &str) -> &str {
    token.trim_start_matches("<|").trim_end_matches("|>")
}

/// ct2rs's `DetectionResult` keeps its two fields private to its crate and has no accessor. It
/// is a cxx shared struct, which cxx lays out `#[repr(C)]` in declaration order
/// (`language: String, probability: f32`), so a `#[repr(C)]` struct with the same fields reads
/// it. The size and alignment are checked when this compiles, and the tests below check the
/// field order against ct2rs's own `Debug` and `PartialEq`: a change of shape in ct2rs fails the
/// build or `cargo test`, never a transcription.
mod detection {
    use ct2rs::sys::DetectionResult;

    #[repr(C)]
    pub struct DetectionFields {
        pub language: String,
        pub probability: f32,
    }

    const _: () = assert!(std::mem::size_of::<DetectionFields>() == std::mem::size_of::<DetectionResult>());
    const _: () = assert!(std::mem::align_of::<DetectionFields>() == std::mem::align_of::<DetectionResult>());

    pub fn fields(r: &DetectionResult) -> &DetectionFields {
        // SAFETY: same size, alignment and (repr(C)) field layout, checked above and in the tests.
        unsafe { &*(r as *const DetectionResult as *const DetectionFields) }
    }

    /// The probability as a JS number: the f32 by its shortest decimal form (0.97, not
    /// 0.9700000286102295), as this engine has always reported it.
    pub fn probability(p: f32) -> f64 {
        format!("{p}").parse().unwrap_or(p as f64)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// A `DetectionResult` with these fields (read back through ct2rs's own Debug and PartialEq).
        fn make(language: &str, probability: f32) -> DetectionResult {
            let fields = DetectionFields { language: language.to_string(), probability };
            // SAFETY: as in `fields`; ownership of the String moves into the result.
            unsafe { std::mem::transmute::<DetectionFields, DetectionResult>(fields) }
        }

        #[test]
        fn the_shim_reads_ct2rs_detection_results() {
            let r = make("<|de|>", 0.25);
            assert_eq!(format!("{r:?}"), "DetectionResult { language: \"<|de|>\", probability: 0.25 }");
            let f = fields(&r);
            assert_eq!(f.language, "<|de|>");
            assert_eq!(f.probability, 0.25);
            let copy = r.clone();
            assert_eq!(copy, make("<|de|>", 0.25));
            assert_ne!(copy, make("<|de|>", 0.5));
            assert_eq!(fields(&copy).language, "<|de|>");
        }

        #[test]
        fn probabilities_keep_their_decimal_form() {
            assert_eq!(probability(0.97), 0.97);
            assert_eq!(probability(1.0), 1.0);
        }
    }
}
