//! The MOR API request hash: lowercase hex SHA1 of the hashed parameters' values concatenated
//! in the method's order, then a secret key (docs/api.md, "Request hash").
//!
//! A request may be signed with the system secret key, or with the `api_key` of the reseller
//! that owns (or is) the user the request resolves to. Hashes are compared byte for byte, so
//! an upper-case digest is wrong, and in constant time, so a caller cannot learn a valid hash
//! one byte at a time from response timings.

use sha1::{Digest, Sha1};

use crate::accounts::{Accounts, Role, User};

/// Length of a hex SHA1 digest.
pub const HASH_LEN: usize = 40;

/// The request hash of `values` (in the method's order) under `key`.
///
/// ```
/// let hash = ratel_engine::auth::request_hash(&[b"USERNAME"], b"secret");
/// assert_eq!(&hash, b"092a5ce23f76cfe5c72802cfbc75542de437c94e");
/// ```
pub fn request_hash(values: &[&[u8]], key: &[u8]) -> [u8; HASH_LEN] {
    let mut hasher = Sha1::new();
    for value in values {
        hasher.update(value);
    }
    hasher.update(key);
    let digest = hasher.finalize();
    let mut hex = [0u8; HASH_LEN];
    for (i, byte) in digest.iter().enumerate() {
        hex[2 * i] = HEX[usize::from(byte >> 4)];
        hex[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether `given` equals the request hash of `values` under any of `keys`. Every key is
/// tried and every comparison runs over all 40 bytes, whatever matched.
pub fn hash_matches<'k>(
    given: &[u8],
    values: &[&[u8]],
    keys: impl IntoIterator<Item = &'k [u8]>,
) -> bool {
    let mut matched = false;
    for key in keys {
        matched |= constant_time_eq(given, &request_hash(values, key));
    }
    matched
}

/// Byte-for-byte equality whose time depends only on the lengths (also the JSON API's
/// bearer token check).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The reseller key that may sign requests resolving to `user`: its own when it is a
/// reseller, its owner's when a reseller owns it.
pub fn reseller_key<'a>(accounts: &'a Accounts, user: &'a User) -> Option<&'a str> {
    let reseller = match user.role {
        Role::Reseller => user,
        _ => accounts
            .user_by_id(user.owner_id)
            .filter(|owner| owner.role == Role::Reseller)?,
    };
    reseller.api_key.as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_the_documented_vectors() {
        // Recomputed in shared/reference/mor-api-notes.md §1.4 E.
        // (hashed values, key, expected digest)
        type Vector = (&'static [&'static [u8]], &'static [u8], &'static str);
        let cases: [Vector; 5] = [
            (
                &[b"USERNAME"],
                b"secret",
                "092a5ce23f76cfe5c72802cfbc75542de437c94e",
            ),
            (
                &[b"USERNAME", b"EUR"],
                b"secret",
                "e7348761041b19de46d9c63aa281a817364fcada",
            ),
            (
                &[b"USERNAME", b"USER"],
                b"secret",
                "ccd541a19be812c25560236f38c655f3bfb7e216",
            ),
            (
                &[b"admin"],
                b"secret",
                "69590c5075137e4e42658c15f8f73d982e76b056",
            ),
            (&[], b"secret", "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"),
        ];
        for (values, key, expected) in cases {
            assert_eq!(
                std::str::from_utf8(&request_hash(values, key)).unwrap(),
                expected
            );
        }
        assert_eq!(
            &request_hash(&[b"1111111000"], b"secretkey"),
            b"0d43cbd508a63230032ef593089833543ea297ea"
        );
    }

    #[test]
    fn any_accepted_key_passes_and_nothing_else_does() {
        let good = b"092a5ce23f76cfe5c72802cfbc75542de437c94e";
        let keys = [&b"other"[..], &b"secret"[..]];
        assert!(hash_matches(good, &[b"USERNAME"], keys));
        assert!(!hash_matches(good, &[b"USERNAME"], [&b"other"[..]]));
        assert!(!hash_matches(
            b"092A5CE23F76CFE5C72802CFBC75542DE437C94E",
            &[b"USERNAME"],
            keys
        ));
        assert!(!hash_matches(&good[..39], &[b"USERNAME"], keys));
        assert!(!hash_matches(good, &[b"USERNAME"], []));
    }

    #[test]
    fn a_reseller_signs_for_itself_and_its_users_only() {
        let accounts = crate::testing::demo_accounts();
        let key = |name: &str| reseller_key(&accounts, accounts.user_by_username(name).unwrap());
        assert_eq!(key("reseller1"), Some("resellerkey"));
        assert_eq!(key("bob"), Some("resellerkey"));
        assert_eq!(key("alice"), None);
        assert_eq!(key("admin"), None);
    }
}
