//! Speech chunks from Silero's window probabilities: faster-whisper's `get_speech_timestamps`
//! (vad.py), step for step, in samples. Pure arithmetic; the parameters come resolved from the
//! option table (src/options/spec.ts).

use super::vad::WINDOW;

const SAMPLE_RATE: f64 = 16_000.0;

/// faster-whisper's VadOptions, resolved (every field set; `max_speech_duration_s` may be infinite).
#[derive(Clone, Debug)]
pub struct VadParameters {
    pub threshold: f64,
    /// None: `max(threshold - 0.15, 0.01)`.
    pub neg_threshold: Option<f64>,
    pub min_speech_duration_ms: f64,
    pub max_speech_duration_s: f64,
    pub min_silence_duration_ms: f64,
    pub speech_pad_ms: f64,
}

/// A stretch of speech, `[start, end)` in samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Speech {
    pub start: i64,
    pub end: i64,
}

/// The state of the scan over the windows (faster-whisper's local variables).
#[derive(Default)]
struct Scan {
    triggered: bool,
    start: Option<i64>,
    temp_end: i64,
    prev_end: i64,
    next_start: i64,
    speeches: Vec<Speech>,
}

/// Speech chunks of `length` samples whose windows have the speech probabilities `probs`.
pub fn speech_timestamps(probs: &[f32], length: usize, p: &VadParameters) -> Vec<Speech> {
    let threshold = p.threshold;
    let neg_threshold = p.neg_threshold.unwrap_or((threshold - 0.15).max(0.01));
    let min_speech = SAMPLE_RATE * p.min_speech_duration_ms / 1000.0;
    let pad = SAMPLE_RATE * p.speech_pad_ms / 1000.0;
    let max_speech = SAMPLE_RATE * p.max_speech_duration_s - WINDOW as f64 - 2.0 * pad;
    let min_silence = SAMPLE_RATE * p.min_silence_duration_ms / 1000.0;
    let min_silence_at_max = SAMPLE_RATE * 98.0 / 1000.0;
    let mut s = Scan::default();
    for (i, &prob) in probs.iter().enumerate() {
        let (prob, at) = (prob as f64, (WINDOW * i) as i64);
        if prob >= threshold && s.temp_end != 0 {
            s.temp_end = 0;
            if s.next_start < s.prev_end {
                s.next_start = at;
            }
        }
        if prob >= threshold && !s.triggered {
            s.triggered = true;
            s.start = Some(at);
            continue;
        }
        if s.triggered && (at - s.start.unwrap_or(0)) as f64 > max_speech && split_long(&mut s, at) {
            continue;
        }
        if prob < neg_threshold && s.triggered {
            if s.temp_end == 0 {
                s.temp_end = at;
            }
            if (at - s.temp_end) as f64 > min_silence_at_max {
                s.prev_end = s.temp_end;
            }
            if ((at - s.temp_end) as f64) < min_silence {
                continue;
            }
            let start = s.start.take().unwrap_or(0);
            if (s.temp_end - start) as f64 > min_speech {
                s.speeches.push(Speech { start, end: s.temp_end });
            }
            (s.prev_end, s.next_start, s.temp_end, s.triggered) = (0, 0, 0, false);
        }
    }
    if let Some(start) = s.start {
        if (length as i64 - start) as f64 > min_speech {
            s.speeches.push(Speech { start, end: length as i64 });
        }
    }
    pad_speeches(&mut s.speeches, pad, length as i64);
    s.speeches
}

/// A speech longer than the maximum at window `at`: ends at the last long-enough silence in it
/// (and goes on from the speech after it), or else here. Returns whether the window is done with.
fn split_long(s: &mut Scan, at: i64) -> bool {
    let start = s.start.take().unwrap_or(0);
    if s.prev_end != 0 {
        s.speeches.push(Speech { start, end: s.prev_end });
        if s.next_start < s.prev_end {
            s.triggered = false;
        } else {
            s.start = Some(s.next_start);
        }
        (s.prev_end, s.next_start, s.temp_end) = (0, 0, 0);
        false
    } else {
        s.speeches.push(Speech { start, end: at });
        (s.prev_end, s.next_start, s.temp_end, s.triggered) = (0, 0, 0, false);
        true
    }
}

