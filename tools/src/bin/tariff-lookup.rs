//! `tariff-lookup`: numbers on stdin, their rates as CSV on stdout, in input order.
//!
//! Exit codes: 0 done, 1 the artifact or tariff cannot be used (one line on stderr), 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ratel_engine::artifact::Artifact;
use ratel_engine::time::Timestamp;
use ratel_tools::cli::usage_error;
use ratel_tools::mass_lookup::LookupJob;

/// Look up the rate of every number read on stdin (one a line) in one tariff of an artifact.
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
}

fn main() -> ExitCode {
    let args = Args::parse();
    let at = match args.at.as_deref().map(Timestamp::parse) {
        None => Timestamp::now(),
        Some(Ok(at)) => at,
        Some(Err(error)) => {
            return usage_error(
                "tariff-lookup",
                &format!("--at {:?} {error}", args.at.unwrap_or_default()),
            )
        }
    };
    let artifact = match Artifact::open(&args.artifact) {
        Ok(artifact) => artifact,
        Err(error) => {
            eprintln!("tariff-lookup: {error}");
            return ExitCode::from(1);
        }
    };
    let Some(tariff) = artifact.tariff_id(&args.tariff) else {
        let names: Vec<&str> = artifact.tariffs().iter().map(|t| t.name.as_str()).collect();
        eprintln!(
            "tariff-lookup: tariff \"{}\" is not in {} (it holds: {})",
            args.tariff,
            args.artifact.display(),
            names.join(", ")
        );
        return ExitCode::from(1);
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let job = LookupJob {
        artifact: &artifact,
        tariff,
        at,
        exact: args.exact,
    };
    match job.run(std::io::stdin().lock(), std::io::stdout(), threads) {
        Ok(_) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) means the reader has what it wants.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tariff-lookup: {error}");
            ExitCode::from(1)
        }
    }
}
