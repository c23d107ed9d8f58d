//! Shared pieces of Ratel's command-line tools: argument checks the `clap` grammar cannot
//! express (`cli`), the deterministic synthetic dataset generator (`gen`), and the streaming
//! number-lookup pipeline (`mass_lookup`).

pub mod cli;
pub mod gen;
pub mod mass_lookup;
