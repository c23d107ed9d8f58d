//! `tariff-rate`: CDRs on stdin, the same rows priced on stdout, in input order.
//!
//! Exit codes: 0 every row read cleanly, 1 a bad row (reported on stderr, written with empty
//! rated columns), a row without a rate under `--fail-on-unrated`, or an artifact, tariff or
//! header that cannot be used, 2 usage.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;

use clap::Parser;
use ratel_tools::cli;
use ratel_tools::pipeline;
use ratel_tools::tariff_rate::{rated_columns, CdrColumns, RateJob};

/// Price every call of a CDR file with one tariff, nothing charged: reads CSV on stdin (a
/// header row naming `number` and `billsec`, and optionally `start`, "YYYY-MM-DD HH:MM:SS"
/// UTC; other columns pass through), writes the same rows to stdout followed by
/// prefix,destination,rate,connection_fee,increment_s,min_time_s,rated_s,cost (cost in the
/// tariff's currency, 6 places; a number without a rate gets those columns empty), and
/// first_interval_s last when the artifact holds any FIRST/NEXT billing. A bad
/// row is reported on stderr as stdin:LINE:COLUMN and written with empty rated columns; the
/// exit status is then 1. At the end one line on stderr sums the run up:
/// "tariff-rate: R rows: A rated, U unrated (no rate), B bad".
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The compiled artifact (from tariff-compile).
    #[arg(short = 'a', long = "artifact")]
    artifact: PathBuf,
    /// The tariff to price with.
    #[arg(short = 't', long = "tariff")]
    tariff: String,
    /// The time of calls without a start, "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (UTC);
    /// default: now.
    #[arg(long = "at")]
    at: Option<String>,
    /// Worker threads; default: the number of cores.
    #[arg(long = "threads")]
    threads: Option<usize>,
    /// Exit with status 1 when any row had no rate (after writing every row and the
    /// summary), for pipelines that must stop rather than bill short.
    #[arg(long = "fail-on-unrated")]
    fail_on_unrated: bool,
    #[command(flatten)]
    numbers: cli::NumberOptions,
}

fn main() -> ExitCode {
    const TOOL: &str = "tariff-rate";
    let args = Args::parse();
    let rules = match args.numbers.rules(TOOL) {
        Ok(rules) => rules,
        Err(code) => return code,
    };
    let at = match cli::at_or_now(TOOL, args.at.as_deref()) {
        Ok(at) => at,
        Err(code) => return code,
    };
    let (artifact, tariff) = match cli::open_tariff(TOOL, &args.artifact, &args.tariff) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let mut input = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut header = Vec::new();
    if let Err(error) = input.read_until(b'\n', &mut header) {
        eprintln!("{TOOL}: cannot read stdin: {error}");
        return ExitCode::from(1);
    }
    let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&header);
    let header = header.strip_suffix(b"\n").unwrap_or(header);
    let header = header.strip_suffix(b"\r").unwrap_or(header);
    let columns = match CdrColumns::from_header(header) {
        Ok(columns) => columns,
        Err(message) => {
            eprintln!("stdin:1:1: {message} (a header row naming number and billsec is required)");
            return ExitCode::from(1);
        }
    };
    let mut out_header = header.to_vec();
    out_header.push(b',');
    out_header.extend_from_slice(rated_columns(&artifact).as_bytes());
    out_header.push(b'\n');
    let job = RateJob {
        artifact: &artifact,
        tariff,
        at,
        columns,
        rules: &rules,
        file: "stdin",
        bad_rows: AtomicU64::new(0),
        counts: Default::default(),
    };
    let ran = pipeline::run(
        &job,
        input,
        std::io::stdout(),
        &out_header,
        std::io::stderr(),
        2,
        cli::threads(args.threads),
    );
    let summary = job.summary();
    if summary.bad > 0 {
        eprintln!(
            "{TOOL}: {} rows had a bad field (written with empty rated columns)",
            summary.bad
        );
    }
    // The summary counts what was written: only a whole run has one (and is judged by
    // --fail-on-unrated).
    let whole = ran.is_ok();
    if whole {
        eprintln!("{TOOL}: {summary}");
    }
    let code = cli::finished(TOOL, ran);
    if summary.bad > 0 || (whole && args.fail_on_unrated && summary.unrated > 0) {
        return ExitCode::from(1);
    }
    code
}
