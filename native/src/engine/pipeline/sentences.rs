//! The batched pipeline's segments (ours: faster-whisper's batched pipeline gives one per chunk
//! or per pair of timestamp tokens): a chunk's timed words regrouped so that a segment follows
//! speech. A segment ends where the decoder ended one (its timestamp tokens, when it decodes
//! them), at the end of a sentence (as WhisperX splits segments into sentences), and at a pause
//! of more than `MAX_PAUSE` seconds of the recording between two words (the audio the VAD took
//! out of the chunk counted in, and the VAD's own stretches without speech); it starts at its
//! first word and ends at its last.

use crate::engine::features::SAMPLE_RATE;
use crate::engine::result::Word;
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

/// Where a chunk's stretches of speech are: where each starts and ends in the kept audio
/// (`part_ends` from `offset`) and where it starts in the recording (`origins`; empty: the kept
/// audio is the recording), and where the recording holds no speech (`non_speech`, the VAD's, in
/// the recording's seconds).
pub struct Joins {
    pub offset: f64,
    pub ends: Vec<f64>,
    pub origins: Vec<f64>,
    pub non_speech: Vec<(f64, f64)>,
}

impl Joins {
    /// The stretch a time falls in (the last one for a time past them all).
    fn part_of(&self, t: f64) -> usize {
        self.ends.iter().position(|&e| t < e).unwrap_or(self.ends.len().saturating_sub(1))
    }

    /// A time of the kept audio in the recording's seconds.
    fn original(&self, t: f64) -> f64 {
        let k = self.part_of(t);
        match self.origins.get(k) {
            Some(origin) => origin + t - if k == 0 { self.offset } else { self.ends[k - 1] },
            None => t,
        }
    }

    /// The seconds of the recording between two words (the first before the second): the pause
    /// their times leave, or the longest stretch without speech between their middles, whichever
    /// is longer (a word's time from cross-attention may run into the silence after it).
    fn pause(&self, a: &Word, b: &Word) -> f64 {
        let (from, to) = (self.original((a.start + a.end) / 2.0), self.original((b.start + b.end) / 2.0));
        let silent = self.non_speech.iter().map(|&(s, e)| (e.min(to) - s.max(from)).max(0.0)).fold(0.0, f64::max);
        (self.original(b.start) - self.original(a.end)).max(silent)
    }
}

/// Whether a segment ends between words `a` and `b` (in a segment the decoder made).
fn cut_between(a: &Word, b: &Word, joins: &Joins) -> bool {
    ends_sentence(&a.word) || joins.pause(a, b) > MAX_PAUSE
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

/// A chunk's segments (with their words) cut into sentences and at long pauses (`joins`: where
/// the chunk's stretches meet). Segments without words are kept as they are.
pub fn split_segments(segments: Vec<SubSegment>, joins: &Joins) -> Vec<SubSegment> {
    let mut out = Vec::with_capacity(segments.len());
    for sub in segments {
        if sub.words.is_empty() || sub.words.len() != sub.word_tokens.len() {
            out.push(sub);
            continue;
        }
        let mut from = 0;
        for k in 1..=sub.words.len() {
            if k == sub.words.len() || cut_between(&sub.words[k - 1], &sub.words[k], joins) {
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
        // Parts at 2-3 s and 3-3.5 s of the kept audio; in the recording at 10 s and 13 s.
        let joins = Joins { offset: 2.0, ends: vec![3.0, 3.5], origins: vec![10.0, 13.0], non_speech: vec![] };
        assert_eq!(joins.part_of(2.9), 0);
        assert_eq!(joins.part_of(3.0), 1);
        assert_eq!(joins.part_of(9.0), 1);
        assert!((joins.original(2.5) - 10.5).abs() < 1e-9 && (joins.original(3.1) - 13.1).abs() < 1e-9);
        let (a, b) = (word(" a", 2.5, 2.9), word(" b", 3.1, 3.3));
        assert!((joins.pause(&a, &b) - 2.2).abs() < 1e-9, "the 2 s taken out at the join count");
        let kept = Joins { offset: 2.0, ends: vec![3.0, 3.5], origins: vec![], non_speech: vec![] };
        assert!((kept.pause(&a, &b) - 0.2).abs() < 1e-9, "nothing taken out");
        let heard = Joins { non_speech: vec![(2.75, 4.0)], ..kept };
        assert!((heard.pause(&a, &b) - 0.45).abs() < 1e-9, "the VAD's non-speech between the words' middles");
    }

    #[test]
    fn cut_at_sentences_and_pauses() {
        let words = vec![
            word(" One", 0.0, 0.3),
            word(" two.", 0.4, 0.8),
            word(" Three", 0.9, 1.2),
            word(" four", 1.3, 1.6),
            // the chunk's second stretch starts at 2.0, at 3.5 s of the recording (1.5 s taken out)
            word(" five", 2.1, 2.4),
            // the third starts at 2.5, at 4.1 s (0.1 s taken out): no cut
            word(" six", 2.6, 2.8),
            // a pause of 1.1 s
            word(" seven", 3.9, 4.2),
            // the words touch, but the VAD heard 1.2 s without speech between them
            word(" eight", 4.2, 5.9),
            word(" nine", 5.9, 7.0),
        ];
        let joins = Joins { offset: 0.0, ends: vec![2.0, 2.5, 10.0], origins: vec![0.0, 3.5, 4.1], non_speech: vec![(6.7, 7.9)] };
        let out = split_segments(vec![segment(words)], &joins);
        let spans: Vec<(f64, f64, usize)> = out.iter().map(|s| (s.start, s.end, s.words.len())).collect();
        assert_eq!(spans, vec![(0.0, 0.8, 2), (0.9, 1.6, 2), (2.1, 2.8, 2), (3.9, 5.9, 2), (5.9, 7.0, 1)]);
        assert_eq!(out[0].tokens, vec![1, 2], "each segment holds its words' tokens");
        assert_eq!(out[4].tokens, vec![9]);
        assert!(out.iter().all(|s| s.words.len() == s.word_tokens.len()));
    }

    #[test]
    fn the_decoders_segments_stay_cut_and_wordless_ones_stay() {
        let a = segment(vec![word(" Hello", 0.0, 0.4), word(" there", 0.5, 0.9)]);
        let b = segment(vec![word(" again", 1.0, 1.3)]);
        let empty = SubSegment { seek: 0, start: 5.0, end: 6.0, tokens: vec![50364], words: vec![], word_tokens: vec![] };
        let out = split_segments(vec![a, b, empty], &Joins { offset: 0.0, ends: vec![30.0], origins: vec![], non_speech: vec![] });
        assert_eq!(out.len(), 3);
        assert_eq!((out[0].start, out[0].end), (0.0, 0.9));
        assert_eq!((out[2].start, out[2].end), (5.0, 6.0));
    }
}
