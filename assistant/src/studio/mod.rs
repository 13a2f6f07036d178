//! The studio: a small web server (`awal studio`) where the people who make
//! a village's Awal — teachers, reviewers, admins — record the kiosk's
//! phrases in their language from a phone or a laptop, and (later) review
//! content and follow learners.
//!
//! Security is the frame everything plugs into:
//! - every route but `/health` needs a login ([`auth::LoggedIn`]); a role
//!   check stands at the top of each handler ([`accounts::Role`]);
//! - passwords are argon2 hashes; sessions are random tokens in HttpOnly,
//!   SameSite=Strict cookies, kept in the store as SHA-256 hashes;
//! - every form and upload carries the session's CSRF token ([`csrf`]);
//! - failed logins are counted per account and per address ([`throttle`]);
//! - request bodies are size-limited; an upload is decoded and checked before
//!   anything is written, and written only where a list of known names
//!   (languages, phrases) says, never at a path taken from the request;
//! - it listens on loopback unless told otherwise ([`check_listen`]).
//!
//! Pages are rendered on the server with minijinja ([`pages`]) in French,
//! English or Arabic (right to left); the only script is the recorder's.

pub mod accounts;
mod admin;
pub mod auth;
pub mod csrf;
mod learners;
pub mod pages;
pub mod recording;
mod server;
pub mod throttle;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use server::{router, run, serve, State};

use crate::store::StoreError;

/// The address `awal studio` listens on unless told another.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// What the studio works on.
#[derive(Debug, Clone)]
pub struct StudioOptions {
    /// The governed content; recordings are written under its `phrases/`.
    pub corpus_dir: PathBuf,
    /// Where the store (`awal.sqlite`: accounts, sessions) and uploads in
    /// progress live.
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{0} is not a loopback address: the studio does not serve HTTPS yet, so on a network it would send \
         passwords in clear; listen on 127.0.0.1, or say --insecure-http on a network you trust"
    )]
    NotLoopback(SocketAddr),
    #[error("`{0}` is not a usable account name: 1 to 40 letters, digits, `.`, `-` or `_`")]
    BadName(String),
    #[error("`{0}` is not a role: teacher, reviewer or admin")]
    BadRole(String),
    #[error("the password is too short: at least {min} characters", min = accounts::MIN_PASSWORD_CHARS)]
    ShortPassword,
    #[error("the password is too long: at most {max} bytes", max = accounts::MAX_PASSWORD_BYTES)]
    LongPassword,
    #[error("hashing the password failed: {0}")]
    Hash(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Refuses to serve plain HTTP beyond loopback unless `insecure_http` says so
/// explicitly: a password sent in clear over a hotspot can be read by anyone on it.
pub fn check_listen(address: SocketAddr, insecure_http: bool) -> Result<(), StudioError> {
    if address.ip().is_loopback() || insecure_http {
        Ok(())
    } else {
        Err(StudioError::NotLoopback(address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_without_being_told() {
        assert!(check_listen("127.0.0.1:8080".parse().unwrap(), false).is_ok());
        assert!(check_listen("[::1]:8080".parse().unwrap(), false).is_ok());
        assert!(matches!(check_listen("0.0.0.0:8080".parse().unwrap(), false), Err(StudioError::NotLoopback(_))));
        assert!(check_listen("192.168.4.1:8080".parse().unwrap(), false).is_err());
        assert!(check_listen("192.168.4.1:8080".parse().unwrap(), true).is_ok());
    }
}
