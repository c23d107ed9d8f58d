//! Shared pieces of Ratel's command-line tools: argument checks the `clap` grammar cannot
//! express (`cli`), the deterministic synthetic dataset generator (`gen`), and the streaming
//! number-lookup pipeline (`tariff_lookup`), and the load harness's helpers (`load`).

pub mod cli;
pub mod csv_field;
pub mod gen;
pub mod load;
pub mod pipeline;
pub mod tail_cache;
pub mod tariff_diff;
pub mod tariff_lcr;
pub mod tariff_lookup;
pub mod tariff_rate;
