//! The studio's accounts (a name, a role, an argon2 hash of the password) and
//! its login sessions. Only hashes are kept: a session's token is stored as
//! its SHA-256, so a copy of the file opens no session; passwords are hashed
//! by the studio before they reach here.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// A studio account. `role` is one of `teacher`, `reviewer`, `admin` (the
/// table refuses any other).
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub password_hash: String,
}

/// A live login session: whose it is and the token its forms must carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub account: Account,
    pub csrf: String,
}

impl Store {
    /// Creates an account; an existing name is refused, never overwritten.
    pub fn add_account(&self, name: &str, role: &str, password_hash: &str) -> Result<i64, StoreError> {
        let added = self.connection.execute(
            "INSERT INTO accounts (name, role, password_hash) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
            [name, role, password_hash],
        );
        match added.map_err(|e| self.sqlite(e))? {
            0 => Err(StoreError::AccountExists(name.to_string())),
            _ => Ok(self.connection.last_insert_rowid()),
        }
    }

    /// The account named `name`, if there is one.
    pub fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.connection
            .query_row("SELECT id, name, role, password_hash FROM accounts WHERE name = ?1", [name], account_row)
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT id, name, role, password_hash FROM accounts ORDER BY name")
            .map_err(|e| self.sqlite(e))?;
        statement.query_map([], account_row).and_then(Iterator::collect).map_err(|e| self.sqlite(e))
    }

    /// Opens a session for `account` lasting `hours`, under the SHA-256 of its token.
    pub fn open_session(&self, account: i64, token_hash: &str, csrf: &str, hours: u32) -> Result<(), StoreError> {
        // Expired sessions go as new ones come: the table stays small.
        self.connection
            .execute("DELETE FROM sessions WHERE expires <= datetime('now')", [])
            .map_err(|e| self.sqlite(e))?;
        self.connection
            .execute(
                "INSERT INTO sessions (token_hash, account_id, csrf, expires) \
                 VALUES (?1, ?2, ?3, datetime('now', ?4))",
                params![token_hash, account, csrf, format!("+{hours} hours")],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// The unexpired session with this token hash, and its account.
    pub fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        self.connection
            .query_row(
                "SELECT a.id, a.name, a.role, a.password_hash, s.csrf FROM sessions s \
                 JOIN accounts a ON a.id = s.account_id \
                 WHERE s.token_hash = ?1 AND s.expires > datetime('now')",
                [token_hash],
                |r| Ok(Session { account: account_row(r)?, csrf: r.get(4)? }),
            )
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Ends a session (logging out); an unknown one is already ended.
    pub fn close_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.connection
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }
}

fn account_row(row: &rusqlite::Row) -> rusqlite::Result<Account> {
    Ok(Account { id: row.get(0)?, name: row.get(1)?, role: row.get(2)?, password_hash: row.get(3)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_unique_and_sessions_end() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("awal.sqlite")).unwrap();
        let id = store.add_account("amina", "teacher", "$argon2id$x").unwrap();
        assert!(matches!(store.add_account("amina", "admin", "y"), Err(StoreError::AccountExists(_))));
        assert!(store.add_account("omar", "king", "y").is_err(), "an unknown role is refused by the table");
        assert_eq!(store.account("amina").unwrap().unwrap().role, "teacher");
        assert!(store.account("nobody").unwrap().is_none());
        store.open_session(id, "hash1", "csrf1", 12).unwrap();
        let session = store.session("hash1").unwrap().unwrap();
        assert_eq!((session.account.name.as_str(), session.csrf.as_str()), ("amina", "csrf1"));
        assert!(store.session("hash2").unwrap().is_none());
        store.close_session("hash1").unwrap();
        assert!(store.session("hash1").unwrap().is_none());
        store.open_session(id, "old", "c", 0).unwrap();
        assert!(store.session("old").unwrap().is_none(), "a session past its hours is over");
    }
}
