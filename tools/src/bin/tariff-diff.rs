//! `tariff-diff`: what a new deck changes, prefix by prefix, as CSV on stdout.
//!
//! Exit codes: 0 done, 1 an artifact or tariff that cannot be used (or decks in two
//! currencies), 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use clap::Parser;
use ratel_engine::diff::{Decks, Notice};
use ratel_engine::lookup::Slice;
use ratel_tools::cli;
use ratel_tools::pipeline;
use ratel_tools::tariff_diff::DiffJob;

/// Compare two compiled decks of one tariff: reads OLD and NEW (artifacts from
/// tariff-compile), writes CSV to stdout, one row for every prefix either deck prices at
/// --at, in prefix order: prefix,destination,status,old_rate,new_rate,change_pct (status new,
/// closed, increased, decreased, unchanged or terms_changed, the last for the same rate with
/// another fee, increment, minimum time or first interval; change_pct = (new - old) / old x 100 to 2 places,
/// empty when old is missing or 0). With --notice-days N a last column, notice, says short
/// for an increase taking effect less than N days after --received (an undated row takes
/// effect at once). Prefixes are compared exactly. A summary per status goes to stderr.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The old deck's artifact.
    old: PathBuf,
    /// The new deck's artifact.
    new: PathBuf,
    /// The tariff to compare (by name, in both artifacts).
    #[arg(short = 't', long = "tariff")]
    tariff: String,
    /// When the rows compared are in force, "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (UTC);
    /// default: now.
    #[arg(long = "at")]
    at: Option<String>,
    /// The notice, in days, an increase needs: adds the notice column.
    #[arg(long = "notice-days")]
    notice_days: Option<u32>,
    /// When the new deck was received (the notice counts from it); default: now.
    #[arg(long = "received", requires = "notice_days")]
    received: Option<String>,
    /// Worker threads; default: the number of cores.
    #[arg(long = "threads")]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    const TOOL: &str = "tariff-diff";
    let args = Args::parse();
    let at = match cli::at_or_now(TOOL, args.at.as_deref()) {
        Ok(at) => at,
        Err(code) => return code,
    };
    let notice = match args.notice_days {
        None => None,
        Some(days) => match cli::time_or_now(TOOL, "--received", args.received.as_deref()) {
            Ok(received) => Some(Notice { days, received }),
            Err(code) => return code,
        },
    };
    let (old, old_tariff) = match cli::open_tariff(TOOL, &args.old, &args.tariff) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let (new, new_tariff) = match cli::open_tariff(TOOL, &args.new, &args.tariff) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let decks = match Decks::new(&old, old_tariff, &new, new_tariff, at) {
        Ok(decks) => decks,
        Err(refused) => {
            eprintln!("{TOOL}: {refused}");
            return ExitCode::from(1);
        }
    };
    let job = DiffJob::new(decks, notice);
    let ran = pipeline::run_items(
        &job,
        Slice::all(),
        std::io::stdout(),
        job.header().as_bytes(),
        std::io::stderr(),
        cli::threads(args.threads),
    );
    if job.damaged.load(Ordering::Relaxed) > 0 {
        eprintln!("{TOOL}: the output is incomplete: an artifact's index is damaged");
        return ExitCode::from(1);
    }
    match ran {
        // The summary counts what was written: only a whole run has one.
        Ok(()) => {
            eprintln!("{TOOL}: {}", job.summary());
            ExitCode::SUCCESS
        }
        Err(error) => cli::finished(TOOL, Err::<(), _>(error)),
    }
}
