//! Shared pieces of Ratel's command-line tools: argument checks the `clap` grammar cannot
//! express (`cli`), the deterministic synthetic dataset generator (`gen`), and the streaming
//! number-lookup pipeline (`mass_lookup`), and the load harness's helpers (`load`).

pub mod cli;
pub mod csv_field;
pub mod deck_diff;
pub mod gen;
pub mod lcr;
pub mod load;
pub mod mass_lookup;
pub mod mass_rate;
pub mod pipeline;
pub mod tail_cache;
