//! What a recording declares, checked before a decoder trusts it. A WAV
//! header is read by hand first because symphonia panics on a sample rate of
//! 0 ("TimeBase cannot have 0 numerator"); every format's declared rate and
//! channel count are then held to what a microphone or phone can record, so
//! a file declaring 1 Hz is refused instead of resampled into gigabytes.

use std::io::Read;

/// The rates a recording may declare: telephone 8 kHz down to 4 kHz, studio
/// 384 kHz up; anything else is a corrupt or hostile header.
pub const RATES: std::ops::RangeInclusive<u32> = 4_000..=384_000;
/// Channels a recording may declare (7.1 is 8; ambisonic rigs go to 16).
pub const MAX_CHANNELS: usize = 16;
/// Bits per sample a PCM WAV may declare.
const WIDTHS: [u16; 6] = [8, 16, 24, 32, 48, 64];

/// Why a declared format is impossible.
pub fn check_declared(rate: u32, channels: usize) -> Result<(), String> {
    if !RATES.contains(&rate) {
        return Err(format!(
            "declares a sample rate of {rate} Hz (a recording is {}–{} Hz)",
            RATES.start(),
            RATES.end()
        ));
    }
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(format!("declares {channels} channels (1–{MAX_CHANNELS})"));
    }
    Ok(())
}

/// Checks the `fmt ` chunk of a RIFF/WAVE file from its first bytes; other
/// formats pass (their decoder's parameters are checked after probing).
pub fn check_wav_header(reader: &mut impl Read) -> Result<(), String> {
    let mut head = Vec::with_capacity(4096);
    reader.take(4096).read_to_end(&mut head).map_err(|e| e.to_string())?;
    if head.len() < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Ok(());
    }
    let mut at = 12;
    while at + 8 <= head.len() {
        let id = &head[at..at + 4];
        let size = u32::from_le_bytes(head[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = at + 8;
        if id == b"fmt " {
            let Some(fmt) = head.get(body..body + 16) else { return Err("the WAV format chunk is cut short".into()) };
            let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
            let rate = u32::from_le_bytes(fmt[4..8].try_into().unwrap());
            let width = u16::from_le_bytes([fmt[14], fmt[15]]);
            check_declared(rate, usize::from(channels))?;
            // Compressed WAV codecs (ADPCM, µ-law) declare small widths; PCM and float must be whole bytes.
            let format_tag = u16::from_le_bytes([fmt[0], fmt[1]]);
            if matches!(format_tag, 1 | 3) && !WIDTHS.contains(&width) {
                return Err(format!("declares {width} bits per sample"));
            }
            return Ok(());
        }
        // Chunks are padded to an even size.
        at = body.saturating_add(size).saturating_add(size & 1);
    }
    Ok(())
}

#[cfg(test)]
/// A 44-byte PCM WAV header and `samples` bytes of silence (for tests).
pub(crate) fn wav(rate: u32, channels: u16, width: u16, samples: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * u32::from(width) / 8).to_le_bytes());
    out.extend_from_slice(&(channels * width / 8).to_le_bytes());
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(samples as u32).to_le_bytes());
    out.resize(out.len() + samples, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_wav_headers_are_refused() {
        for (rate, channels, width, why) in [
            (0, 1, 16, "0 Hz"),
            (1, 1, 16, "1 Hz"),
            (1_000_000, 1, 16, "1000000 Hz"),
            (16_000, 0, 16, "0 channels"),
            (16_000, 200, 16, "200 channels"),
            (16_000, 1, 13, "13 bits"),
        ] {
            let err = check_wav_header(&mut wav(rate, channels, width, 64).as_slice()).unwrap_err();
            assert!(err.contains(why), "{err} for {why}");
        }
    }

    #[test]
    fn ordinary_headers_and_other_formats_pass() {
        check_wav_header(&mut wav(16_000, 1, 16, 64).as_slice()).unwrap();
        check_wav_header(&mut wav(44_100, 2, 24, 64).as_slice()).unwrap();
        check_wav_header(&mut b"fLaC\0\0\0\x22".as_slice()).unwrap();
        check_wav_header(&mut b"RIFF".as_slice()).unwrap();
    }
}
