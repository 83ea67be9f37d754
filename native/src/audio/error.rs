//! How a decode fails. Both the decoder and the header checks return it, so it lives apart from
//! both: `decode` and `headers` depend on it, and it depends on neither.

#[derive(Debug)]
pub enum AudioError {
    /// Not a container/codec this decoder knows: try ffmpeg.
    UnsupportedFormat(String),
    /// A known format whose stream is broken beyond its first packet.
    Corrupt(String),
    /// A header value no recording has (sample rate, channels, sample width): refused, not
    /// decoded, and not handed to ffmpeg either.
    InvalidHeader(String),
    /// Longer than the limit (seconds), by its header or by what decoded.
    TooLong(f64),
    /// Not something to read: not a regular file, larger than the byte cap, or unreadable.
    Unreadable(String),
}

impl std::fmt::Display for AudioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AudioError::UnsupportedFormat(m) => write!(f, "unsupported audio format: {m}"),
            AudioError::Corrupt(m) => write!(f, "corrupt audio: {m}"),
            AudioError::InvalidHeader(m) => write!(f, "invalid audio header: {m}"),
            // The same words as the ffmpeg path's refusal (src/ffmpeg.ts).
            AudioError::TooLong(limit) => write!(f, "audio is longer than the limit of {limit} s (MAX_AUDIO_SECONDS)"),
            AudioError::Unreadable(m) => write!(f, "{m}"),
        }
    }
}
