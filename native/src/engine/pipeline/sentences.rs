//! The batched pipeline's segments (ours: faster-whisper's batched pipeline gives one per chunk
//! or per pair of timestamp tokens): a chunk's timed words regrouped so that a segment follows
//! speech. A segment ends where the decoder ended one (its timestamp tokens), at the end of a
//! sentence (as WhisperX splits segments into sentences), where the chunk's stretches of speech
//! meet (the VAD took out the non-speech between them), and at a pause of more than
//! `MAX_PAUSE` seconds; it starts at its first word and ends at its last.

use crate::engine::features::SAMPLE_RATE;
use crate::engine::word_timestamps::SubSegment;

/// A pause between two words longer than this (seconds) ends a segment.
pub const MAX_PAUSE: f64 = 1.0;

/// Abbreviations whose period ends no sentence (lower case, without the period).
const ABBREVIATIONS: &[&str] = &["mr", "mrs", "ms", "dr", "prof", "jr", "sr", "st", "vs", "e.g", "i.e", "cf", "approx"];

/// Whether `word` ends a sentence: it ends with `.`, `!`, `?` (or their CJK forms, or `…`),
/// closing quotes and brackets aside, and is no abbreviation or initial ("Dr.", "J.").
pub fn ends_sentence(word: &str) -> bool {
    let w = word.trim().trim_end_matches(|c: char| "\"'”’)]}»".contains(c));
    let Some(last) = w.chars().last() else { return false };
    if !".!?。！？…".contains(last) {
        return false;
    }
    if last == '.' && !w.ends_with("..") {
        let stem = w.trim_end_matches('.').trim_start_matches(|c: char| "\"'“‘([{«¿¡".contains(c)).to_lowercase();
        if ABBREVIATIONS.contains(&stem.as_str()) {
            return false;
        }
        let mut letters = stem.chars();
        if let (Some(c), None) = (letters.next(), letters.next()) {
            if c.is_alphabetic() {
                return false; // an initial
            }
        }
    }
    true
}

/// Where each of a chunk's stretches of speech ends, in seconds of the kept audio (the chunk at
/// `offset`, its parts `lengths` samples long, one after another).
pub fn part_ends(offset: f64, lengths: &[usize]) -> Vec<f64> {
    let mut at = 0usize;
    lengths
        .iter()
        .map(|&n| {
            at += n;
            offset + at as f64 / SAMPLE_RATE as f64
        })
        .collect()
}

/// The stretch a time falls in (the last one for a time past them all).
fn part_of(t: f64, ends: &[f64]) -> usize {
    ends.iter().position(|&e| t < e).unwrap_or(ends.len().saturating_sub(1))
}

/// Whether a segment ends between words `a` and `b` (in a segment the decoder made).
fn cut_between(a: &crate::engine::result::Word, b: &crate::engine::result::Word, ends: &[f64]) -> bool {
    ends_sentence(&a.word) || b.start - a.end > MAX_PAUSE || part_of((a.start + a.end) / 2.0, ends) != part_of((b.start + b.end) / 2.0, ends)
}

/// A segment of words `from..to` of `sub`: their tokens, from the first word's start to the last one's end.
fn piece(sub: &SubSegment, from: usize, to: usize) -> SubSegment {
    let words = sub.words[from..to].to_vec();
    let word_tokens = sub.word_tokens[from..to].to_vec();
    SubSegment {
        seek: sub.seek,
        start: words[0].start,
        end: words[words.len() - 1].end.max(words[0].start),
        tokens: word_tokens.concat(),
        words,
        word_tokens,
    }
}

/// A chunk's segments (with their words) cut into sentences and at the chunk's joins and long
/// pauses (`ends`: part_ends of the chunk). Segments without words are kept as they are.
pub fn split_segments(segments: Vec<SubSegment>, ends: &[f64]) -> Vec<SubSegment> {
    let mut out = Vec::with_capacity(segments.len());
    for sub in segments {
        if sub.words.is_empty() || sub.words.len() != sub.word_tokens.len() {
            out.push(sub);
            continue;
        }
        let mut from = 0;
        for k in 1..=sub.words.len() {
            if k == sub.words.len() || cut_between(&sub.words[k - 1], &sub.words[k], ends) {
                out.push(piece(&sub, from, k));
                from = k;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::result::Word;

    fn word(text: &str, start: f64, end: f64) -> Word {
        Word { word: text.into(), start, end, probability: 0.9 }
    }

    fn segment(words: Vec<Word>) -> SubSegment {
        let word_tokens = (0..words.len()).map(|i| vec![i + 1]).collect();
        SubSegment { seek: 0, start: 0.0, end: 30.0, tokens: vec![], words, word_tokens }
    }

    #[test]
    fn sentence_ends() {
        for w in [" done.", " really?", " stop!", " end.\"", " this)…", "。", " wait..."] {
            assert!(ends_sentence(w), "{w}");
        }
        for w in [" Dr.", " Mr.", " J.", " e.g.", " word", " comma,", ""] {
            assert!(!ends_sentence(w), "{w}");
        }
        assert!(ends_sentence(" 1990."), "a number ends a sentence");
    }

    #[test]
    fn parts_in_seconds() {
        assert_eq!(part_ends(2.0, &[16000, 8000]), vec![3.0, 3.5]);
        assert_eq!(part_of(2.9, &[3.0, 3.5]), 0);
        assert_eq!(part_of(3.0, &[3.0, 3.5]), 1);
        assert_eq!(part_of(9.0, &[3.0, 3.5]), 1);
    }

    #[test]
    fn cut_at_sentences_joins_and_pauses() {
        let words = vec![
            word(" One", 0.0, 0.3),
            word(" two.", 0.4, 0.8),
            word(" Three", 0.9, 1.2),
            word(" four", 1.3, 1.6),
            // the chunk's second stretch of speech starts at 2.0
            word(" five", 2.1, 2.4),
            // a pause of 1.5 s
            word(" six", 3.9, 4.2),
        ];
        let out = split_segments(vec![segment(words)], &[2.0, 10.0]);
        let spans: Vec<(f64, f64, usize)> = out.iter().map(|s| (s.start, s.end, s.words.len())).collect();
        assert_eq!(spans, vec![(0.0, 0.8, 2), (0.9, 1.6, 2), (2.1, 2.4, 1), (3.9, 4.2, 1)]);
        assert_eq!(out[0].tokens, vec![1, 2], "each segment holds its words' tokens");
        assert_eq!(out[3].tokens, vec![6]);
        assert!(out.iter().all(|s| s.words.len() == s.word_tokens.len()));
    }

    #[test]
    fn the_decoders_segments_stay_cut_and_wordless_ones_stay() {
        let a = segment(vec![word(" Hello", 0.0, 0.4), word(" there", 0.5, 0.9)]);
        let b = segment(vec![word(" again", 1.0, 1.3)]);
        let empty = SubSegment { seek: 0, start: 5.0, end: 6.0, tokens: vec![50364], words: vec![], word_tokens: vec![] };
        let out = split_segments(vec![a, b, empty], &[30.0]);
        assert_eq!(out.len(), 3);
        assert_eq!((out[0].start, out[0].end), (0.0, 0.9));
        assert_eq!((out[2].start, out[2].end), (5.0, 6.0));
    }
}
