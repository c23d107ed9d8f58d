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
use ratel_engine::input::Delimiter;
use ratel_engine::time::{DateFormat, Zone};
use ratel_tools::cdr_columns::{CdrFormat, CdrLayout};
use ratel_tools::cli;
use ratel_tools::csv_line::CsvLine;
use ratel_tools::pipeline;
use ratel_tools::tariff_rate::{rated_columns, RateJob};

/// Price every call of a CDR file with one tariff, nothing charged: reads CDRs on stdin, writes
/// the same rows to stdout followed by
/// prefix,destination,rate,connection_fee,increment_s,min_time_s,rated_s,cost (cost in the
/// tariff's currency, 6 places; a number without a rate, a call not answered or a bad row get
/// those columns empty), and first_interval_s last when the artifact holds any FIRST/NEXT
/// billing. The input is a header CSV (--cdr-format csv: a header row naming number and
/// billsec, and optionally start, disposition and answer; other columns pass through, and the
/// header is written out with the added names), an Asterisk Master.csv or a FreeSWITCH
/// mod_cdr_csv file (no header in, none out). A bad row is reported on stderr as
/// stdin:LINE:COLUMN; the exit status is then 1. At the end one line on stderr sums the run
/// up: "tariff-rate: R rows: A rated, U unrated (no rate), N not answered, B bad".
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The compiled artifact (from tariff-compile).
    #[arg(short = 'a', long = "artifact")]
    artifact: PathBuf,
    /// The tariff to price with.
    #[arg(short = 't', long = "tariff")]
    tariff: String,
    /// How the CDRs are laid out: csv (a header row), asterisk (cdr_csv Master.csv: dst,
    /// start, billsec, disposition) or freeswitch (mod_cdr_csv: destination_number,
    /// start_stamp, answer_stamp, billsec).
    #[arg(long = "cdr-format", value_enum, default_value = "csv")]
    cdr_format: CdrFormat,
    /// The column headed HEADER holds FIELD (number, billsec, start, disposition, answer);
    /// with asterisk or freeswitch, HEADER is one of the format's column names (such as
    /// start=answer); repeatable.
    #[arg(long = "column", value_name = "FIELD=HEADER")]
    columns: Vec<String>,
    /// Do not use the column headed HEADER, even if its name looks like a time (csv only);
    /// repeatable.
    #[arg(long = "ignore-column", value_name = "HEADER")]
    ignore_columns: Vec<String>,
    /// Field delimiter: , ; tab | or auto (the one that splits the first line most). The
    /// added columns use it too.
    #[arg(long, value_name = "DELIM", default_value = "auto")]
    delimiter: Delimiter,
    /// How start times are written: iso (YYYY-MM-DD HH:MM:SS, YYYY-MM-DD, ISO 8601 with T
    /// and Z or an offset) or a pattern such as %d.%m.%Y %H:%M:%S or %m/%d/%Y %H:%M.
    #[arg(long = "date-format", value_name = "FORMAT", default_value = "iso")]
    date_format: DateFormat,
    /// The zone of start times written without one: an IANA name such as Europe/Vilnius
    /// (the switch's local time, as Asterisk writes it), or UTC.
    #[arg(long = "timezone", value_name = "ZONE", default_value = "UTC")]
    timezone: String,
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
    let layout = match CdrLayout::new(args.cdr_format, &args.columns, &args.ignore_columns) {
        Ok(layout) => layout,
        Err(message) => return cli::usage_error(TOOL, &message),
    };
    let zone = match Zone::named(&args.timezone) {
        Ok(zone) => zone,
        Err(message) => return cli::usage_error(TOOL, &format!("--timezone: {message}")),
    };
    let at = match cli::at_or_now(TOOL, args.at.as_deref()) {
        Ok(at) => at,
        Err(code) => return code,
    };
    let (artifact, tariff) = match cli::open_tariff(TOOL, &args.artifact, &args.tariff) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let mut input = BufReader::with_capacity(1 << 16, std::io::stdin());
    // The first line: the header of a header CSV, else the first CDR (which chooses the
    // delimiter, and is priced with the rest).
    let first = match input.fill_buf() {
        Ok(buffer) => {
            let line = buffer.split(|&b| b == b'\n').next().unwrap_or_default();
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line).to_vec()
        }
        Err(error) => {
            eprintln!("{TOOL}: cannot read stdin: {error}");
            return ExitCode::from(1);
        }
    };
    let delimiter = args.delimiter.resolve(&first);
    let mut out_header = Vec::new();
    let columns = match layout.fixed() {
        Some(columns) => columns,
        None => {
            let mut header = Vec::new();
            if let Err(error) = input.read_until(b'\n', &mut header) {
                eprintln!("{TOOL}: cannot read stdin: {error}");
                return ExitCode::from(1);
            }
            let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&header);
            let header = header.strip_suffix(b"\n").unwrap_or(header);
            let header = header.strip_suffix(b"\r").unwrap_or(header);
            let mut cells = CsvLine::new(delimiter);
            cells.split(header, usize::MAX);
            match layout.from_header(cells.fields()) {
                Ok(columns) => {
                    out_header.extend_from_slice(header);
                    out_header.push(delimiter);
                    out_header.extend_from_slice(rated_columns(&artifact, delimiter).as_bytes());
                    out_header.push(b'\n');
                    columns
                }
                Err((column, message)) => {
                    let hint = if delimiter == b',' && header.contains(&b';') {
                        " (the header has semicolons: is the file split at ';'? try --delimiter ';')"
                    } else {
                        ""
                    };
                    eprintln!("stdin:1:{column}: {message}{hint}");
                    return ExitCode::from(1);
                }
            }
        }
    };
    let job = RateJob {
        artifact: &artifact,
        tariff,
        at,
        columns,
        delimiter,
        dates: &args.date_format,
        zone: &zone,
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
        if layout.format().has_header() { 2 } else { 1 },
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
