//! `tariff-lookup`: numbers on stdin, their rates as CSV on stdout, in input order.
//!
//! Exit codes: 0 done, 1 the artifact or tariff cannot be used (one line on stderr) or a
//! number without a rate under `--fail-on-unrated`, 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ratel_tools::cli;
use ratel_tools::tariff_lookup::LookupJob;

/// Look up the rate of every number in one tariff of an artifact: reads numbers on stdin, one a
/// line; writes CSV to stdout in input order,
/// number,prefix,destination,rate,connection_fee,increment_s,min_time_s (rates as MOR prints
/// them; a number without a rate gets the other fields empty), and first_interval_s last
/// when the artifact holds any FIRST/NEXT billing. At the end one line on stderr sums the
/// run up: "tariff-lookup: N lines: M matched, U unmatched".
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The compiled artifact (from tariff-compile).
    #[arg(short = 'a', long = "artifact")]
    artifact: PathBuf,
    /// The tariff to price against.
    #[arg(short = 't', long = "tariff")]
    tariff: String,
    /// Effective time, "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (UTC); default: now.
    #[arg(long = "at")]
    at: Option<String>,
    /// Match each line as an exact prefix instead of the longest prefix of its digits.
    #[arg(long = "exact")]
    exact: bool,
    /// Worker threads; default: the number of cores.
    #[arg(long = "threads")]
    threads: Option<usize>,
    /// Exit with status 1 when any line had no rate (after writing every row and the
    /// summary), for pipelines that must stop.
    #[arg(long = "fail-on-unrated")]
    fail_on_unrated: bool,
    #[command(flatten)]
    numbers: cli::NumberOptions,
}

fn main() -> ExitCode {
    const TOOL: &str = "tariff-lookup";
    let args = Args::parse();
    let at = match cli::at_or_now(TOOL, args.at.as_deref()) {
        Ok(at) => at,
        Err(code) => return code,
    };
    let rules = match args.numbers.rules(TOOL) {
        Ok(rules) => rules,
        Err(code) => return code,
    };
    let (artifact, tariff) = match cli::open_tariff(TOOL, &args.artifact, &args.tariff) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let job = LookupJob {
        artifact: &artifact,
        tariff,
        at,
        exact: args.exact,
        rules: &rules,
    };
    let ran = job.run(
        std::io::stdin(),
        std::io::stdout(),
        cli::threads(args.threads),
    );
    // The summary counts what was written: only a whole run has one.
    let unmatched = match &ran {
        Ok(summary) => {
            eprintln!("{TOOL}: {summary}");
            summary.unmatched
        }
        Err(_) => 0,
    };
    let code = cli::finished(TOOL, ran);
    if args.fail_on_unrated && unmatched > 0 {
        return ExitCode::from(1);
    }
    code
}
