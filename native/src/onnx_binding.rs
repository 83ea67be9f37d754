//! The Node-API surface of the ONNX models (`onnx`): Silero VAD, the diarization's segmentation and
//! embedding models, and the fbank features the embeddings are computed from. Each model is a
//! class loaded by its own async function (`loadVad`, `loadSegmentation`, `loadEmbedding`, which
//! check that the file is that model: `ERR_MODEL` otherwise) and run by async methods on libuv's
//! thread pool, off the JS thread, each taking a `JobControl` for abort (checked between model
//! runs). Sessions are shared per model file and thread count (`onnx::runtime::SessionPool`).
//! ONNX Runtime is loaded on the first load call; a missing or wrong library is `ERR_ENGINE`.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::binding::{sync, Job, JobControl};
use crate::error::{input_error, ErrorCode, Result as EngineResult};
use crate::onnx::embedding::Embedding;
use crate::onnx::fbank::{self, Fbank};
use crate::onnx::runtime;
use crate::onnx::segmentation::Segmentation;
use crate::onnx::speech::{self, VadParameters};
use crate::onnx::vad::SileroVad;

/// Checks a thread count and readies the process for ONNX Runtime (on the JS thread).
fn prepare(threads: u32) -> EngineResult<usize> {
    if threads == 0 || threads > 1024 {
        input_error!("threads must be from 1 to 1024, got {threads}");
    }
    runtime::disable_telemetry();
    Ok(threads as usize)
}

/// Silero VAD v6, loaded.
#[napi]
pub struct NativeVad {
    inner: Arc<SileroVad>,
}

/// Loads Silero VAD v6 from `path`, to run on `threads` intra-op threads.
#[napi(ts_return_type = "Promise<NativeVad>")]
pub fn load_vad(path: String, threads: u32) -> Result<AsyncTask<Job<SileroVad, NativeVad>>, ErrorCode> {
    sync(|| {
        let threads = prepare(threads)?;
        Ok(Job::new(move || SileroVad::load(&PathBuf::from(path), threads), |v| NativeVad { inner: Arc::new(v) }))
    })
}

/// faster-whisper's VadOptions as resolved by the caller (src/options/resolve.ts): every field
/// set, `maxSpeechDurationS` Infinity for no limit, `negThreshold` null for its default.
#[napi(object)]
pub struct NativeVadParameters {
    pub threshold: f64,
    pub neg_threshold: Option<f64>,
    pub min_speech_duration_ms: f64,
    pub max_speech_duration_s: f64,
    pub min_silence_duration_ms: f64,
    pub speech_pad_ms: f64,
}

/// A stretch of speech in samples, `[start, end)`.
#[napi(object)]
pub struct SpeechStretch {
    pub start: f64,
    pub end: f64,
}

impl From<NativeVadParameters> for VadParameters {
    fn from(p: NativeVadParameters) -> Self {
        VadParameters {
            threshold: p.threshold,
            neg_threshold: p.neg_threshold,
            min_speech_duration_ms: p.min_speech_duration_ms,
            max_speech_duration_s: p.max_speech_duration_s,
            min_silence_duration_ms: p.min_silence_duration_ms,
            speech_pad_ms: p.speech_pad_ms,
        }
    }
}

/// faster-whisper's `get_speech_timestamps` on probabilities computed already
/// (`NativeVad.speechProbabilities` of `length` samples): speech stretches in samples, padded, in order.
#[napi]
pub fn speech_timestamps_of(probabilities: Float32Array, length: f64, parameters: NativeVadParameters) -> Result<Vec<SpeechStretch>, ErrorCode> {
    sync(|| Ok(stretches(speech::speech_timestamps(&probabilities, length as usize, &VadParameters::from(parameters)))))
}

fn stretches(chunks: Vec<speech::Speech>) -> Vec<SpeechStretch> {
    chunks.into_iter().map(|s| SpeechStretch { start: s.start as f64, end: s.end as f64 }).collect()
}

#[napi]
impl NativeVad {
    /// The speech probability of each 512-sample window of 16 kHz mono `audio` (padded to a whole
    /// number of windows plus one, as faster-whisper pads): `floor(length / 512) + 1` numbers.
    #[napi(ts_return_type = "Promise<Float32Array>")]
    pub fn speech_probabilities(&self, audio: Float32Array, control: &JobControl) -> Result<AsyncTask<Job<Vec<f32>, Float32Array>>, ErrorCode> {
        sync(|| {
            let (vad, control) = (self.inner.clone(), control.inner.clone());
            Ok(Job::new(move || vad.probabilities(&audio, &control), Float32Array::new))
        })
    }

    /// faster-whisper's `get_speech_timestamps` on 16 kHz mono `audio`: speech stretches in
    /// samples, padded, in order.
    #[napi(ts_return_type = "Promise<SpeechStretch[]>")]
    pub fn speech_timestamps(
        &self,
        audio: Float32Array,
        parameters: NativeVadParameters,
        control: &JobControl,
    ) -> Result<AsyncTask<Job<Vec<speech::Speech>, Vec<SpeechStretch>>>, ErrorCode> {
        sync(|| {
            let p = VadParameters::from(parameters);
            let (vad, control) = (self.inner.clone(), control.inner.clone());
            Ok(Job::new(
                move || Ok(speech::speech_timestamps(&vad.probabilities(&audio, &control)?, audio.len(), &p)),
                stretches,
            ))
        })
    }
}

/// The Kaldi fbank of a recording, kept in native memory (`[frames, 80]`, 10 ms frames: frame t
/// covers samples `[160 t, 160 t + 400)`), for `NativeEmbedding.embedFrameSets`.
#[napi]
pub struct FbankFeatures {
    inner: Arc<Fbank>,
}

