//! Wyoming's framing: one JSON header line (`type`, `data`, `data_length`,
//! `payload_length`), then `data_length` bytes of JSON merged into `data`,
//! then `payload_length` bytes of payload (PCM audio).
//!
//! Every field is checked before anything is allocated: the header line,
//! the data block and the payload are bounded (a client claiming a 2 GB
//! payload gets an error, not 2 GB of memory), the header must be a UTF-8
//! JSON object whose `type` is a short string.

use std::io::{BufRead, Read, Write};

use serde_json::{Map, Value};

/// The most one event may carry.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_bytes: usize,
    pub data_bytes: u64,
    pub payload_bytes: u64,
}

/// A header is a line of JSON; `data` holds at most a synthesis text (8 KB in
/// the corpus) and a voice; an audio chunk is a few kilobytes (clients send
/// 1,024 samples), a megabyte is 30 s of 16 kHz 16-bit audio in one chunk.
pub const LIMITS: Limits = Limits { header_bytes: 16 * 1024, data_bytes: 64 * 1024, payload_bytes: 1024 * 1024 };

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: String,
    pub data: Map<String, Value>,
    pub payload: Vec<u8>,
}

impl Event {
    pub fn new(kind: &str, data: Value) -> Self {
        let data = match data {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Self { kind: kind.to_string(), data, payload: Vec::new() }
    }

    pub fn with_payload(mut self, payload: Vec<u8>) -> Self {
        self.payload = payload;
        self
    }

    /// A string field of `data`.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("the connection closed in the middle of an event")]
    Truncated,
    #[error("the header line is longer than {0} bytes")]
    HeaderTooLong(usize),
    #[error("the header is not UTF-8")]
    NotUtf8,
    #[error("the header is not a JSON object: {0}")]
    BadJson(String),
    #[error("the header has no `type` string (of at most 64 characters)")]
    NoType,
    #[error("`{field}` is {value}, more than {limit}")]
    TooLong { field: &'static str, value: u64, limit: u64 },
    #[error("`{0}` must be a whole number of bytes")]
    BadLength(&'static str),
    #[error("the data block is not a JSON object: {0}")]
    BadData(String),
}

impl FrameError {
    /// Whether the stream can still be read after it (the event was read
    /// whole, only its content was refused); otherwise the framing is lost.
    pub fn keeps_framing(&self) -> bool {
        matches!(self, FrameError::BadData(_))
    }
}

/// Reads the next event; `Ok(None)` at a clean end of stream (between events).
pub fn read_event(reader: &mut impl BufRead, limits: &Limits) -> Result<Option<Event>, FrameError> {
    let mut line = Vec::new();
    let read = reader.take(limits.header_bytes as u64 + 1).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if line.len() > limits.header_bytes {
            FrameError::HeaderTooLong(limits.header_bytes)
        } else {
            FrameError::Truncated
        });
    }
    let text = std::str::from_utf8(&line).map_err(|_| FrameError::NotUtf8)?;
    let header: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(FrameError::BadJson("not an object".into())),
        Err(e) => return Err(FrameError::BadJson(e.to_string())),
    };
    let kind = header.get("type").and_then(Value::as_str).filter(|t| !t.is_empty() && t.chars().count() <= 64);
    let kind = kind.ok_or(FrameError::NoType)?.to_string();
    let data_length = length(&header, "data_length", limits.data_bytes)?;
    let payload_length = length(&header, "payload_length", limits.payload_bytes)?;
    let mut data = match header.get("data") {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    let extra = read_exactly(reader, data_length)?;
    let payload = read_exactly(reader, payload_length)?;
    if !extra.is_empty() {
        match serde_json::from_slice::<Value>(&extra) {
            Ok(Value::Object(more)) => data.extend(more),
            Ok(_) => return Err(FrameError::BadData("not an object".into())),
            Err(e) => return Err(FrameError::BadData(e.to_string())),
        }
    }
    Ok(Some(Event { kind, data, payload }))
}

fn length(header: &Map<String, Value>, field: &'static str, limit: u64) -> Result<u64, FrameError> {
    match header.get(field) {
        None | Some(Value::Null) => Ok(0),
        Some(value) => {
            let value = value.as_u64().ok_or(FrameError::BadLength(field))?;
            if value > limit {
                return Err(FrameError::TooLong { field, value, limit });
            }
            Ok(value)
        }
    }
}

fn read_exactly(reader: &mut impl Read, length: u64) -> Result<Vec<u8>, FrameError> {
    let mut bytes = Vec::with_capacity(length as usize);
    reader.take(length).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < length {
        return Err(FrameError::Truncated);
    }
    Ok(bytes)
}

/// Writes `event` as Wyoming clients read it (the data as a block after the
/// header, as the reference implementation writes it).
pub fn write_event(writer: &mut impl Write, event: &Event) -> std::io::Result<()> {
    let mut header = Map::new();
    header.insert("type".into(), Value::String(event.kind.clone()));
    header.insert("version".into(), Value::String(PROTOCOL_VERSION.into()));
    let data = if event.data.is_empty() {
        None
    } else {
        Some(serde_json::to_vec(&event.data).expect("a JSON map serializes"))
    };
    if let Some(data) = &data {
        header.insert("data_length".into(), data.len().into());
    }
    if !event.payload.is_empty() {
        header.insert("payload_length".into(), event.payload.len().into());
    }
    let mut bytes = serde_json::to_vec(&header).expect("a JSON map serializes");
    bytes.push(b'\n');
    if let Some(data) = data {
        bytes.extend_from_slice(&data);
    }
    bytes.extend_from_slice(&event.payload);
    writer.write_all(&bytes)?;
    writer.flush()
}

/// The protocol version Awal speaks (the `wyoming` package's, on PyPI).
pub const PROTOCOL_VERSION: &str = "1.10.2";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(bytes: &[u8]) -> Result<Option<Event>, FrameError> {
        read_event(&mut std::io::Cursor::new(bytes), &LIMITS)
    }

