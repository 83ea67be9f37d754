//! Native audio decoding (WAV, FLAC, MP3, M4A/AAC, OGG Vorbis via symphonia) to 16 kHz
//! float32, mono or one track per channel. Formats it cannot read are reported as
//! `UnsupportedFormat` so the caller can fall back to ffmpeg.

use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::features::SAMPLE_RATE;

#[derive(Debug)]
pub enum AudioError {
    /// Not a container/codec this decoder knows: try ffmpeg.
    UnsupportedFormat(String),
    /// A known format whose stream is broken beyond its first packet.
    Corrupt(String),
}

impl std::fmt::Display for AudioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AudioError::UnsupportedFormat(m) => write!(f, "unsupported audio format: {m}"),
            AudioError::Corrupt(m) => write!(f, "corrupt audio: {m}"),
        }
    }
}

/// Decoded audio: one vector of 16 kHz samples per output channel.
pub struct Decoded {
    pub channels: Vec<Vec<f32>>,
    pub source_rate: u32,
    pub source_channels: usize,
}

/// Decodes an encoded file held in memory. `split_channels` keeps each channel apart;
/// otherwise channels are averaged to mono.
pub fn decode(bytes: Vec<u8>, hint_ext: Option<&str>, split_channels: bool) -> Result<Decoded, AudioError> {
    let mut hint = Hint::new();
    if let Some(ext) = hint_ext {
        hint.with_extension(ext);
    }
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), MediaSourceStreamOptions::default());
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions { enable_gapless: true, ..Default::default() },
            &MetadataOptions::default(),
        )
        .map_err(|e| AudioError::UnsupportedFormat(e.to_string()))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioError::UnsupportedFormat("no audio track".into()))?
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| AudioError::UnsupportedFormat(e.to_string()))?;
    let mut rate = track.codec_params.sample_rate.unwrap_or(0);
    let mut n_channels = track.codec_params.channels.map(|c| c.count()).unwrap_or(0);
    let mut interleaved: Vec<f32> = Vec::new();
    let mut decoded_any = false;
    let mut first_error: Option<String> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            // End of stream, or a truncated file: keep what was decoded.
            Err(SymError::IoError(_)) => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => {
                first_error.get_or_insert(e.to_string());
                break;
            }
        };
        if packet.track_id() != track.id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                let spec = *buf.spec();
                if rate == 0 {
                    rate = spec.rate;
                }
                if n_channels == 0 {
                    n_channels = spec.channels.count();
                }
                let mut sb = SampleBuffer::<f32>::new(buf.capacity() as u64, spec);
                sb.copy_interleaved_ref(buf);
                interleaved.extend_from_slice(sb.samples());
                decoded_any = true;
            }
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
    if !decoded_any {
        if let Some(err) = first_error {
            return Err(AudioError::Corrupt(err));
        }
    }
    if rate == 0 || n_channels == 0 {
        if interleaved.is_empty() {
            // A valid container with no samples: zero-length audio.
            return Ok(Decoded { channels: vec![Vec::new()], source_rate: rate, source_channels: n_channels.max(1) });
        }
        return Err(AudioError::Corrupt("missing sample rate or channel count".into()));
    }
    let frames = interleaved.len() / n_channels;
    let planar: Vec<Vec<f32>> = if split_channels {
        (0..n_channels)
            .map(|c| (0..frames).map(|i| interleaved[i * n_channels + c]).collect())
            .collect()
    } else {
        let scale = 1.0 / n_channels as f32;
        vec![(0..frames)
            .map(|i| interleaved[i * n_channels..(i + 1) * n_channels].iter().sum::<f32>() * scale)
            .collect()]
    };
    let channels = planar.into_iter().map(|c| resample(&c, rate, SAMPLE_RATE as u32)).collect();
    Ok(Decoded { channels, source_rate: rate, source_channels: n_channels })
}

fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..50 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-12 {
            break;
        }
    }
    sum
}

/// Band-limited resampling with a Kaiser-windowed sinc (beta 9, 16 zero crossings each side,
/// cutoff 0.97 of the lower Nyquist), close to ffmpeg's swresample defaults.
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || input.is_empty() {
        return input.to_vec();
    }
    let ratio = to as f64 / from as f64;
    let cutoff = 0.97 * ratio.min(1.0);
    let zero_crossings = 16.0;
    let half_width = zero_crossings / cutoff; // in input samples
    let beta = 9.0;
    let i0_beta = bessel_i0(beta);
    let out_len = ((input.len() as f64) * ratio).ceil() as usize;
    // Precompute kernels per output phase when the ratio is rational with a small period.
    let g = gcd(from as u64, to as u64);
    let period = (to as u64 / g) as usize; // distinct fractional positions
    let taps = (2.0 * half_width).ceil() as usize + 2;
    let use_table = period <= 4096;
    let kernel = |t: f64| -> f64 {
        if t.abs() >= half_width {
            return 0.0;
        }
        let x = t * cutoff;
        let sinc = if x.abs() < 1e-12 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) };
        let r = t / half_width;
        let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
        cutoff * sinc * w
    };
    let mut table: Vec<Vec<f32>> = Vec::new();
    if use_table {
        for p in 0..period {
            let pos = p as f64 / ratio;
            let frac = pos - pos.floor();
            let start = -(half_width.floor() as isize);
            table.push((0..taps).map(|k| kernel(frac - (start + k as isize) as f64) as f32).collect());
        }
    }
    let mut out = Vec::with_capacity(out_len);
    let n = input.len() as isize;
    for j in 0..out_len {
        let pos = j as f64 / ratio;
        let base = pos.floor() as isize;
        let start = base - (half_width.floor() as isize);
        let mut acc = 0f64;
        if use_table {
            let k = &table[j % period];
            for (i, w) in k.iter().enumerate() {
                let idx = start + i as isize;
                if idx >= 0 && idx < n {
                    acc += input[idx as usize] as f64 * *w as f64;
                }
            }
        } else {
            let frac = pos - base as f64;
            for i in 0..taps {
                let idx = start + i as isize;
                if idx >= 0 && idx < n {
                    acc += input[idx as usize] as f64 * kernel(frac - (i as isize - half_width.floor() as isize) as f64);
                }
            }
        }
        out.push(acc as f32);
    }
    out
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}