#[napi]
impl FbankFeatures {
    #[napi(getter)]
    pub fn frames(&self) -> Result<u32, ErrorCode> {
        sync(|| Ok(self.inner.frames as u32))
    }

    /// A copy of the features, row-major `[frames, 80]`, not mean-normalized.
    #[napi]
    pub fn to_array(&self) -> Result<Float32Array, ErrorCode> {
        sync(|| Ok(Float32Array::new(self.inner.data.clone())))
    }
}

/// The Kaldi fbank of 16 kHz mono `audio`, computed on `threads` threads.
#[napi(ts_return_type = "Promise<FbankFeatures>")]
pub fn compute_fbank(audio: Float32Array, threads: u32, control: &JobControl) -> Result<AsyncTask<Job<Fbank, FbankFeatures>>, ErrorCode> {
    sync(|| {
        let (threads, control) = (threads.clamp(1, 64) as usize, control.inner.clone());
        Ok(Job::new(move || fbank::compute(&audio, threads, &control), |f| FbankFeatures { inner: Arc::new(f) }))
    })
}

/// `computeFbank` on the JS thread, for a short clip (a 30 s clip takes about 10 ms).
#[napi]
pub fn compute_fbank_sync(audio: Float32Array) -> Result<FbankFeatures, ErrorCode> {
    sync(|| Ok(FbankFeatures { inner: Arc::new(fbank::compute(&audio, 1, &crate::engine::control::Control::default())?) }))
}

/// pyannote segmentation-3.0, loaded.
#[napi]
pub struct NativeSegmentation {
    inner: Arc<Segmentation>,
}

/// Loads pyannote segmentation-3.0 from `path`, to run on `threads` intra-op threads.
#[napi(ts_return_type = "Promise<NativeSegmentation>")]
pub fn load_segmentation(path: String, threads: u32) -> Result<AsyncTask<Job<Segmentation, NativeSegmentation>>, ErrorCode> {
    sync(|| {
        let threads = prepare(threads)?;
        Ok(Job::new(move || Segmentation::load(&PathBuf::from(path), threads), |s| NativeSegmentation { inner: Arc::new(s) }))
    })
}

fn window_starts(starts: &[f64]) -> EngineResult<Vec<usize>> {
    starts
        .iter()
        .map(|&s| {
            if !(s.is_finite() && s >= 0.0 && s.fract() == 0.0) {
                input_error!("window starts must be whole numbers of samples, got {s}");
            }
            Ok(s as usize)
        })
        .collect()
}

#[napi]
impl NativeSegmentation {
    /// The local speakers' activity in each 10 s window of 16 kHz mono `audio` starting at
    /// `starts` (samples): per window, 589 frames × 3 speakers, 0/1, row-major.
    #[napi(ts_return_type = "Promise<Uint8Array[]>")]
    pub fn activities(&self, audio: Float32Array, starts: Vec<f64>, control: &JobControl) -> Result<AsyncTask<Job<Vec<Vec<u8>>, Vec<Uint8Array>>>, ErrorCode> {
        sync(|| {
            let starts = window_starts(&starts)?;
            let (model, control) = (self.inner.clone(), control.inner.clone());
            Ok(Job::new(move || model.activities(&audio, &starts, &control), |w| w.into_iter().map(Uint8Array::new).collect()))
        })
    }
}

/// CAM++, loaded.
#[napi]
pub struct NativeEmbedding {
    inner: Arc<Embedding>,
}

/// Loads the CAM++ embedding model from `path`, to run on `threads` intra-op threads.
#[napi(ts_return_type = "Promise<NativeEmbedding>")]
pub fn load_embedding(path: String, threads: u32) -> Result<AsyncTask<Job<Embedding, NativeEmbedding>>, ErrorCode> {
    sync(|| {
        let threads = prepare(threads)?;
        Ok(Job::new(move || Embedding::load(&PathBuf::from(path), threads), |e| NativeEmbedding { inner: Arc::new(e) }))
    })
}

/// One set of fbank frames: `runs` holds `[start, end)` pairs of frame indices (start0, end0,
/// start1, end1, ...), each within the features, none empty.
#[napi(object)]
pub struct FrameSet {
    pub runs: Uint32Array,
}

#[napi]
impl NativeEmbedding {
    /// The embedding of each set of frames of `features`: the frames gathered in order,
    /// mean-normalized per bin over the set, embedded, L2-normalized; 192 numbers per set.
    #[napi(ts_return_type = "Promise<Float32Array[]>")]
    pub fn embed_frame_sets(
        &self,
        features: &FbankFeatures,
        sets: Vec<FrameSet>,
        control: &JobControl,
    ) -> Result<AsyncTask<Job<Vec<Vec<f32>>, Vec<Float32Array>>>, ErrorCode> {
        sync(|| {
            let (model, fbank, control) = (self.inner.clone(), features.inner.clone(), control.inner.clone());
            Ok(Job::new(
                move || {
                    let runs: Vec<&[u32]> = sets.iter().map(|s| &s.runs[..]).collect();
                    model.embed_sets(&fbank, &runs, &control)
                },
                |v| v.into_iter().map(Float32Array::new).collect(),
            ))
        })
    }
}

/// The ONNX Runtime release the addon loads (the version pinned at build time).
#[napi]
pub fn onnxruntime_version() -> Result<String, ErrorCode> {
    sync(|| Ok(runtime::ONNXRUNTIME_VERSION.to_string()))
}
