//! Ratel's command-line tools, over `ratel-engine`: each binary in `src/bin/` parses its
//! arguments and hands the work to the module named after it.
//!
//! - Each binary's work: `tariff_lookup`, `tariff_rate`, `tariff_diff`, `tariff_lcr` (the
//!   mass tools), `ratel_gen` (synthetic datasets, one file a generator) and `ratel_load`
//!   (the load harness's helpers). `tariff-compile` hands its work straight to the engine.
//! - Shared by the mass tools: `pipeline` (items in, rows out, in order, on all cores),
//!   `tail_cache` (a rate record's columns, formatted once a record) and `csv_field` (how a
//!   CSV field is quoted).
//! - Shared by every binary: `cli` (argument checks `clap` cannot express, exit codes).
//!
//! Dependencies point down this list: a binary's module may use the shared ones, never
//! another binary's; `csv_field` uses nothing of the crate.
//!
//! Tests: a module's unit tests sit in it (`#[cfg(test)] mod tests { … }`) while short; past
//! about 150 lines they move beside it, `x.rs` (or `x/mod.rs`) declaring `#[cfg(test)] mod
//! tests;` and the tests living in `x/tests.rs`. Tests that run the binaries are in
//! `tools/tests/`: a file a tool checked against answers worked out by hand (`rate`, `diff`,
//! `lcr`, `gen`), a file a concern shared by all (`cli`, `closed_output`), helpers in `common/`.

pub mod cdr_columns;
pub mod cli;
pub mod csv_field;
pub mod csv_line;
pub mod pipeline;
pub mod ratel_gen;
pub mod ratel_load;
pub mod tail_cache;
pub mod tariff_diff;
pub mod tariff_lcr;
pub mod tariff_lookup;
pub mod tariff_rate;
