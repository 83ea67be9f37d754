//! Speaker embeddings with CAM++ (192 dimensions, L2-normalized) of sets of fbank frames: each set
//! is runs of frames of one recording's fbank (`[start, end)` pairs), gathered and mean-normalized
//! per bin, then embedded. Which frames make a set is the caller's (src/diarize/embedding.ts).

use std::path::Path;
use std::sync::Arc;

use ort::value::TensorRef;

use super::fbank::{Fbank, BINS};
use super::runtime::SessionPool;
use crate::engine::control::Control;
use crate::error::{Context, Error, Result};

pub const DIM: usize = 192;

/// A loaded embedding model.
pub struct Embedding {
    pool: Arc<SessionPool>,
}

impl Embedding {
    /// Loads the model at `path` (ERR_MODEL when its input is not `fbank`).
    pub fn load(path: &Path, threads: usize) -> Result<Self> {
        let pool = SessionPool::get(path, threads)?;
        let names = pool.input_names()?;
        if names != ["fbank"] {
            return Err(Error::model(format!("{} is not a speaker-embedding model: its inputs are {names:?}, not [\"fbank\"]", path.display())));
        }
        Ok(Embedding { pool })
    }

    /// One L2-normalized embedding per set of runs (see `Fbank::gather_normalized`).
    pub fn embed_sets(&self, features: &Fbank, sets: &[&[u32]], control: &Control) -> Result<Vec<Vec<f32>>> {
        self.pool.with_session(|session| {
            sets.iter()
                .map(|runs| {
                    control.check()?;
                    let x = features.gather_normalized(runs)?;
                    let tensor = TensorRef::from_array_view(([1, x.len() / BINS, BINS], &x[..])).or_engine("embedding input")?;
                    let outputs = session.run(ort::inputs!["fbank" => tensor]).or_engine("the embedding model failed")?;
                    let (_, v) = outputs["embedding"].try_extract_tensor::<f32>().or_engine("embedding output")?;
                    if v.len() != DIM {
                        return Err(Error::model(format!("the embedding model gave {} numbers, not {DIM}", v.len())));
                    }
                    Ok(normalize(v))
                })
                .collect()
        })
    }
}

/// `v / |v|` (as the TypeScript `normalize`: f64 norm, each value divided in f64).
fn normalize(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
    let n = if n == 0.0 { 1.0 } else { n };
    v.iter().map(|&x| (x as f64 / n) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_length() {
        let v = normalize(&[3.0, 4.0]);
        assert_eq!(v, vec![0.6, 0.8]);
        assert_eq!(normalize(&[0.0, 0.0]), vec![0.0, 0.0]);
    }
}
