//! Band-limited resampling with a Kaiser-windowed sinc (beta 9, 16 zero crossings each side,
//! cutoff 0.97 of the lower Nyquist), close to ffmpeg's swresample defaults. It streams: samples
//! go in packet by packet and only the kernel's window of input is kept, so decoding an hour at
//! 44.1 kHz does not hold the hour at the source rate. The output is bit-identical to resampling
//! the whole input at once.

/// Rates the resampler accepts; the decoder refuses other headers before they get here.
pub const MIN_RATE: u32 = 1_000;
pub const MAX_RATE: u32 = 384_000;

/// Most kernel coefficients in a table (16 MB of f32). Exact tables for every common rate pair
/// are far below it (44.1 kHz -> 16 kHz: 160 phases x 93 taps).
const MAX_TABLE: usize = 1 << 22;
/// Most phases of an exact table; beyond it (odd rates such as 44101 Hz) the nearest of a
/// fixed number of phases is used, as swresample does (it uses 1024).
const MAX_EXACT_PERIOD: usize = 4096;
const QUANTIZED_PHASES: usize = 4096;

const ZERO_CROSSINGS: f64 = 16.0;
const BETA: f64 = 9.0;

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

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// How output sample `j` finds its kernel.
enum Kernels {
    /// `from == to`: samples pass through.
    Identity,
    /// One kernel per distinct fractional position; output `j` uses `table[j % period]`.
    Exact { table: Vec<Vec<f32>> },
    /// Kernels at `phases` evenly spaced fractional positions; output `j` uses the nearest.
    Quantized { table: Vec<Vec<f32>>, phases: usize },
}

pub struct Resampler {
    ratio: f64,
    /// `floor(half_width)`: how far before its centre an output's window starts.
    reach: isize,
    taps: usize,
    kernels: Kernels,
    /// Input samples from absolute index `kept_from` on.
    kept: Vec<f32>,
    kept_from: usize,
    received: usize,
    /// The next output sample to compute.
    next: usize,
    out: Vec<f32>,
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz; both must lie within MIN_RATE..=MAX_RATE, which bounds
    /// the kernel's width (at most ~12,700 taps) and so its table and its cost per sample.
    pub fn new(from: u32, to: u32) -> Result<Self, String> {
        for rate in [from, to] {
            if !(MIN_RATE..=MAX_RATE).contains(&rate) {
                return Err(format!("sample rate {rate} Hz is outside the supported {MIN_RATE}–{MAX_RATE} Hz"));
            }
        }
        let ratio = to as f64 / from as f64;
        let cutoff = 0.97 * ratio.min(1.0);
        let half_width = ZERO_CROSSINGS / cutoff; // in input samples
        let reach = half_width.floor() as isize;
        let taps = (2.0 * half_width).ceil() as usize + 2;
        let i0_beta = bessel_i0(BETA);
        let kernel = |t: f64| -> f64 {
            if t.abs() >= half_width {
                return 0.0;
            }
            let x = t * cutoff;
            let sinc = if x.abs() < 1e-12 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) };
            let r = t / half_width;
            let w = bessel_i0(BETA * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
            cutoff * sinc * w
        };
        let row = |frac: f64| -> Vec<f32> { (0..taps).map(|k| kernel(frac - (k as isize - reach) as f64) as f32).collect() };
        let period = (to as u64 / gcd(from as u64, to as u64)) as usize; // distinct fractional positions
        let kernels = if from == to {
            Kernels::Identity
        } else if period <= MAX_EXACT_PERIOD && period * taps <= MAX_TABLE {
            Kernels::Exact {
                table: (0..period)
                    .map(|p| {
                        let pos = p as f64 / ratio;
                        row(pos - pos.floor())
                    })
                    .collect(),
            }
        } else {
            let phases = QUANTIZED_PHASES.min(MAX_TABLE / taps).max(1);
            Kernels::Quantized { table: (0..phases).map(|p| row(p as f64 / phases as f64)).collect(), phases }
        };
        Ok(Self { ratio, reach, taps, kernels, kept: Vec::new(), kept_from: 0, received: 0, next: 0, out: Vec::new() })
    }

    /// Takes the next input samples and computes every output sample whose window they complete.
    pub fn push(&mut self, input: &[f32]) {
        if let Kernels::Identity = self.kernels {
            self.out.extend_from_slice(input);
            return;
        }
        self.kept.extend_from_slice(input);
        self.received += input.len();
        // Output j reads input [start, start + taps); compute it once all of that has arrived.
        while self.row(self.next).0 + self.taps as isize <= self.received as isize {
            let y = self.compute(self.next, self.received);
            self.out.push(y);
            self.next += 1;
        }
        // Drop input that no later output reads (windows only move forward); in halves, so the
        // copying stays linear.
        let keep_from = self.row(self.next).0.max(0) as usize;
        if keep_from > self.kept_from + self.kept.len() / 2 {
            let dead = (keep_from - self.kept_from).min(self.kept.len());
            self.kept.drain(..dead);
            self.kept_from += dead;
        }
    }

    /// The last output samples (their windows reach past the input's end) and the whole output.
    pub fn finish(mut self) -> Vec<f32> {
        if let Kernels::Identity = self.kernels {
            return self.out;
        }
        let n = self.received;
        let out_len = ((n as f64) * self.ratio).ceil() as usize;
        while self.next < out_len {
            let y = self.compute(self.next, n);
            self.out.push(y);
            self.next += 1;
        }
        self.out
    }

    /// Output `j`'s kernel and the input index its first tap reads.
    fn row(&self, j: usize) -> (isize, &[f32]) {
        let pos = j as f64 / self.ratio;
        let base = pos.floor() as isize;
        match &self.kernels {
            Kernels::Identity => unreachable!("identity has no kernels"),
            Kernels::Exact { table } => (base - self.reach, &table[j % table.len()]),
            Kernels::Quantized { table, phases } => {
                let phase = ((pos - pos.floor()) * *phases as f64).round() as usize;
                // A fraction that rounds up to 1 is phase 0 of the next input sample.
                if phase >= *phases {
                    (base + 1 - self.reach, &table[0])
                } else {
                    (base - self.reach, &table[phase])
                }
            }
        }
    }

    /// Output `j` from the input known so far. Indices before 0 or at or past `n` (the input's end,
    /// once it is known) are skipped rather than added as zeros, so the sums match a whole-input
    /// pass bit for bit.
    fn compute(&self, j: usize, n: usize) -> f32 {
        let (start, k) = self.row(j);
        let n = n as isize;
        let mut acc = 0f64;
        for (i, w) in k.iter().enumerate() {
            let idx = start + i as isize;
            if idx >= 0 && idx < n {
                acc += self.kept[idx as usize - self.kept_from] as f64 * *w as f64;
            }
        }
        acc as f32
    }
}

