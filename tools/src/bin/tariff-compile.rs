//! `tariff-compile`: tariff CSVs in, one verified artifact out, atomically.
//!
//! Decks are read as vendors write them (`docs/tariff-compile.md`): the header names carriers
//! use, `--column`, `--delimiter`, `--decimal-comma`, `--date-format` and `--encoding`.
//! Exit codes: 0 compiled, 1 invalid input (every error as `file:line:column: message`),
//! 2 usage error. A failed run never touches an existing output file.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use ratel_engine::artifact::write_atomic;
use ratel_engine::compile::{compile_with, TariffSource};
use ratel_engine::input::{Delimiter, TextEncoding};
use ratel_engine::time::DateFormat;
use ratel_tools::cli::{deck_format, parse_inputs, usage_error};

/// Compile tariff CSV files into one memory-mapped artifact with an fst prefix index.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Currency of every tariff (CODE), or of one tariff (NAME=CODE); repeatable. Default USD.
    #[arg(long = "currency", value_name = "CODE|NAME=CODE")]
    currency: Vec<String>,
    /// Where to write the artifact (replaced atomically).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: PathBuf,
    /// The column headed HEADER holds FIELD (prefix, rate, destination, connection_fee,
    /// increment_s, min_time_s, effective_from, first_interval_s); repeatable.
    #[arg(long = "column", value_name = "FIELD=HEADER")]
    columns: Vec<String>,
    /// Do not use the column headed HEADER, even if its name looks like a date or a price;
    /// repeatable.
    #[arg(long = "ignore-column", value_name = "HEADER")]
    ignore_columns: Vec<String>,
    /// Field delimiter: , ; tab | or auto (the one that splits the header line most).
    #[arg(long, value_name = "DELIM", default_value = "auto")]
    delimiter: Delimiter,
    /// Prices are written with a decimal comma (0,05); a '.' in a price is then an error.
    #[arg(long = "decimal-comma")]
    decimal_comma: bool,
    /// How effective dates are written: iso (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS, ISO 8601 with
    /// T and Z) or a pattern such as %d.%m.%Y or %m/%d/%Y.
    #[arg(long = "date-format", value_name = "FORMAT", default_value = "iso")]
    date_format: DateFormat,
    /// Text encoding: utf-8, windows-1252, latin1, utf-16 (byte order by byte-order mark),
    /// utf-16le, utf-16be, or another WHATWG label. A byte-order mark always wins.
    #[arg(long, value_name = "ENCODING", default_value = "utf-8")]
    encoding: TextEncoding,
    /// Tariff files; each tariff is named by its file stem unless given as NAME=FILE.csv.
    #[arg(value_name = "[NAME=]FILE.csv", required = true)]
    inputs: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let sources = match parse_inputs(&args.inputs, &args.currency) {
        Ok(sources) => sources,
        Err(message) => return usage_error("tariff-compile", &message),
    };
    let format = match deck_format(
        &args.columns,
        &args.ignore_columns,
        args.delimiter,
        args.encoding,
        args.decimal_comma,
        args.date_format.clone(),
    ) {
        Ok(format) => format,
        Err(message) => return usage_error("tariff-compile", &message),
    };
    let started = Instant::now();
    let progress = progress_bar(&sources);
    let result = compile_with(&sources, &format, |bytes| {
        if let Some(bar) = &progress {
            bar.set_position(bytes);
        }
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let compiled = match result {
        Ok(compiled) => compiled,
        Err(failure) => {
            for warning in &failure.warnings {
                eprintln!("warning: {warning}");
            }
            eprint!("{}", failure.errors);
            eprintln!(
                "tariff-compile: {} error{} found; {} was not written",
                failure.errors.total(),
                if failure.errors.total() == 1 { "" } else { "s" },
                args.output.display()
            );
            return ExitCode::from(1);
        }
    };
    for warning in &compiled.warnings {
        eprintln!("warning: {warning}");
    }
    let write_started = Instant::now();
    if let Err(error) = write_atomic(&args.output, &compiled.bytes) {
        eprintln!(
            "tariff-compile: cannot write {}: {error}",
            args.output.display()
        );
        return ExitCode::from(1);
    }
    let stats = compiled.stats;
    println!(
        "compiled {} tariff{}: {} rows, {} distinct prefixes, {} rate records -> {} ({} bytes) in {:.2} s \
         (read {:.2} s, sort {:.2} s, index {:.2} s, write {:.2} s)",
        stats.tariffs,
        if stats.tariffs == 1 { "" } else { "s" },
        stats.rows,
        stats.prefixes,
        stats.records,
        args.output.display(),
        stats.bytes,
        started.elapsed().as_secs_f64(),
        compiled.read_time.as_secs_f64(),
        stats.sort_time.as_secs_f64(),
        stats.index_time.as_secs_f64(),
        write_started.elapsed().as_secs_f64(),
    );
    ExitCode::SUCCESS
}

/// A byte-sized progress bar on a terminal, for inputs large enough to wait for.
fn progress_bar(sources: &[TariffSource]) -> Option<indicatif::ProgressBar> {
    const WORTH_SHOWING: u64 = 16 << 20;
    let total: u64 = sources
        .iter()
        .filter_map(|s| std::fs::metadata(&s.path).ok())
        .map(|m| m.len())
        .sum();
    if total < WORTH_SHOWING || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} reading tariffs [{bar:40}] {bytes}/{total_bytes} ({eta})",
        )
        .ok()?
        .progress_chars("=> "),
    );
    Some(bar)
}
