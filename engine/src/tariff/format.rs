//! How a deck is written: the header names carriers use, the operator's `--column` and
//! `--ignore-column`, and the unused header cells that are errors rather than warnings.

use super::COLUMNS;
use crate::input::{
    header_words, normalize_header, ColumnSpec, CsvFormat, Delimiter, HeaderMatch, HeaderNames,
};
use crate::time::DateFormat;

/// The header names each field is recognised by (docs/tariff-compile.md), compared after
/// [`normalize_header`]: case, spaces, dots and underscores do not matter.
const HEADER_NAMES: [&[&str]; 8] = [
    &["prefix", "code", "dial code", "dialcode"],
    &["rate", "price", "rate per minute"],
    &["destination", "code name", "description"],
    &["connection_fee", "connection fee", "setup fee"],
    &["increment_s", "increment", "billing increment"],
    &["min_time_s", "min time", "minimal time", "minimum time"],
    &[
        "effective_from",
        "effective from",
        "effective date",
        "effective",
    ],
    &["first_interval_s", "first interval", "initial increment"],
];

/// Word beginnings that make an unused header cell an error: what the column would hold,
/// and the beginnings that give it away. A header's words are its runs of letters and digits,
/// split at lower-to-upper case changes too (`NewRate` is `new rate`), lowercased; the whole
/// header with spaces, dots, underscores and hyphens removed counts as one more word
/// (`Set-up Fee` gives `setupfee`).
const RISKY_HEADERS: [(&str, &[&str]); 5] = [
    (
        "a date or time",
        &[
            "date",
            "effective",
            "valid",
            "expir",
            "start",
            "time",
            "period",
        ],
    ),
    (
        "a price",
        &[
            "rate",
            "price",
            "cost",
            "fee",
            "charge",
            "surcharge",
            "connect",
            "interconnect",
            "setup",
            "amount",
            "minute",
            "peak",
            "offpeak",
            "weekend",
            "night",
            "evening",
            "tax",
            "flagfall",
            "cent",
        ],
    ),
    (
        "a billing term",
        &[
            "increment",
            "incr",
            "interval",
            "billing",
            "minimum",
            "minimal",
            "initial",
            "pulse",
            "duration",
            "round",
            "grace",
            "second",
            "step",
            "granular",
        ],
    ),
    ("a currency", &["currency", "ccy", "curr"]),
    (
        "a row status (such as a closed code)",
        &[
            "status",
            "change",
            "action",
            "delete",
            "closed",
            "block",
            "activ",
            "enable",
            "remov",
            "discontinu",
        ],
    ),
];

/// Short words that make an unused header cell an error only as a whole word, so that
/// "Admin" or "Private" stay harmless; and a `60/60`-style pair of numbers.
const RISKY_WORDS: [(&str, &[&str]); 3] = [
    ("a billing term", &["min", "max", "inc", "sec", "secs"]),
    (
        "a price",
        &[
            "vat", "per", "ppm", "cpm", "cur", "usd", "eur", "gbp", "chf", "jpy", "aud", "cad",
            "nzd", "cny", "hkd", "sgd", "inr", "rub", "sek", "nok", "dkk", "pln", "czk", "huf",
            "try", "zar", "brl", "mxn", "ils", "aed", "sar", "krw", "thb", "myr", "idr", "php",
            "ngn", "kes", "egp", "pkr", "uah",
        ],
    ),
    ("a date or time", &["from", "until"]),
];

/// Unused headers that carriers' decks carry and that are harmless although a risky word
/// begins one of their words (normalized as by [`normalize_header`]).
const HARMLESS_HEADERS: [&str; 5] = [
    "ratecenter",
    "ratecentre",
    "timezone",
    "billingname",
    "lastupdated",
];

/// What an unused header cell named `header` (normalized: `name`) would hold, when ignoring
/// it could bill calls wrong.
fn risky_header(header: &str, name: &str) -> Option<&'static str> {
    let squeezed: String = name.chars().filter(|&c| c != '-').collect();
    if HARMLESS_HEADERS.contains(&squeezed.as_str()) {
        return None;
    }
    let words = header_words(header);
    if words.len() == 2
        && header.contains('/')
        && words.iter().all(|w| w.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some("a billing term");
    }
    let begins =
        |part: &str| words.iter().any(|w| w.starts_with(part)) || squeezed.starts_with(part);
    RISKY_HEADERS
        .iter()
        .find(|(_, parts)| parts.iter().any(|part| begins(part)))
        .or_else(|| {
            RISKY_WORDS
                .iter()
                .find(|(_, short)| short.iter().any(|w| words.iter().any(|x| x == w)))
        })
        .map(|(what, _)| *what)
}

/// How a deck is written: everything `tariff-compile`'s options describe. The default reads
/// §2.1 decks and the common vendor variants: UTF-8 (or UTF-16 by byte-order mark), the
/// delimiter chosen from the header line, `.` decimals and ISO dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckFormat {
    pub csv: CsvFormat,
    /// Decimals are written `0,05`; a `.` in a price is then an error.
    pub decimal_comma: bool,
    pub dates: DateFormat,
    /// Fields named by the operator (`--column FIELD=HEADER`): spec and header as given.
    pub(super) columns: Vec<(usize, String)>,
    /// Headers not to use, knowingly (`--ignore-column HEADER`), as given.
    pub(super) ignored: Vec<String>,
}

