//! Tokens: session tokens and the CSRF tokens every form carries.
//!
//! A session's CSRF token is made when the session opens and kept with it;
//! every state-changing request (a form, an upload) must send it back, in a
//! form field or the `x-csrf-token` header. Before login there is no session:
//! the login form's token is also set in a short-lived cookie of its own and
//! the two must match (a page on another site can post a form but can neither
//! read nor set this site's cookies).

use sha2::{Digest, Sha256};

/// A fresh random token: 32 bytes from rand's thread generator (a CSPRNG
/// seeded by the system), in hex.
pub fn new_token() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// What the store keeps of a session token: its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Whether a token sent back is the one expected. The hashes are compared,
/// not the tokens: how long the comparison takes then tells nothing about
/// how much of the real token was guessed.
pub fn matches(expected: &str, given: &str) -> bool {
    !expected.is_empty() && Sha256::digest(expected.as_bytes()) == Sha256::digest(given.as_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_and_compared_whole() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(matches(&a, &a.clone()));
        assert!(!matches(&a, &b));
        assert!(!matches(&a, &a[..63]));
        assert!(!matches("", ""), "no token expected means none can match");
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
