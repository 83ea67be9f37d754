//! Kaldi-style log-mel filterbank features (the input of the CAM++ speaker-embedding model), as
//! Kaldi's compute-fbank computes them with its defaults: 25 ms frames every 10 ms (snip edges),
//! DC offset removed, pre-emphasis 0.97, Povey window, 512-point power spectrum, 80 triangular mel
//! bins from 20 Hz to Nyquist, natural log floored at float32 epsilon; no dither, no energy.
//! Computed in f64, stored as f32, row-major `[frames, 80]`.

use std::f64::consts::PI;
use std::sync::{Arc, OnceLock};

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::engine::control::Control;
use crate::error::{input_error, Result};

pub const BINS: usize = 80;
pub const FRAME_LENGTH: usize = 400;
pub const FRAME_SHIFT: usize = 160;
const FFT_SIZE: usize = 512;
const SAMPLE_RATE: f64 = 16_000.0;
const PREEMPHASIS: f64 = 0.97;
const LOW_HZ: f64 = 20.0;
const EPS: f64 = f32::EPSILON as f64;

/// The fbank of a recording.
pub struct Fbank {
    pub frames: usize,
    /// Row-major `[frames, 80]`, not mean-normalized.
    pub data: Vec<f32>,
}

/// Number of fbank frames of `samples` samples.
pub fn frame_count(samples: usize) -> usize {
    if samples < FRAME_LENGTH {
        0
    } else {
        1 + (samples - FRAME_LENGTH) / FRAME_SHIFT
    }
}

fn mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

/// What every frame shares: the window, the mel filters (first FFT bin, weights), the FFT plan.
struct Tables {
    window: Vec<f64>,
    filters: Vec<(usize, Vec<f64>)>,
    fft: Arc<dyn Fft<f64>>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        // Kaldi's Povey window: a Hann window raised to 0.85.
        let window = (0..FRAME_LENGTH).map(|i| (0.5 - 0.5 * (2.0 * PI * i as f64 / (FRAME_LENGTH - 1) as f64).cos()).powf(0.85)).collect();
        let (lo, hi) = (mel(LOW_HZ), mel(SAMPLE_RATE / 2.0));
        let delta = (hi - lo) / (BINS + 1) as f64;
        let filters = (0..BINS)
            .map(|m| {
                let (left, center, right) = (lo + m as f64 * delta, lo + (m + 1) as f64 * delta, lo + (m + 2) as f64 * delta);
                let weights: Vec<f64> = (0..FFT_SIZE / 2)
                    .map(|k| {
                        let f = mel(k as f64 * SAMPLE_RATE / FFT_SIZE as f64);
                        ((f - left) / (center - left)).min((right - f) / (right - center)).max(0.0)
                    })
                    .collect();
                let first = weights.iter().position(|&w| w > 0.0).unwrap_or(0);
                let last = weights.iter().rposition(|&w| w > 0.0).map_or(first, |l| l + 1);
                (first, weights[first..last].to_vec())
            })
            .collect();
        let fft = FftPlanner::new().plan_fft_forward(FFT_SIZE);
        Tables { window, filters, fft }
    })
}

/// The fbank rows of frames `from..from + out.len() / 80` of `audio` into `out`.
fn frames_into(audio: &[f32], from: usize, out: &mut [f32]) {
    let t = tables();
    let mut buf = vec![Complex::new(0.0f64, 0.0); FFT_SIZE];
    let mut scratch = vec![Complex::new(0.0f64, 0.0); t.fft.get_inplace_scratch_len()];
    for (r, row) in out.chunks_exact_mut(BINS).enumerate() {
        let frame = &audio[(from + r) * FRAME_SHIFT..][..FRAME_LENGTH];
        let mean = frame.iter().map(|&x| x as f64).sum::<f64>() / FRAME_LENGTH as f64;
        buf.fill(Complex::new(0.0, 0.0));
        let mut prev = frame[0] as f64 - mean;
        buf[0].re = (prev - PREEMPHASIS * prev) * t.window[0];
        for i in 1..FRAME_LENGTH {
            let x = frame[i] as f64 - mean;
            buf[i].re = (x - PREEMPHASIS * prev) * t.window[i];
            prev = x;
        }
        t.fft.process_with_scratch(&mut buf, &mut scratch);
        for (m, (first, weights)) in t.filters.iter().enumerate() {
            let e: f64 = weights.iter().zip(&buf[*first..]).map(|(w, c)| w * c.norm_sqr()).sum();
            row[m] = e.max(EPS).ln() as f32;
        }
    }
}

