//! Accounts and their roles; passwords hashed with argon2id (the crate's
//! defaults: 19 MiB, 2 passes), never kept or logged in clear.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::StudioError;
use crate::store::Store;

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in bytes: hashing a megabyte on every try would
/// be a way to keep the kiosk's two cores busy.
pub const MAX_PASSWORD_BYTES: usize = 256;

/// What an account may do. An admin may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Records, follows learners.
    Teacher,
    /// Records, reviews content.
    Reviewer,
    /// Accounts, paperwork, the kiosk.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Teacher, Role::Reviewer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Teacher => "teacher",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = StudioError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == text).ok_or_else(|| StudioError::BadRole(cut(text)))
    }
}

/// An account name: 1 to 40 letters (any script), digits, `.`, `-`, `_`.
pub fn valid_name(name: &str) -> Result<&str, StudioError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 40
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
    ok.then_some(name).ok_or_else(|| StudioError::BadName(cut(name)))
}

/// The argon2id hash of `password` (PHC string, salt included).
pub fn hash_password(password: &str) -> Result<String, StudioError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StudioError::ShortPassword);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StudioError::LongPassword);
    }
    Argon2::default()
        .hash_password(password.as_bytes(), &salt())
        .map(|hash| hash.to_string())
        .map_err(|e| StudioError::Hash(e.to_string()))
}

/// Whether `password` matches `hash`. A damaged hash matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash no password was chosen for: checked against when the account does
/// not exist, so that a wrong name takes as long as a wrong password and the
/// timing tells no one which names exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default().hash_password(b"no account has this password", &salt()).expect("argon2 hashes").to_string()
    })
}

/// 16 random bytes (rand's thread generator: a CSPRNG seeded by the system).
fn salt() -> SaltString {
    SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes make a valid salt")
}

/// Creates an account (`awal studio user add NAME --role R`).
pub fn add_account(store: &Store, name: &str, role: Role, password: &str) -> Result<i64, StudioError> {
    let name = valid_name(name)?;
    let hash = hash_password(password)?;
    Ok(store.add_account(name, role.as_str(), &hash)?)
}

/// A name or role as shown in a message: at most 60 characters.
fn cut(text: &str) -> String {
    text.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_and_checked() {
        let hash = hash_password("tifawt-2026!").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("tifawt"));
        assert!(verify_password(&hash, "tifawt-2026!"));
        assert!(!verify_password(&hash, "tifawt-2027!"));
        assert!(!verify_password("not a hash", "tifawt-2026!"));
        assert!(!verify_password(decoy_hash(), ""));
        assert!(matches!(hash_password("short"), Err(StudioError::ShortPassword)));
        assert!(matches!(hash_password(&"x".repeat(300)), Err(StudioError::LongPassword)));
    }

    #[test]
    fn names_and_roles() {
        assert!(valid_name("amina.b").is_ok());
        assert!(valid_name("أمينة").is_ok());
        for bad in ["", "a b", "../x", "<script>", &"a".repeat(41)] {
            assert!(valid_name(bad).is_err(), "{bad}");
        }
        assert_eq!("reviewer".parse::<Role>().unwrap(), Role::Reviewer);
        assert!("root".parse::<Role>().is_err());
    }
}
