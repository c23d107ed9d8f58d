//! Argument checks shared by the tools, beyond what `clap` parses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ratel_engine::artifact::Artifact;
use ratel_engine::compile::TariffSource;
use ratel_engine::input::{Delimiter, TextEncoding};
use ratel_engine::lookup::NumberRules;
use ratel_engine::tariff::MAX_PREFIX_DIGITS;
use ratel_engine::tariff::{is_valid_tariff_name, DeckFormat};
use ratel_engine::time::{DateFormat, Timestamp};

/// The dialled-number options of `tariff-lookup`, `tariff-rate` and `tariff-lcr`: the
/// server's `[numbers]` rules (docs/config.md), the same names with dashes. None given: every
/// non-digit dropped, nothing else.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NumberOptions {
    /// A prefix dialled before a country code, stripped from a number that starts with it
    /// (a leading "+" is one already); repeat for several, like --international-prefix 00
    /// --international-prefix 011.
    #[arg(long = "international-prefix", value_name = "DIGITS")]
    pub international_prefixes: Vec<String>,
    /// The national trunk prefix, replaced by --country-code (give both), like 0.
    #[arg(long = "national-prefix", value_name = "DIGITS")]
    pub national_prefix: Option<String>,
    /// The country code of national numbers, like 370.
    #[arg(long = "country-code", value_name = "DIGITS")]
    pub country_code: Option<String>,
    /// Numbers of fewer digits (internal extensions) are not rated.
    #[arg(long = "min-digits", value_name = "N", default_value_t = 0)]
    pub min_digits: usize,
}

impl NumberOptions {
    /// The rules, or the usage error (exit 2) to return: every prefix and code 1 to 20
    /// digits, `--min-digits` at most 20.
    pub fn rules(&self, tool: &str) -> Result<NumberRules, ExitCode> {
        let code = |option: &str, text: &str| {
            let ok = (1..=MAX_PREFIX_DIGITS).contains(&text.len())
                && text.bytes().all(|b| b.is_ascii_digit());
            match ok {
                true => Ok(text.to_owned()),
                false => Err(usage_error(
                    tool,
                    &format!("{option} {text:?} must be 1 to 20 digits"),
                )),
            }
        };
        let international_prefixes = self
            .international_prefixes
            .iter()
            .map(|p| code("--international-prefix", p))
            .collect::<Result<Vec<_>, _>>()?;
        let national_prefix = self
            .national_prefix
            .as_deref()
            .map(|p| code("--national-prefix", p))
            .transpose()?;
        let country_code = self
            .country_code
            .as_deref()
            .map(|c| code("--country-code", c))
            .transpose()?;
        if self.min_digits > MAX_PREFIX_DIGITS {
            return Err(usage_error(tool, "--min-digits must be 0 to 20"));
        }
        Ok(NumberRules {
            international_prefixes,
            national_prefix,
            country_code,
            min_digits: self.min_digits,
        })
    }
}

/// Currency of a tariff when none is given.
pub const DEFAULT_CURRENCY: &str = "USD";

/// The `--at` time of a mass tool (default now), or the usage error (exit 2) to return.
pub fn at_or_now(tool: &str, at: Option<&str>) -> Result<Timestamp, ExitCode> {
    time_or_now(tool, "--at", at)
}

/// The time given as `option` (default now), or the usage error (exit 2) to return.
pub fn time_or_now(tool: &str, option: &str, time: Option<&str>) -> Result<Timestamp, ExitCode> {
    match time.map(Timestamp::parse) {
        None => Ok(Timestamp::now()),
        Some(Ok(time)) => Ok(time),
        Some(Err(error)) => Err(usage_error(
            tool,
            &format!("{option} {:?} {error}", time.unwrap_or_default()),
        )),
    }
}

/// Maps `artifact` and finds `tariff` in it; on failure, one line on stderr and exit 1.
pub fn open_tariff(
    tool: &str,
    artifact: &Path,
    tariff: &str,
) -> Result<(Artifact, usize), ExitCode> {
    let opened = open_artifact(tool, artifact)?;
    let id = find_tariff(tool, &opened, tariff)?;
    Ok((opened, id))
}

/// Maps `artifact`; on failure, one line on stderr and exit 1.
pub fn open_artifact(tool: &str, artifact: &Path) -> Result<Artifact, ExitCode> {
    Artifact::open(artifact).map_err(|error| {
        eprintln!("{tool}: {error}");
        ExitCode::from(1)
    })
}

/// The id of `tariff` in `artifact`; when it is not there, one line on stderr naming the
/// tariffs it holds, and exit 1.
pub fn find_tariff(tool: &str, artifact: &Artifact, tariff: &str) -> Result<usize, ExitCode> {
    artifact.tariff_id(tariff).ok_or_else(|| {
        let names: Vec<&str> = artifact.tariffs().iter().map(|t| t.name.as_str()).collect();
        eprintln!(
            "{tool}: tariff \"{tariff}\" is not in {} (it holds: {})",
            artifact.path().display(),
            names.join(", ")
        );
        ExitCode::from(1)
    })
}

/// `--threads`, or one a core.
pub fn threads(requested: Option<usize>) -> usize {
    requested.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// The exit code of a mass tool's run: a closed pipe (`| head`) means the reader has what it
/// wants; any other error is one line on stderr and exit 1.
pub fn finished<T>(tool: &str, result: std::io::Result<T>) -> ExitCode {
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{tool}: {error}");
            ExitCode::from(1)
        }
    }
}

