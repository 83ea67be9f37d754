//! Word timestamps from CTranslate2's cross-attention alignment, with faster-whisper's
//! clean-up: long words clipped around sentence ends, punctuation merged into
//! neighbouring words, and the first/last word reconciled with the segment's bounds.

use ct2rs::sys::StorageView;

use crate::engine::features::{FRAMES_PER_SECOND, TOKENS_PER_SECOND};
use crate::engine::model::WhisperModel;
use crate::engine::result::Word;
use crate::error::Result;

const MEDIAN_FILTER_WIDTH: i64 = 7;

/// A piece of decoded text between two timestamp tokens.
#[derive(Clone, Debug)]
pub struct SubSegment {
    pub seek: usize,
    pub start: f64,
    pub end: f64,
    pub tokens: Vec<usize>,
    pub words: Vec<Word>,
    /// Each word's tokens (its merged punctuation's too), beside `words`.
    pub word_tokens: Vec<Vec<usize>>,
}

struct Timing {
    word: String,
    tokens: Vec<usize>,
    start: f64,
    end: f64,
    probability: f64,
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

fn find_alignment(
    model: &WhisperModel,
    language: &str,
    start_sequence: &[usize],
    text_tokens: &[Vec<usize>],
    encoded: &StorageView,
    num_frames: &[usize],
) -> Result<Vec<Vec<Timing>>> {
    let tok = &model.tokenizer;
    if text_tokens.iter().all(|t| t.is_empty()) {
        return Ok(text_tokens.iter().map(|_| Vec::new()).collect());
    }
    let results = model.align(encoded, start_sequence, text_tokens, num_frames, MEDIAN_FILTER_WIDTH)?;
    let mut out = Vec::new();
    for (result, tokens) in results.iter().zip(text_tokens) {
        let mut with_eot = tokens.clone();
        with_eot.push(tok.eot);
        let (words, word_tokens) = tok.split_to_word_tokens(&with_eot, language);
        if word_tokens.len() <= 1 {
            out.push(Vec::new());
            continue;
        }
        let mut boundaries = vec![0usize];
        for t in &word_tokens[..word_tokens.len() - 1] {
            boundaries.push(boundaries.last().unwrap() + t.len());
        }
        let mut jump_times = Vec::new();
        let mut previous: Option<i64> = None;
        for &(text_index, time_index) in &result.path {
            if previous.map_or(true, |p| p != text_index) {
                jump_times.push(time_index as f64 / TOKENS_PER_SECOND);
            }
            previous = Some(text_index);
        }
        let probs = &result.text_token_probs;
        let mut timings = Vec::new();
        for i in 0..boundaries.len() - 1 {
            let (a, b) = (boundaries[i], boundaries[i + 1]);
            if b >= jump_times.len() {
                break;
            }
            let slice = &probs[a.min(probs.len())..b.min(probs.len())];
            let probability = if slice.is_empty() {
                f64::NAN
            } else {
                slice.iter().map(|&p| p as f64).sum::<f64>() / slice.len() as f64
            };
            timings.push(Timing {
                word: words[i].clone(),
                tokens: word_tokens[i].clone(),
                start: jump_times[a],
                end: jump_times[b],
                probability,
            });
        }
        out.push(timings);
    }
    Ok(out)
}

/// Moves prepended punctuation onto the next word and appended punctuation onto the previous one.
fn merge_punctuations(alignment: &mut [Timing], prepended: &str, appended: &str) {
    if alignment.len() >= 2 {
        let mut i = alignment.len() as isize - 2;
        let mut j = alignment.len() - 1;
        while i >= 0 {
            let iu = i as usize;
            let previous_word = alignment[iu].word.clone();
            if previous_word.starts_with(' ') && contains_str(prepended, previous_word.trim()) {
                let prev_tokens = std::mem::take(&mut alignment[iu].tokens);
                alignment[j].word = format!("{}{}", previous_word, alignment[j].word);
                let mut merged = prev_tokens;
                merged.extend(alignment[j].tokens.drain(..));
                alignment[j].tokens = merged;
                alignment[iu].word.clear();
            } else {
                j = iu;
            }
            i -= 1;
        }
    }
    let mut i = 0;
    let mut j = 1;
    while j < alignment.len() {
        if !alignment[i].word.ends_with(' ') && contains_str(appended, &alignment[j].word) {
            let following = std::mem::take(&mut alignment[j].word);
            let following_tokens = std::mem::take(&mut alignment[j].tokens);
            alignment[i].word.push_str(&following);
            alignment[i].tokens.extend(following_tokens);
        } else {
            i = j;
        }
        j += 1;
    }
}

/// Python's `needle in haystack` for strings (a substring test; the empty string is in every string).
fn contains_str(haystack: &str, needle: &str) -> bool {
    haystack.contains(needle)
}

/// Adds words to each subsegment of each group (one group per encoded batch item).
/// `owners[g]` is the request group `g` belongs to, and `last_speech[owner]` that request's
/// end of the last speech, updated here (a batch may hold several requests' chunks).
#[allow(clippy::too_many_arguments)]
pub fn add_word_timestamps(
    model: &WhisperModel,
    language: &str,
    start_sequence: &[usize],
    groups: &mut [Vec<SubSegment>],
    encoded: &StorageView,
    num_frames: &[usize],
    prepend_punctuations: &str,
    append_punctuations: &str,
    owners: &[usize],
    last_speech: &mut [f64],
) -> Result<()> {
    if groups.is_empty() {
        return Ok(());
    }
    let (text_tokens, text_tokens_per_segment) = text_tokens_of(groups, model.tokenizer.eot);
    let mut alignments = find_alignment(model, language, start_sequence, &text_tokens, encoded, num_frames)?;
    let mut durations = Vec::new();
    for alignment in alignments.iter_mut() {
        let d = clip_long_words(alignment);
        merge_punctuations(alignment, prepend_punctuations, append_punctuations);
        durations.push(d);
    }
    for (gi, group) in groups.iter_mut().enumerate() {
        if group.is_empty() {
            continue;
        }
        place_words(group, &alignments[gi], &text_tokens_per_segment[gi], durations[gi], &mut last_speech[owners[gi]]);
    }
    Ok(())
}

/// Each group's text tokens (the timestamp and special tokens left out), all together and per
/// subsegment.
fn text_tokens_of(groups: &[Vec<SubSegment>], eot: usize) -> (Vec<Vec<usize>>, Vec<Vec<Vec<usize>>>) {
    let mut text_tokens = Vec::new();
    let mut text_tokens_per_segment: Vec<Vec<Vec<usize>>> = Vec::new();
    for group in groups.iter() {
        let per: Vec<Vec<usize>> = group
            .iter()
            .map(|s| s.tokens.iter().copied().filter(|&t| t < eot).collect())
            .collect();
        text_tokens.push(per.concat());
        text_tokens_per_segment.push(per);
    }
    (text_tokens, text_tokens_per_segment)
}

/// The median word duration of an alignment (at most 0.7 s) and the longest a word may be.
#[derive(Clone, Copy)]
struct Durations {
    median: f64,
    max: f64,
}

/// The alignment's word durations; a word longer than the maximum at a sentence end is clipped
/// to it.
fn clip_long_words(alignment: &mut [Timing]) -> Durations {
    let mut durations: Vec<f64> = alignment
        .iter()
        .map(|w| w.end - w.start)
        .filter(|d| *d != 0.0)
        .collect();
    let has_durations = !durations.is_empty();
    let median_duration = median(&mut durations).min(0.7);
    let max_duration = median_duration * 2.0;
    if has_durations {
        let sentence_end_marks = ".。!！?？";
        for i in 1..alignment.len() {
            if alignment[i].end - alignment[i].start > max_duration {
                if contains_str(sentence_end_marks, &alignment[i].word) {
                    alignment[i].end = alignment[i].start + max_duration;
                } else if contains_str(sentence_end_marks, &alignment[i - 1].word) {
                    alignment[i].start = alignment[i].end - max_duration;
                }
            }
        }
    }
    Durations { median: median_duration, max: max_duration }
}

/// Hands a group's aligned words out to its subsegments, in order (each takes as many words as
/// cover its text tokens), and reconciles each subsegment's bounds with its words.
fn place_words(group: &mut [SubSegment], alignment: &[Timing], tokens_per_segment: &[Vec<usize>], d: Durations, last_speech_timestamp: &mut f64) {
    let mut word_index = 0;
    let time_offset = group[0].seek as f64 / FRAMES_PER_SECOND as f64;
    for (si, sub) in group.iter_mut().enumerate() {
        let (mut words, word_tokens) = take_words(alignment, &mut word_index, tokens_per_segment[si].len(), time_offset);
        if !words.is_empty() {
            fit_words(sub, &mut words, d, last_speech_timestamp);
        }
        sub.words = words;
        sub.word_tokens = word_tokens;
    }
}

/// The words from `alignment[*word_index]` on that cover `n_tokens` text tokens, in the audio's
/// time (`time_offset` on), and each one's tokens; merged-away punctuation is left out.
fn take_words(alignment: &[Timing], word_index: &mut usize, n_tokens: usize, time_offset: f64) -> (Vec<Word>, Vec<Vec<usize>>) {
    let mut saved_tokens = 0;
    let mut words: Vec<Word> = Vec::new();
    let mut word_tokens: Vec<Vec<usize>> = Vec::new();
    while *word_index < alignment.len() && saved_tokens < n_tokens {
        let timing = &alignment[*word_index];
        if !timing.word.is_empty() {
            words.push(Word {
                word: timing.word.clone(),
                start: round2(time_offset + timing.start),
                end: round2(time_offset + timing.end),
                probability: timing.probability,
            });
            word_tokens.push(timing.tokens.clone());
        }
        saved_tokens += timing.tokens.len();
        *word_index += 1;
    }
    (words, word_tokens)
}

/// Reconciles a subsegment's bounds with its first and last words (there is at least one), and
/// moves the end of the last speech to the subsegment's end.
fn fit_words(sub: &mut SubSegment, words: &mut [Word], d: Durations, last_speech_timestamp: &mut f64) {
    let (median_duration, max_duration) = (d.median, d.max);
    // Keep a first word that follows a long pause from swallowing the pause.
    if words[0].end - *last_speech_timestamp > median_duration * 4.0
        && (words[0].end - words[0].start > max_duration
            || (words.len() > 1 && words[1].end - words[0].start > max_duration * 2.0))
    {
        if words.len() > 1 && words[1].end - words[1].start > max_duration {
            let boundary = (words[1].end / 2.0).max(words[1].end - max_duration);
            words[0].end = boundary;
            words[1].start = boundary;
        }
        words[0].start = (words[0].end - max_duration).max(0.0);
    }
    if sub.start < words[0].end && sub.start - 0.5 > words[0].start {
        words[0].start = (words[0].end - median_duration).min(sub.start).max(0.0);
    } else {
        sub.start = words[0].start;
    }
    let last = words.len() - 1;
    if sub.end > words[last].start && sub.end + 0.5 < words[last].end {
        words[last].end = (words[last].start + median_duration).max(sub.end);
    } else {
        sub.end = words[last].end;
    }
    *last_speech_timestamp = sub.end;
}

/// The end of the last word of the last segment that has words, else the last segment's end.
pub fn get_end(segments: &[SubSegment]) -> Option<f64> {
    segments
        .iter()
        .rev()
        .find_map(|s| s.words.last().map(|w| w.end))
        .or_else(|| segments.last().map(|s| s.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(word: &str, token: usize) -> Timing {
        Timing { word: word.into(), tokens: vec![token], start: 0.0, end: 0.0, probability: 1.0 }
    }

    #[test]
    fn punctuation_merges_into_its_word() {
        let d = crate::options::DecodeOptions::default();
        let mut a = vec![timing(" Hello", 0), timing(",", 1), timing(" \"", 2), timing("world", 3), timing("\"", 4)];
        merge_punctuations(&mut a, &d.prepend_punctuations, &d.append_punctuations);
        let words: Vec<&str> = a.iter().map(|t| t.word.as_str()).collect();
        assert_eq!(words, vec![" Hello,", "", "", " \"world\"", ""]);
        let tokens: Vec<Vec<usize>> = a.iter().map(|t| t.tokens.clone()).collect();
        assert_eq!(tokens, vec![vec![0, 1], vec![], vec![], vec![2, 3, 4], vec![]]);
    }

    #[test]
    fn no_merge_across_a_space() {
        let d = crate::options::DecodeOptions::default();
        let mut a = vec![timing(" Hello ", 0), timing(".", 1)];
        merge_punctuations(&mut a, &d.prepend_punctuations, &d.append_punctuations);
        assert_eq!(a[0].word, " Hello ");
        assert_eq!(a[1].word, ".");
    }

    #[test]
    fn medians_and_ends() {
        assert_eq!(median(&mut []), 0.0);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        let word = |end: f64| Word { start: 0.0, end, word: " w".into(), probability: 1.0 };
        let seg = |end: f64, words: Vec<Word>| SubSegment { seek: 0, start: 0.0, end, tokens: vec![], words, word_tokens: vec![] };
        assert_eq!(get_end(&[]), None);
        assert_eq!(get_end(&[seg(5.0, vec![word(4.5)]), seg(6.0, vec![])]), Some(4.5), "the last word's end");
        assert_eq!(get_end(&[seg(5.0, vec![]), seg(6.0, vec![])]), Some(6.0), "else the last segment's end");
        assert_eq!(round2(1.23456), 1.23);
    }
}
