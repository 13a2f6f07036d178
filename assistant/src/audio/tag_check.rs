//! The lengths inside a recording's tags, checked before symphonia reads
//! them: its Vorbis-comment and FLAC-picture readers allocate whatever a
//! length field says (`vec![0; length]`, up to 4 GiB) before reading a byte,
//! so one corrupt field in a FLAC, Ogg Vorbis or Ogg Opus file is an
//! allocation the machine cannot make, and Rust aborts the process on it
//! (found by `tests/decoder_fuzz.rs`). Every length is held to the bytes
//! that hold it.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

/// How much of an Ogg file is searched for its comment headers: they come
/// right after the identification header, in the first pages.
const OGG_WINDOW: u64 = 1 << 20;
/// FLAC metadata blocks looked at before giving up (a real file has a handful).
const MAX_FLAC_BLOCKS: usize = 1024;

/// Checks the tags of a FLAC or Ogg file whose total length is `file_len`;
/// other formats pass.
pub fn check_tags(reader: &mut (impl Read + Seek), file_len: u64) -> Result<(), String> {
    let mut magic = Vec::with_capacity(4);
    reader.take(4).read_to_end(&mut magic).map_err(|e| e.to_string())?;
    match magic.as_slice() {
        b"fLaC" => check_flac(reader),
        b"OggS" => {
            reader.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
            check_ogg(reader, file_len)
        }
        _ => Ok(()),
    }
}

/// FLAC's metadata blocks, from just after "fLaC": the Vorbis comment
/// (type 4) and pictures (type 6) are read whole and checked.
fn check_flac(reader: &mut (impl Read + Seek)) -> Result<(), String> {
    for _ in 0..MAX_FLAC_BLOCKS {
        let mut header = [0u8; 4];
        if reader.read_exact(&mut header).is_err() {
            // Cut short: symphonia says so.
            return Ok(());
        }
        let last = header[0] & 0x80 != 0;
        let length = u32::from_be_bytes([0, header[1], header[2], header[3]]);
        match header[0] & 0x7f {
            kind @ (4 | 6) => {
                // At most 16 MiB: a block's length has 24 bits.
                let mut body = Vec::new();
                reader.take(u64::from(length)).read_to_end(&mut body).map_err(|e| e.to_string())?;
                match kind {
                    4 => check_vorbis_comment(&body, None)?,
                    _ => check_picture(&body)?,
                }
            }
            _ => {
                reader.seek(SeekFrom::Current(i64::from(length))).map_err(|e| e.to_string())?;
            }
        }
        if last {
            break;
        }
    }
    Ok(())
}

/// The comment headers of an Ogg file ("\x03vorbis", "OpusTags"), put
/// together from the pages of its first [`OGG_WINDOW`] bytes. A packet that
/// goes on past the window is held to the file's length.
fn check_ogg(reader: &mut impl Read, file_len: u64) -> Result<(), String> {
    let mut bytes = Vec::new();
    reader.take(OGG_WINDOW).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    let mut packets: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut at = 0;
    while bytes.len() >= at + 27 && &bytes[at..at + 4] == b"OggS" {
        let serial = u32::from_le_bytes(bytes[at + 14..at + 18].try_into().unwrap());
        let segments = usize::from(bytes[at + 26]);
        let Some(lacing) = bytes.get(at + 27..at + 27 + segments) else { break };
        let mut data = at + 27 + segments;
        for &size in lacing {
            let Some(segment) = bytes.get(data..data + usize::from(size)) else { break };
            data += usize::from(size);
            let packet = packets.entry(serial).or_default();
            packet.extend_from_slice(segment);
            if size < 255 {
                check_comment_packet(&std::mem::take(packet), None)?;
            }
        }
        at = data;
    }
    for packet in packets.values() {
        check_comment_packet(packet, Some(file_len))?;
    }
    Ok(())
}

/// A Vorbis or Opus comment header (other packets pass); `limit` is the
/// bound for a packet known only in part.
fn check_comment_packet(packet: &[u8], limit: Option<u64>) -> Result<(), String> {
    if let Some(body) = packet.strip_prefix(b"\x03vorbis").or_else(|| packet.strip_prefix(b"OpusTags")) {
        check_vorbis_comment(body, limit)?;
    }
    Ok(())
}