/// Pads each chunk by `pad` samples on both sides, within `[0, length]`; where two chunks are
/// closer than twice the pad, they meet halfway.
fn pad_speeches(speeches: &mut [Speech], pad: f64, length: i64) {
    let n = speeches.len();
    for i in 0..n {
        if i == 0 {
            speeches[0].start = (speeches[0].start as f64 - pad).max(0.0).trunc() as i64;
        }
        if i + 1 == n {
            speeches[i].end = (speeches[i].end as f64 + pad).min(length as f64).trunc() as i64;
            continue;
        }
        let silence = speeches[i + 1].start - speeches[i].end;
        if (silence as f64) < 2.0 * pad {
            let half = silence.div_euclid(2);
            speeches[i].end += half;
            speeches[i + 1].start = (speeches[i + 1].start - half).max(0);
        } else {
            speeches[i].end = (speeches[i].end as f64 + pad).min(length as f64).trunc() as i64;
            speeches[i + 1].start = (speeches[i + 1].start as f64 - pad).max(0.0).trunc() as i64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> VadParameters {
        VadParameters {
            threshold: 0.5,
            neg_threshold: None,
            min_speech_duration_ms: 0.0,
            max_speech_duration_s: f64::INFINITY,
            min_silence_duration_ms: 2000.0,
            speech_pad_ms: 400.0,
        }
    }

    /// Probabilities from runs of (windows, value).
    fn runs(parts: &[(usize, f32)]) -> Vec<f32> {
        parts.iter().flat_map(|&(n, v)| std::iter::repeat_n(v, n)).collect()
    }

    #[test]
    fn one_stretch_padded_within_the_audio() {
        let probs = runs(&[(10, 0.0), (50, 0.9), (200, 0.0)]);
        let length = probs.len() * WINDOW - 100;
        let got = speech_timestamps(&probs, length, &params());
        // Speech from window 10 to window 60, where a silence of 2 s (62.5 windows) starts; padded
        // by 400 ms (6400 samples), the start clipped at 0.
        assert_eq!(got, vec![Speech { start: 0, end: 60 * 512 + 6400 }]);
        let tail = runs(&[(100, 0.0), (20, 0.9)]);
        let got = speech_timestamps(&tail, tail.len() * WINDOW - 100, &params());
        assert_eq!(got, vec![Speech { start: 100 * 512 - 6400, end: (tail.len() * WINDOW - 100) as i64 }], "speech to the end, the pad clipped at the end");
    }

    #[test]
    fn silences_split_and_close_chunks_meet_halfway() {
        let mut p = params();
        p.min_silence_duration_ms = 100.0;
        p.speech_pad_ms = 200.0;
        let probs = runs(&[(20, 0.0), (30, 0.9), (6, 0.0), (30, 0.9), (40, 0.0)]);
        let got = speech_timestamps(&probs, probs.len() * WINDOW, &p);
        assert_eq!(got.len(), 2, "{got:?}");
        // The silence between them (windows 50..56, 6 windows = 3072 samples of which the chunk
        // ends at 50's start) is under twice the pad (6400): they meet halfway.
        assert_eq!(got[0].end, got[1].start);
        assert_eq!(got[0].start, 20 * 512 - 3200);
    }

    #[test]
    fn long_speech_is_cut_at_the_maximum() {
        let mut p = params();
        p.max_speech_duration_s = 5.0;
        p.speech_pad_ms = 0.0;
        let probs = runs(&[(400, 0.9)]);
        let got = speech_timestamps(&probs, probs.len() * WINDOW, &p);
        assert!(got.len() >= 2, "{got:?}");
        assert!(got.iter().all(|s| s.end - s.start <= 5 * 16000), "{got:?}");
    }

    #[test]
    fn nothing_in_silence() {
        assert!(speech_timestamps(&[0.0; 100], 100 * 512, &params()).is_empty());
        assert!(speech_timestamps(&[0.0], 0, &params()).is_empty());
    }
}
