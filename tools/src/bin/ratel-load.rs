//! `ratel-load`: the load harness's helpers (see `benches/load/run.sh`).
//!
//! - `requests`: writes one file of request paths per endpoint, with valid hashes, from the
//!   data the server loads; `benches/load/paths.lua` cycles through them in wrk.
//! - `check`: sends a sample of each file to a running server and fails unless every one is
//!   answered 200 with the endpoint's success page (so the load figures are for real answers);
//!   `authorize` (the JSON API) goes with `--token`.
//! - `abuse`: slowloris connections plus a stream of malformed requests, for a bounded time.
//!
//! Exit codes: 0 done, 1 failure (a message on stderr), 2 usage.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use ratel_engine::accounts::{self, AccountFiles};
use ratel_tools::cli::parse_inputs;
use ratel_tools::ratel_load::{self, Answer, RequestData, Target};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Load-test helpers: request lists, answer checks, abuse"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write OUT/ENDPOINT.txt (one request path a line) for every endpoint, and OUT/mixed.txt
    /// interleaving them all.
    Requests {
        /// Folder with users.csv, cards.csv, card_groups.csv, currencies.csv and numbers.txt
        /// (as written by ratel-gen).
        #[arg(long)]
        data: PathBuf,
        /// A tariff deck CSV, `[NAME=]FILE.csv` as for tariff-compile (repeatable): exact
        /// `rate_get` requests name prefixes of the user's own tariff.
        #[arg(long, required = true)]
        deck: Vec<String>,
        /// The server's `api.secret_key`.
        #[arg(long)]
        secret: String,
        /// The server's `web_dir`.
        #[arg(long, default_value = "/billing")]
        web_dir: String,
        /// The server's `default_currency`.
        #[arg(long, default_value = "USD")]
        default_currency: String,
        /// Requests per endpoint.
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// Send the first SAMPLE requests of each file to the server; fail unless all succeed.
    Check {
        /// The server's API address, such as 127.0.0.1:8080.
        #[arg(long)]
        addr: SocketAddr,
        /// The folder `requests` wrote.
        #[arg(long)]
        requests: PathBuf,
        #[arg(long, default_value_t = 200)]
        sample: usize,
        /// The server's `api.native_token`, sent with the JSON API's requests (`authorize`,
        /// skipped without it).
        #[arg(long)]
        token: Option<String>,
    },
    /// For SECONDS: every EVERY_MS rename the next deck over ARTIFACT and send SIGHUP to
    /// PID, while asking PROBE every PROBE_MS; fails unless every swap worked and the probe
    /// saw at least two different rates.
    Reloads {
        #[arg(long)]
        artifact: PathBuf,
        /// The compiled decks to alternate (at least two).
        #[arg(long, required = true, num_args = 2..)]
        decks: Vec<PathBuf>,
        #[arg(long)]
        pid: i32,
        #[arg(long)]
        addr: SocketAddr,
        /// A `rate_get` request path whose rate differs between the decks.
        #[arg(long)]
        probe: String,
        #[arg(long, default_value_t = 100)]
        every_ms: u64,
        #[arg(long, default_value_t = 50)]
        probe_ms: u64,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
    /// Hold SLOWLORIS half-sent requests open and send malformed requests for SECONDS.
    Abuse {
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long, default_value_t = 500)]
        slowloris: usize,
        #[arg(long, default_value_t = 200)]
        malformed_per_second: u32,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

fn main() -> ExitCode {
    let result = match Args::parse().command {
        Command::Requests {
            data,
            deck,
            secret,
            web_dir,
            default_currency,
            count,
            out,
        } => write_requests(
            &data,
            &deck,
            &secret,
            &web_dir,
            &default_currency,
            count,
            &out,
        ),
        Command::Check {
            addr,
            requests,
            sample,
            token,
        } => check(addr, &requests, sample, token.as_deref()),
        Command::Reloads {
            artifact,
            decks,
            pid,
            addr,
            probe,
            every_ms,
            probe_ms,
            seconds,
        } => {
            let report = ratel_load::ReloadLoop {
                artifact: &artifact,
                decks: &decks,
                pid,
                addr,
                probe: &probe,
                every: Duration::from_millis(every_ms),
                probe_every: Duration::from_millis(probe_ms),
                duration: Duration::from_secs(seconds.min(3600)),
            }
            .run();
            println!("{report}");
            if report.swap_failures > 0 || report.distinct().len() < 2 {
                Err("the reloads did not all work, or the answers never changed".into())
            } else {
                Ok(())
            }
        }
        Command::Abuse {
            addr,
            slowloris,
            malformed_per_second,
            seconds,
        } => {
            let seconds = seconds.min(3600);
            let report = ratel_load::abuse(
                addr,
                slowloris,
                malformed_per_second,
                Duration::from_secs(seconds),
            );
            println!("{report}");
            if report.malformed_other + report.malformed_unanswered > 0 {
                Err("some malformed requests were not refused with a 4xx or 5xx".into())
            } else {
                Ok(())
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ratel-load: {message}");
            ExitCode::from(1)
        }
    }
}

fn write_requests(
    data: &Path,
    decks: &[String],
    secret: &str,
    web_dir: &str,
    default_currency: &str,
    count: usize,
    out: &Path,
) -> Result<(), String> {
    let files = AccountFiles::in_folder(data);
    let (accounts, _) = accounts::load(&files, default_currency, &|_| true)
        .map_err(|failure| format!("invalid account files:\n{}", failure.errors))?;
    let numbers = ratel_load::read_lines(&data.join("numbers.txt")).map_err(|e| e.to_string())?;
    let mut prefixes = BTreeMap::new();
    for source in parse_inputs(decks, &[])? {
        let shown = source.path.display().to_string();
        let file = File::open(&source.path).map_err(|e| format!("{shown}: {e}"))?;
        let deck = ratel_load::current_prefixes(file, &shown)?;
        prefixes.insert(source.name, deck);
    }
    let request_data = RequestData {
        accounts: &accounts,
        numbers: &numbers,
        prefixes: &prefixes,
        secret,
        web_dir: web_dir.trim_end_matches('/'),
    };
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut all = Vec::new();
    for target in Target::ALL {
        let paths = ratel_load::requests(target, &request_data, count);
        if paths.is_empty() {
            return Err(format!("the data has nothing to ask {}", target.name()));
        }
        write_lines(&out.join(format!("{}.txt", target.name())), &paths)?;
        all.push(paths);
    }
    // Mixed traffic: the endpoints in turn, each list in its own order.
    let mixed: Vec<String> = (0..count)
        .flat_map(|i| all.iter().map(move |paths| paths[i % paths.len()].clone()))
        .collect();
    write_lines(&out.join("mixed.txt"), &mixed)
}

fn write_lines(path: &Path, lines: &[String]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut writer = BufWriter::new(File::create(path).map_err(fail)?);
    for line in lines {
        writeln!(writer, "{line}").map_err(fail)?;
    }
    writer.flush().map_err(fail)
}

fn check(
    addr: SocketAddr,
    folder: &Path,
    sample: usize,
    token: Option<&str>,
) -> Result<(), String> {
    let mut failures = 0;
    for target in Target::ALL {
        if target == Target::Authorize && token.is_none() {
            println!("check {:<24} skipped: no --token", target.name());
            continue;
        }
        let file = folder.join(format!("{}.txt", target.name()));
        let paths = ratel_load::read_lines(&file).map_err(|e| e.to_string())?;
        let (mut found, mut unmatched) = (0, 0);
        for path in paths.iter().take(sample) {
            let token = token.filter(|_| target == Target::Authorize);
            match ratel_load::get_with_token(addr, path, token, Duration::from_secs(5)) {
                Ok((200, body)) => match target.classify(&body) {
                    Answer::Success => found += 1,
                    Answer::NoMatch => unmatched += 1,
                    Answer::Error => {
                        failures += 1;
                        eprintln!("FAIL {path}: {body:.200}");
                    }
                },
                Ok((status, body)) => {
                    failures += 1;
                    eprintln!("FAIL {path}: {status} {body:.200}");
                }
                Err(error) => {
                    failures += 1;
                    eprintln!("FAIL {path}: {error}");
                }
            }
        }
        let taken = paths.len().min(sample);
        println!(
            "check {:<24} {found} of {taken} sampled requests answered{}",
            target.name(),
            if unmatched > 0 {
                format!(", {unmatched} numbers without a prefix")
            } else {
                String::new()
            }
        );
        if unmatched * 2 > taken {
            failures += 1;
            eprintln!("FAIL {}: most numbers matched no prefix", target.name());
        }
    }
    if failures == 0 {
        Ok(())
    } else {
        Err(format!(
            "{failures} sampled requests were not answered with a success page"
        ))
    }
}
