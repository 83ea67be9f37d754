//! The Node-API surface. Options come in as `#[napi(object)]` structs and results go out as
//! `#[napi(object)]` structs (options.rs, result.rs), so `native/binding.d.cts`, which napi-rs
//! generates from this code, types the TypeScript layer. Every long call runs on libuv's thread
//! pool (`Job`, an `AsyncTask`) and takes a `JobControl` for abort and progress.
//!
//! Errors: every failure carries an `ErrorCode` from where it is known (error.rs); here it
//! becomes the JS error's `code` (`ERR_INPUT`, ...). Every entry point and every task body runs
//! inside `guard`: a panic becomes an `ERR_INTERNAL` error ("internal error: ..."), never an abort
//! of the process.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::audio;
use crate::engine::control::Control;
use crate::engine::device;
use crate::engine::features::FeatureExtractor;
use crate::engine::languages;
use crate::engine::model::{LoadOptions, WhisperModel};
use crate::engine::pipeline::{self, BatchRequest, BatchedPipeline, Chunk, SequentialPipeline};
use crate::engine::result::{LanguageDetection, Segment, Transcription};
use crate::engine::timings::{self, StageTimings};
use crate::error::{Error, ErrorCode};
use crate::node_api::guard::guard;
use crate::options::DecodeOptions;

fn to_js(e: Error) -> napi::Error<ErrorCode> {
    napi::Error::new(e.code, e.message)
}

/// Runs a synchronous entry point under `guard`; a failure throws a JS error whose `code` is
/// the `ErrorCode` (every entry point returns `Result<T, ErrorCode>`).
pub(crate) fn sync<T>(f: impl FnOnce() -> crate::error::Result<T>) -> Result<T, ErrorCode> {
    guard(f).map_err(to_js)
}

/// A JS `Error` with `code`, as a napi error that settles a promise with that very value.
fn coded_rejection(env: Env, code: ErrorCode, message: String) -> napi::Error {
    let value = JsError::from(napi::Error::new(code, message)).into_unknown(env);
    napi::Error::from(value)
}

/// A call on the thread pool: `work` runs there under `guard`, `finish` turns its output into
/// the JS value on the JS thread. A failure rejects with a JS error whose `code` is the one
/// `work` decided.
pub struct Job<O: Send + 'static, J> {
    work: Option<Box<dyn FnOnce() -> crate::error::Result<O> + Send>>,
    finish: fn(O) -> J,
    failure: ErrorCode,
}

impl<O: Send + 'static, J: ToNapiValue + TypeName> Job<O, J> {
    pub(crate) fn new(work: impl FnOnce() -> crate::error::Result<O> + Send + 'static, finish: fn(O) -> J) -> AsyncTask<Self> {
        AsyncTask::new(Job { work: Some(Box::new(work)), finish, failure: ErrorCode::Internal })
    }
}

impl<O: Send + 'static, J: ToNapiValue + TypeName> Task for Job<O, J> {
    type Output = O;
    type JsValue = J;

    fn compute(&mut self) -> napi::Result<O> {
        let outcome = match self.work.take() {
            Some(work) => guard(work),
            None => Err(Error::internal("internal error: task already run")),
        };
        outcome.map_err(|e| {
            self.failure = e.code;
            napi::Error::new(Status::GenericFailure, e.message)
        })
    }

    fn resolve(&mut self, env: Env, output: O) -> napi::Result<J> {
        let finish = self.finish;
        guard(|| Ok(finish(output))).map_err(|e| coded_rejection(env, e.code, e.message))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<J> {
        Err(coded_rejection(env, self.failure, err.reason))
    }
}

fn same<T>(v: T) -> T {
    v
}

/// Runs a job's work with its stage timings counted into `control`.
fn profiled<T>(control: &Control, work: impl FnOnce() -> crate::error::Result<T>) -> crate::error::Result<T> {
    timings::begin();
    let out = work();
    control.set_timings(timings::end());
    out
}

