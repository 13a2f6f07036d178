//! Output that always parses: decoding restricted, byte by byte, to JSON that
//! fits a small schema (an object of string, enum, integer, number and boolean
//! properties, each possibly nullable).
//!
//! The schema becomes a sequence of fixed text (`{"name": `) and value slots.
//! At each step the most likely token whose bytes the matcher accepts wins, so
//! the model chooses the values and the grammar chooses everything else.

use serde_json::Value;

use super::LmError;

/// Longest string value when the schema gives no `maxLength`: keeps every
/// output finite (a form answer is a name, a number, a date).
const DEFAULT_MAX_LENGTH: usize = 80;
const MAX_DIGITS: usize = 18;

#[derive(Debug, Clone, PartialEq)]
enum Slot {
    String {
        max_chars: usize,
    },
    /// One of these JSON texts (quoted enum strings, `true`/`false`, `null`).
    OneOf(Vec<String>),
    Integer,
    Number,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Value { slot: Slot, nullable: bool },
}

/// A schema compiled into fixed text and value slots.
#[derive(Debug, Clone)]
pub struct JsonGrammar {
    parts: Vec<Part>,
}

impl JsonGrammar {
    /// Compiles `{"type": "object", "properties": {...}}`. Every property is
    /// written, in the schema's order; nullable ones (`"type": ["string",
    /// "null"]`) may be `null`.
    pub fn from_schema(schema: &Value) -> Result<Self, LmError> {
        let bad = |message: String| LmError::Schema(message);
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(bad("the top level must be {\"type\": \"object\", …}".into()));
        }
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad("`properties` must be a non-empty object".into()))?;
        let mut parts = Vec::new();
        for (i, (name, property)) in properties.iter().enumerate() {
            let key = serde_json::to_string(name).expect("a string serializes");
            parts.push(Part::Text(format!("{}{key}: ", if i == 0 { "{" } else { ", " })));
            let (slot, nullable) = slot(name, property)?;
            parts.push(Part::Value { slot, nullable });
        }
        parts.push(Part::Text("}".into()));
        Ok(Self { parts })
    }

    pub fn matcher(&self) -> JsonMatcher<'_> {
        JsonMatcher { grammar: self, part: 0, state: State::Start }
    }
}

fn slot(name: &str, property: &Value) -> Result<(Slot, bool), LmError> {
    let types: Vec<&str> = match property.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if property.get("enum").is_some() => vec!["string"],
        _ => return Err(LmError::Schema(format!("property `{name}` has no `type`"))),
    };
    let nullable = types.contains(&"null");
    let kinds: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
    let slot = match (kinds.as_slice(), property.get("enum")) {
        (_, Some(Value::Array(choices))) => {
            Slot::OneOf(choices.iter().filter(|c| !c.is_null()).map(|c| c.to_string()).collect())
        }
        (["string"], _) => Slot::String {
            max_chars: property.get("maxLength").and_then(Value::as_u64).map_or(DEFAULT_MAX_LENGTH, |n| n as usize),
        },
        (["integer"], _) => Slot::Integer,
        (["number"], _) => Slot::Number,
        (["boolean"], _) => Slot::OneOf(vec!["true".into(), "false".into()]),
        _ => {
            return Err(LmError::Schema(format!(
                "property `{name}`: only string, enum, integer, number and boolean are supported"
            )))
        }
    };
    if matches!(&slot, Slot::OneOf(c) if c.is_empty()) {
        return Err(LmError::Schema(format!("property `{name}`: empty `enum`")));
    }
    Ok((slot, nullable))
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    /// Nothing of the current part read yet.
    Start,
    /// Bytes of a fixed text or of one-of alternatives read so far.
    Prefix(Vec<u8>),
    /// Inside a string: characters so far, and whether a backslash is pending.
    InString { chars: usize, escape: bool },
    /// Digits of a number so far (with its sign, point and exponent).
    InNumber(Vec<u8>),
}

/// Where decoding stands in a [`JsonGrammar`]; cheap to clone, so a token can
/// be tried on a copy.
#[derive(Debug, Clone)]
pub struct JsonMatcher<'g> {
    grammar: &'g JsonGrammar,
    part: usize,
    state: State,
}

