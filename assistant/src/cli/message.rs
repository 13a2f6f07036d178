//! An error as a person reads it: each cause once (an error that already
//! prints its source is not followed by it again: no "X: X"), no backtrace
//! (candle attaches one when `RUST_BACKTRACE` is set), no line longer than a
//! terminal can show sensibly.

/// Longest line kept, in characters.
const LINE: usize = 400;

pub fn user_message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = without_backtrace(&cause.to_string());
        if text.is_empty() || message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message.lines().map(cut).collect::<Vec<_>>().join("\n")
}

/// The text before a backtrace: a "stack backtrace:" line, or frames like
/// "   0: candle_core::…" and "             at src/…".
fn without_backtrace(text: &str) -> String {
    let frame = |line: &str| {
        let trimmed = line.trim_start();
        let numbered =
            trimmed.split_once(": ").is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        trimmed.starts_with("stack backtrace") || (line.starts_with(' ') && (numbered || trimmed.starts_with("at ")))
    };
    let kept: Vec<&str> = text.lines().take_while(|line| !frame(line)).collect();
    kept.join("\n").trim_end().to_string()
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(LINE) {
        Some((at, _)) => format!("{}… ({} characters more)", &line[..at], line[at..].chars().count()),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("writing out.pdf: {source}")]
    struct Repeats {
        source: std::io::Error,
    }

    #[test]
    fn each_cause_is_said_once() {
        let error = anyhow::Error::new(Repeats { source: std::io::Error::other("disk full") });
        assert_eq!(user_message(&error), "writing out.pdf: disk full");
        let error = anyhow::Error::new(std::io::Error::other("disk full")).context("saving the draft");
        assert_eq!(user_message(&error), "saving the draft: disk full");
    }

    #[test]
    fn backtraces_and_long_lines_are_left_out() {
        let error = anyhow::anyhow!(
            "unexpected dtype Q9\n   0: candle_core::error::Error::bt\n             at candle-core/src/error.rs:1\n   1: main"
        );
        assert_eq!(user_message(&error), "unexpected dtype Q9");
        let error = anyhow::anyhow!("bad line {}", "x".repeat(1000));
        let message = user_message(&error);
        assert!(message.chars().count() < 450 && message.ends_with("(609 characters more)"), "{message}");
    }
}
