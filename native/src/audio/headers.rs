//! Checks of header values that would hurt before symphonia or the resampler act on them.
//! symphonia 0.5 trusts its input: a WAV at 0 Hz panics in its reader, and an M4A sample table
//! that claims 2^32 entries makes it reserve 32 GB up front, which aborts the process (a failed
//! allocation is not a panic, so no guard can catch it). These checks read the raw bytes first
//! and refuse such files with `InvalidHeader`.

use super::error::AudioError;
use super::resample::{MAX_RATE, MIN_RATE};

/// Most channels a file may have; symphonia's decoders stop at 32 too.
pub const MAX_CHANNELS: usize = 32;

/// How far symphonia's probe searches for a format marker (`Probe::PROBE_SEARCH_LIMIT`), plus its
/// 16-byte look-ahead: every format it may pick starts within these bytes.
pub const PROBE_SPAN: usize = 1024 * 1024 + 16;

/// Most MP4 boxes walked; real files have a handful at the top level, a fragmented one a few
/// per fragment.
const MAX_BOXES: usize = 200_000;

pub fn check_rate(rate: u32) -> Result<(), AudioError> {
    if (MIN_RATE..=MAX_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(AudioError::InvalidHeader(format!("sample rate {rate} Hz is outside the supported {MIN_RATE}–{MAX_RATE} Hz")))
    }
}

pub fn check_channels(n: usize) -> Result<(), AudioError> {
    if (1..=MAX_CHANNELS).contains(&n) {
        Ok(())
    } else {
        Err(AudioError::InvalidHeader(format!("channel count {n} is outside the supported 1–{MAX_CHANNELS}")))
    }
}

pub fn check_bits(bits: u32) -> Result<(), AudioError> {
    if (1..=64).contains(&bits) {
        Ok(())
    } else {
        Err(AudioError::InvalidHeader(format!("{bits} bits per sample is outside 1–64")))
    }
}

/// Random access to the input, for the MP4 walk (its sample tables usually sit at the end).
pub trait ReadAt {
    /// Fills as much of `buf` as the input has from `pos` on; returns how much.
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> usize;
}

/// What a WAV header says.
pub struct WavHeader {
    /// Frames the data chunk holds, bounded by the bytes the file has (a streamed WAV leaves its
    /// data length at 0xFFFFFFFF, which symphonia would take for 37 hours); None when unknown
    /// (ADPCM, or the data chunk lies beyond `head`).
    pub frames: Option<u64>,
}

/// Checks a RIFF/WAVE file's fmt chunk in its first bytes. None for anything that is not a WAV.
pub fn check_wav(head: &[u8], total_len: u64) -> Result<Option<WavHeader>, AudioError> {
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Ok(None);
    }
    let u16_at = |p: usize| u16::from_le_bytes([head[p], head[p + 1]]);
    let u32_at = |p: usize| u32::from_le_bytes([head[p], head[p + 1], head[p + 2], head[p + 3]]);
    let mut pos = 12usize;
    let mut block: Option<(u16, u16)> = None; // (format tag, block align)
    while pos + 8 <= head.len() {
        let (id, size) = (&head[pos..pos + 4], u32_at(pos + 4) as u64);
        let body = pos + 8;
        if id == b"fmt " && body + 16 <= head.len() {
            let (format, channels, rate) = (u16_at(body), u16_at(body + 2), u32_at(body + 4));
            let (block_align, bits) = (u16_at(body + 12), u16_at(body + 14));
            check_rate(rate)?;
            check_channels(channels as usize)?;
            check_bits(bits as u32)?;
            block = Some((format, block_align));
        }
        if id == b"data" {
            // PCM, IEEE float, A-law, mu-law, extensible: one frame per block.
            let frames = match block {
                Some((1 | 3 | 6 | 7 | 0xfffe, align)) if align > 0 => {
                    let present = total_len.saturating_sub(body as u64);
                    Some(size.min(present) / align as u64)
                }
                _ => None,
            };
            return Ok(Some(WavHeader { frames }));
        }
        pos = body.saturating_add(size as usize).saturating_add(size as usize & 1);
    }
    Ok(Some(WavHeader { frames: None }))
}

/// Checks the sample tables of every MP4 that symphonia's probe could find: it takes the first
/// "ftyp" marker within PROBE_SPAN bytes (at any offset) as the start of the file. A table's
/// entry count times its entry size must fit in its box.
pub fn check_mp4(head: &[u8], src: &dyn ReadAt, total_len: u64) -> Result<(), AudioError> {
    let mut boxes = 0usize;
    let mut from = 0;
    while let Some(at) = find(&head[from..], b"ftyp").map(|i| from + i) {
        if at >= 4 {
            walk(src, (at - 4) as u64, total_len, 0, &mut boxes)?;
        }
        from = at + 1;
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn walk(src: &dyn ReadAt, start: u64, end: u64, depth: u32, boxes: &mut usize) -> Result<(), AudioError> {
    let mut pos = start;
    while pos.saturating_add(8) <= end {
        *boxes += 1;
        if *boxes > MAX_BOXES {
            return Err(AudioError::InvalidHeader(format!("more than {MAX_BOXES} MP4 boxes")));
        }
        let mut h = [0u8; 16];
        if src.read_at(pos, &mut h) < 8 {
            return Ok(());
        }
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let kind = [h[4], h[5], h[6], h[7]];
        let (size, header) = match size32 {
            0 => (end - pos, 8),
            1 => (u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]), 16),
            n => (n, 8),
        };
        if size < header {
            return Ok(()); // malformed: symphonia stops here too
        }
        let box_end = pos.saturating_add(size).min(end);
        let body = pos + header;
        match &kind {
            b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" if depth < 8 => walk(src, body, box_end, depth + 1, boxes)?,
            b"stts" | b"stsc" | b"stsz" | b"stco" | b"co64" => {
                // version and flags (4), then the entry count; stsz has a constant size first,
                // and a table only when that size is 0.
                let mut f = [0u8; 12];
                let got = src.read_at(body, &mut f);
                let a = u32::from_be_bytes([f[4], f[5], f[6], f[7]]) as u64;
                let b = u32::from_be_bytes([f[8], f[9], f[10], f[11]]) as u64;
                let (count, entry, fields): (u64, u64, usize) = match &kind {
                    b"stts" => (a, 8, 8),
                    b"stsc" => (a, 12, 8),
                    b"stsz" => (if a == 0 { b } else { 0 }, 4, 12),
                    b"stco" => (a, 4, 8),
                    _ => (a, 8, 8), // co64
                };
                let room = box_end.saturating_sub(body + fields as u64);
                if got >= fields && count * entry > room {
                    return Err(AudioError::InvalidHeader(format!(
                        "MP4 {} table claims {count} entries, more than its {room} bytes hold",
                        String::from_utf8_lossy(&kind)
                    )));
                }
            }
            _ => {}
        }
        pos = match pos.checked_add(size) {
            Some(p) => p,
            None => return Ok(()),
        };
    }
    Ok(())
}
