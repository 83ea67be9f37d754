//! Local speaker activity with pyannote segmentation-3.0 over 10 s windows. The model gives, for
//! each of its frames (every 270 samples), log-probabilities over 7 "powerset" classes: no
//! speaker, one of three local speakers, or one of the three pairs; decoding takes the most likely
//! class and turns it into three binary activities. Where the windows start is the caller's
//! (src/diarize/segmentation.ts).

use std::path::Path;
use std::sync::Arc;

use ort::value::TensorRef;

use super::runtime::SessionPool;
use crate::engine::control::Control;
use crate::error::{input_error, Context, Error, Result};

pub const WINDOW_SAMPLES: usize = 160_000;
pub const FRAMES_PER_WINDOW: usize = 589;
pub const LOCAL_SPEAKERS: usize = 3;
/// Powerset classes of segmentation-3.0 (3 speakers, at most 2 at once) as speaker sets.
const POWERSET: [&[usize]; 7] = [&[], &[0], &[1], &[2], &[0, 1], &[0, 2], &[1, 2]];
/// Windows per model run (as the TypeScript path ran them: the run's intermediate tensors grow with it).
const BATCH: usize = 2;

/// A loaded segmentation model.
pub struct Segmentation {
    pool: Arc<SessionPool>,
}

impl Segmentation {
    /// Loads the model at `path` (ERR_MODEL when its input is not `waveform`).
    pub fn load(path: &Path, threads: usize) -> Result<Self> {
        let pool = SessionPool::get(path, threads)?;
        let names = pool.input_names()?;
        if names != ["waveform"] {
            return Err(Error::model(format!("{} is not a segmentation model: its inputs are {names:?}, not [\"waveform\"]", path.display())));
        }
        Ok(Segmentation { pool })
    }

    /// The activities of the windows starting at `starts` (each `[frame][speaker]`, 0/1, row-major
    /// 589 × 3); a window past the audio's end is zero-padded.
    pub fn activities(&self, audio: &[f32], starts: &[usize], control: &Control) -> Result<Vec<Vec<u8>>> {
        if let Some(s) = starts.iter().find(|&&s| s >= audio.len().max(1)) {
            input_error!("window start {s} is past the audio's {} samples", audio.len());
        }
        let mut out = Vec::with_capacity(starts.len());
        let mut input = vec![0f32; BATCH.min(starts.len()) * WINDOW_SAMPLES];
        self.pool.with_session(|session| {
            for batch in starts.chunks(BATCH) {
                control.check()?;
                let input = &mut input[..batch.len() * WINDOW_SAMPLES];
                input.fill(0.0);
                for (row, &s) in input.chunks_exact_mut(WINDOW_SAMPLES).zip(batch) {
                    let end = (s + WINDOW_SAMPLES).min(audio.len());
                    row[..end - s].copy_from_slice(&audio[s..end]);
                }
                let tensor = TensorRef::from_array_view(([batch.len(), 1, WINDOW_SAMPLES], &*input)).or_engine("segmentation input")?;
                let outputs = session.run(ort::inputs!["waveform" => tensor]).or_engine("the segmentation model failed")?;
                let (shape, log_probs) = outputs["log_probs"].try_extract_tensor::<f32>().or_engine("segmentation output")?;
                let frames = shape.get(1).copied().unwrap_or(0).max(0) as usize;
                for i in 0..batch.len() {
                    out.push(decode(&log_probs[i * frames * POWERSET.len()..(i + 1) * frames * POWERSET.len()], frames));
                }
            }
            Ok(())
        })?;
        Ok(out)
    }
}

/// Powerset decoding of one window's `[frames, 7]` log-probabilities.
fn decode(log_probs: &[f32], frames: usize) -> Vec<u8> {
    let mut active = vec![0u8; FRAMES_PER_WINDOW * LOCAL_SPEAKERS];
    for f in 0..frames.min(FRAMES_PER_WINDOW) {
        let row = &log_probs[f * POWERSET.len()..(f + 1) * POWERSET.len()];
        // The first of equal maxima, as the TypeScript decoder took it.
        let best = (1..row.len()).fold(0, |best, k| if row[k] > row[best] { k } else { best });
        for &spk in POWERSET[best] {
            active[f * LOCAL_SPEAKERS + spk] = 1;
        }
    }
    active
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powerset_classes_become_speakers() {
        let mut lp = vec![-9f32; 3 * 7];
        lp[4] = 0.0; // frame 0: speakers 0 and 1
        lp[7 + 3] = 0.0; // frame 1: speaker 2
        lp[14] = 0.0; // frame 2: nobody
        let a = decode(&lp, 3);
        assert_eq!(&a[..9], &[1, 1, 0, 0, 0, 1, 0, 0, 0]);
        assert!(a[9..].iter().all(|&x| x == 0), "frames the model did not give are inactive");
    }
}
