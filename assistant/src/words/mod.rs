//! The words of a conversation, read from each language's file
//! (`corpora/languages/LANG.toml`): what the kiosk says ([`phrases`]), the
//! words that steer it ([`commands`]), numbers as people say them
//! ([`numbers`]) and the names of languages ([`languages`]). Changing a word
//! is a change of data, not of code.

pub mod commands;
pub mod languages;
pub mod numbers;
pub mod phrases;

pub use commands::{command, spot, Command, Spotted};
pub use numbers::spoken_number;
pub use phrases::{phrase, Confirmable, Phrase};