    #[test]
    fn an_event_goes_out_and_comes_back() {
        let event =
            Event::new("audio-chunk", json!({"rate": 16000, "width": 2, "channels": 1})).with_payload(vec![1, 2, 3, 4]);
        let mut bytes = Vec::new();
        write_event(&mut bytes, &event).unwrap();
        assert_eq!(read(&bytes).unwrap(), Some(event));
        assert_eq!(read(b"").unwrap(), None, "a clean end between events");
    }

    #[test]
    fn data_in_the_header_and_in_the_block_are_merged() {
        let bytes = b"{\"type\":\"transcribe\",\"data\":{\"name\":\"x\"},\"data_length\":17}\n{\"language\":\"fr\"}";
        let event = read(bytes).unwrap().unwrap();
        assert_eq!(event.text("name"), Some("x"));
        assert_eq!(event.text("language"), Some("fr"));
    }

    #[test]
    fn hostile_frames_are_refused_without_allocating() {
        let cases: [(&[u8], &str); 9] = [
            (b"{\"type\":\"audio-chunk\",\"payload_length\":2147483648}\n", "more than 1048576"),
            (b"{\"type\":\"x\",\"data_length\":-1}\n", "whole number"),
            (b"{\"type\":\"x\",\"payload_length\":10}\nabc", "closed in the middle"),
            (b"{\"type\":\"x\"", "closed in the middle"),
            (b"not json\n", "not a JSON object"),
            (b"[1,2]\n", "not a JSON object"),
            (b"{\"data\":{}}\n", "no `type`"),
            (b"{\"type\":\"\xff\xfe\"}\n", "not UTF-8"),
            (b"{\"type\":\"x\",\"data_length\":3}\n[1]", "data block is not a JSON object"),
        ];
        for (bytes, expected) in cases {
            let error = read(bytes).expect_err("refused").to_string();
            assert!(error.contains(expected), "{:?}: {error}", String::from_utf8_lossy(bytes));
        }
        let long = format!("{{\"type\":\"{}\"}}\n", "x".repeat(20_000));
        assert!(matches!(read(long.as_bytes()), Err(FrameError::HeaderTooLong(_))));
    }
}
