//! Native audio decoding (WAV, FLAC, MP3, M4A/AAC, OGG Vorbis via symphonia) to 16 kHz
//! float32, mono or one track per channel. Formats it cannot read are reported as
//! `UnsupportedFormat` so the caller can fall back to ffmpeg.
//!
//! Input is hostile: a few kilobytes of header can claim any sample rate, channel count or
//! length. So header values are checked before anything is sized from them, the duration is
//! capped from the header before decoding and again packet by packet while decoding, and a file
//! is read as a stream (only a regular file, up to a byte cap). Packets are mixed to mono (or
//! split) and resampled as they come, so memory is the 16 kHz output and little else.

use std::fs::File;
use std::io::{Cursor, Read};
use std::os::unix::fs::{FileExt, OpenOptionsExt};

use symphonia::core::audio::{AudioBufferRef, SampleBuffer, SignalSpec};
use symphonia::core::codecs::{CodecParameters, Decoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::engine::features::SAMPLE_RATE;
use super::error::AudioError;
use super::headers::{check_bits, check_channels, check_mp4, check_rate, check_wav, ReadAt, WavHeader, PROBE_SPAN};
use super::resample::Resampler;

/// Bounds on one decode.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most seconds of audio; with `split_channels`, of all channels together (each is
    /// transcribed and held on its own).
    pub max_seconds: f64,
    /// Most bytes of an input file.
    pub max_bytes: u64,
}

pub enum Input {
    Bytes(Vec<u8>),
    Path(String),
}

/// Decoded audio: one vector of 16 kHz samples per output channel.
pub struct Decoded {
    pub channels: Vec<Vec<f32>>,
    pub source_rate: u32,
    pub source_channels: usize,
}

/// The input, opened: bytes in memory or a regular file within the byte cap.
enum Source {
    Bytes(Vec<u8>),
    File(File),
}

impl ReadAt for Source {
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> usize {
        match self {
            Source::Bytes(b) => {
                let from = (pos.min(b.len() as u64)) as usize;
                let n = buf.len().min(b.len() - from);
                buf[..n].copy_from_slice(&b[from..from + n]);
                n
            }
            Source::File(f) => {
                let mut got = 0;
                while got < buf.len() {
                    match f.read_at(&mut buf[got..], pos + got as u64) {
                        Ok(0) => break,
                        Ok(n) => got += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                got
            }
        }
    }
}

/// Opens the input, with its length. A path must be a regular file within the byte cap (a FIFO,
/// /dev/zero or a directory is refused before anything is read from it).
fn open(input: Input, limits: &Limits) -> Result<(Source, u64), AudioError> {
    let too_big = |what: &str, len: u64| {
        AudioError::Unreadable(format!("{what} is {len} bytes, more than the limit of {} bytes (MAX_AUDIO_BYTES)", limits.max_bytes))
    };
    match input {
        Input::Bytes(bytes) => {
            let len = bytes.len() as u64;
            if len > limits.max_bytes {
                return Err(too_big("audio", len));
            }
            Ok((Source::Bytes(bytes), len))
        }
        Input::Path(path) => {
            let unreadable = |e: std::io::Error| AudioError::Unreadable(format!("cannot read audio file {path}: {e}"));
            // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
            let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&path).map_err(unreadable)?;
            let meta = file.metadata().map_err(unreadable)?;
            if !meta.is_file() {
                return Err(AudioError::Unreadable(format!("audio path is not a regular file: {path}")));
            }
            if meta.len() > limits.max_bytes {
                return Err(too_big("audio file", meta.len()));
            }
            Ok((Source::File(file), meta.len()))
        }
    }
}

/// A file read no further than the byte cap, even if it grows while it is decoded.
struct Capped {
    file: File,
    pos: u64,
    end: u64,
}

impl Read for Capped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.end.saturating_sub(self.pos)) as usize;
        let got = self.file.read(&mut buf[..n])?;
        self.pos += got as u64;
        Ok(got)
    }
}

impl std::io::Seek for Capped {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = self.file.seek(to)?;
        Ok(self.pos)
    }
}

impl MediaSource for Capped {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        self.file.metadata().ok().map(|m| m.len())
    }
}

/// Refuses a header whose rate, channels or sample width no recording has.
/// Runs `f` with a panic in it caught, as its message. symphonia panics on some damaged input
/// (found by test/fuzz-decoders.test.mjs: an index past a table in the AAC decoder, an unwrap on
/// a missing field of an MP4 `esds` atom). That is the input's fault: the callers make it an
/// `UnsupportedFormat` or `Corrupt` error (so ffmpeg may try), not an internal error.
fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let why = payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned());
        why.unwrap_or_else(|| "a panic".into())
    })
}

