//! Whisper's tokenizer: the model's `tokenizer.json` plus the special tokens
//! the decoding loop needs (as faster-whisper's `Tokenizer` wraps them).

use std::path::Path;

use anyhow::{anyhow, Context, Result};

use crate::engine::features::TIME_PRECISION;
use crate::engine::languages::{splits_on_unicode, LANGUAGE_CODES};

const ASCII_PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

pub struct WhisperTokenizer {
    inner: tokenizers::Tokenizer,
    /// CTranslate2's own vocabulary (id -> token), which prompts are written in. It holds the
    /// timestamp tokens that tokenizer.json may lack.
    vocabulary: Vec<String>,
    pub multilingual: bool,
    pub eot: usize,
    pub sot: usize,
    pub sot_prev: usize,
    pub sot_lm: usize,
    pub transcribe: usize,
    pub translate: usize,
    pub no_timestamps: usize,
    pub no_speech: usize,
    pub timestamp_begin: usize,
}

/// Reads the model's `vocabulary.json` (a JSON list) or `vocabulary.txt` (a token a line).
fn read_vocabulary(dir: &Path) -> Result<Vec<String>> {
    let json = dir.join("vocabulary.json");
    if json.is_file() {
        let text = std::fs::read_to_string(&json).with_context(|| format!("cannot read {}", json.display()))?;
        return serde_json::from_str(&text).with_context(|| format!("{} is not a JSON list of tokens", json.display()));
    }
    let txt = dir.join("vocabulary.txt");
    if txt.is_file() {
        let text = std::fs::read_to_string(&txt).with_context(|| format!("cannot read {}", txt.display()))?;
        let mut tokens: Vec<String> = text.split('\n').map(String::from).collect();
        if tokens.last().is_some_and(|t| t.is_empty()) {
            tokens.pop();
        }
        return Ok(tokens);
    }
    Err(anyhow!("model directory {} has no vocabulary.json or vocabulary.txt", dir.display()))
}

/// The byte a character of GPT-2's byte-level alphabet stands for: printable bytes (`!`–`~`,
/// `¡`–`¬`, `®`–`ÿ`) are themselves, and the 68 others (0–32, 127–160, 173) are the characters
/// from U+0100 on, in byte order.
fn byte_of(c: char) -> Option<u8> {
    let n = c as u32;
    if (0x21..=0x7E).contains(&n) || (0xA1..=0xAC).contains(&n) || (0xAE..=0xFF).contains(&n) {
        return Some(n as u8);
    }
    match n.checked_sub(0x100)? {
        k @ 0..=32 => Some(k as u8),
        k @ 33..=66 => Some((0x7F + k - 33) as u8),
        67 => Some(0xAD),
        _ => None,
    }
}

impl WhisperTokenizer {
    pub fn from_model_dir(dir: &Path, multilingual: bool) -> Result<Self> {
        let file = dir.join("tokenizer.json");
        if !file.is_file() {
            return Err(anyhow!(
                "model directory {} has no tokenizer.json",
                dir.display()
            ));
        }
        let inner = tokenizers::Tokenizer::from_file(&file)
            .map_err(|e| anyhow!("cannot read {}: {e}", file.display()))?;
        let id = |t: &str| -> Result<usize> {
            inner
                .token_to_id(t)
                .map(|v| v as usize)
                .with_context(|| format!("tokenizer.json has no token {t}"))
        };
        let no_timestamps = id("<|notimestamps|>")?;
        let vocabulary = read_vocabulary(dir)?;
        let no_speech = id("<|nospeech|>").or_else(|_| id("<|nocaptions|>"))?;
        Ok(Self {
            eot: id("<|endoftext|>")?,
            sot: id("<|startoftranscript|>")?,
            sot_prev: id("<|startofprev|>")?,
            sot_lm: id("<|startoflm|>")?,
            transcribe: id("<|transcribe|>")?,
            translate: id("<|translate|>")?,
            no_timestamps,
            no_speech,
            timestamp_begin: no_timestamps + 1,
            multilingual,
            inner,
            vocabulary,
        })
    }

    pub fn token_to_id(&self, token: &str) -> Option<usize> {
        self.inner.token_to_id(token).map(|v| v as usize)
    }

    pub fn id_to_token(&self, id: usize) -> String {
        match self.vocabulary.get(id) {
            Some(t) => t.clone(),
            None => self.inner.id_to_token(id as u32).unwrap_or_default(),
        }
    }

