//! Audio in: encoded audio (WAV, FLAC, MP3, M4A/AAC, OGG Vorbis) decoded to 16 kHz float32.
//!
//! - `decode`: opening the input, symphonia's decoding under the caps, mixing or splitting
//!   channels.
//! - `headers`: header values checked on the raw bytes before symphonia or the resampler act on
//!   them.
//! - `resample`: streaming resampling to 16 kHz.
//! - `error`: how a decode fails (`AudioError`), used by `decode` and `headers`; it was in the
//!   decoder, which made `decode` and `headers` import each other.

mod decode;
mod error;
mod headers;
mod resample;

pub use decode::{decode, Decoded, Input, Limits};
