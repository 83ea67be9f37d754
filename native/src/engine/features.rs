//! Log-mel features, computed as faster-whisper's `FeatureExtractor` does:
//! 160 zero samples appended, centred STFT (reflect padding, periodic Hann window,
//! n_fft 400, hop 160), power spectrum without the last frame, Slaney mel filters,
//! log10 clamped at 1e-10, floored at the global max − 8, then (x + 4) / 4.

use std::sync::Arc;

use rustfft::{num_complex::Complex, FftPlanner};

pub const SAMPLE_RATE: usize = 16000;
pub const N_FFT: usize = 400;
pub const HOP_LENGTH: usize = 160;
/// Frames in one 30 s window.
pub const N_FRAMES: usize = 3000;
pub const FRAMES_PER_SECOND: usize = SAMPLE_RATE / HOP_LENGTH;
pub const TIME_PER_FRAME: f64 = HOP_LENGTH as f64 / SAMPLE_RATE as f64;
/// Feature frames per encoder output position (the encoder's stride).
pub const INPUT_STRIDE: usize = 2;
/// Seconds per timestamp token and per alignment step: 0.02 s.
pub const TIME_PRECISION: f64 = (INPUT_STRIDE * HOP_LENGTH) as f64 / SAMPLE_RATE as f64;
/// Timestamp tokens (and alignment steps) per second: 50.
pub const TOKENS_PER_SECOND: f64 = 1.0 / TIME_PRECISION;

/// A log-mel spectrogram, row-major `[n_mels, n_frames]`.
#[derive(Clone)]
pub struct Features {
    pub n_mels: usize,
    pub n_frames: usize,
    pub data: Vec<f32>,
}

impl Features {
    /// Frames `[start, start + len)` of every mel bin, zero-padded (or trimmed) to `width`.
    pub fn window(&self, start: usize, len: usize, width: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.n_mels * width];
        let end = (start + len).min(self.n_frames);
        let take = end.saturating_sub(start).min(width);
        for m in 0..self.n_mels {
            let src = &self.data[m * self.n_frames + start..m * self.n_frames + start + take];
            out[m * width..m * width + take].copy_from_slice(src);
        }
        out
    }
}

/// One mel filter: its weights over FFT bins `[first, first + weights.len())`.
struct MelFilter {
    first: usize,
    weights: Vec<f32>,
}

/// Slaney-style mel filterbank (librosa's `mel(htk=False, norm="slaney")`) as faster-whisper builds it.
fn mel_filters(n_mels: usize) -> Vec<MelFilter> {
    let sr = SAMPLE_RATE as f64;
    let n_bins = N_FFT / 2 + 1;
    let fftfreqs: Vec<f64> = (0..n_bins).map(|i| i as f64 * sr / N_FFT as f64).collect();
    let (min_mel, max_mel) = (0.0f64, 45.245640471924965f64);
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    let freqs: Vec<f64> = (0..n_mels + 2)
        .map(|i| {
            let mel = min_mel + (max_mel - min_mel) * i as f64 / (n_mels + 1) as f64;
            if mel >= min_log_mel {
                min_log_hz * (logstep * (mel - min_log_mel)).exp()
            } else {
                f_sp * mel
            }
        })
        .collect();
    (0..n_mels)
        .map(|m| {
            let enorm = 2.0 / (freqs[m + 2] - freqs[m]);
            let row: Vec<f32> = fftfreqs
                .iter()
                .map(|&f| {
                    let lower = -(freqs[m] - f) / (freqs[m + 1] - freqs[m]);
                    let upper = (freqs[m + 2] - f) / (freqs[m + 2] - freqs[m + 1]);
                    (lower.min(upper).max(0.0) * enorm) as f32
                })
                .collect();
            let first = row.iter().position(|&w| w != 0.0).unwrap_or(0);
            let last = row.iter().rposition(|&w| w != 0.0).map(|i| i + 1).unwrap_or(first);
            MelFilter { first, weights: row[first..last].to_vec() }
        })
        .collect()
}

pub struct FeatureExtractor {
    n_mels: usize,
    filters: Vec<MelFilter>,
    window: Vec<f32>,
    fft: Arc<dyn rustfft::Fft<f64>>,
}

/// numpy's `reflect` padding index, folded as often as needed.
fn reflect(i: isize, len: usize) -> usize {
    if len == 1 {
        return 0;
    }
    let period = 2 * (len as isize - 1);
    let mut k = i.rem_euclid(period);
    if k >= len as isize {
        k = period - k;
    }
    k as usize
}

/// Per-thread buffers for computing frames.
struct FrameBuffers {
    fft: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    power: Vec<f32>,
}

