//! The kiosk's own data, in one SQLite file: learners (a card number, never a
//! name), lesson progress, paperwork drafts and their exports, and anonymous
//! per-day usage counters, and the studio's accounts and sessions
//! ([`accounts`]). No audio and no transcripts.
//!
//! The file is in WAL mode with `synchronous = FULL`: a write that returned is
//! on disk, and a power cut in the middle of one leaves the previous state
//! (tested by killing a writer with SIGKILL).

mod accounts;
mod learners;

use std::path::{Path, PathBuf};

pub use accounts::{Account, Session};
pub use learners::LearnerSummary;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{path}: the database is damaged ({report}); keep the file for recovery and start a new one")]
    Damaged { path: PathBuf, report: String },
    #[error("{path}: written by a newer Awal (schema {found}, this build knows {known})")]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("no paperwork draft {0}")]
    NoDraft(i64),
    #[error("an account named `{0}` already exists")]
    AccountExists(String),
}

/// Schema versions, applied in order; `user_version` records how many ran.
const MIGRATIONS: [&str; 2] = [
    "
    CREATE TABLE learners (
        id INTEGER PRIMARY KEY,
        card TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE TABLE progress (
        learner_id INTEGER NOT NULL REFERENCES learners(id),
        item TEXT NOT NULL,
        repetitions INTEGER NOT NULL,
        interval_days REAL NOT NULL,
        ease REAL NOT NULL,
        due TEXT NOT NULL,
        last_score REAL NOT NULL,
        PRIMARY KEY (learner_id, item)
    );
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        form TEXT NOT NULL,
        lang TEXT NOT NULL,
        answers TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('draft', 'confirmed', 'exported')),
        updated TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE TABLE exports (
        id INTEGER PRIMARY KEY,
        draft_id INTEGER NOT NULL REFERENCES drafts(id),
        format TEXT NOT NULL,
        path TEXT NOT NULL,
        created TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE TABLE usage (
        day TEXT NOT NULL,
        counter TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, counter)
    );
",
    "
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('teacher', 'reviewer', 'admin')),
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created TEXT NOT NULL DEFAULT (datetime('now')),
        expires TEXT NOT NULL
    );
",
];

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// A paperwork draft: the form's id, the language it is filled in, the
/// answers so far (field id → value) and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: i64,
    pub form: String,
    pub lang: String,
    pub answers: Value,
    pub status: String,
}

/// Where a learner stands with one lesson item (spaced repetition, SM-2).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Progress {
    /// Right answers in a row.
    pub repetitions: u32,
    pub interval_days: f64,
    /// How easy the item is for this learner (SM-2's E-factor, ≥ 1.3).
    pub ease: f64,
    pub due: jiff::civil::Date,
    /// The last attempt's score in [0, 1].
    pub last_score: f64,
}

pub struct Store {
    path: PathBuf,
    connection: Connection,
}

