//! A form's document filled in from its minijinja templates, under limits.
//!
//! Templates come with content that NGOs edit and exchange, so one may be
//! broken or hostile: nested loops that never end, a macro that calls itself,
//! `"x" * 999999999`, `{% include "/etc/passwd" %}`. Every render here runs
//! with a fuel budget (instructions and allocations), a recursion limit and a
//! cap on the document's length, and without a loader: the only templates an
//! `include` can name are the same form's, by language key (`{% include "fr" %}`).
//! `awal corpus check` renders with the same limits ([`render`]), so what
//! passes the check renders at the kiosk.

use std::collections::BTreeMap;
use std::io::Write;

use minijinja::{Environment, ErrorKind};

/// The budget of one render. The committed forms use about 1% of it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// minijinja fuel: roughly one unit per instruction or per 64 bytes allocated.
    pub fuel: u64,
    /// Nesting of loops, macros and includes.
    pub recursion: usize,
    /// Longest document, in bytes (a filled form is a page or two).
    pub output_bytes: usize,
}

pub const LIMITS: Limits = Limits { fuel: 200_000, recursion: 32, output_bytes: 64 * 1024 };

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no document.template.{name}")]
    Missing { name: String },
    #[error("document.template.{name}{}: {message}", at_line(*.line))]
    Broken { name: String, line: Option<usize>, message: String },
}

fn at_line(line: Option<usize>) -> String {
    line.map_or(String::new(), |line| format!(", line {line}"))
}

/// Longest run of `-` a template may hold. minijinja 3.1 parses unary minus
/// by recursion without its nesting guard, so `{{ ----…x }}` ten thousand deep
/// overflows the stack and aborts the process; a page has no use for more.
const MINUS_RUN: usize = 500;

/// Refuses what minijinja itself cannot parse safely (see [`MINUS_RUN`]).
/// `corpus check` calls it before asking minijinja anything about a template.
pub fn parse_guard(name: &str, text: &str) -> Result<(), TemplateError> {
    let mut run = 0;
    for c in text.chars() {
        match c {
            '-' => run += 1,
            c if c.is_whitespace() => {}
            _ => run = 0,
        }
        if run > MINUS_RUN {
            let message = format!("more than {MINUS_RUN} `-` in a row");
            return Err(TemplateError::Broken { name: name.to_string(), line: None, message });
        }
    }
    Ok(())
}

/// Renders `templates[name]` with `values` (variable → text) under `limits`;
/// the other templates of the map are what it may include.
pub fn render(
    templates: &BTreeMap<String, String>,
    name: &str,
    values: &BTreeMap<String, String>,
    limits: Limits,
) -> Result<String, TemplateError> {
    if !templates.contains_key(name) {
        return Err(TemplateError::Missing { name: name.to_string() });
    }
    let mut env = Environment::new();
    env.set_fuel(Some(limits.fuel));
    env.set_recursion_limit(limits.recursion);
    for (key, text) in templates {
        if let Err(e) = parse_guard(key, text) {
            if key == name {
                return Err(e);
            }
            continue;
        }
        // Another language's broken template is that template's problem (the
        // check reports it); this one's parse error is reported below.
        if let Err(e) = env.add_template_owned(key.clone(), text.clone()) {
            if key == name {
                return Err(broken(name, &e));
            }
        }
    }
    let template = env.get_template(name).map_err(|e| broken(name, &e))?;
    let mut out = Capped { bytes: Vec::new(), limit: limits.output_bytes, over: false };
    let rendered = template.render_captured_to(minijinja::Value::from(values.clone()), &mut out).map(drop);
    match rendered {
        Ok(()) => Ok(String::from_utf8(out.bytes).expect("minijinja writes UTF-8")),
        Err(_) if out.over => Err(TemplateError::Broken {
            name: name.to_string(),
            line: None,
            message: format!("the document would be longer than {} bytes", limits.output_bytes),
        }),
        Err(e) => Err(broken(name, &e)),
    }
}