/// The fbank of 16 kHz mono `audio`, computed on `threads` threads; stops when `control` is
/// cancelled (checked every 10 s of audio).
pub fn compute(audio: &[f32], threads: usize, control: &Control) -> Result<Fbank> {
    let frames = frame_count(audio.len());
    let mut data = vec![0f32; frames * BINS];
    const PIECE: usize = 1000; // frames: 10 s of audio
    let pieces: Vec<(usize, &mut [f32])> = data.chunks_mut(PIECE * BINS).enumerate().map(|(i, c)| (i * PIECE, c)).collect();
    let per_thread = pieces.len().div_ceil(threads.max(1)).max(1);
    let mut groups: Vec<Vec<(usize, &mut [f32])>> = Vec::new();
    let mut pieces = pieces.into_iter().peekable();
    while pieces.peek().is_some() {
        groups.push(pieces.by_ref().take(per_thread).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .into_iter()
            .map(|group| {
                scope.spawn(move || -> Result<()> {
                    for (from, out) in group {
                        control.check()?;
                        frames_into(audio, from, out);
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })?;
    Ok(Fbank { frames, data })
}

impl Fbank {
    /// The rows of `runs` (`[start, end)` pairs of frame indices, in order), gathered and
    /// mean-normalized per bin: `[rows, 80]`.
    pub fn gather_normalized(&self, runs: &[u32]) -> Result<Vec<f32>> {
        if runs.len() % 2 != 0 {
            input_error!("runs must be [start, end) pairs, got {} numbers", runs.len());
        }
        let mut out = Vec::new();
        for pair in runs.chunks_exact(2) {
            let (start, end) = (pair[0] as usize, pair[1] as usize);
            if start >= end || end > self.frames {
                input_error!("frame run [{start}, {end}) is empty or past the {} frames", self.frames);
            }
            out.extend_from_slice(&self.data[start * BINS..end * BINS]);
        }
        let rows = out.len() / BINS;
        if rows == 0 {
            input_error!("a frame set has no frames");
        }
        let mut mean = [0f64; BINS];
        for row in out.chunks_exact(BINS) {
            row.iter().zip(mean.iter_mut()).for_each(|(&v, m)| *m += v as f64);
        }
        mean.iter_mut().for_each(|m| *m /= rows as f64);
        for row in out.chunks_exact_mut(BINS) {
            row.iter_mut().zip(mean.iter()).for_each(|(v, m)| *v = (*v as f64 - m) as f32);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_threads() {
        assert_eq!(frame_count(399), 0);
        assert_eq!(frame_count(400), 1);
        assert_eq!(frame_count(16000), 98);
        let audio: Vec<f32> = (0..16000 * 25).map(|i| ((i as f32) * 0.013).sin() * 0.3 + ((i * 7919) % 101) as f32 * 1e-3).collect();
        let one = compute(&audio, 1, &Control::default()).unwrap();
        let three = compute(&audio, 3, &Control::default()).unwrap();
        assert_eq!(one.frames, 2498);
        assert_eq!(one.data, three.data, "the same on any number of threads");
        assert!(one.data.iter().all(|v| v.is_finite()));
        let silence = compute(&[0.0; 800], 1, &Control::default()).unwrap();
        assert!(silence.data.iter().all(|&v| v == (f32::EPSILON as f64).ln() as f32), "log of the floor");
    }

    #[test]
    fn gathered_rows_have_zero_mean() {
        let f = Fbank { frames: 4, data: (0..4 * BINS).map(|i| i as f32).collect() };
        let g = f.gather_normalized(&[0, 1, 3, 4]).unwrap();
        assert_eq!(g.len(), 2 * BINS);
        assert_eq!(g[0], -120.0);
        assert_eq!(g[BINS], 120.0);
        assert!(f.gather_normalized(&[2, 2]).is_err());
        assert!(f.gather_normalized(&[0, 5]).is_err());
        assert!(f.gather_normalized(&[0]).is_err());
    }
}