    /// The bytes a text token stands for: its vocabulary entry read through GPT-2's byte-level
    /// alphabet (Whisper's tokenizers are byte-level BPE), so a token may hold part of a character.
    pub fn token_bytes(&self, id: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        for c in self.id_to_token(id).chars() {
            match byte_of(c) {
                Some(b) => bytes.push(b),
                None => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        bytes
    }

    pub fn language_token(&self, code: &str) -> Option<usize> {
        self.token_to_id(&format!("<|{code}|>"))
    }

    /// The start-of-transcript sequence: sot, then language and task on multilingual models.
    pub fn sot_sequence(&self, language: &str, task: &str) -> Vec<usize> {
        let mut seq = vec![self.sot];
        if self.multilingual {
            if let Some(lang) = self.language_token(language) {
                seq.push(lang);
            }
            seq.push(if task == "translate" { self.translate } else { self.transcribe });
        }
        seq
    }

    pub fn encode(&self, text: &str) -> crate::error::Result<Vec<usize>> {
        use crate::error::Context;
        let enc = self.inner.encode(text, false).or_engine("cannot tokenize text")?;
        Ok(enc.get_ids().iter().map(|&i| i as usize).collect())
    }

    /// Decodes text tokens (anything at or above end-of-text is dropped).
    pub fn decode(&self, tokens: &[usize]) -> String {
        let ids: Vec<u32> = tokens
            .iter()
            .filter(|&&t| t < self.eot)
            .map(|&t| t as u32)
            .collect();
        self.inner.decode(&ids, true).unwrap_or_default()
    }

    /// Decodes with `<|t.tt|>` markers for timestamp tokens (faster-whisper's `decode_with_timestamps`).
    pub fn decode_with_timestamps(&self, tokens: &[usize]) -> String {
        let mut out = String::new();
        let mut run: Vec<u32> = Vec::new();
        for &t in tokens {
            if t >= self.timestamp_begin {
                out.push_str(&self.inner.decode(&run, true).unwrap_or_default());
                run.clear();
                out.push_str(&format!("<|{:.2}|>", (t - self.timestamp_begin) as f64 * TIME_PRECISION));
            } else {
                run.push(t as u32);
            }
        }
        out.push_str(&self.inner.decode(&run, true).unwrap_or_default());
        out
    }

    /// Tokens that would let the model write speaker tags or non-speech annotations.
    pub fn non_speech_tokens(&self) -> Vec<usize> {
        let mut symbols: Vec<String> = "\"#()*+/:;<=>@[\\]^_`{|}~「」『』"
            .chars()
            .map(|c| c.to_string())
            .collect();
        symbols.extend(
            "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪"
                .split(' ')
                .map(String::from),
        );
        let misc: Vec<String> = "♩♪♫♬♭♮♯".chars().map(|c| c.to_string()).collect();
        let mut result = std::collections::BTreeSet::new();
        for s in [" -", " '"] {
            if let Some(&t) = self.encode(s).unwrap_or_default().first() {
                result.insert(t);
            }
        }
        for (symbol, is_misc) in symbols
            .iter()
            .map(|s| (s, false))
            .chain(misc.iter().map(|s| (s, true)))
        {
            for text in [symbol.clone(), format!(" {symbol}")] {
                let tokens = self.encode(&text).unwrap_or_default();
                if tokens.len() == 1 || (is_misc && !tokens.is_empty()) {
                    result.insert(tokens[0]);
                }
            }
        }
        result.into_iter().collect()
    }

    /// `suppress_tokens` as faster-whisper resolves it: -1 expands to the non-speech set,
    /// and the task/sot/no-speech tokens are always added.
    pub fn resolve_suppressed(&self, requested: &[i64]) -> Vec<i32> {
        let mut set: std::collections::BTreeSet<usize> = requested
            .iter()
            .filter(|&&t| t >= 0)
            .map(|&t| t as usize)
            .collect();
        if requested.contains(&-1) {
            set.extend(self.non_speech_tokens());
        }
        set.extend([
            self.transcribe,
            self.translate,
            self.sot,
            self.sot_prev,
            self.sot_lm,
            self.no_speech,
        ]);
        set.into_iter().map(|t| t as i32).collect()
    }

    /// Splits tokens into words, returning each word's text and tokens.
    pub fn split_to_word_tokens(&self, tokens: &[usize], language: &str) -> (Vec<String>, Vec<Vec<usize>>) {
        if splits_on_unicode(language) {
            return self.split_on_unicode(tokens);
        }
        self.split_on_spaces(tokens)
    }

    fn split_on_unicode(&self, tokens: &[usize]) -> (Vec<String>, Vec<Vec<usize>>) {
        let full: Vec<char> = self.decode_with_timestamps(tokens).chars().collect();
        let mut words = Vec::new();
        let mut word_tokens = Vec::new();
        let mut current: Vec<usize> = Vec::new();
        let mut offset = 0usize;
        for &t in tokens {
            current.push(t);
            let decoded = self.decode_with_timestamps(&current);
            let dchars: Vec<char> = decoded.chars().collect();
            let bad = dchars.iter().position(|&c| c == '\u{fffd}').map(|i| i + offset);
            let complete = match bad {
                None => true,
                Some(i) => i < full.len() && full[i] == '\u{fffd}',
            };
            if complete {
                offset += dchars.len();
                words.push(decoded);
                word_tokens.push(std::mem::take(&mut current));
            }
        }
        (words, word_tokens)
    }

    fn split_on_spaces(&self, tokens: &[usize]) -> (Vec<String>, Vec<Vec<usize>>) {
        let (subwords, subword_tokens) = self.split_on_unicode(tokens);
        let mut words: Vec<String> = Vec::new();
        let mut word_tokens: Vec<Vec<usize>> = Vec::new();
        for (sub, toks) in subwords.into_iter().zip(subword_tokens) {
            let special = toks[0] >= self.eot;
            let with_space = sub.starts_with(' ');
            let trimmed = sub.trim();
            // Python's `subword.strip() in string.punctuation` is a substring test.
            let punctuation = ASCII_PUNCTUATION.contains(trimmed);
            if special || with_space || punctuation || words.is_empty() {
                words.push(sub);
                word_tokens.push(toks);
            } else {
                words.last_mut().unwrap().push_str(&sub);
                word_tokens.last_mut().unwrap().extend(toks);
            }
        }
        (words, word_tokens)
    }

    pub fn supported_languages(&self) -> Vec<String> {
        if self.multilingual {
            LANGUAGE_CODES.iter().map(|s| s.to_string()).collect()
        } else {
            vec!["en".to_string()]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tiny.en's tokenizer from the model cache (`npm run models`); `None` (the test says so and
    /// passes) where it is not there.
    fn tiny_en() -> Option<WhisperTokenizer> {
        let cache = std::env::var_os("CT2_WHISPER_CACHE")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache").join("ct2-whisper")))?;
        let dir = cache.join("models").join("tiny.en");
        if !dir.join("tokenizer.json").is_file() {
            eprintln!("skipped: no tiny.en tokenizer in {}", dir.display());
            return None;
        }
        Some(WhisperTokenizer::from_model_dir(&dir, false).expect("tiny.en's tokenizer"))
    }

    #[test]
    fn special_tokens_of_an_english_only_model() {
        let Some(tok) = tiny_en() else { return };
        assert_eq!((tok.eot, tok.sot, tok.sot_prev, tok.no_speech, tok.no_timestamps), (50256, 50257, 50360, 50361, 50362));
        assert_eq!(tok.timestamp_begin, 50363);
        assert_eq!(tok.sot_sequence("en", "transcribe"), vec![tok.sot], "no language or task tokens on an English-only model");
        assert_eq!(tok.supported_languages(), vec!["en".to_string()]);
        // Prompts are written in CTranslate2's vocabulary, which has the timestamp tokens.
        assert_eq!(tok.id_to_token(tok.timestamp_begin + 50), "<|1.00|>");
    }

    #[test]
    fn bytes_of_the_byte_level_alphabet() {
        // Every byte is one character of the alphabet, and back.
        let mut seen = std::collections::HashSet::new();
        for n in 0x21u32..0x200 {
            if let Some(b) = byte_of(char::from_u32(n).unwrap()) {
                assert!(seen.insert(b), "byte {b} twice");
            }
        }
        assert_eq!(seen.len(), 256);
        assert_eq!(byte_of('Ġ'), Some(b' '));
        assert_eq!(byte_of('Ċ'), Some(b'\n'));
        let Some(tok) = tiny_en() else { return };
        let the = tok.encode(" the").unwrap();
        assert_eq!(the.len(), 1);
        assert_eq!(tok.token_bytes(the[0]), b" the".to_vec());
        let e = tok.encode(" é").unwrap();
        assert_eq!(e.iter().flat_map(|&t| tok.token_bytes(t)).collect::<Vec<u8>>(), " é".as_bytes().to_vec(), "a character beyond ASCII: its UTF-8 bytes");
    }

    #[test]
    fn timestamps_in_decoded_text() {
        let Some(tok) = tiny_en() else { return };
        let hello = tok.encode(" Hello world").unwrap();
        let mut tokens = vec![tok.timestamp_begin];
        tokens.extend(&hello);
        tokens.push(tok.timestamp_begin + 76);
        assert_eq!(tok.decode_with_timestamps(&tokens), "<|0.00|> Hello world<|1.52|>");
        assert_eq!(tok.decode(&tokens), " Hello world", "decode drops the timestamps");
    }

    #[test]
    fn words_split_on_spaces_with_punctuation_apart() {
        let Some(tok) = tiny_en() else { return };
        let mut tokens = tok.encode(" And so, my fellow Americans").unwrap();
        tokens.push(tok.eot);
        let (words, word_tokens) = tok.split_to_word_tokens(&tokens, "en");
        // End-of-text is a word of its own, with no text (special tokens are not decoded).
        assert_eq!(words, vec![" And", " so", ",", " my", " fellow", " Americans", ""]);
        assert_eq!(word_tokens.concat(), tokens);
    }

    #[test]
    fn suppressed_tokens() {
        let Some(tok) = tiny_en() else { return };
        let plain = tok.resolve_suppressed(&[]);
        assert_eq!(plain.len(), 6, "the task, sot and no-speech tokens are always suppressed");
        let with_symbols = tok.resolve_suppressed(&[-1]);
        assert!(with_symbols.len() > 80, "-1 adds the non-speech symbols ({})", with_symbols.len());
        assert!(with_symbols.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    }
}