impl FeatureExtractor {
    pub fn new(n_mels: usize) -> Self {
        let window = (0..N_FFT)
            .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64).cos()) as f32)
            .collect();
        let fft = FftPlanner::<f64>::new().plan_fft_forward(N_FFT);
        Self { n_mels, filters: mel_filters(n_mels), window, fft }
    }

    /// Frames of the centred STFT of `audio` (with `HOP_LENGTH` zeros after it), less the last one.
    pub fn n_frames(samples: usize) -> usize {
        (samples + HOP_LENGTH + 2 * (N_FFT / 2) - N_FFT) / HOP_LENGTH
    }

    fn buffers(&self) -> FrameBuffers {
        FrameBuffers {
            fft: vec![Complex::new(0f64, 0f64); N_FFT],
            scratch: vec![Complex::new(0f64, 0f64); self.fft.get_inplace_scratch_len()],
            power: vec![0f32; N_FFT / 2 + 1],
        }
    }

    /// Frame `f`'s mel bins as log10 of the power, clamped at 1e-10, into `out` (one per bin).
    fn log_mel_frame(&self, audio: &[f32], f: usize, b: &mut FrameBuffers, out: &mut [f32]) {
        // The audio with HOP_LENGTH zeros after it, read in place: a padded copy would cost as
        // much memory as the audio itself (230 MB an hour).
        let len = audio.len() + HOP_LENGTH;
        let padded = |i: usize| if i < audio.len() { audio[i] } else { 0.0 };
        let half = (N_FFT / 2) as isize;
        let origin = (f * HOP_LENGTH) as isize - half;
        for (k, slot) in b.fft.iter_mut().enumerate() {
            let idx = origin + k as isize;
            let sample = if idx >= 0 && (idx as usize) < len { padded(idx as usize) } else { padded(reflect(idx, len)) };
            *slot = Complex::new((sample * self.window[k]) as f64, 0.0);
        }
        self.fft.process_with_scratch(&mut b.fft, &mut b.scratch);
        for (bin, p) in b.power.iter_mut().enumerate() {
            let c = Complex::new(b.fft[bin].re as f32, b.fft[bin].im as f32);
            let mag = (c.re * c.re + c.im * c.im).sqrt();
            *p = mag * mag;
        }
        for (filter, o) in self.filters.iter().zip(out.iter_mut()) {
            let bins = &b.power[filter.first..filter.first + filter.weights.len()];
            let s: f32 = bins.iter().zip(&filter.weights).map(|(a, w)| a * w).sum();
            *o = s.max(1e-10).log10();
        }
    }

    /// The whole spectrogram at once (short audio: batched chunks, language detection).
    pub fn compute(&self, audio: &[f32]) -> Features {
        let n_frames = Self::n_frames(audio.len());
        let mut mel = vec![0f32; self.n_mels * n_frames];
        let mut b = self.buffers();
        let mut column = vec![0f32; self.n_mels];
        let mut max = f32::NEG_INFINITY;
        for f in 0..n_frames {
            self.log_mel_frame(audio, f, &mut b, &mut column);
            for (m, &v) in column.iter().enumerate() {
                mel[m * n_frames + f] = v;
                max = max.max(v);
            }
        }
        let floor = max - 8.0;
        for v in mel.iter_mut() {
            *v = (v.max(floor) + 4.0) / 4.0;
        }
        Features { n_mels: self.n_mels, n_frames, data: mel }
    }

    /// The largest log-mel value over all of `audio`'s frames (the floor is this less 8), in
    /// `threads` parallel stretches; nothing is kept but the maximum.
    fn max_log_mel(&self, audio: &[f32], threads: usize) -> f32 {
        let n_frames = Self::n_frames(audio.len());
        let threads = threads.clamp(1, 8).min(n_frames.max(1));
        let per = n_frames.div_ceil(threads);
        let stretch_max = |from: usize, to: usize| {
            let mut b = self.buffers();
            let mut column = vec![0f32; self.n_mels];
            let mut max = f32::NEG_INFINITY;
            for f in from..to {
                self.log_mel_frame(audio, f, &mut b, &mut column);
                max = column.iter().fold(max, |a, &v| a.max(v));
            }
            max
        };
        if threads == 1 {
            return stretch_max(0, n_frames);
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (from, to) = (t * per, ((t + 1) * per).min(n_frames));
                    s.spawn(move || stretch_max(from, to))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(f32::NEG_INFINITY)).fold(f32::NEG_INFINITY, f32::max)
        })
    }
}

/// Where a pipeline reads its windows of features from.
pub trait FeatureSource {
    /// Frames in all (the last frame is the padding's).
    fn n_frames(&self) -> usize;
    /// Frames `[start, start + len)` of every mel bin, zero-padded (or trimmed) to `width`,
    /// row-major `[n_mels, width]`.
    fn window(&self, start: usize, len: usize, width: usize) -> Vec<f32>;
}

impl FeatureSource for Features {
    fn n_frames(&self) -> usize {
        self.n_frames
    }
    fn window(&self, start: usize, len: usize, width: usize) -> Vec<f32> {
        Features::window(self, start, len, width)
    }
}

