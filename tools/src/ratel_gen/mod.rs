//! Deterministic synthetic datasets for benchmarks and load tests: what `ratel-gen` writes.
//!
//! One file per generator: `deck` (the main deck, carrier-shaped) and `npanxx_deck` (the North
//! American shape), `numbers` (dialed numbers), `cdrs` (calls), `accounts` (currencies, users,
//! card groups, cards), `supplier_deck` and `next_deck` (decks derived from the main one).
//! Under them: `random` (the stream and the keyed hash), `row` (a deck's rows and their CSV)
//! and `prefixes` (a deck's prefixes, and new ones extending them). This file drives them:
//! [`write_dataset`] writes every file of a [`Dataset`].
//!
//! The same seed gives the same bytes on every machine: the generator is a fixed SplitMix64,
//! and each file draws from a stream of its own, so the decks written on several threads do
//! not depend on the threads.

mod accounts;
mod cdrs;
mod deck;
mod next_deck;
mod npanxx_deck;
mod numbers;
mod prefixes;
mod random;
mod row;
mod supplier_deck;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub use accounts::{write_cards, write_currencies, write_users, CURRENCIES};
pub use cdrs::{write_asterisk_cdrs, write_cdrs, CDR_HEADER};
pub use deck::deck;
pub use next_deck::{next_deck, NEXT_RECEIVED};
pub use npanxx_deck::{npanxx_deck, NPANXX_MAX_ROWS};
pub use numbers::write_numbers;
pub use prefixes::prefix_set;
pub use random::SplitMix64;
pub use row::{write_deck, GenRow};
pub use supplier_deck::supplier_deck;

/// The shape of the main deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeckShape {
    /// Country codes and breakouts, rates shared by blocks of prefixes: [`deck()`].
    Carrier,
    /// North American 1NPANXX prefixes, nearly each with a rate of its own: [`npanxx_deck()`].
    Npanxx,
}

/// What a dataset holds: `ratel-gen`'s arguments (which it checks before writing one).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The folder to write into (created if missing).
    pub out: PathBuf,
    /// Rows of the main deck.
    pub rows: usize,
    pub shape: DeckShape,
    /// Dialed numbers (`numbers.txt`).
    pub numbers: usize,
    /// Calls (`cdrs.csv`); 0: no file.
    pub cdrs: usize,
    /// Also write the calls as Asterisk's `Master.csv` ([`write_asterisk_cdrs`]).
    pub asterisk: bool,
    /// Plain users, besides the admin, an accountant and the resellers.
    pub users: usize,
    pub cards: usize,
    /// Supplier decks, `supplier_1.csv` … `supplier_N.csv`.
    pub suppliers: u64,
    /// Also write `NAME_next.csv`, the main deck's next version.
    pub next: bool,
    /// The main deck's tariff name (the deck is written as `NAME.csv`).
    pub tariff: String,
    pub seed: u64,
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
fn write_related(dataset: &Dataset, main: &[GenRow]) -> std::io::Result<String> {
    // Supplier numbers 1..=N, then 0 for the next deck.
    let mut jobs: Vec<u64> = (1..=dataset.suppliers).collect();
    if dataset.next {
        jobs.push(0);
    }
    if jobs.is_empty() {
        return Ok(String::new());
    }
    let known = prefix_set(main);
    let write = |job: u64| -> std::io::Result<String> {
        let (name, rows) = if job == 0 {
            (
                format!("{}_next.csv", dataset.tariff),
                next_deck(main, &known, dataset.seed),
            )
        } else {
            (
                format!("supplier_{job}.csv"),
                supplier_deck(main, &known, job, dataset.seed),
            )
        };
        write_deck(&rows, create(&dataset.out, &name)?)?;
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

/// Writes every file of `dataset` into its folder: the main deck, the derived decks, the
/// numbers, the calls (when asked for) and the account files. Returns the line that says
/// what was written.
pub fn write_dataset(dataset: &Dataset) -> std::io::Result<String> {
    std::fs::create_dir_all(&dataset.out)?;
    let main = match dataset.shape {
        DeckShape::Carrier => deck(dataset.rows, dataset.seed),
        DeckShape::Npanxx => npanxx_deck(dataset.rows, dataset.seed),
    };
    write_deck(
        &main,
        create(&dataset.out, &format!("{}.csv", dataset.tariff))?,
    )?;
    let related = write_related(dataset, &main)?;
    write_numbers(
        &main,
        dataset.numbers,
        dataset.seed,
        create(&dataset.out, "numbers.txt")?,
    )?;
    if dataset.cdrs > 0 {
        write_cdrs(
            &main,
            dataset.cdrs,
            dataset.seed,
            create(&dataset.out, "cdrs.csv")?,
        )?;
        if dataset.asterisk {
            write_asterisk_cdrs(
                &main,
                dataset.cdrs,
                dataset.seed,
                create(&dataset.out, "Master.csv")?,
            )?;
        }
    }
    write_currencies(create(&dataset.out, "currencies.csv")?)?;
    let owners = write_users(
        dataset.users,
        &dataset.tariff,
        dataset.seed,
        create(&dataset.out, "users.csv")?,
    )?;
    write_cards(
        dataset.cards,
        &owners,
        dataset.seed,
        create(&dataset.out, "card_groups.csv")?,
        create(&dataset.out, "cards.csv")?,
    )?;
    Ok(format!(
        "wrote {}: {}.csv ({} rows){related}, numbers.txt ({}){}, users.csv ({} users), cards.csv ({} cards), card_groups.csv, currencies.csv",
        dataset.out.display(),
        dataset.tariff,
        main.len(),
        dataset.numbers,
        match (dataset.cdrs, dataset.asterisk) {
            (0, _) => String::new(),
            (cdrs, false) => format!(", cdrs.csv ({cdrs})"),
            (cdrs, true) => format!(", cdrs.csv and Master.csv ({cdrs} each)"),
        },
        dataset.users,
        dataset.cards
    ))
}
