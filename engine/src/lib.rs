//! Ratel's engine: everything but the outside world.
//!
//! Tariff CSVs are read and validated (`tariff`, `input`), compiled into one memory-mapped
//! artifact (`artifact`), and queried by longest-prefix match (`lookup`); `snapshot` swaps a
//! new dataset in while requests keep reading the old one. `money` and `time` hold the exact
//! decimals, number formats and dates the rest shares. The server and the command-line tools
//! only translate between this crate and their callers.

pub mod accounts;
pub mod api;
pub mod artifact;
pub mod auth;
pub mod compile;
pub mod input;
pub mod lookup;
pub mod money;
pub mod snapshot;
pub mod tariff;
pub mod time;
pub mod xml;