fn check_params(params: &CodecParameters) -> Result<(), AudioError> {
    if let Some(rate) = params.sample_rate {
        check_rate(rate)?;
    }
    if let Some(channels) = params.channels {
        check_channels(channels.count())?;
    }
    if let Some(bits) = params.bits_per_sample {
        check_bits(bits)?;
    }
    Ok(())
}

/// Decodes an encoded file. `split_channels` keeps each channel apart; otherwise channels are
/// averaged to mono.
pub fn decode(input: Input, hint_ext: Option<&str>, split_channels: bool, limits: Limits) -> Result<Decoded, AudioError> {
    let (source, wav) = checked_source(input, &limits)?;
    let mut format = probe(source, hint_ext)?;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioError::UnsupportedFormat("no audio track".into()))?
        .clone();
    check_params(&track.codec_params)?;
    check_header_length(&track.codec_params, wav.as_ref(), split_channels, &limits)?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| AudioError::UnsupportedFormat(e.to_string()))?;
    let mut output = Output::new(&track.codec_params, split_channels, limits);
    let first_error = decode_packets(format.as_mut(), decoder.as_mut(), track.id, &mut output)?;
    if !output.decoded_any {
        if let Some(err) = first_error {
            return Err(AudioError::Corrupt(err));
        }
    }
    Ok(output.finish())
}

/// Opens the input and checks the bytes symphonia's probe looks at, before it does.
fn checked_source(input: Input, limits: &Limits) -> Result<(Box<dyn MediaSource>, Option<WavHeader>), AudioError> {
    let (source, total_len) = open(input, limits)?;
    let mut head = vec![0u8; (total_len as usize).min(PROBE_SPAN)];
    let got = source.read_at(0, &mut head);
    head.truncate(got);
    let wav = check_wav(&head, total_len)?;
    check_mp4(&head, &source, total_len)?;
    let source: Box<dyn MediaSource> = match source {
        Source::Bytes(bytes) => Box::new(Cursor::new(bytes)),
        Source::File(file) => Box::new(Capped { file, pos: 0, end: limits.max_bytes }),
    };
    Ok((source, wav))
}

/// The container's reader, found by symphonia's probe (the extension is a hint).
fn probe(source: Box<dyn MediaSource>, hint_ext: Option<&str>) -> Result<Box<dyn FormatReader>, AudioError> {
    let mut hint = Hint::new();
    if let Some(ext) = hint_ext {
        hint.with_extension(ext);
    }
    let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    let probed = caught(|| {
        symphonia::default::get_probe().format(
            &hint,
            mss,
            &FormatOptions { enable_gapless: true, ..Default::default() },
            &MetadataOptions::default(),
        )
    })
    .map_err(|why| AudioError::UnsupportedFormat(format!("the container reader failed on it ({why})")))?
    .map_err(|e| AudioError::UnsupportedFormat(e.to_string()))?;
    Ok(probed.format)
}

/// Output channels for `n` channels in: `n` when split, else 1 (mono).
fn out_channels(split_channels: bool, n: usize) -> usize {
    if split_channels {
        n
    } else {
        1
    }
}

/// The cap from the header, before decoding: a 2 MB FLAC can say 10 hours, and does.
fn check_header_length(params: &CodecParameters, wav: Option<&WavHeader>, split_channels: bool, limits: &Limits) -> Result<(), AudioError> {
    let header_frames = match wav {
        Some(w) => w.frames,
        None => params.n_frames,
    };
    if let (Some(frames), Some(rate)) = (header_frames, params.sample_rate) {
        let channels = out_channels(split_channels, params.channels.map(|c| c.count()).unwrap_or(1));
        let seconds = frames as f64 / rate as f64 * channels as f64;
        if seconds > limits.max_seconds {
            return Err(AudioError::TooLong(limits.max_seconds));
        }
    }
    Ok(())
}

