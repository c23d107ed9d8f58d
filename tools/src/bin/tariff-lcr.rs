//! `tariff-lcr`: suppliers ranked cheapest first for each number on stdin, or for every
//! prefix of the named tariffs, as CSV on stdout.
//!
//! Exit codes: 0 done, 1 an artifact, tariff or currencies file that cannot be used, tariffs
//! in two currencies without `--currencies`, a rate that could not be converted, or under
//! `--fail-on-unrated` a number without a sell rate or without any supplier; 2 usage.

use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use clap::Parser;
use ratel_engine::accounts::{read_rates, Currencies};
use ratel_engine::input::ErrorList;
use ratel_engine::lcr::{Market, Supplier, Unconvertible};
use ratel_engine::lookup::Slice;
use ratel_tools::cli;
use ratel_tools::pipeline;
use ratel_tools::tariff_lcr::{LcrJob, HEADER};

const TOOL: &str = "tariff-lcr";

/// Rank suppliers by cost: reads numbers on stdin, one a line (non-digits dropped, the
/// longest prefix of the first 20 digits wins, as in tariff-lookup), or with --prefixes
/// every prefix of the sell and supplier tariffs; writes CSV to stdout:
/// number,sell_prefix,sell_rate,rank,supplier,supplier_prefix,supplier_rate,margin, one row a
/// ranked supplier, cheapest first (ties in the order given), margin = sell_rate -
/// supplier_rate. A number no supplier prices gets one row with the supplier fields empty;
/// without a sell rate, the sell fields and margins are empty. Rates are per minute, compared
/// as stored; tariffs in other currencies than the sell tariff's are refused unless
/// --currencies converts them (rounded half away from zero to 6 places). At the end one line
/// on stderr sums the run up: "tariff-lcr: N numbers: S with a sell rate, R with a supplier,
/// X with no supplier" ("N prefixes" with --prefixes).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The compiled artifact holding every tariff named (from tariff-compile).
    #[arg(short = 'a', long = "artifact")]
    artifact: PathBuf,
    /// The tariff numbers are sold at.
    #[arg(long = "sell")]
    sell: String,
    /// A supplier tariff (repeat for each; ties rank in this order).
    #[arg(long = "supplier", required = true)]
    suppliers: Vec<String>,
    /// When the rates are in force, "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (UTC); default: now.
    #[arg(long = "at")]
    at: Option<String>,
    /// At most K ranked suppliers a number.
    #[arg(long = "top", value_parser = clap::value_parser!(u32).range(1..))]
    top: Option<u32>,
    /// Rank every prefix of the named tariffs instead of numbers on stdin.
    #[arg(long = "prefixes")]
    prefixes: bool,
    /// currencies.csv (code,exchange_rate against one base currency) to convert supplier
    /// rates into the sell tariff's currency.
    #[arg(long = "currencies")]
    currencies: Option<PathBuf>,
    /// Worker threads; default: the number of cores.
    #[arg(long = "threads")]
    threads: Option<usize>,
    /// Exit with status 1 when any number (or prefix) had no sell rate or no supplier (after
    /// writing every row and the summary), for pipelines that must stop.
    #[arg(long = "fail-on-unrated")]
    fail_on_unrated: bool,
    #[command(flatten)]
    numbers: cli::NumberOptions,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(name) = args
        .suppliers
        .iter()
        .enumerate()
        .find_map(|(i, name)| args.suppliers[..i].contains(name).then_some(name))
    {
        return cli::usage_error(TOOL, &format!("--supplier {name} is given twice"));
    }
    let at = match cli::at_or_now(TOOL, args.at.as_deref()) {
        Ok(at) => at,
        Err(code) => return code,
    };
    let rules = match args.numbers.rules(TOOL) {
        Ok(rules) => rules,
        Err(code) => return code,
    };
    match run(&args, at, rules) {
        Ok(code) | Err(code) => code,
    }
}

fn run(
    args: &Args,
    at: ratel_engine::time::Timestamp,
    rules: ratel_engine::lookup::NumberRules,
) -> Result<ExitCode, ExitCode> {
    let artifact = cli::open_artifact(TOOL, &args.artifact)?;
    let sell = cli::find_tariff(TOOL, &artifact, &args.sell)?;
    let currencies = match &args.currencies {
        None => None,
        Some(path) => Some(read_currencies(path)?),
    };
    let sell_currency = artifact.tariffs()[sell].currency.clone();
    let mut suppliers = Vec::with_capacity(args.suppliers.len());
    for name in &args.suppliers {
        let tariff = cli::find_tariff(TOOL, &artifact, name)?;
        let supplier = Supplier::new(&artifact, sell, tariff, currencies.as_ref());
        suppliers.push(supplier.map_err(|refused| {
            match (&refused, &args.currencies) {
                (Unconvertible::NoRates { .. }, _) => {
                    eprintln!("{TOOL}: {refused}; give --currencies currencies.csv to convert")
                }
                (_, path) => eprintln!(
                    "{TOOL}: {refused} ({})",
                    path.as_deref()
                        .unwrap_or(std::path::Path::new(""))
                        .display()
                ),
            }
            ExitCode::from(1)
        })?);
    }
    let job = LcrJob::new(
        Market {
            artifact: &artifact,
            sell,
            suppliers,
            at,
        },
        args.suppliers.clone(),
        args.top.map(|k| k as usize),
        sell_currency,
    )
    .with_rules(rules);
    let threads = cli::threads(args.threads);
    let (out, notes) = (std::io::stdout(), std::io::stderr());
    let ran = if args.prefixes {
        pipeline::run_items(&job, Slice::all(), out, HEADER.as_bytes(), notes, threads)
    } else {
        let input = BufReader::with_capacity(1 << 16, std::io::stdin());
        pipeline::run(&job, input, out, HEADER.as_bytes(), notes, 1, threads).map(|_| ())
    };
    // The summary counts what was written: only a whole run has one.
    let summary = ran.is_ok().then(|| job.summary(args.prefixes));
    let code = cli::finished(TOOL, ran);
    if job.damaged.load(Ordering::Relaxed) > 0 {
        eprintln!("{TOOL}: the output is incomplete: the artifact's index is damaged");
        return Ok(ExitCode::from(1));
    }
    let unconverted = job.unconverted.load(Ordering::Relaxed);
    if unconverted > 0 {
        eprintln!("{TOOL}: {unconverted} supplier rates could not be converted and were left out");
    }
    if let Some(summary) = summary {
        eprintln!("{TOOL}: {summary}");
    }
    if unconverted > 0 || (args.fail_on_unrated && summary.is_some_and(|s| s.unrated())) {
        return Ok(ExitCode::from(1));
    }
    Ok(code)
}

/// Reads `--currencies`; every error as `file:line:column: message`, then exit 1.
fn read_currencies(path: &std::path::Path) -> Result<Currencies, ExitCode> {
    let shown = path.display().to_string();
    let file = ratel_engine::files::open_regular(path).map_err(|error| {
        eprintln!("{TOOL}: {shown}: {error}");
        ExitCode::from(1)
    })?;
    let mut errors = ErrorList::new();
    read_rates(file.0, &shown, &mut errors).ok_or_else(|| {
        eprint!("{errors}");
        ExitCode::from(1)
    })
}
