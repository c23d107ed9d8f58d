//! Shared pieces of Ratel's command-line tools: argument checks the `clap` grammar cannot
//! express (`cli`), the deterministic synthetic dataset generator (`ratel_gen`), and the streaming
//! number-lookup pipeline (`tariff_lookup`), and the load harness's helpers (`ratel_load`).

pub mod cli;
pub mod csv_field;
pub mod pipeline;
pub mod ratel_gen;
pub mod ratel_load;
pub mod tail_cache;
pub mod tariff_diff;
pub mod tariff_lcr;
pub mod tariff_lookup;
pub mod tariff_rate;

/// `ratel_gen` under the name the benches and the server's tests still use
/// (`benches/src/lib.rs`, `benches/benches/`, `server/tests/reload_latency.rs`); to go once
/// they name `ratel_gen`.
pub use ratel_gen as gen;
/// `ratel_load` under the name the server's tests still use (`server/tests/http.rs`); to go
/// once they name `ratel_load`.
pub use ratel_load as load;
