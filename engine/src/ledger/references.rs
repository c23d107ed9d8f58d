//! The keys already applied, as 64-bit digests in memory: a new key (nearly every call) is
//! told new without touching the store; a digest that is present (a repeat, or one chance in
//! about 2^64 / n of a collision) is confirmed by the store. The digests are keyed with a
//! random seed per process, so ids chosen by clients cannot be made to collide.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use super::RefKey;

/// Hashes a digest that is already uniformly random: the identity.
#[derive(Debug, Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// The digests of every key applied.
#[derive(Debug, Default)]
pub(crate) struct References {
    seed: RandomState,
    digests: HashSet<u64, BuildHasherDefault<Identity>>,
}

impl References {
    pub(crate) fn new() -> References {
        References::default()
    }

    fn digest(&self, key: &RefKey) -> u64 {
        self.seed.hash_one(key)
    }

    /// Records `key` as applied.
    pub(crate) fn insert(&mut self, key: &RefKey) {
        let digest = self.digest(key);
        self.digests.insert(digest);
    }

    /// Whether `key` may have been applied (false: it certainly was not).
    pub(crate) fn may_contain(&self, key: &RefKey) -> bool {
        self.digests.contains(&self.digest(key))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.digests.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Account;

    #[test]
    fn a_key_is_found_once_inserted_and_others_are_not() {
        let mut references = References::new();
        let keys: Vec<RefKey> = (0..10_000)
            .map(|i| RefKey::Call(format!("c-{i}")))
            .collect();
        for key in &keys[..5_000] {
            references.insert(key);
        }
        assert!(keys[..5_000].iter().all(|k| references.may_contain(k)));
        let false_positives = keys[5_000..]
            .iter()
            .filter(|k| references.may_contain(k))
            .count();
        assert_eq!(false_positives, 0);
        assert!(!references.may_contain(&RefKey::Adjustment(Account::User(1), "c-1".into())));
        assert_eq!(references.len(), 5_000);
    }
}