/// The error said once: where it happened (the outermost line in the form's
/// template) and what went wrong (the innermost cause, through includes).
fn broken(name: &str, error: &minijinja::Error) -> TemplateError {
    let mut innermost = error;
    while let Some(inner) = std::error::Error::source(innermost).and_then(|s| s.downcast_ref::<minijinja::Error>()) {
        innermost = inner;
    }
    let message = match innermost.kind() {
        ErrorKind::OutOfFuel => "the template does too much work (loops or repeats past the limit)".to_string(),
        ErrorKind::TemplateNotFound => format!(
            "{}: a template may include only its form's other templates, by language (`{{% include \"fr\" %}}`)",
            innermost.detail().unwrap_or("template not found")
        ),
        kind => match innermost.detail() {
            Some(detail) => format!("{kind}: {detail}"),
            None => kind.to_string(),
        },
    };
    TemplateError::Broken { name: name.to_string(), line: error.line(), message: cut(&message, 300) }
}

/// `text` shortened to `max` characters, marked where it was cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Keeps what is written up to `limit` bytes, then refuses.
struct Capped {
    bytes: Vec<u8>,
    limit: usize,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            self.over = true;
            return Err(std::io::Error::other("document too long"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(template: &str) -> Result<String, TemplateError> {
        let templates = BTreeMap::from([("fr".to_string(), template.to_string())]);
        render(&templates, "fr", &values(&[("name", "Tifawt")]), LIMITS)
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn message(template: &str) -> String {
        one(template).expect_err("a hostile template fails").to_string()
    }

    #[test]
    fn a_plain_template_renders() {
        assert_eq!(one("Nom : {{ name }}").unwrap(), "Nom : Tifawt");
    }

    #[test]
    fn endless_loops_run_out_of_fuel() {
        assert!(message("{% for a in range(90000) %}{% for b in range(90000) %}x{% endfor %}{% endfor %}")
            .contains("too much work"));
        let eight = "{% for a in s %}".repeat(8) + "x" + &"{% endfor %}".repeat(8);
        let templates = BTreeMap::from([("fr".to_string(), eight)]);
        let context = values(&[("s", "abcdefghijklmnopqrstuvwxyz")]);
        assert!(render(&templates, "fr", &context, LIMITS).is_err());
    }

    #[test]
    fn huge_strings_and_long_documents_are_refused() {
        assert!(one(r#"{{ "x" * 999999999 }}"#).is_err());
        assert!(message(r#"{{ "x" * 99999999 }}"#).contains("too much work"), "100 MB, under minijinja's own cap");
        let long = "x".repeat(LIMITS.output_bytes + 1);
        assert!(message(&long).contains("longer than"), "{}", message(&long));
    }

    #[test]
    fn self_recursion_stops() {
        assert!(one("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}").is_err());
        assert!(one(r#"{% include "fr" %}"#).is_err());
    }

    #[test]
    fn only_the_forms_own_templates_can_be_included() {
        let error = message(r#"{% include "/etc/passwd" %}"#);
        assert!(error.contains("may include only"), "{error}");
        assert!(error.contains("line 1"), "{error}");
        let templates = BTreeMap::from([
            ("fr".to_string(), r#"{% include "en" %} !"#.to_string()),
            ("en".to_string(), "Name: {{ name }}".to_string()),
        ]);
        assert_eq!(render(&templates, "fr", &values(&[("name", "Tifawt")]), LIMITS).unwrap(), "Name: Tifawt !");
    }

    #[test]
    fn a_long_run_of_minus_is_refused_before_minijinja_parses_it() {
        let deep = format!("{{{{ {}x }}}}", "- ".repeat(20_000));
        assert!(message(&deep).contains("`-` in a row"));
        assert_eq!(one("{{ --1 }} ------").unwrap(), "1 ------");
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let error = message("ligne 1\nligne 2 {% for %}");
        assert!(error.contains("line 2") && error.contains("syntax error"), "{error}");
    }
}
