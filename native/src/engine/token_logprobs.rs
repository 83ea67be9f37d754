//! Each text token's log probability (OpenAI's `include[]=logprobs`), from CTranslate2's
//! teacher-forced alignment pass (`Whisper::align`, the pass word timestamps run): one decoder
//! pass per batch over each item's prompt (the text before `<|startoftranscript|>` and the
//! start-of-transcript sequence), `<|notimestamps|>` and its text tokens, which gives each text
//! token's probability given the audio and everything before it.
//!
//! These are not the beam search's own per-step scores: CTranslate2 returns those only with
//! `return_logits_vocab`, and ct2rs (0.10.3) does not pass them on (its `WhisperGenerationResult`
//! keeps the sequence's score alone). They differ from them in two ways: the pass normalises over
//! the text tokens only (those below `<|endoftext|>`), where generation also weighs
//! `<|endoftext|>` and the timestamp tokens and leaves out the suppressed ones; and it sees the
//! text without timestamp tokens, which is what the decoder saw in the batched pipeline (it decodes
//! without timestamps) but not in the sequential one.

use ct2rs::sys::StorageView;

use crate::engine::model::WhisperModel;
use crate::engine::result::TokenLogprob;
use crate::engine::word_timestamps::SubSegment;
use crate::error::Result;

/// What the alignment's median filter takes (it does not change the probabilities).
const MEDIAN_FILTER_WIDTH: i64 = 7;
/// The lowest log probability reported: a probability that rounds to 0 (JSON has no -∞).
const MIN_LOGPROB: f64 = -100.0;

/// For each batch item (`groups[g]`, its segments), each segment's text tokens with their log
/// probabilities, or none where `starts[g]` is none (that item's request did not ask). `starts[g]`
/// is the item's prompt up to the end of its start-of-transcript sequence; `encoded` the batch,
/// `num_frames` each item's frames (as the word alignment takes them).
pub fn token_logprobs(
    model: &WhisperModel,
    starts: &[Option<&[usize]>],
    groups: &[&[SubSegment]],
    encoded: &StorageView,
    num_frames: &[usize],
) -> Result<Vec<Option<Vec<Vec<TokenLogprob>>>>> {
    let eot = model.tokenizer.eot;
    let per_segment: Vec<Vec<Vec<usize>>> = groups
        .iter()
        .map(|g| g.iter().map(|s| s.tokens.iter().copied().filter(|&t| t < eot).collect()).collect())
        .collect();
    let mut probs: Vec<Vec<f32>> = vec![Vec::new(); groups.len()];
    // One pass per distinct prompt in the batch (the alignment takes one for all its items); the
    // items with another prompt go with no tokens.
    let mut distinct: Vec<&[usize]> = Vec::new();
    for s in starts.iter().flatten() {
        if !distinct.contains(s) {
            distinct.push(s);
        }
    }
    for start in distinct {
        let tokens: Vec<Vec<usize>> = (0..groups.len())
            .map(|g| if starts[g] == Some(start) { per_segment[g].concat() } else { Vec::new() })
            .collect();
        if tokens.iter().all(|t| t.is_empty()) {
            continue;
        }
        for (g, alignment) in model.align(encoded, start, &tokens, num_frames, MEDIAN_FILTER_WIDTH)?.into_iter().enumerate() {
            if !tokens[g].is_empty() {
                probs[g] = alignment.text_token_probs;
            }
        }
    }
    Ok(per_segment
        .iter()
        .zip(probs)
        .zip(starts)
        .map(|((segments, p), start)| start.map(|_| by_segment(model, segments, &p)))
        .collect())
}

/// An item's probabilities (over all its segments' text tokens, in order) cut per segment.
fn by_segment(model: &WhisperModel, segments: &[Vec<usize>], probs: &[f32]) -> Vec<Vec<TokenLogprob>> {
    let mut at = 0;
    segments
        .iter()
        .map(|ids| {
            let out = ids.iter().enumerate().map(|(i, &id)| entry(model, id, probs.get(at + i).copied())).collect();
            at += ids.len();
            out
        })
        .collect()
}

fn entry(model: &WhisperModel, id: usize, probability: Option<f32>) -> TokenLogprob {
    let bytes = model.tokenizer.token_bytes(id);
    TokenLogprob { token: String::from_utf8_lossy(&bytes).into_owned(), logprob: logprob(probability), bytes: bytes.into_iter().map(u32::from).collect() }
}

/// ln(p), at most 0 and at least MIN_LOGPROB (a missing probability: MIN_LOGPROB).
fn logprob(p: Option<f32>) -> f64 {
    match p {
        Some(p) if p > 0.0 => (p as f64).ln().clamp(MIN_LOGPROB, 0.0),
        _ => MIN_LOGPROB,
    }
}

/// The prompt up to the end of its start-of-transcript sequence (what the alignment starts
/// from): without `<|notimestamps|>` and the prefix that may follow.
pub fn start_of(prompt: &[usize], sot_position: usize, sot_sequence_len: usize) -> &[usize] {
    &prompt[..(sot_position + sot_sequence_len).min(prompt.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_probabilities_are_bounded() {
        assert_eq!(logprob(Some(1.0)), 0.0);
        assert_eq!(logprob(Some(1.000_001)), 0.0, "rounding above 1 is 0");
        assert!((logprob(Some(0.5)) - 0.5f64.ln()).abs() < 1e-6);
        assert_eq!(logprob(Some(0.0)), MIN_LOGPROB);
        assert_eq!(logprob(None), MIN_LOGPROB);
    }

    #[test]
    fn the_start_leaves_out_what_follows_the_sequence() {
        // <|startofprev|> a b <|startoftranscript|> <|en|> <|transcribe|> <|notimestamps|>
        let prompt = [9, 1, 2, 5, 6, 7, 8];
        assert_eq!(start_of(&prompt, 3, 3), &[9, 1, 2, 5, 6, 7]);
        assert_eq!(start_of(&prompt, 0, 10), &prompt[..]);
    }
}