/// Decodes the track's packets into `output` up to the end of the stream (or of a truncated
/// file). A damaged packet is skipped, as ffmpeg does. Returns the first error met, which fails
/// the decode only if no packet decoded.
fn decode_packets(format: &mut dyn FormatReader, decoder: &mut dyn Decoder, track_id: u32, output: &mut Output) -> Result<Option<String>, AudioError> {
    let mut first_error: Option<String> = None;
    loop {
        let next = caught(|| format.next_packet()).map_err(|why| AudioError::Corrupt(format!("the container reader failed on a damaged packet ({why})")))?;
        let packet = match next {
            Ok(p) => p,
            // End of stream, or a truncated file: keep what was decoded.
            Err(SymError::IoError(_)) => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => {
                first_error.get_or_insert(e.to_string());
                break;
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let d = &mut *decoder;
        let decoded = caught(move || d.decode(&packet)).map_err(|why| AudioError::Corrupt(format!("the decoder failed on a damaged packet ({why})")))?;
        match decoded {
            Ok(buf) => output.push(buf)?,
            // A damaged packet: skip it, as ffmpeg does.
            Err(SymError::DecodeError(e)) => {
                first_error.get_or_insert(e.to_string());
            }
            Err(SymError::IoError(_)) => break,
            Err(e) => {
                first_error.get_or_insert(e.to_string());
                break;
            }
        }
    }
    Ok(first_error)
}

/// What the decoded packets become: checked, counted against the cap, mixed to mono or split,
/// and resampled to 16 kHz as they come.
struct Output {
    split_channels: bool,
    limits: Limits,
    /// The stream's rate and channel count: from the codec parameters, else from the first packet.
    rate: u32,
    n_channels: usize,
    /// One resampler per output channel, made at the first decoded packet (a stream may carry its
    /// rate and channel count only there).
    resamplers: Vec<Resampler>,
    frames: u64,
    sb: Option<SampleBuffer<f32>>,
    mono: Vec<f32>,
    plane: Vec<f32>,
    decoded_any: bool,
}

impl Output {
    fn new(params: &CodecParameters, split_channels: bool, limits: Limits) -> Self {
        Output {
            split_channels,
            limits,
            rate: params.sample_rate.unwrap_or(0),
            n_channels: params.channels.map(|c| c.count()).unwrap_or(0),
            resamplers: Vec::new(),
            frames: 0,
            sb: None,
            mono: Vec::new(),
            plane: Vec::new(),
            decoded_any: false,
        }
    }

    /// At the first packet: the rate and channel count, checked, and the resamplers.
    fn start(&mut self, spec: &SignalSpec) -> Result<(), AudioError> {
        if self.rate == 0 {
            self.rate = spec.rate;
        }
        if self.n_channels == 0 {
            self.n_channels = spec.channels.count();
        }
        check_rate(self.rate)?;
        check_channels(self.n_channels)?;
        for _ in 0..out_channels(self.split_channels, self.n_channels) {
            self.resamplers.push(Resampler::new(self.rate, SAMPLE_RATE as u32).map_err(AudioError::InvalidHeader)?);
        }
        Ok(())
    }

    /// One decoded packet.
    fn push(&mut self, buf: AudioBufferRef<'_>) -> Result<(), AudioError> {
        let spec = *buf.spec();
        if self.resamplers.is_empty() {
            self.start(&spec)?;
        }
        let packet_channels = spec.channels.count();
        check_channels(packet_channels)?;
        if self.split_channels && packet_channels != self.n_channels {
            return Err(AudioError::Corrupt(format!(
                "the channel count changes from {} to {packet_channels} within the stream",
                self.n_channels
            )));
        }
        // The cap again, on what actually decodes: headers may say nothing, or lie low.
        self.frames += buf.frames() as u64;
        if self.frames as f64 / self.rate as f64 * out_channels(self.split_channels, self.n_channels) as f64 > self.limits.max_seconds {
            return Err(AudioError::TooLong(self.limits.max_seconds));
        }
        if self.sb.as_ref().map_or(true, |s| s.capacity() < buf.capacity() * packet_channels) {
            self.sb = Some(SampleBuffer::<f32>::new(buf.capacity() as u64, spec));
        }
        let sb = self.sb.as_mut().expect("made above");
        sb.copy_interleaved_ref(buf);
        let interleaved = sb.samples();
        if self.split_channels {
            for (c, out) in self.resamplers.iter_mut().enumerate() {
                self.plane.clear();
                self.plane.extend(interleaved.iter().skip(c).step_by(packet_channels));
                out.push(&self.plane);
            }
        } else {
            let scale = 1.0 / packet_channels as f32;
            self.mono.clear();
            self.mono.extend(interleaved.chunks_exact(packet_channels).map(|f| f.iter().sum::<f32>() * scale));
            self.resamplers[0].push(&self.mono);
        }
        self.decoded_any = true;
        Ok(())
    }

    fn finish(self) -> Decoded {
        if self.resamplers.is_empty() {
            // A valid container with no samples: zero-length audio.
            return Decoded { channels: vec![Vec::new()], source_rate: self.rate, source_channels: self.n_channels.max(1) };
        }
        let channels = self.resamplers.into_iter().map(Resampler::finish).collect();
        Decoded { channels, source_rate: self.rate, source_channels: self.n_channels }
    }
}
