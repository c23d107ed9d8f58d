//! `ratel-gen`: writes a deterministic synthetic dataset for benchmarks and load tests.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use ratel_engine::tariff::is_valid_tariff_name;
use ratel_tools::cli::usage_error;
use ratel_tools::ratel_gen::{self, Dataset, DeckShape};

/// Generate a synthetic tariff deck, dialed numbers, users, calling cards and currencies.
/// The same arguments always give the same files.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Folder to write into (created if missing).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Tariff rows (carrier shape: distinct prefixes plus ~1% dated rate changes).
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Shape of the deck: `carrier` (country codes and breakouts; rates shared by blocks of
    /// prefixes) or `npanxx` (7-digit North American prefixes 1NPANXX, nearly each with a
    /// rate of its own, as in US termination decks; at most 576,000 rows).
    #[arg(long, value_enum, default_value_t = Shape::Carrier)]
    shape: Shape,
    /// Dialed numbers (numbers.txt); ~90% match a deck prefix.
    #[arg(long, default_value_t = 100_000)]
    numbers: usize,
    /// CDRs to write as cdrs.csv (id,number,billsec,start; for tariff-rate); 0: none.
    #[arg(long, default_value_t = 0)]
    cdrs: usize,
    /// Also write the CDRs as Asterisk's cdr_csv writes them (Master.csv: no header, every
    /// field quoted, numbers dialled with 00, unanswered calls as NO ANSWER, BUSY, FAILED).
    #[arg(long, requires = "cdrs")]
    asterisk: bool,
    /// Plain users, besides the admin, an accountant and the resellers.
    #[arg(long, default_value_t = 1_000)]
    users: usize,
    /// Calling cards.
    #[arg(long, default_value_t = 1_000)]
    cards: usize,
    /// Supplier decks to write next to the deck, supplier_1.csv … supplier_N.csv (for
    /// tariff-lcr), at most 100. Each derives from the deck: 87-93% of its prefixes, rates
    /// mostly 40-110% of its own with a bias per destination, ~8% of destinations on other
    /// billing terms, 1-3% extra breakouts, ~0.5% dated changes.
    #[arg(long, default_value_t = 0)]
    suppliers: u64,
    /// Also write NAME_next.csv, the deck's next version as its vendor would send it (for
    /// tariff-diff): ~2% of prefixes closed, ~2% new, ~10% increased, ~10% decreased, ~1% on
    /// other terms; half the increases and a quarter of the decreases dated 2026-11-29 to
    /// 2026-12-15 (received 2026-11-26).
    #[arg(long)]
    next: bool,
    /// Name of the tariff (the deck is written as NAME.csv).
    #[arg(long, default_value = "wholesale")]
    tariff: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Shape {
    Carrier,
    Npanxx,
}

/// Each supplier deck is as large as the deck: a bound against a typo filling the disk.
const MAX_SUPPLIERS: u64 = 100;

fn main() -> ExitCode {
    let args = Args::parse();
    if !is_valid_tariff_name(&args.tariff) {
        return usage_error("ratel-gen", "--tariff must be 1-64 of A-Za-z0-9_-");
    }
    if args.suppliers > MAX_SUPPLIERS {
        return usage_error(
            "ratel-gen",
            &format!("--suppliers is at most {MAX_SUPPLIERS}"),
        );
    }
    if args.shape == Shape::Npanxx && args.rows > ratel_gen::NPANXX_MAX_ROWS {
        return usage_error(
            "ratel-gen",
            &format!(
                "--shape npanxx makes at most {} rows (720 area codes of 800 exchanges)",
                ratel_gen::NPANXX_MAX_ROWS
            ),
        );
    }
    let dataset = Dataset {
        out: args.out,
        rows: args.rows,
        shape: match args.shape {
            Shape::Carrier => DeckShape::Carrier,
            Shape::Npanxx => DeckShape::Npanxx,
        },
        numbers: args.numbers,
        cdrs: args.cdrs,
        asterisk: args.asterisk,
        users: args.users,
        cards: args.cards,
        suppliers: args.suppliers,
        next: args.next,
        tariff: args.tariff,
        seed: args.seed,
    };
    match ratel_gen::write_dataset(&dataset) {
        Ok(written) => {
            println!("{written}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ratel-gen: {error}");
            ExitCode::from(1)
        }
    }
}