impl JsonMatcher<'_> {
    /// Whether all of the JSON has been read.
    pub fn is_complete(&self) -> bool {
        self.part == self.grammar.parts.len()
    }

    /// Feeds `bytes`; false (and the matcher is then unusable) if they do not fit.
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        bytes.iter().all(|&b| self.feed_byte(b))
    }

    /// The only bytes allowed next, when the grammar leaves no choice (fixed text).
    pub fn forced(&self) -> Option<&[u8]> {
        match (self.grammar.parts.get(self.part)?, &self.state) {
            (Part::Text(text), State::Start) => Some(text.as_bytes()),
            (Part::Text(text), State::Prefix(read)) => Some(&text.as_bytes()[read.len()..]),
            _ => None,
        }
    }

    fn next_part(&mut self) {
        self.part += 1;
        self.state = State::Start;
    }

    fn feed_byte(&mut self, b: u8) -> bool {
        let Some(part) = self.grammar.parts.get(self.part) else { return false };
        match part.clone() {
            Part::Text(text) => {
                let mut read = match std::mem::replace(&mut self.state, State::Start) {
                    State::Prefix(read) => read,
                    _ => Vec::new(),
                };
                if text.as_bytes().get(read.len()) != Some(&b) {
                    return false;
                }
                read.push(b);
                if read.len() == text.len() {
                    self.next_part();
                } else {
                    self.state = State::Prefix(read);
                }
                true
            }
            Part::Value { slot, nullable } => self.feed_value(&slot, nullable, b),
        }
    }

    fn feed_value(&mut self, slot: &Slot, nullable: bool, b: u8) -> bool {
        let state = std::mem::replace(&mut self.state, State::Start);
        match state {
            State::Start => {
                let mut alternatives: Vec<String> = Vec::new();
                if let Slot::OneOf(choices) = slot {
                    alternatives.extend(choices.iter().cloned());
                }
                if nullable {
                    alternatives.push("null".into());
                }
                match slot {
                    Slot::String { .. } if b == b'"' => {
                        self.state = State::InString { chars: 0, escape: false };
                        true
                    }
                    Slot::Integer | Slot::Number if b == b'-' || b.is_ascii_digit() => {
                        self.state = State::InNumber(vec![b]);
                        true
                    }
                    _ => self.feed_alternative(&alternatives, Vec::new(), b),
                }
            }
            State::Prefix(read) => {
                let mut alternatives = match slot {
                    Slot::OneOf(choices) => choices.clone(),
                    _ => Vec::new(),
                };
                if nullable {
                    alternatives.push("null".into());
                }
                self.feed_alternative(&alternatives, read, b)
            }
            State::InString { chars, escape } => {
                let max_chars = match slot {
                    Slot::String { max_chars } => *max_chars,
                    _ => unreachable!("strings only in string slots"),
                };
                if escape {
                    if !b"\"\\/bfnrt".contains(&b) {
                        return false;
                    }
                    self.state = State::InString { chars: chars + 1, escape: false };
                    return true;
                }
                match b {
                    b'"' => {
                        self.next_part();
                        true
                    }
                    // Control characters (newlines included) are not JSON string content.
                    0..=0x1f => false,
                    // A new character starts unless this is a UTF-8 continuation byte.
                    _ => {
                        let starts = b & 0xC0 != 0x80;
                        if starts && chars >= max_chars {
                            return false;
                        }
                        self.state = State::InString { chars: chars + usize::from(starts), escape: b == b'\\' };
                        true
                    }
                }
            }
            State::InNumber(mut digits) => {
                if number_accepts(&digits, b, matches!(slot, Slot::Number)) {
                    digits.push(b);
                    self.state = State::InNumber(digits);
                    true
                } else if number_complete(&digits) {
                    // The number ended; this byte belongs to what follows.
                    self.next_part();
                    self.feed_byte(b)
                } else {
                    false
                }
            }
        }
    }

    fn feed_alternative(&mut self, alternatives: &[String], mut read: Vec<u8>, b: u8) -> bool {
        read.push(b);
        let alive: Vec<&String> = alternatives.iter().filter(|a| a.as_bytes().starts_with(&read)).collect();
        if alive.is_empty() {
            return false;
        }
        if alive.iter().any(|a| a.len() == read.len()) {
            self.next_part();
        } else {
            self.state = State::Prefix(read);
        }
        true
    }
}

fn number_accepts(digits: &[u8], b: u8, fractional: bool) -> bool {
    let body = digits.strip_prefix(b"-").unwrap_or(digits);
    if digits.len() > MAX_DIGITS {
        return false;
    }
    match b {
        // No leading zeros: "0" cannot grow into "01".
        b'0'..=b'9' => body != b"0",
        b'.' => fractional && !body.is_empty() && !body.contains(&b'.') && !body.contains(&b'e'),
        b'e' | b'E' => fractional && body.last().is_some_and(u8::is_ascii_digit) && !body.contains(&b'e'),
        b'-' | b'+' => fractional && body.last() == Some(&b'e'),
        _ => false,
    }
}

fn number_complete(digits: &[u8]) -> bool {
    digits.last().is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn grammar() -> JsonGrammar {
        JsonGrammar::from_schema(&json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 5},
                "members": {"type": "integer"},
                "kind": {"enum": ["agricole", "artisanale"]},
                "phone": {"type": ["string", "null"]},
                "share": {"type": "number"},
                "signed": {"type": "boolean"}
            }
        }))
        .unwrap()
    }

    #[test]
    fn accepts_exactly_the_schema() {
        let g = grammar();
        let good =
            r#"{"name": "Tifaw", "members": 12, "kind": "agricole", "phone": null, "share": -1.5e3, "signed": true}"#;
        let mut m = g.matcher();
        assert!(m.feed(good.as_bytes()) && m.is_complete());
        serde_json::from_str::<Value>(good).unwrap();
        for bad in [
            r#"{"name": "Tifawt""#,            // longer than maxLength
            r#"{"name": "a", "members": 1.5"#, // integer with a point
            r#"{"name": "a", "members": 01"#,  // leading zero
            r#"{"name": "a", "members": 1, "kind": "other""#,
            "{\"name\": \"a\nb\"", // raw newline in a string
            r#"{"age""#,
        ] {
            assert!(!g.matcher().feed(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn fixed_text_is_forced_and_numbers_end_at_the_next_text() {
        let g = grammar();
        let mut m = g.matcher();
        assert_eq!(m.forced(), Some(&b"{\"name\": "[..]));
        assert!(m.feed(b"{\"name\": \"\xE2\xB5\x9C\", \"members\": 7"));
        assert!(m.forced().is_none(), "a number may go on");
        assert!(m.feed(b","));
        assert_eq!(m.forced(), Some(&b" \"kind\": "[..]));
    }

    #[test]
    fn unsupported_schemas_are_refused() {
        assert!(JsonGrammar::from_schema(&json!({"type": "array"})).is_err());
        assert!(JsonGrammar::from_schema(&json!({"type": "object", "properties": {"a": {"type": "object"}}})).is_err());
        assert!(JsonGrammar::from_schema(&json!({"type": "object", "properties": {"a": {"enum": []}}})).is_err());
    }
}
