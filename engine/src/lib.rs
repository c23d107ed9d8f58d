//! Ratel's engine: everything but the outside world.
//!
//! Tariff CSVs are read and validated (`tariff`, `input`), compiled into one memory-mapped
//! artifact (`artifact`), and queried by longest-prefix match (`lookup`); `snapshot` swaps a
//! new dataset in while requests keep reading the old one. `money` and `time` hold the exact
//! decimals, number formats and dates the rest shares. The server and the command-line tools
//! only translate between this crate and their callers.

pub mod accounts;
pub mod artifact;
pub mod auth;
pub mod compile;
pub mod cost;
pub mod diff;
pub mod files;
pub mod input;
pub mod json_api;
pub mod lcr;
pub mod ledger;
pub mod lookup;
pub mod money;
pub mod mor_api;
pub mod rating;
pub mod snapshot;
pub mod tariff;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
pub mod time;
pub mod xml;

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
