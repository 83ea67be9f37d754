//! Node-API surface of ct2-whisper's native engine. Every long call runs on libuv's
//! thread pool (napi `AsyncTask`) and takes a `JobControl` for abort and progress.
//! Options go in and results come out as JSON, so the TypeScript layer owns the shapes.
//! Every entry point and every task body runs inside `guard::guard`: a panic becomes a rejected
//! call ("internal error: ..."), never an abort of the process.

mod audio;
mod batched;
mod control;
mod device;
mod engine;
mod features;
mod guard;
mod headers;
mod languages;
mod options;
mod resample;
mod result;
mod tokenizer;
mod transcribe;
mod word_timestamps;

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::control::Control;
use crate::engine::{Engine, LoadOptions};
use crate::features::FeatureExtractor;
use crate::guard::guard;
use crate::options::TranscribeOptions;

fn to_napi(e: anyhow::Error) -> Error {
    Error::new(Status::GenericFailure, format!("{e:#}"))
}

fn parse_options(json: &str) -> Result<TranscribeOptions> {
    serde_json::from_str(json).map_err(|e| Error::new(Status::InvalidArg, format!("invalid transcription options: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| to_napi(e.into()))
}

/// Abort flag and progress of one running call.
#[napi]
pub struct JobControl {
    inner: Arc<Control>,
}

#[napi]
impl JobControl {
    #[napi(constructor)]
    pub fn new() -> Result<Self> {
        guard(|| Ok(Self { inner: Arc::new(Control::default()) }))
    }

    #[napi]
    pub fn abort(&self) -> Result<()> {
        guard(|| Ok(self.inner.cancel()))
    }

    /// Segments finished since the last call, as JSON strings.
    #[napi]
    pub fn take_segments(&self) -> Result<Vec<String>> {
        guard(|| Ok(self.inner.take_segments()))
    }

    /// `[secondsDone, secondsTotal]`
    #[napi]
    pub fn progress(&self) -> Result<Vec<f64>> {
        guard(|| {
            let (d, t) = self.inner.progress();
            Ok(vec![d, t])
        })
    }
}

#[napi(object)]
pub struct NativeLoadOptions {
    pub device: String,
    pub device_index: i32,
    pub compute_type: String,
    pub cpu_threads: u32,
    pub num_workers: u32,
}

/// A loaded model. `dispose()` drops it once the calls in flight are done.
#[napi]
pub struct NativeModel {
    engine: RwLock<Option<Arc<Engine>>>,
    device: String,
    compute_type: String,
    multilingual: bool,
    n_mels: u32,
    languages: Vec<String>,
}

impl NativeModel {
    fn engine(&self) -> Result<Arc<Engine>> {
        self.engine
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| Error::new(Status::GenericFailure, "the model has been disposed".to_string()))
    }
}

pub struct LoadTask {
    path: PathBuf,
    options: LoadOptions,
}

impl Task for LoadTask {
    type Output = Engine;
    type JsValue = NativeModel;

    fn compute(&mut self) -> Result<Engine> {
        guard(|| Engine::load(&self.path, &self.options).map_err(to_napi))
    }

    fn resolve(&mut self, _env: Env, engine: Engine) -> Result<NativeModel> {
        guard(|| Ok(NativeModel {
            device: engine.device.clone(),
            compute_type: engine.compute_type.clone(),
            multilingual: engine.is_multilingual(),
            n_mels: engine.n_mels() as u32,
            languages: engine.tokenizer.supported_languages(),
            engine: RwLock::new(Some(Arc::new(engine))),
        }))
    }
}

#[napi(ts_return_type = "Promise<NativeModel>")]
pub fn load_model(path: String, options: NativeLoadOptions) -> Result<AsyncTask<LoadTask>> {
    guard(|| Ok(AsyncTask::new(LoadTask {
        path: PathBuf::from(path),
        options: LoadOptions {
            device: options.device,
            device_index: options.device_index,
            compute_type: options.compute_type,
            cpu_threads: options.cpu_threads as usize,
            num_workers: options.num_workers as usize,
        },
    })))
}

/// Whisper's language codes.
#[napi]
pub fn language_codes() -> Result<Vec<String>> {
    guard(|| Ok(languages::LANGUAGE_CODES.iter().map(|s| s.to_string()).collect()))
}

#[napi]
pub fn cuda_device_count() -> Result<u32> {
    guard(|| Ok(device::cuda_device_count() as u32))
}

/// A call on the thread pool that resolves to JSON: transcription, batched transcription or
/// language detection.
pub struct JsonTask {
    work: Option<Box<dyn FnOnce() -> Result<String> + Send>>,
}

impl JsonTask {
    fn new(work: impl FnOnce() -> Result<String> + Send + 'static) -> AsyncTask<JsonTask> {
        AsyncTask::new(JsonTask { work: Some(Box::new(work)) })
    }
}

impl Task for JsonTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let work = self.work.take().ok_or_else(|| Error::new(Status::GenericFailure, "task already run".to_string()))?;
        guard(work)
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

#[napi]
impl NativeModel {
    #[napi(getter)]
    pub fn device(&self) -> Result<String> {
        guard(|| Ok(self.device.clone()))
    }

    #[napi(getter)]
    pub fn compute_type(&self) -> Result<String> {
        guard(|| Ok(self.compute_type.clone()))
    }

    #[napi(getter)]
    pub fn is_multilingual(&self) -> Result<bool> {
        guard(|| Ok(self.multilingual))
    }

    #[napi(getter)]
    pub fn n_mels(&self) -> Result<u32> {
        guard(|| Ok(self.n_mels))
    }

    #[napi(getter)]
    pub fn supported_languages(&self) -> Result<Vec<String>> {
        guard(|| Ok(self.languages.clone()))
    }

    /// Transcribes 16 kHz mono samples; `options` is JSON of `TranscribeOptions`. Resolves to JSON.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn transcribe(&self, audio: Float32Array, options: String, control: &JobControl) -> Result<AsyncTask<JsonTask>> {
        guard(|| {
            let (engine, audio, control) = (self.engine()?, audio.to_vec(), control.inner.clone());
            Ok(JsonTask::new(move || {
                let opts = parse_options(&options)?;
                to_json(&engine.transcribe(&audio, &opts, &control).map_err(to_napi)?)
            }))
        })
    }

    /// Transcribes speech chunks (each at most one window) in batches. `offsets` place each chunk
    /// in seconds of the kept audio; `duration` is the whole recording's. Resolves to JSON.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn transcribe_batched(
        &self,
        chunks: Vec<Float32Array>,
        offsets: Vec<f64>,
        duration: f64,
        batch_size: u32,
        options: String,
        control: &JobControl,
    ) -> Result<AsyncTask<JsonTask>> {
        guard(|| {
            if chunks.len() != offsets.len() {
                return Err(Error::new(Status::InvalidArg, "chunks and offsets differ in length".to_string()));
            }
            let chunks: Vec<batched::Chunk> = chunks
                .iter()
                .zip(offsets)
                .map(|(c, offset)| batched::Chunk { samples: c.to_vec(), offset })
                .collect();
            let (engine, control, batch_size) = (self.engine()?, control.inner.clone(), batch_size.max(1) as usize);
            Ok(JsonTask::new(move || {
                let opts = parse_options(&options)?;
                to_json(&engine.transcribe_batched(&chunks, duration, &opts, batch_size, &control).map_err(to_napi)?)
            }))
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn detect_language(
        &self,
        audio: Float32Array,
        segments: u32,
        threshold: f64,
        control: &JobControl,
    ) -> Result<AsyncTask<JsonTask>> {
        guard(|| {
            let (engine, audio, control, segments) = (self.engine()?, audio.to_vec(), control.inner.clone(), segments.max(1) as usize);
            Ok(JsonTask::new(move || {
                control.check().map_err(to_napi)?;
                to_json(&engine.detect_language_audio(&audio, segments, threshold).map_err(to_napi)?)
            }))
        })
    }

    #[napi]
    pub fn dispose(&self) -> Result<()> {
        guard(|| {
            self.engine.write().unwrap_or_else(PoisonError::into_inner).take();
            Ok(())
        })
    }
}

#[napi(object)]
pub struct DecodedAudio {
    /// 16 kHz samples, one array per channel (one when mixed to mono).
    pub channels: Vec<Float32Array>,
    pub source_sample_rate: u32,
    pub source_channels: u32,
}

pub struct DecodeTask {
    input: Option<audio::Input>,
    ext: Option<String>,
    split_channels: bool,
    limits: audio::Limits,
}

impl Task for DecodeTask {
    type Output = audio::Decoded;
    type JsValue = DecodedAudio;

    fn compute(&mut self) -> Result<audio::Decoded> {
        guard(|| {
            let input = self.input.take().ok_or_else(|| Error::new(Status::GenericFailure, "task already run".to_string()))?;
            audio::decode(input, self.ext.as_deref(), self.split_channels, self.limits)
                .map_err(|e| Error::new(Status::GenericFailure, e.to_string()))
        })
    }

    fn resolve(&mut self, _env: Env, d: audio::Decoded) -> Result<DecodedAudio> {
        guard(|| {
            Ok(DecodedAudio {
                channels: d.channels.into_iter().map(Float32Array::new).collect(),
                source_sample_rate: d.source_rate,
                source_channels: d.source_channels as u32,
            })
        })
    }
}

fn limits(max_audio_seconds: f64, max_audio_bytes: f64) -> Result<audio::Limits> {
    if !(max_audio_seconds.is_finite() && max_audio_seconds > 0.0) {
        return Err(Error::new(Status::InvalidArg, format!("maxAudioSeconds must be a positive number, got {max_audio_seconds}")));
    }
    if !(max_audio_bytes.is_finite() && max_audio_bytes >= 1.0) {
        return Err(Error::new(Status::InvalidArg, format!("maxAudioBytes must be a positive number, got {max_audio_bytes}")));
    }
    Ok(audio::Limits { max_seconds: max_audio_seconds, max_bytes: max_audio_bytes as u64 })
}

/// Decodes WAV, FLAC, MP3, M4A/AAC or OGG Vorbis bytes to 16 kHz float32, refusing more than
/// `maxAudioSeconds` of audio (all channels together when split) and more than `maxAudioBytes`.
/// Rejects with a message starting "unsupported audio format" or "corrupt audio" for what ffmpeg
/// may still read; "invalid audio header", "audio is longer than the limit" and "internal error"
/// are final.
#[napi(ts_return_type = "Promise<DecodedAudio>")]
pub fn decode_audio(
    bytes: Buffer,
    extension: Option<String>,
    split_channels: bool,
    max_audio_seconds: f64,
    max_audio_bytes: f64,
) -> Result<AsyncTask<DecodeTask>> {
    guard(|| {
        let limits = limits(max_audio_seconds, max_audio_bytes)?;
        Ok(AsyncTask::new(DecodeTask { input: Some(audio::Input::Bytes(bytes.to_vec())), ext: extension, split_channels, limits }))
    })
}

/// As `decodeAudio`, reading the file at `path` as a stream: it must be a regular file of at most
/// `maxAudioBytes` ("audio path is not a regular file", "audio file is N bytes, more than the
/// limit"), checked before anything is read.
#[napi(ts_return_type = "Promise<DecodedAudio>")]
pub fn decode_audio_file(
    path: String,
    extension: Option<String>,
    split_channels: bool,
    max_audio_seconds: f64,
    max_audio_bytes: f64,
) -> Result<AsyncTask<DecodeTask>> {
    guard(|| {
        let limits = limits(max_audio_seconds, max_audio_bytes)?;
        Ok(AsyncTask::new(DecodeTask { input: Some(audio::Input::Path(path)), ext: extension, split_channels, limits }))
    })
}

#[napi(object)]
pub struct LogMel {
    pub n_mels: u32,
    pub n_frames: u32,
    /// Row-major `[n_mels, n_frames]`.
    pub data: Float32Array,
}

/// Log-mel features of 16 kHz mono samples, as the pipeline computes them.
#[napi]
pub fn log_mel_spectrogram(audio: Float32Array, n_mels: u32) -> Result<LogMel> {
    guard(|| {
        if n_mels == 0 {
            return Err(Error::new(Status::InvalidArg, "nMels must be positive".to_string()));
        }
        let f = FeatureExtractor::new(n_mels as usize).compute(&audio);
        Ok(LogMel { n_mels: f.n_mels as u32, n_frames: f.n_frames as u32, data: Float32Array::new(f.data) })
    })
}