/// Resamples a whole signal at once.
#[cfg(test)]
pub fn resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, String> {
    let mut r = Resampler::new(from, to)?;
    r.push(input);
    Ok(r.finish())
}

// Run by scripts/test-native.mjs (`cargo test` without Node).
#[cfg(test)]
mod tests {
    use super::*;

    /// The resampler as it was before it streamed (table path only): the output must not change.
    fn reference(input: &[f32], from: u32, to: u32) -> Vec<f32> {
        let ratio = to as f64 / from as f64;
        let cutoff = 0.97 * ratio.min(1.0);
        let half_width = 16.0 / cutoff;
        let i0_beta = bessel_i0(9.0);
        let out_len = ((input.len() as f64) * ratio).ceil() as usize;
        let period = (to as u64 / gcd(from as u64, to as u64)) as usize;
        let taps = (2.0 * half_width).ceil() as usize + 2;
        assert!(period <= 4096);
        let kernel = |t: f64| -> f64 {
            if t.abs() >= half_width {
                return 0.0;
            }
            let x = t * cutoff;
            let sinc = if x.abs() < 1e-12 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) };
            let r = t / half_width;
            let w = bessel_i0(9.0 * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
            cutoff * sinc * w
        };
        let table: Vec<Vec<f32>> = (0..period)
            .map(|p| {
                let pos = p as f64 / ratio;
                let frac = pos - pos.floor();
                let start = -(half_width.floor() as isize);
                (0..taps).map(|k| kernel(frac - (start + k as isize) as f64) as f32).collect()
            })
            .collect();
        let n = input.len() as isize;
        (0..out_len)
            .map(|j| {
                let pos = j as f64 / ratio;
                let start = pos.floor() as isize - (half_width.floor() as isize);
                let mut acc = 0f64;
                for (i, w) in table[j % period].iter().enumerate() {
                    let idx = start + i as isize;
                    if idx >= 0 && idx < n {
                        acc += input[idx as usize] as f64 * *w as f64;
                    }
                }
                acc as f32
            })
            .collect()
    }

    fn signal(n: usize) -> Vec<f32> {
        let mut x = 0x2545f491u32;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (i as f32 * 0.01).sin() * 0.5 + (x as f32 / u32::MAX as f32 - 0.5) * 0.3
            })
            .collect()
    }

    #[test]
    fn streaming_is_bit_identical_to_one_pass() {
        for from in [8000, 11025, 22050, 24000, 44100, 48000, 96000, 384000, 1000] {
            let input = signal(from as usize / 3 + 17);
            let want = reference(&input, from, 16000);
            for chunk in [1, 7, 576, 1152, 4096, input.len()] {
                let mut r = Resampler::new(from, 16000).unwrap();
                for c in input.chunks(chunk) {
                    r.push(c);
                }
                let got = r.finish();
                assert_eq!(got.len(), want.len(), "{from} Hz in chunks of {chunk}");
                assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{from} Hz in chunks of {chunk}");
            }
        }
    }

    #[test]
    fn odd_rates_use_a_bounded_table() {
        for from in [44101, 383999, 1001] {
            let r = Resampler::new(from, 16000).unwrap();
            let entries = match &r.kernels {
                Kernels::Exact { table } | Kernels::Quantized { table, .. } => table.len() * r.taps,
                Kernels::Identity => 0,
            };
            assert!(entries <= MAX_TABLE, "{from} Hz: {entries} coefficients");
            // A 300 Hz tone (under every Nyquist here) comes through at its level.
            let input: Vec<f32> = (0..from).map(|i| (2.0 * std::f64::consts::PI * 300.0 * i as f64 / from as f64).sin() as f32).collect();
            let out = resample(&input, from, 16000).unwrap();
            assert_eq!(out.len(), 16000);
            let rms = (out[2000..14000].iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / 12000.0).sqrt();
            assert!((rms - 0.5f64.sqrt()).abs() < 0.01, "{from} Hz: rms {rms}");
        }
    }

    #[test]
    fn refuses_rates_out_of_range() {
        for (from, to) in [(0, 16000), (1, 16000), (999, 16000), (384001, 16000), (u32::MAX, 16000), (16000, 0)] {
            assert!(Resampler::new(from, to).is_err(), "{from} -> {to}");
        }
    }
}
