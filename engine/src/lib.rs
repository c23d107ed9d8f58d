//! Ratel's engine: everything but the outside world.
//!
//! Tariff CSVs are read and validated (`tariff`, `input`), compiled into one memory-mapped
//! artifact (`artifact`), and queried by longest-prefix match (`lookup`); `snapshot` swaps a
//! new dataset in while requests keep reading the old one; `ledger` keeps the balances that
//! move. The server and the command-line tools only translate between this crate and their
//! callers. docs/architecture.md has the map.
//!
//! Dependencies point one way, through five layers; a module uses its own layer or those
//! below, never above, and no two files depend on each other (`python3 .ci/layers.py`, run by
//! CI, checks both):
//!
//! 1. **foundation**: `money` (exact decimals, number formats), `time` (UTC times, date
//!    patterns), `input` (reading CSV), `files` (opening data files), `xml`;
//! 2. **data**: `tariff` (rows, vendor deck shapes), `artifact` (the compiled file and its
//!    index), `lookup` (matching), `accounts` (users, cards, currencies, balances, account
//!    keys), `compile`, `auth` (request hashes);
//! 3. **pricing**: `cost` (the price of a call), `rating` (the row and the exchange rate),
//!    `lcr`, `diff`;
//! 4. **state**: `ledger` (balances that move), `snapshot` (the data in force);
//! 5. **API surfaces**: `mor_api` (MOR and Arrow Billing), `json_api` (Ratel's own).
//!
//! Tests live beside their code; a module whose tests are long keeps them in its own
//! `tests.rs` (`json_api/calls/tests.rs`), and test support in `testing.rs`.

// Foundation.
pub mod files;
pub mod input;
pub mod money;
pub mod time;
pub mod xml;
// Data.
pub mod accounts;
pub mod artifact;
pub mod auth;
pub mod compile;
pub mod lookup;
pub mod tariff;
// Pricing.
pub mod cost;
pub mod diff;
pub mod lcr;
pub mod rating;
// State.
pub mod ledger;
pub mod snapshot;
// API surfaces.
pub mod json_api;
pub mod mor_api;
// Test support (the demo fixture) for this crate's tests and, with the `testing` feature,
// other crates'.
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;

/// Case counts for the property tests that set their own (slow cases): the given count, or
/// `PROPTEST_CASES` when set, so a long local run raises every property test at once
/// (`PROPTEST_CASES=20000 cargo test --release`). The others read it through proptest.
#[cfg(test)]
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}
