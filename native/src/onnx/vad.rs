//! Silero VAD v6 (the ONNX model faster-whisper ships): the speech probability of each 512-sample
//! window of 16 kHz audio, as faster-whisper's `SileroVADModel.__call__` computes them.
//!
//! The model takes rows of 576 samples (the 64 samples before a window, zeros for the first, then
//! the window; zeros past the audio's end) and an LSTM state `h`, `c` `[1, 1, 128]` that it
//! carries from row to row. The audio is padded to a whole number of windows plus one, as
//! faster-whisper always pads (even a whole window). Rows go in batches of `BATCH`, the state
//! carried from batch to batch, so that memory stays one batch's, not all the rows (2.1× the
//! samples: 490 MB an hour); the probabilities do not depend on the batch size.

use std::path::Path;
use std::sync::Arc;

use ort::value::TensorRef;

use super::runtime::SessionPool;
use crate::engine::control::Control;
use crate::error::{Context, Error, Result};

pub const WINDOW: usize = 512;
const CONTEXT: usize = 64;
const ROW: usize = CONTEXT + WINDOW;
const STATE: usize = 128;
/// Windows per model run (32 s of audio): the run's intermediate tensors grow with it, and on the
/// addon's thread freed ones are not all given back (an hour peaked 300 MB above its samples with
/// 10,000, 50 MB with 1,000, at the same speed).
const BATCH: usize = 1_000;
const INPUTS: [&str; 3] = ["input", "h", "c"];

/// A loaded Silero VAD model.
pub struct SileroVad {
    pool: Arc<SessionPool>,
}

impl SileroVad {
    /// Loads the model at `path` (ERR_MODEL when it is not an ONNX model with Silero's inputs).
    pub fn load(path: &Path, threads: usize) -> Result<Self> {
        let pool = SessionPool::get(path, threads)?;
        let names = pool.input_names()?;
        if names != INPUTS {
            return Err(Error::model(format!("{} is not Silero VAD v6: its inputs are {names:?}, not {INPUTS:?}", path.display())));
        }
        Ok(SileroVad { pool })
    }

    /// The speech probability of each window: `audio.len() / 512 + 1` of them.
    pub fn probabilities(&self, audio: &[f32], control: &Control) -> Result<Vec<f32>> {
        let n = audio.len() / WINDOW + 1;
        let mut probs = Vec::with_capacity(n);
        let mut rows = vec![0f32; BATCH.min(n) * ROW];
        let mut h = vec![0f32; STATE];
        let mut c = vec![0f32; STATE];
        self.pool.with_session(|session| {
            for first in (0..n).step_by(BATCH) {
                control.check()?;
                let m = BATCH.min(n - first);
                fill_rows(audio, first, &mut rows[..m * ROW]);
                let outputs = session
                    .run(ort::inputs![
                        "input" => TensorRef::from_array_view(([m, ROW], &rows[..m * ROW])).or_engine("VAD input")?,
                        "h" => TensorRef::from_array_view(([1usize, 1, STATE], &h[..])).or_engine("VAD state")?,
                        "c" => TensorRef::from_array_view(([1usize, 1, STATE], &c[..])).or_engine("VAD state")?,
                    ])
                    .or_engine("Silero VAD failed")?;
                let (_, p) = outputs["speech_probs"].try_extract_tensor::<f32>().or_engine("VAD output")?;
                probs.extend_from_slice(&p[..m]);
                h.copy_from_slice(outputs["hn"].try_extract_tensor::<f32>().or_engine("VAD output")?.1);
                c.copy_from_slice(outputs["cn"].try_extract_tensor::<f32>().or_engine("VAD output")?.1);
            }
            Ok(())
        })?;
        Ok(probs)
    }
}

/// The model's rows for windows `first..` into `rows` (as many as it holds): each window preceded
/// by the last 64 samples of the window before it (zeros for the first window), zeros past the
/// audio's end.
fn fill_rows(audio: &[f32], first: usize, rows: &mut [f32]) {
    rows.fill(0.0);
    for (k, row) in rows.chunks_exact_mut(ROW).enumerate() {
        let w = first + k;
        let (start, at) = if w > 0 { (w * WINDOW - CONTEXT, 0) } else { (0, CONTEXT) };
        let end = ((w + 1) * WINDOW).min(audio.len());
        if end > start {
            row[at..at + end - start].copy_from_slice(&audio[start..end]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_the_context_and_pad_with_zeros() {
        let audio: Vec<f32> = (1..=600).map(|i| i as f32).collect();
        let mut rows = vec![f32::NAN; 2 * ROW];
        fill_rows(&audio, 0, &mut rows);
        assert!(rows[..CONTEXT].iter().all(|&x| x == 0.0), "no context before the first window");
        assert_eq!(&rows[CONTEXT..ROW], &audio[..WINDOW]);
        assert_eq!(&rows[ROW..ROW + CONTEXT], &audio[WINDOW - CONTEXT..WINDOW], "the previous window's last 64 samples");
        assert_eq!(&rows[ROW + CONTEXT..ROW + CONTEXT + 88], &audio[WINDOW..]);
        assert!(rows[ROW + CONTEXT + 88..].iter().all(|&x| x == 0.0), "zeros past the end");
        let mut later = vec![f32::NAN; ROW];
        fill_rows(&audio, 2, &mut later);
        assert_eq!(&later[..CONTEXT], &[0.0; CONTEXT], "past the end, even the context is zeros");
    }
}
