//! How large content may be. Content is exchanged between NGOs (soon on USB
//! sticks), so a file may be huge by mistake or on purpose; a 50 MB `body`
//! would be read aloud for days. These limits are stated in
//! `corpora/README.md`; [`super::Corpus::load`] leaves out a file or entry past
//! one (so `awal corpus check` reports it and the kiosk serves the rest).

/// A whole entry or form file.
pub const FILE_BYTES: u64 = 256 * 1024;
/// The `body` of one language's text (the largest committed one is under 1 KB).
pub const BODY_BYTES: usize = 8 * 1024;
/// One language's document template of a form.
pub const TEMPLATE_BYTES: usize = 16 * 1024;
/// Any other text: titles, prompts, keywords, lesson items, sources.
pub const TEXT_BYTES: usize = 1024;
/// Items of any list: lesson items, fields, sources, keywords, choices.
pub const LIST_ITEMS: usize = 500;
/// Any other file of a content pack being installed (a recording): a body
/// read aloud for ten minutes is 19 MB as 16 kHz WAV, far less as Ogg or Opus.
pub const RECORDING_BYTES: u64 = 32 * 1024 * 1024;

/// The first value of `table` past a limit, as "`text.fr.body` is 9000 bytes
/// (at most 8192)".
pub fn oversized(table: &toml::Table) -> Option<String> {
    table.iter().find_map(|(key, value)| oversized_value(key, value))
}

fn oversized_value(path: &str, value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => {
            let limit = if path.ends_with(".body") {
                BODY_BYTES
            } else if path.starts_with("document.template.") {
                TEMPLATE_BYTES
            } else {
                TEXT_BYTES
            };
            (text.len() > limit).then(|| format!("`{path}` is {} bytes (at most {limit})", text.len()))
        }
        toml::Value::Array(items) => {
            if items.len() > LIST_ITEMS {
                return Some(format!("`{path}` has {} items (at most {LIST_ITEMS})", items.len()));
            }
            items.iter().enumerate().find_map(|(i, item)| oversized_value(&format!("{path}[{i}]"), item))
        }
        toml::Value::Table(table) => {
            table.iter().find_map(|(key, value)| oversized_value(&format!("{path}.{key}"), value))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_text_has_its_limit() {
        let table = |text: &str| -> toml::Table { toml::from_str(text).unwrap() };
        let body = "b".repeat(BODY_BYTES);
        assert_eq!(oversized(&table(&format!("[text.fr]\nbody = \"{body}\"\ntitle = \"t\""))), None);
        let too_long = format!("[text.fr]\nbody = \"{body}b\"");
        assert_eq!(
            oversized(&table(&too_long)).unwrap(),
            format!("`text.fr.body` is 8193 bytes (at most {BODY_BYTES})")
        );
        let title = format!("[text.fr]\ntitle = \"{}\"", "t".repeat(TEXT_BYTES + 1));
        assert!(oversized(&table(&title)).unwrap().starts_with("`text.fr.title`"));
        let keywords = format!("[text.fr]\nkeywords = [{}]", vec!["\"k\""; LIST_ITEMS + 1].join(","));
        assert!(oversized(&table(&keywords)).unwrap().contains("items"));
        let template = format!("[document.template]\nfr = \"{}\"", "x".repeat(TEXT_BYTES * 4));
        assert_eq!(oversized(&table(&template)), None);
    }
}