impl Default for DeckFormat {
    fn default() -> DeckFormat {
        DeckFormat {
            csv: CsvFormat {
                delimiter: Delimiter::Auto,
                ..CsvFormat::default()
            },
            decimal_comma: false,
            dates: DateFormat::Iso,
            columns: Vec::new(),
            ignored: Vec::new(),
        }
    }
}

impl DeckFormat {
    /// Takes `FIELD=HEADER` (`--column`): the column headed `HEADER` (compared like the
    /// recognised names) holds `FIELD`, one of the §2.1 column names.
    pub fn name_column(&mut self, option: &str) -> Result<(), String> {
        let Some((field, header)) = option.split_once('=') else {
            return Err(format!(
                "--column {option}: expected FIELD=HEADER, like rate=\"Price EUR\""
            ));
        };
        let (field, header) = (field.trim(), header.trim());
        let Some(spec) = COLUMNS
            .iter()
            .position(|c| normalize_header(c.name) == normalize_header(field))
        else {
            let fields: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
            return Err(format!(
                "--column {option}: unknown field \"{field}\"; fields are {}",
                fields.join(", ")
            ));
        };
        if normalize_header(header).is_empty() {
            return Err(format!("--column {option}: the header name is empty"));
        }
        if self.columns.iter().any(|(s, _)| *s == spec) {
            return Err(format!("--column names field {} twice", COLUMNS[spec].name));
        }
        if let Some((other, _)) = self.columns.iter().find(|(_, h)| same_header(h, header)) {
            return Err(format!(
                "--column gives header \"{header}\" to both {} and {}",
                COLUMNS[*other].name, COLUMNS[spec].name
            ));
        }
        if self.ignored.iter().any(|h| same_header(h, header)) {
            return Err(format!(
                "header \"{header}\" is given to both --column and --ignore-column"
            ));
        }
        self.columns.push((spec, header.to_owned()));
        Ok(())
    }

    /// Takes `HEADER` (`--ignore-column`): the column is not used, without an error even
    /// when its name looks like a date or a price.
    pub fn ignore_column(&mut self, header: &str) -> Result<(), String> {
        let header = header.trim();
        if normalize_header(header).is_empty() {
            return Err("--ignore-column: the header name is empty".into());
        }
        if self.columns.iter().any(|(_, h)| same_header(h, header)) {
            return Err(format!(
                "header \"{header}\" is given to both --column and --ignore-column"
            ));
        }
        if !self.ignored.iter().any(|h| same_header(h, header)) {
            self.ignored.push(header.to_owned());
        }
        Ok(())
    }

    /// The header named for spec `spec` by `--column`, if any.
    fn named(&self, spec: usize) -> Option<&str> {
        self.columns
            .iter()
            .find(|(s, _)| *s == spec)
            .map(|(_, h)| h.as_str())
    }
}

fn same_header(a: &str, b: &str) -> bool {
    normalize_header(a) == normalize_header(b)
}

impl HeaderNames for DeckFormat {
    fn classify(&self, header: &str) -> HeaderMatch {
        let name = normalize_header(header);
        if let Some((spec, _)) = self
            .columns
            .iter()
            .find(|(_, h)| normalize_header(h) == name)
        {
            return HeaderMatch::Column(*spec);
        }
        if self.ignored.iter().any(|h| normalize_header(h) == name) {
            return HeaderMatch::Ignored("--ignore-column".into());
        }
        let recognised = HEADER_NAMES
            .iter()
            .position(|names| names.iter().any(|n| normalize_header(n) == name));
        if let Some(spec) = recognised {
            return match self.named(spec) {
                Some(named) => HeaderMatch::Ignored(format!(
                    "--column {}=\"{named}\" names the {} column",
                    COLUMNS[spec].name, COLUMNS[spec].name
                )),
                None => HeaderMatch::Column(spec),
            };
        }
        let risky = risky_header(header, &name);
        match risky {
            Some(what) => HeaderMatch::Refused(format!(
                "column \"{header}\" is not used, but its name suggests {what}, and ignoring \
                 it could bill calls wrong: name its field with --column FIELD=\"{header}\", \
                 or drop it knowingly with --ignore-column \"{header}\""
            )),
            None => HeaderMatch::Unknown,
        }
    }

    fn missing(&self, spec: usize, specs: &[ColumnSpec]) -> Option<String> {
        let name = specs[spec].name;
        if let Some(named) = self.named(spec) {
            return Some(format!(
                "--column {name}=\"{named}\": the header has no column \"{named}\""
            ));
        }
        specs[spec].required.then(|| {
            format!(
                "missing required column \"{name}\" in the header (recognised names: {}; \
                 name another with --column {name}=HEADER)",
                HEADER_NAMES[spec].join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::CONNECTION_FEE;
    use super::*;

    #[test]
    fn column_options_that_contradict_are_refused() {
        let mut format = DeckFormat::default();
        assert!(format
            .name_column("rate")
            .unwrap_err()
            .contains("FIELD=HEADER"));
        assert!(format
            .name_column("cost=X")
            .unwrap_err()
            .contains("unknown field \"cost\""));
        format.name_column("rate=X").unwrap();
        assert!(format.name_column("rate=Y").unwrap_err().contains("twice"));
        assert!(format
            .name_column("prefix=x")
            .unwrap_err()
            .contains("both rate and prefix"));
        assert!(format.ignore_column("X").unwrap_err().contains("both"));
        format.name_column("Connection Fee=Setup").unwrap();
        assert_eq!(format.named(CONNECTION_FEE), Some("Setup"));
    }
}