/// Abort flag and progress of one running call.
#[napi]
pub struct JobControl {
    pub(crate) inner: Arc<Control>,
}

#[napi]
impl JobControl {
    #[napi(constructor)]
    pub fn new() -> Result<Self, ErrorCode> {
        sync(|| Ok(Self { inner: Arc::new(Control::default()) }))
    }

    #[napi]
    pub fn abort(&self) -> Result<(), ErrorCode> {
        sync(|| {
            self.inner.cancel();
            Ok(())
        })
    }

    /// The caller takes segments as they come (a stream): the batched pipeline's first batches
    /// are small (1, 2, 4, ... chunks up to the batch size), so that its first segments come
    /// after one chunk's decoding rather than a whole batch's.
    #[napi]
    pub fn stream_segments(&self) -> Result<(), ErrorCode> {
        sync(|| {
            self.inner.set_streaming();
            Ok(())
        })
    }

    /// Segments finished since the last call.
    #[napi]
    pub fn take_segments(&self) -> Result<Vec<Segment>, ErrorCode> {
        sync(|| Ok(self.inner.take_segments()))
    }

    /// Seconds per stage of the finished call (zeros before it ends).
    #[napi]
    pub fn timings(&self) -> Result<StageTimings, ErrorCode> {
        sync(|| Ok(self.inner.timings()))
    }