/// The spectrogram of long audio, computed window by window as the pipeline asks for it: one
/// pass finds the global maximum (the floor depends on it), then each window's frames are
/// computed when read. Memory stays one window's, whatever the audio's length; the values
/// equal `FeatureExtractor::compute`'s exactly (same frames, same maximum).
pub struct LazyFeatures<'a> {
    extractor: &'a FeatureExtractor,
    audio: &'a [f32],
    n_frames: usize,
    floor: f32,
}

impl<'a> LazyFeatures<'a> {
    /// `threads`: how many threads the maximum's pass may use.
    pub fn new(extractor: &'a FeatureExtractor, audio: &'a [f32], threads: usize) -> Self {
        let floor = extractor.max_log_mel(audio, threads) - 8.0;
        Self { extractor, audio, n_frames: FeatureExtractor::n_frames(audio.len()), floor }
    }
}

impl FeatureSource for LazyFeatures<'_> {
    fn n_frames(&self) -> usize {
        self.n_frames
    }
    fn window(&self, start: usize, len: usize, width: usize) -> Vec<f32> {
        let n_mels = self.extractor.n_mels;
        let mut out = vec![0f32; n_mels * width];
        let end = (start + len).min(self.n_frames);
        let take = end.saturating_sub(start).min(width);
        let mut b = self.extractor.buffers();
        let mut column = vec![0f32; n_mels];
        for i in 0..take {
            self.extractor.log_mel_frame(self.audio, start + i, &mut b, &mut column);
            for (m, &v) in column.iter().enumerate() {
                out[m * width + i] = (v.max(self.floor) + 4.0) / 4.0;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_flat() {
        let f = FeatureExtractor::new(80).compute(&vec![0.0; SAMPLE_RATE]);
        assert_eq!((f.n_mels, f.n_frames), (80, 101), "one frame per 160 samples, and one for the padding");
        // log10 of the 1e-10 floor is -10, the maximum too: (-10 + 4) / 4.
        assert!(f.data.iter().all(|&v| v == -1.5));
    }

    #[test]
    fn a_tone_peaks_in_its_mel_bin() {
        let tone: Vec<f32> = (0..SAMPLE_RATE).map(|i| (2.0 * std::f64::consts::PI * 440.0 * i as f64 / SAMPLE_RATE as f64).sin() as f32 * 0.5).collect();
        let f = FeatureExtractor::new(80).compute(&tone);
        let frame = 50;
        let column: Vec<f32> = (0..80).map(|m| f.data[m * f.n_frames + frame]).collect();
        let peak = column.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        // 440 Hz is about 6.6 mels of 45.2 over 81 bands: band 11 or 12.
        assert!((10..=12).contains(&peak), "peak in band {peak}");
        let max = f.data.iter().cloned().fold(f32::MIN, f32::max);
        assert!(f.data.iter().all(|&v| v >= max - 2.0), "floored at the maximum less 8 in log10, (x + 4) / 4");
    }

    #[test]
    fn lazy_windows_equal_the_whole_spectrogram() {
        // A chirp with a loud burst late on, so that the floor comes from far outside the windows read.
        let mut audio: Vec<f32> = (0..SAMPLE_RATE * 3).map(|i| ((i as f64 * i as f64 * 1e-6).sin() * 0.1) as f32).collect();
        for s in &mut audio[SAMPLE_RATE * 2..SAMPLE_RATE * 2 + 800] {
            *s *= 9.0;
        }
        let x = FeatureExtractor::new(80);
        let whole = x.compute(&audio);
        for threads in [1, 2, 3] {
            let lazy = LazyFeatures::new(&x, &audio, threads);
            assert_eq!(lazy.n_frames(), whole.n_frames);
            for (start, len, width) in [(0, 100, 100), (37, 120, 150), (250, 1000, 80), (whole.n_frames - 5, 5, 10)] {
                assert_eq!(FeatureSource::window(&lazy, start, len, width), whole.window(start, len, width), "{start} {len} {width} ({threads} threads)");
            }
        }
    }

    #[test]
    fn mel_filters_are_slaney() {
        let filters = mel_filters(80);
        assert_eq!(filters.len(), 80);
        assert!(filters.windows(2).all(|w| w[0].first <= w[1].first), "in frequency order");
        assert!(filters.iter().all(|f| !f.weights.is_empty() && f.weights.iter().all(|&w| w >= 0.0)));
        assert_eq!(mel_filters(128).len(), 128);
    }

    #[test]
    fn windows_pad_and_reflect() {
        let f = Features { n_mels: 2, n_frames: 3, data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0] };
        assert_eq!(f.window(1, 2, 4), vec![2.0, 3.0, 0.0, 0.0, 5.0, 6.0, 0.0, 0.0]);
        assert_eq!(f.window(2, 5, 2), vec![3.0, 0.0, 6.0, 0.0]);
        assert_eq!((reflect(-1, 5), reflect(-2, 5), reflect(5, 5), reflect(6, 5)), (1, 2, 3, 2));
        assert_eq!(reflect(-3, 1), 0);
    }
}