/// Prints a usage error the way `clap` does and returns exit code 2.
pub fn usage_error(tool: &str, message: &str) -> ExitCode {
    eprintln!("{tool}: error: {message}\n\nFor more information, try '--help'.");
    ExitCode::from(2)
}

fn is_valid_currency(code: &str) -> bool {
    (1..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Turns `[NAME=]FILE.csv` inputs and `--currency CODE|NAME=CODE` options into tariff
/// sources. Errors are usage errors: a bad or repeated tariff name, a currency for a tariff
/// that is not an input, a malformed currency code.
pub fn parse_inputs(inputs: &[String], currencies: &[String]) -> Result<Vec<TariffSource>, String> {
    let mut sources: Vec<TariffSource> = Vec::with_capacity(inputs.len());
    for input in inputs {
        // NAME=FILE only when NAME is a valid tariff name, so "data/a=b.csv" stays a path.
        let (name, path) = match input.split_once('=') {
            Some((name, path)) if is_valid_tariff_name(name) && !path.is_empty() => {
                (name.to_owned(), PathBuf::from(path))
            }
            _ => {
                let path = PathBuf::from(input);
                let stem = Path::new(input)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if !is_valid_tariff_name(&stem) {
                    return Err(format!(
                        "tariff name \"{stem}\" (from {input}) must be 1-64 of A-Za-z0-9_-; name it with NAME={input}"
                    ));
                }
                (stem, path)
            }
        };
        if let Some(other) = sources.iter().find(|s| s.name == name) {
            return Err(format!(
                "two inputs are named tariff \"{name}\": {} and {}",
                other.path.display(),
                path.display()
            ));
        }
        sources.push(TariffSource {
            name,
            currency: String::new(),
            path,
        });
    }

    let mut default_currency: Option<&str> = None;
    let mut per_tariff: HashMap<&str, &str> = HashMap::new();
    for option in currencies {
        let (tariff, code) = match option.split_once('=') {
            Some((tariff, code)) => (Some(tariff), code),
            None => (None, option.as_str()),
        };
        if !is_valid_currency(code) {
            return Err(format!(
                "currency \"{code}\" in --currency {option} must be 1-16 letters or digits, like USD"
            ));
        }
        match tariff {
            None if default_currency.is_some() => {
                return Err("--currency CODE is given twice; use NAME=CODE for one tariff".into())
            }
            None => default_currency = Some(code),
            Some(tariff) => {
                if !sources.iter().any(|s| s.name == tariff) {
                    return Err(format!(
                        "--currency {option} names tariff \"{tariff}\", which is not among the inputs"
                    ));
                }
                if per_tariff.insert(tariff, code).is_some() {
                    return Err(format!("--currency is given twice for tariff \"{tariff}\""));
                }
            }
        }
    }
    for source in &mut sources {
        source.currency = per_tariff
            .get(source.name.as_str())
            .copied()
            .or(default_currency)
            .unwrap_or(DEFAULT_CURRENCY)
            .to_owned();
    }
    Ok(sources)
}

/// The deck format `tariff-compile`'s options describe. Errors are usage errors: a
/// malformed `--column`, a field or header named twice, a header both used and ignored.
pub fn deck_format(
    columns: &[String],
    ignored: &[String],
    delimiter: Delimiter,
    encoding: TextEncoding,
    decimal_comma: bool,
    dates: DateFormat,
) -> Result<DeckFormat, String> {
    let mut format = DeckFormat::default();
    format.decimal_comma = decimal_comma;
    format.dates = dates;
    format.csv.delimiter = delimiter;
    format.csv.encoding = encoding;
    for column in columns {
        format.name_column(column)?;
    }
    for header in ignored {
        format.ignore_column(header)?;
    }
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn names_come_from_stems_or_name_equals() {
        let sources = parse_inputs(
            &strings(&["data/retail.csv", "vip=data/x.csv", "odd=dir/a=b.csv"]),
            &strings(&["EUR", "vip=GBP"]),
        )
        .unwrap();
        let got: Vec<_> = sources
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.path.to_str().unwrap(),
                    s.currency.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("retail", "data/retail.csv", "EUR"),
                ("vip", "data/x.csv", "GBP"),
                ("odd", "dir/a=b.csv", "EUR"),
            ]
        );
        // A path with '=' whose stem is no valid name must be named explicitly.
        assert!(parse_inputs(&strings(&["dir/a=b.csv"]), &[])
            .unwrap_err()
            .contains("name it with NAME=dir/a=b.csv"));
    }

    #[test]
    fn usage_errors_are_reported() {
        assert!(parse_inputs(&strings(&["a/x.csv", "b/x.csv"]), &[])
            .unwrap_err()
            .contains("two inputs are named tariff \"x\""));
        assert!(parse_inputs(&strings(&["my deck.csv"]), &[])
            .unwrap_err()
            .contains("must be 1-64"));
        assert!(parse_inputs(&strings(&["x.csv"]), &strings(&["y=EUR"]))
            .unwrap_err()
            .contains("not among the inputs"));
        assert!(
            parse_inputs(&strings(&["x.csv"]), &strings(&["EUR", "USD"]))
                .unwrap_err()
                .contains("given twice")
        );
        assert!(parse_inputs(&strings(&["x.csv"]), &strings(&["E U"]))
            .unwrap_err()
            .contains("letters or digits"));
        assert_eq!(
            parse_inputs(&strings(&["x.csv"]), &[]).unwrap()[0].currency,
            "USD"
        );
    }
}
