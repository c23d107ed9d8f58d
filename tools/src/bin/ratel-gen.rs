//! `ratel-gen`: writes a deterministic synthetic dataset for benchmarks and load tests.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Parser, ValueEnum};
use ratel_engine::tariff::is_valid_tariff_name;
use ratel_tools::cli::usage_error;
use ratel_tools::ratel_gen;

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
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ratel-gen: {error}");
            ExitCode::from(1)
        }
    }
}

fn create(folder: &Path, name: &str) -> std::io::Result<BufWriter<File>> {
    let path = folder.join(name);
    File::create(&path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Writes the supplier decks and the next deck (each its own job, on all cores: every deck
/// has its own random stream, so the bytes do not depend on the threads). Returns their
/// part of the closing line.
fn write_related(args: &Args, deck: &[ratel_gen::GenRow]) -> std::io::Result<String> {
    // Supplier numbers 1..=N, then 0 for the next deck.
    let mut jobs: Vec<u64> = (1..=args.suppliers).collect();
    if args.next {
        jobs.push(0);
    }
    if jobs.is_empty() {
        return Ok(String::new());
    }
    let known = ratel_gen::prefix_set(deck);
    let write = |job: u64| -> std::io::Result<String> {
        let (name, rows) = if job == 0 {
            (
                format!("{}_next.csv", args.tariff),
                ratel_gen::next_deck(deck, &known, args.seed),
            )
        } else {
            (
                format!("supplier_{job}.csv"),
                ratel_gen::supplier_deck(deck, &known, job, args.seed),
            )
        };
        ratel_gen::write_deck(&rows, create(&args.out, &name)?)?;
        Ok(format!(", {name} ({} rows)", rows.len()))
    };
    let cursor = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    let mut done: Vec<(usize, std::io::Result<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = cursor.fetch_add(1, Ordering::Relaxed);
                        let Some(&job) = jobs.get(index) else {
                            return mine;
                        };
                        mine.push((index, write(job)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, said)| said).collect()
}

fn run(args: &Args) -> std::io::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let deck = match args.shape {
        Shape::Carrier => ratel_gen::deck(args.rows, args.seed),
        Shape::Npanxx => ratel_gen::npanxx_deck(args.rows, args.seed),
    };
    ratel_gen::write_deck(&deck, create(&args.out, &format!("{}.csv", args.tariff))?)?;
    let related = write_related(args, &deck)?;
    ratel_gen::write_numbers(
        &deck,
        args.numbers,
        args.seed,
        create(&args.out, "numbers.txt")?,
    )?;
    if args.cdrs > 0 {
        ratel_gen::write_cdrs(&deck, args.cdrs, args.seed, create(&args.out, "cdrs.csv")?)?;
    }
    ratel_gen::write_currencies(create(&args.out, "currencies.csv")?)?;
    let owners = ratel_gen::write_users(
        args.users,
        &args.tariff,
        args.seed,
        create(&args.out, "users.csv")?,
    )?;
    ratel_gen::write_cards(
        args.cards,
        &owners,
        args.seed,
        create(&args.out, "card_groups.csv")?,
        create(&args.out, "cards.csv")?,
    )?;
    println!(
        "wrote {}: {}.csv ({} rows){related}, numbers.txt ({}){}, users.csv ({} users), cards.csv ({} cards), card_groups.csv, currencies.csv",
        args.out.display(),
        args.tariff,
        deck.len(),
        args.numbers,
        if args.cdrs > 0 { format!(", cdrs.csv ({})", args.cdrs) } else { String::new() },
        args.users,
        args.cards
    );
    Ok(())
}