    /// `[secondsDone, secondsTotal]`
    #[napi]
    pub fn progress(&self) -> Result<Vec<f64>, ErrorCode> {
        sync(|| {
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
    model: RwLock<Option<Arc<WhisperModel>>>,
    device: String,
    compute_type: String,
    multilingual: bool,
    n_mels: u32,
    languages: Vec<String>,
}

impl NativeModel {
    fn new(model: WhisperModel) -> Self {
        NativeModel {
            device: model.device.clone(),
            compute_type: model.compute_type.clone(),
            multilingual: model.is_multilingual(),
            n_mels: model.n_mels() as u32,
            languages: model.tokenizer.supported_languages(),
            model: RwLock::new(Some(Arc::new(model))),
        }
    }

    fn model(&self) -> crate::error::Result<Arc<WhisperModel>> {
        self.model
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| Error::input("the model has been disposed"))
    }
}

/// Loads a CTranslate2 Whisper model directory. Rejects with `ERR_MODEL` when the directory is
/// missing, incomplete or not a model, `ERR_INPUT` for a device or compute type that cannot be
/// used, `ERR_ENGINE` when the device fails (CUDA, memory).
#[napi(ts_return_type = "Promise<NativeModel>")]
pub fn load_model(path: String, options: NativeLoadOptions) -> Result<AsyncTask<Job<WhisperModel, NativeModel>>, ErrorCode> {
    sync(|| {
        let path = PathBuf::from(path);
        let options = LoadOptions {
            device: options.device,
            device_index: options.device_index,
            compute_type: options.compute_type,
            cpu_threads: options.cpu_threads as usize,
            num_workers: options.num_workers as usize,
        };
        Ok(Job::new(move || WhisperModel::load(&path, &options), NativeModel::new))
    })
}

/// Whisper's language codes.
#[napi]
pub fn language_codes() -> Result<Vec<String>, ErrorCode> {
    sync(|| Ok(languages::LANGUAGE_CODES.iter().map(|s| s.to_string()).collect()))
}

#[napi]
pub fn cuda_device_count() -> Result<u32, ErrorCode> {
    sync(|| Ok(device::cuda_device_count() as u32))
}

#[napi]
impl NativeModel {
    #[napi(getter)]
    pub fn device(&self) -> Result<String, ErrorCode> {
        sync(|| Ok(self.device.clone()))
    }

    #[napi(getter)]
    pub fn compute_type(&self) -> Result<String, ErrorCode> {
        sync(|| Ok(self.compute_type.clone()))
    }

    #[napi(getter)]
    pub fn is_multilingual(&self) -> Result<bool, ErrorCode> {
        sync(|| Ok(self.multilingual))
    }

    #[napi(getter)]
    pub fn n_mels(&self) -> Result<u32, ErrorCode> {
        sync(|| Ok(self.n_mels))
    }

    #[napi(getter)]
    pub fn supported_languages(&self) -> Result<Vec<String>, ErrorCode> {
        sync(|| Ok(self.languages.clone()))
    }

    /// Transcribes 16 kHz mono samples (faster-whisper's sequential pipeline) with the options
    /// resolved for the call (src/options/resolve.ts).
    #[napi(ts_return_type = "Promise<Transcription>")]
    pub fn transcribe(
        &self,
        audio: Float32Array,
        options: DecodeOptions,
        control: &JobControl,
    ) -> Result<AsyncTask<Job<Transcription, Transcription>>, ErrorCode> {
        sync(|| {
            let opts = options;
            // The JS array itself, not a copy (230 MB an hour): the TS layer hands over samples
            // that nothing else holds (see src/model.ts).
            let (model, control) = (self.model()?, control.inner.clone());
            Ok(Job::new(move || profiled(&control, || SequentialPipeline::new(&model).transcribe(&audio, &opts, &control)), same))
        })
    }

    /// Transcribes speech chunks (each at most one window) in batches (faster-whisper's batched
    /// pipeline; `options` resolved with its choices made). Each chunk is its parts (views
    /// of the samples, read in place) and its offset in seconds of the kept audio; `duration` is
    /// the whole recording's.
    #[napi(ts_return_type = "Promise<Transcription>")]
    pub fn transcribe_batched(
        &self,
        chunks: Vec<NativeChunk>,
        duration: f64,
        batch_size: u32,
        options: DecodeOptions,
        control: &JobControl,
    ) -> Result<AsyncTask<Job<Transcription, Transcription>>, ErrorCode> {
        sync(|| {
            let opts = options;
            let (model, control, batch_size) = (self.model()?, control.inner.clone(), batch_size.max(1) as usize);
            // The JS arrays themselves, held by the job, not copies (see src/model.ts).
            Ok(Job::new(
                move || {
                    let chunks: Vec<Chunk> = chunks.iter().map(NativeChunk::borrow).collect();
                    profiled(&control, || BatchedPipeline::new(&model).transcribe(&chunks, duration, &opts, batch_size, &control))
                },
                same,
            ))
        })
    }

    /// Transcribes several requests' speech chunks together (the batched pipeline across
    /// requests): their chunks share encoder and decoder batches of `batchSize`, each decoded
    /// with its own prompt. Their options must agree in all but language, task, initialPrompt
    /// and hotwords. `controls[i]` is request i's abort and progress. Resolves with one outcome
    /// per request: its transcription, or its own error (a bad option, a cancel, an engine
    /// failure of a batch it was in); the call itself rejects only when the arguments are wrong.
    #[napi(ts_return_type = "Promise<BatchOutcome[]>")]
    pub fn transcribe_batched_many(
        &self,
        requests: Vec<NativeBatchRequest>,
        batch_size: u32,
        controls: Vec<ClassInstance<JobControl>>,
    ) -> Result<AsyncTask<Job<Vec<crate::error::Result<Transcription>>, Vec<BatchOutcome>>>, ErrorCode> {
        sync(|| {
            if requests.len() != controls.len() {
                return Err(Error::input("requests and controls differ in length"));
            }
            let prepared: Vec<PreparedRequest> = requests
                .into_iter()
                .zip(&controls)
                .map(|(r, c)| PreparedRequest { work: prepare_request(&r), duration: r.duration, control: c.inner.clone(), chunks: r.chunks })
                .collect();
            let (model, batch_size) = (self.model()?, batch_size.max(1) as usize);
            Ok(Job::new(
                move || {
                    let chunks: Vec<Vec<Chunk>> = prepared
                        .iter()
                        .map(|p| p.chunks.iter().map(NativeChunk::borrow).collect())
                        .collect();
                    let runnable: Vec<BatchRequest> = prepared
                        .iter()
                        .zip(&chunks)
                        .filter_map(|(p, chunks)| p.work.as_ref().ok().map(|opts| BatchRequest { chunks, duration: p.duration, opts, control: &p.control }))
                        .collect();
                    let mut results = BatchedPipeline::new(&model).transcribe_many(&runnable, batch_size).into_iter();
                    Ok(prepared
                        .iter()
                        .map(|p| match &p.work {
                            Err(e) => Err(Error::new(e.code, e.message.clone())),
                            Ok(_) => results.next().unwrap_or_else(|| Err(Error::internal("internal error: a request has no result"))),
                        })
                        .collect())
                },
                batch_outcomes,
            ))
        })
    }

    /// Detects the language from the first `segments` windows of 16 kHz mono samples, stopping
    /// at the first whose language reaches `threshold` (both resolved by the caller).
    #[napi(ts_return_type = "Promise<LanguageDetection>")]
    pub fn detect_language(
        &self,
        audio: Float32Array,
        segments: u32,
        threshold: f64,
        control: &JobControl,
    ) -> Result<AsyncTask<Job<LanguageDetection, LanguageDetection>>, ErrorCode> {
        sync(|| {
            let segments = segments.max(1) as usize;
            let (model, control) = (self.model()?, control.inner.clone());
            Ok(Job::new(
                move || {
                    control.check()?;
                    profiled(&control, || pipeline::detect_language(&model, &audio, segments, threshold))
                },
                same,
            ))
        })
    }

    #[napi]
    pub fn dispose(&self) -> Result<(), ErrorCode> {
        sync(|| {
            self.model.write().unwrap_or_else(PoisonError::into_inner).take();
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

fn decoded_audio(d: audio::Decoded) -> DecodedAudio {
    DecodedAudio {
        channels: d.channels.into_iter().map(Float32Array::new).collect(),
        source_sample_rate: d.source_rate,
        source_channels: d.source_channels as u32,
    }
}

fn decode_job(input: audio::Input, ext: Option<String>, split_channels: bool, max_audio_seconds: f64, max_audio_bytes: f64) -> Result<AsyncTask<Job<audio::Decoded, DecodedAudio>>, ErrorCode> {
    sync(|| {
        if !(max_audio_seconds.is_finite() && max_audio_seconds > 0.0) {
            return Err(Error::input(format!("maxAudioSeconds must be a positive number, got {max_audio_seconds}")));
        }
        if !(max_audio_bytes.is_finite() && max_audio_bytes >= 1.0) {
            return Err(Error::input(format!("maxAudioBytes must be a positive number, got {max_audio_bytes}")));
        }
        let limits = audio::Limits { max_seconds: max_audio_seconds, max_bytes: max_audio_bytes as u64 };
        Ok(Job::new(
            move || audio::decode(input, ext.as_deref(), split_channels, limits).map_err(|e| Error::input(e.to_string())),
            decoded_audio,
        ))
    })
}

/// Decodes WAV, FLAC, MP3, M4A/AAC or OGG Vorbis bytes to 16 kHz float32, refusing more than
/// `maxAudioSeconds` of audio (all channels together when split) and more than `maxAudioBytes`.
/// Rejects with `ERR_INPUT` and a message starting "unsupported audio format" or "corrupt audio"
/// for what ffmpeg may still read; "invalid audio header" and "audio is longer than the limit"
/// are final, as is `ERR_INTERNAL` ("internal error").
#[napi(ts_return_type = "Promise<DecodedAudio>")]
pub fn decode_audio(
    bytes: Buffer,
    extension: Option<String>,
    split_channels: bool,
    max_audio_seconds: f64,
    max_audio_bytes: f64,
) -> Result<AsyncTask<Job<audio::Decoded, DecodedAudio>>, ErrorCode> {
    decode_job(audio::Input::Bytes(bytes.to_vec()), extension, split_channels, max_audio_seconds, max_audio_bytes)
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
) -> Result<AsyncTask<Job<audio::Decoded, DecodedAudio>>, ErrorCode> {
    decode_job(audio::Input::Path(path), extension, split_channels, max_audio_seconds, max_audio_bytes)
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
pub fn log_mel_spectrogram(audio: Float32Array, n_mels: u32) -> Result<LogMel, ErrorCode> {
    sync(|| {
        if n_mels == 0 {
            return Err(Error::input("nMels must be positive"));
        }
        let f = FeatureExtractor::new(n_mels as usize).compute(&audio);
        Ok(LogMel { n_mels: f.n_mels as u32, n_frames: f.n_frames as u32, data: Float32Array::new(f.data) })
    })
}

/// One request of `transcribeBatchedMany`.
/// One speech chunk of the batched pipeline: its parts (views of the recording's samples, read
/// in place, joined when its batch runs), where it starts, in seconds of the kept audio, where
/// each part starts in the recording (none: the kept audio is the recording), and where the VAD
/// heard no speech in the recording, as start, end, start, end... seconds (none: not known).
#[napi(object)]
pub struct NativeChunk {
    pub parts: Vec<Float32Array>,
    pub offset: f64,
    pub origins: Option<Vec<f64>>,
    pub non_speech: Option<Vec<f64>>,
}

impl NativeChunk {
    fn borrow(&self) -> Chunk<'_> {
        let non_speech = self.non_speech.as_deref().unwrap_or_default().chunks_exact(2).map(|p| (p[0], p[1])).collect();
        Chunk { parts: self.parts.iter().map(|p| &p[..]).collect(), offset: self.offset, origins: self.origins.clone().unwrap_or_default(), non_speech }
    }
}

#[napi(object)]
pub struct NativeBatchRequest {
    /// Speech chunks, each at most one window long.
    pub chunks: Vec<NativeChunk>,
    /// The whole recording's seconds.
    pub duration: f64,
    /// The request's options, resolved with the batched pipeline's choices made.
    pub options: DecodeOptions,
}

/// What one request of `transcribeBatchedMany` came to: a transcription, or an error with its code.
#[napi(object)]
pub struct BatchOutcome {
    pub transcription: Option<Transcription>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A request checked, ready for the thread pool: its options, and its chunks' JS arrays, held
/// (not copied) while the job runs.
struct PreparedRequest {
    work: crate::error::Result<DecodeOptions>,
    duration: f64,
    control: Arc<Control>,
    chunks: Vec<NativeChunk>,
}

fn prepare_request(r: &NativeBatchRequest) -> crate::error::Result<DecodeOptions> {
    if !(r.duration.is_finite() && r.duration >= 0.0) {
        return Err(Error::input(format!("duration must be a number of seconds, got {}", r.duration)));
    }
    Ok(r.options.clone())
}

fn batch_outcomes(results: Vec<crate::error::Result<Transcription>>) -> Vec<BatchOutcome> {
    results
        .into_iter()
        .map(|r| match r {
            Ok(t) => BatchOutcome { transcription: Some(t), error_code: None, error_message: None },
            Err(e) => BatchOutcome { transcription: None, error_code: Some(e.code.as_str().to_string()), error_message: Some(e.message) },
        })
        .collect()
}

/// Encoder batches the batched pipeline has run in this process (all models): what a server
/// reports to show that concurrent requests shared batches.
#[napi]
pub fn encoder_batches() -> Result<f64, ErrorCode> {
    sync(|| Ok(pipeline::encoder_batches() as f64))
}
