//! Login attempts, counted per account name and per client address: after
//! [`MAX_FAILURES`] wrong passwords within [`WINDOW`] for either, further
//! attempts are refused without checking the password until the oldest
//! failure is older than the window. Guessing a password from one address,
//! or one account's password from many, is slowed to a few tries an hour.
//!
//! Kept in memory (a restart forgets it, as a restart takes long enough to
//! slow a guesser anyway) and bounded: at most [`MAX_KEYS`] names and
//! addresses are tracked, the stalest forgotten first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Wrong passwords allowed per account and per address within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Names and addresses tracked at once.
const MAX_KEYS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

/// Recent failures by account and by address.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: HashMap<Key, Vec<Instant>>,
}

impl Throttle {
    /// Whether an attempt for `account` from `address` may be checked at `now`.
    pub fn allows(&mut self, account: &str, address: IpAddr, now: Instant) -> bool {
        [Key::Account(normalise(account)), Key::Address(address)].iter().all(|key| self.recent(key, now) < MAX_FAILURES)
    }

    /// Notes a wrong password (or an unknown account) at `now`.
    pub fn failed(&mut self, account: &str, address: IpAddr, now: Instant) {
        if self.failures.len() >= MAX_KEYS {
            self.forget_stale(now);
        }
        for key in [Key::Account(normalise(account)), Key::Address(address)] {
            self.failures.entry(key).or_default().push(now);
        }
    }

    /// A right password: the account's failures are forgotten (the
    /// address's are not: one known password must not reset a guesser).
    pub fn succeeded(&mut self, account: &str) {
        self.failures.remove(&Key::Account(normalise(account)));
    }

    /// Failures of `key` within the window before `now`.
    fn recent(&mut self, key: &Key, now: Instant) -> usize {
        let Some(times) = self.failures.get_mut(key) else { return 0 };
        times.retain(|t| now.saturating_duration_since(*t) < WINDOW);
        times.len()
    }

    /// Drops keys with no failure in the window; if that is not enough, the
    /// ones whose last failure is oldest.
    fn forget_stale(&mut self, now: Instant) {
        self.failures.retain(|_, times| times.iter().any(|t| now.saturating_duration_since(*t) < WINDOW));
        if self.failures.len() >= MAX_KEYS {
            let mut last: Vec<(Instant, Key)> = self
                .failures
                .iter()
                .map(|(k, times)| (times.iter().max().copied().unwrap_or(now), k.clone()))
                .collect();
            last.sort_by_key(|(t, _)| *t);
            for (_, key) in last.into_iter().take(MAX_KEYS / 10) {
                self.failures.remove(&key);
            }
        }
    }
}

/// The name as counted: case and surrounding spaces aside, at most 64
/// characters (so "Amina" and "amina " share a count).
fn normalise(account: &str) -> String {
    account.trim().to_lowercase().chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_per_account_and_per_address() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        let (here, there): (IpAddr, IpAddr) = ("10.0.0.2".parse().unwrap(), "10.0.0.3".parse().unwrap());
        for _ in 0..MAX_FAILURES {
            assert!(throttle.allows("amina", here, start));
            throttle.failed("amina", here, start);
        }
        assert!(!throttle.allows("Amina ", there, start), "the account is held whatever the address");
        assert!(!throttle.allows("omar", here, start), "the address is held whatever the account");
        assert!(throttle.allows("omar", there, start));
        assert!(throttle.allows("amina", here, start + WINDOW), "failures older than the window no longer count");
        throttle.failed("omar", there, start);
        throttle.succeeded("omar");
        assert!(throttle.allows("omar", here, start + WINDOW));
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        for n in 0..(MAX_KEYS as u32 * 2) {
            throttle.failed(&format!("name{n}"), IpAddr::from(n.to_be_bytes()), start);
        }
        assert!(throttle.failures.len() <= MAX_KEYS + 2, "{}", throttle.failures.len());
    }
}