impl Store {
    /// Opens (creating if needed) and checks the database, then brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let sqlite = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        }
        let connection = Connection::open(path).map_err(sqlite)?;
        // First, so that two kiosks or runs opening a new store at once wait
        // for each other's locks (switching to WAL takes one) instead of failing.
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(sqlite)?;
        // Switching a new file to WAL can report "locked" at once, without
        // waiting, while another first run switches it: tried again for as long
        // as the busy timeout.
        let started = std::time::Instant::now();
        loop {
            match connection.execute_batch("PRAGMA journal_mode = WAL;") {
                Err(e) if is_busy(&e) && started.elapsed() < std::time::Duration::from_secs(5) => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                outcome => break outcome.map_err(sqlite)?,
            }
        }
        connection.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;").map_err(sqlite)?;
        let store = Self { path: path.to_path_buf(), connection };
        store.check_integrity()?;
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Applies the migrations not yet run, and their version number, in one
    /// immediate transaction: the write lock is taken before the version is
    /// read, so of two first runs at once the second waits, then finds the
    /// schema made.
    fn migrate(&self) -> Result<(), StoreError> {
        let transaction = rusqlite::Transaction::new_unchecked(&self.connection, TransactionBehavior::Immediate)
            .map_err(|e| self.sqlite(e))?;
        let version: i64 =
            transaction.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(|e| self.sqlite(e))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew { path: self.path.clone(), found: version, known });
        }
        if version == known {
            return Ok(());
        }
        for migration in MIGRATIONS.iter().skip(version as usize) {
            transaction.execute_batch(migration).map_err(|e| self.sqlite(e))?;
        }
        transaction.pragma_update(None, "user_version", known).map_err(|e| self.sqlite(e))?;
        transaction.commit().map_err(|e| self.sqlite(e))
    }

    /// SQLite's own check of every page and index.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let report: String =
            self.connection.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| self.sqlite(e))?;
        if report == "ok" {
            Ok(())
        } else {
            Err(StoreError::Damaged { path: self.path.clone(), report })
        }
    }

    /// The learner with this card number, created on first use.
    pub fn learner(&self, card: &str) -> Result<i64, StoreError> {
        self.connection
            .execute("INSERT INTO learners (card) VALUES (?1) ON CONFLICT (card) DO NOTHING", [card])
            .map_err(|e| self.sqlite(e))?;
        self.connection
            .query_row("SELECT id FROM learners WHERE card = ?1", [card], |r| r.get(0))
            .map_err(|e| self.sqlite(e))
    }

    /// Where `learner` stands with lesson item `item`; `None` before a first try.
    pub fn progress(&self, learner: i64, item: &str) -> Result<Option<Progress>, StoreError> {
        let row = self.connection.query_row(
            "SELECT repetitions, interval_days, ease, due, last_score FROM progress \
             WHERE learner_id = ?1 AND item = ?2",
            rusqlite::params![learner, item],
            |r| Ok((r.get::<_, u32>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?)),
        );
        let (repetitions, interval_days, ease, due, last_score) = match row {
            Ok(row) => row,
            Err(rusqlite::Error::QueryReturnedNoRows) => return Ok(None),
            Err(e) => return Err(self.sqlite(e)),
        };
        let due = due.parse().map_err(|e| self.sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        Ok(Some(Progress { repetitions, interval_days, ease, due, last_score }))
    }

    /// Records `learner`'s progress with `item` after an attempt.
    pub fn save_progress(&self, learner: i64, item: &str, progress: &Progress) -> Result<(), StoreError> {
        self.connection
            .execute(
                "INSERT INTO progress (learner_id, item, repetitions, interval_days, ease, due, last_score) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (learner_id, item) DO UPDATE SET \
                 repetitions = ?3, interval_days = ?4, ease = ?5, due = ?6, last_score = ?7",
                rusqlite::params![
                    learner,
                    item,
                    progress.repetitions,
                    progress.interval_days,
                    progress.ease,
                    progress.due.to_string(),
                    progress.last_score
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Starts a draft of `form` in `lang`.
    pub fn new_draft(&self, form: &str, lang: &str) -> Result<i64, StoreError> {
        self.connection
            .execute("INSERT INTO drafts (form, lang, answers, status) VALUES (?1, ?2, '{}', 'draft')", [form, lang])
            .map_err(|e| self.sqlite(e))?;
        Ok(self.connection.last_insert_rowid())
    }

    /// Records one confirmed answer (the dialogue read it back and heard "yes").
    pub fn set_answer(&self, draft: i64, field: &str, value: &Value) -> Result<(), StoreError> {
        let mut current = self.draft(draft)?;
        current.answers[field] = value.clone();
        let changed = self
            .connection
            .execute(
                "UPDATE drafts SET answers = ?1, updated = datetime('now') WHERE id = ?2",
                params![current.answers.to_string(), draft],
            )
            .map_err(|e| self.sqlite(e))?;
        if changed == 0 {
            return Err(StoreError::NoDraft(draft));
        }
        Ok(())
    }

    pub fn set_status(&self, draft: i64, status: &str) -> Result<(), StoreError> {
        let changed = self
            .connection
            .execute("UPDATE drafts SET status = ?1, updated = datetime('now') WHERE id = ?2", params![status, draft])
            .map_err(|e| self.sqlite(e))?;
        if changed == 0 {
            return Err(StoreError::NoDraft(draft));
        }
        Ok(())
    }

    pub fn draft(&self, id: i64) -> Result<Draft, StoreError> {
        self.connection
            .query_row("SELECT form, lang, answers, status FROM drafts WHERE id = ?1", [id], |r| {
                let answers: String = r.get(2)?;
                Ok(Draft {
                    id,
                    form: r.get(0)?,
                    lang: r.get(1)?,
                    answers: serde_json::from_str(&answers).unwrap_or(Value::Null),
                    status: r.get(3)?,
                })
            })
            .optional()
            .map_err(|e| self.sqlite(e))?
            .ok_or(StoreError::NoDraft(id))
    }

    /// Drafts not yet exported, newest first: what "carry on with my form" offers.
    pub fn open_drafts(&self) -> Result<Vec<Draft>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT id FROM drafts WHERE status != 'exported' ORDER BY updated DESC, id DESC")
            .map_err(|e| self.sqlite(e))?;
        let ids: Vec<i64> =
            statement.query_map([], |r| r.get(0)).and_then(Iterator::collect).map_err(|e| self.sqlite(e))?;
        ids.into_iter().map(|id| self.draft(id)).collect()
    }

    /// Notes that a file was exported from a draft, and marks the draft exported.
    pub fn record_export(&self, draft: i64, format: &str, path: &Path) -> Result<(), StoreError> {
        let transaction = self.connection.unchecked_transaction().map_err(|e| self.sqlite(e))?;
        transaction
            .execute(
                "INSERT INTO exports (draft_id, format, path) VALUES (?1, ?2, ?3)",
                params![draft, format, path.to_string_lossy()],
            )
            .map_err(|e| self.sqlite(e))?;
        transaction
            .execute("UPDATE drafts SET status = 'exported', updated = datetime('now') WHERE id = ?1", [draft])
            .map_err(|e| self.sqlite(e))?;
        transaction.commit().map_err(|e| self.sqlite(e))
    }

    /// Adds one to today's `counter` (e.g. `skill.rights`): how much the kiosk
    /// is used, with nothing about who or what was said.
    pub fn count(&self, counter: &str) -> Result<(), StoreError> {
        self.connection
            .execute(
                "INSERT INTO usage (day, counter, count) VALUES (date('now'), ?1, 1) \
                 ON CONFLICT (day, counter) DO UPDATE SET count = count + 1",
                [counter],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// `(day, counter, count)` rows, oldest first.
    pub fn usage(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT day, counter, count FROM usage ORDER BY day, counter")
            .map_err(|e| self.sqlite(e))?;
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.sqlite(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drafts_keep_confirmed_answers_and_learners_are_cards() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("awal.sqlite")).unwrap();
        let draft = store.new_draft("ma-form-cooperative", "fr").unwrap();
        store.set_answer(draft, "name", &json!("Tifawt")).unwrap();
        store.set_answer(draft, "members", &json!(12)).unwrap();
        store.set_answer(draft, "name", &json!("Tifawin")).unwrap();
        let got = store.draft(draft).unwrap();
        assert_eq!(got.answers, json!({"name": "Tifawin", "members": 12}));
        assert_eq!(store.open_drafts().unwrap().len(), 1);
        store.record_export(draft, "pdf", Path::new("/tmp/x.pdf")).unwrap();
        assert!(store.open_drafts().unwrap().is_empty());
        assert!(matches!(store.set_answer(99, "a", &json!(1)), Err(StoreError::NoDraft(99))));
        assert_eq!(store.learner("0042").unwrap(), store.learner("0042").unwrap());
        assert_ne!(store.learner("0042").unwrap(), store.learner("0043").unwrap());
        store.count("skill.rights").unwrap();
        store.count("skill.rights").unwrap();
        assert_eq!(store.usage().unwrap()[0].2, 2);
    }

    #[test]
    fn a_newer_schema_or_a_damaged_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("awal.sqlite");
        Store::open(&path).unwrap().connection.execute_batch("PRAGMA user_version = 99").unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::TooNew { found: 99, .. })));
        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
        let message = Store::open(&garbage).err().expect("garbage is refused").to_string();
        assert!(message.contains("garbage.sqlite"), "{message}");
    }
}