/// Reads a length at `at` (little-endian for Vorbis comments, big-endian in
/// FLAC pictures), or `None` past the end.
fn length(body: &[u8], at: usize, big_endian: bool) -> Option<u64> {
    let bytes: [u8; 4] = body.get(at..at + 4)?.try_into().ok()?;
    Some(u64::from(if big_endian { u32::from_be_bytes(bytes) } else { u32::from_le_bytes(bytes) }))
}

/// A length field at `at` must fit in what is left of `body` (or in `limit`
/// when the body is only in part); the offset past the field and what it
/// covers, or `None` at the end of the body.
fn checked(body: &[u8], at: usize, big_endian: bool, limit: Option<u64>) -> Result<Option<usize>, String> {
    let Some(declared) = length(body, at, big_endian) else { return Ok(None) };
    let left = (body.len() - at - 4) as u64;
    let bound = limit.unwrap_or(left);
    if declared > bound {
        return Err(format!("a tag declares {declared} bytes where {bound} remain: the file is corrupt"));
    }
    Ok(Some(at + 4 + declared as usize))
}

/// A Vorbis comment: vendor length, vendor, count, then length and text for each.
fn check_vorbis_comment(body: &[u8], limit: Option<u64>) -> Result<(), String> {
    let Some(mut at) = checked(body, 0, false, limit)? else { return Ok(()) };
    let Some(count) = length(body, at, false) else { return Ok(()) };
    at += 4;
    for _ in 0..count {
        if at > body.len() {
            break;
        }
        match checked(body, at, false, limit)? {
            Some(next) => at = next,
            None => break,
        }
    }
    Ok(())
}

/// A FLAC picture: type, media type, description, four sizes, then the data.
fn check_picture(body: &[u8]) -> Result<(), String> {
    let Some(after_type) = checked(body, 4, true, None)? else { return Ok(()) };
    let Some(after_description) = checked(body, after_type, true, None)? else { return Ok(()) };
    checked(body, after_description + 16, true, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vorbis_comment(vendor_length: u32, comment_length: u32) -> Vec<u8> {
        let mut body = vendor_length.to_le_bytes().to_vec();
        body.extend_from_slice(b"awal");
        body.extend_from_slice(&1u32.to_le_bytes());
        body.extend_from_slice(&comment_length.to_le_bytes());
        body.extend_from_slice(b"TITLE=x");
        body
    }

    fn flac_with_comment(body: &[u8]) -> Vec<u8> {
        let mut file = b"fLaC".to_vec();
        file.extend_from_slice(&[0x84, 0, 0, body.len() as u8]);
        file.extend_from_slice(body);
        file
    }

    fn check(bytes: &[u8]) -> Result<(), String> {
        check_tags(&mut std::io::Cursor::new(bytes), bytes.len() as u64)
    }

    #[test]
    fn a_comment_longer_than_its_block_is_refused() {
        check(&flac_with_comment(&vorbis_comment(4, 7))).unwrap();
        let err = check(&flac_with_comment(&vorbis_comment(4, 0xffff_fff0))).unwrap_err();
        assert!(err.contains("4294967280 bytes"), "{err}");
        assert!(check(&flac_with_comment(&vorbis_comment(0x8000_0000, 7))).is_err());
    }

    #[test]
    fn an_ogg_comment_header_is_checked_across_its_pages() {
        let page = |packet: &[u8]| {
            let mut page = b"OggS\0\0".to_vec();
            page.extend_from_slice(&[0; 8]);
            page.extend_from_slice(&7u32.to_le_bytes());
            page.extend_from_slice(&[0; 8]);
            page.push(1);
            page.push(packet.len() as u8);
            page.extend_from_slice(packet);
            page
        };
        let mut good = b"OpusTags".to_vec();
        good.extend_from_slice(&vorbis_comment(4, 7));
        check(&page(&good)).unwrap();
        let mut bad = b"\x03vorbis".to_vec();
        bad.extend_from_slice(&vorbis_comment(4, 0x7fff_ffff));
        assert!(check(&page(&bad)).is_err());
        // Other formats are not looked into.
        check(b"ID3\x04").unwrap();
    }
}
