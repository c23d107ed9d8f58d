//! Where a CDR file keeps what `tariff-rate` reads: the dialled number, the billed seconds,
//! the call's start and whether it was answered. A header CSV names its columns (by the names
//! switches and exports use, or `--column FIELD=HEADER`); Asterisk's `Master.csv` and
//! FreeSWITCH's `mod_cdr_csv` files have no header and fixed columns, named here as the
//! switches' documentation names them (docs/tariff-rate.md).

use ratel_engine::input::{header_words, normalize_header};

/// How a CDR file is laid out (`--cdr-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CdrFormat {
    /// A header row naming the columns; other columns pass through.
    Csv,
    /// Asterisk `cdr_csv` (`Master.csv`): no header, every field quoted, local times.
    Asterisk,
    /// FreeSWITCH `mod_cdr_csv`, default template: no header, every field quoted.
    Freeswitch,
}

/// What `tariff-rate` reads from a CDR, by the names `--column FIELD=HEADER` takes; the
/// fields are numbered in this order everywhere below.
pub const FIELD_NAMES: [&str; 5] = ["number", "billsec", "start", "disposition", "answer"];

/// The header names a header CSV's columns are recognised by, a field's list in
/// [`FIELD_NAMES`] order, compared after [`normalize_header`] (case, spaces, dots and
/// underscores do not matter): Ratel's own names, Asterisk's and FreeSWITCH's, and the names
/// of the Asterisk database table (`calldate`).
const HEADER_NAMES: [&[&str]; 5] = [
    &[
        "number",
        "dst",
        "destination_number",
        "called number",
        "dialed number",
        "dialled number",
    ],
    &["billsec", "billable seconds"],
    &["start", "start_stamp", "calldate", "start time"],
    &["disposition"],
    &["answer", "answer_stamp", "answer time"],
];

/// Asterisk `cdr_csv` columns, in order: 16 always, then `uniqueid` and `userfield`
/// (`loguniqueid`, `loguserfield`), then `peeraccount`, `linkedid`, `sequence`
/// (`newcdrcolumns`).
const ASTERISK_COLUMNS: [&str; 21] = [
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
];
/// The columns every Asterisk row has (through `amaflags`).
const ASTERISK_REQUIRED: usize = 16;

/// FreeSWITCH `mod_cdr_csv` default template columns, in order (the `example` template adds
/// `read_codec` and `write_codec`).
const FREESWITCH_COLUMNS: [&str; 15] = [
    "caller_id_name",
    "caller_id_number",
    "destination_number",
    "context",
    "start_stamp",
    "answer_stamp",
    "end_stamp",
    "duration",
    "billsec",
    "hangup_cause",
    "uuid",
    "bleg_uuid",
    "accountcode",
    "read_codec",
    "write_codec",
];
/// The columns every FreeSWITCH row has (through `accountcode`).
const FREESWITCH_REQUIRED: usize = 13;

impl CdrFormat {
    /// The fixed columns of a format without a header, and how many every row has.
    fn fixed_columns(self) -> Option<(&'static [&'static str], usize)> {
        match self {
            CdrFormat::Csv => None,
            CdrFormat::Asterisk => Some((&ASTERISK_COLUMNS, ASTERISK_REQUIRED)),
            CdrFormat::Freeswitch => Some((&FREESWITCH_COLUMNS, FREESWITCH_REQUIRED)),
        }
    }

    /// The columns a format without a header reads by default, in [`FIELD_NAMES`] order.
    fn default_columns(self) -> [Option<&'static str>; 5] {
        match self {
            CdrFormat::Csv => [None; 5],
            CdrFormat::Asterisk => [
                Some("dst"),
                Some("billsec"),
                Some("start"),
                Some("disposition"),
                None,
            ],
            CdrFormat::Freeswitch => [
                Some("destination_number"),
                Some("billsec"),
                Some("start_stamp"),
                None,
                Some("answer_stamp"),
            ],
        }
    }

    /// The format's name as `--cdr-format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            CdrFormat::Csv => "csv",
            CdrFormat::Asterisk => "asterisk",
            CdrFormat::Freeswitch => "freeswitch",
        }
    }

    /// Whether the file starts with a header row.
    pub fn has_header(self) -> bool {
        self == CdrFormat::Csv
    }
}

/// Where the CDR columns `tariff-rate` reads are, by position (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CdrColumns {
    pub number: usize,
    pub billsec: usize,
    /// `None`: every call is priced at the `--at` time.
    pub start: Option<usize>,
    /// A row is answered only when this column says `ANSWERED` (Asterisk's disposition).
    pub disposition: Option<usize>,
    /// A row is answered only when this column (an answer time) is not empty.
    pub answer: Option<usize>,
    /// The fields every row has (a format without a header; 0 for a header CSV): a row with
    /// fewer is not of this format.
    pub min_fields: usize,
}

impl CdrColumns {
    /// How many fields of a row are read (the ones after are passed through unread).
    pub fn wanted(&self) -> usize {
        [
            Some(self.number),
            Some(self.billsec),
            self.start,
            self.disposition,
            self.answer,
        ]
        .into_iter()
        .flatten()
        .max()
        .map_or(0, |last| last + 1)
    }
}

/// A CDR file's layout as the options give it: its format, the columns named with
/// `--column FIELD=HEADER` and the ones dropped with `--ignore-column HEADER`.
#[derive(Debug, Clone)]
pub struct CdrLayout {
    format: CdrFormat,
    /// By [`FIELD_NAMES`] order: the header named for the field.
    named: [Option<String>; 5],
    ignored: Vec<String>,
}

impl CdrLayout {
    /// Reads `--column FIELD=HEADER` and `--ignore-column HEADER` options for `format`.
    pub fn new(
        format: CdrFormat,
        columns: &[String],
        ignored: &[String],
    ) -> Result<CdrLayout, String> {
        let mut named: [Option<String>; 5] = Default::default();
        for option in columns {
            let Some((field, header)) = option.split_once('=') else {
                return Err(format!(
                    "--column {option}: expected FIELD=HEADER, like number=dst"
                ));
            };
            let (field, header) = (field.trim(), header.trim());
            let Some(index) = FIELD_NAMES
                .iter()
                .position(|name| normalize_header(name) == normalize_header(field))
            else {
                return Err(format!(
                    "--column {option}: unknown field \"{field}\"; fields are {}",
                    FIELD_NAMES.join(", ")
                ));
            };
            if normalize_header(header).is_empty() {
                return Err(format!("--column {option}: the header name is empty"));
            }
            if let Some((columns, _)) = format.fixed_columns() {
                if !columns.iter().any(|c| same_header(c, header)) {
                    return Err(format!(
                        "--column {option}: {} files have no column \"{header}\"; their columns \
                         are {}",
                        format.name(),
                        columns.join(", ")
                    ));
                }
            }
            if named[index].is_some() {
                return Err(format!("--column names field {} twice", FIELD_NAMES[index]));
            }
            if let Some(other) = named
                .iter()
                .position(|h| h.as_deref().is_some_and(|h| same_header(h, header)))
            {
                return Err(format!(
                    "--column gives header \"{header}\" to both {} and {}",
                    FIELD_NAMES[other], FIELD_NAMES[index]
                ));
            }
            named[index] = Some(header.to_owned());
        }
        if !ignored.is_empty() && !format.has_header() {
            return Err(format!(
                "--ignore-column: {} files have no header; it only applies to --cdr-format csv",
                format.name()
            ));
        }
        for header in ignored {
            if named.iter().flatten().any(|h| same_header(h, header)) {
                return Err(format!(
                    "header \"{header}\" is given to both --column and --ignore-column"
                ));
            }
        }
        Ok(CdrLayout {
            format,
            named,
            ignored: ignored.iter().map(|h| h.trim().to_owned()).collect(),
        })
    }

    /// The format of the file.
    pub fn format(&self) -> CdrFormat {
        self.format
    }

    /// The columns of a format without a header (its fixed columns, `--column` choosing
    /// others); `None` for a header CSV ([`CdrLayout::from_header`]).
    pub fn fixed(&self) -> Option<CdrColumns> {
        let (columns, required) = self.format.fixed_columns()?;
        let defaults = self.format.default_columns();
        let position = |field: usize| {
            let header = self.named[field].as_deref().or(defaults[field])?;
            columns.iter().position(|c| same_header(c, header))
        };
        // Both formats name every field's column; `new` checked the names given.
        let (Some(number), Some(billsec)) = (position(0), position(1)) else {
            return None;
        };
        Some(CdrColumns {
            number,
            billsec,
            start: position(2),
            disposition: position(3),
            answer: position(4),
            min_fields: required,
        })
    }

    /// Finds the columns in a header CSV's header row (cells trimmed). `Err` gives the
    /// 1-based column and the message: a required column missing, a column named twice, a
    /// `--column` header absent, or (with no start column) an unused column that looks like
    /// a time, which would price every call at `--at` instead.
    pub fn from_header<'h>(
        &self,
        header: impl Iterator<Item = &'h [u8]>,
    ) -> Result<CdrColumns, (usize, String)> {
        let cells: Vec<String> = header
            .map(|cell| String::from_utf8_lossy(cell).trim().to_owned())
            .collect();
        let mut found: [Option<usize>; 5] = [None; 5];
        for (field, slot) in found.iter_mut().enumerate() {
            let matches: Vec<usize> = match &self.named[field] {
                Some(named) => (0..cells.len())
                    .filter(|&i| same_header(&cells[i], named))
                    .collect(),
                None => (0..cells.len())
                    .filter(|&i| {
                        !self.is_named_or_ignored(&cells[i])
                            && HEADER_NAMES[field]
                                .iter()
                                .any(|name| same_header(name, &cells[i]))
                    })
                    .collect(),
            };
            match matches[..] {
                [] => {
                    if let Some(named) = &self.named[field] {
                        return Err((
                            1,
                            format!(
                                "--column {}=\"{named}\": the header has no column \"{named}\"",
                                FIELD_NAMES[field]
                            ),
                        ));
                    }
                }
                [only] => *slot = Some(only),
                [first, second, ..] => {
                    return Err((
                        second + 1,
                        format!(
                            "columns \"{}\" (column {}) and \"{}\" both look like the {} \
                             column; name the one to use with --column {}=HEADER",
                            cells[first],
                            first + 1,
                            cells[second],
                            FIELD_NAMES[field],
                            FIELD_NAMES[field]
                        ),
                    ))
                }
            }
        }
        for (field, required) in [(0, true), (1, true)] {
            if required && found[field].is_none() {
                return Err((
                    1,
                    format!(
                        "the header has no {} column (recognised names: {}; name another with \
                         --column {}=HEADER, or read a switch's file with --cdr-format asterisk \
                         or freeswitch)",
                        FIELD_NAMES[field],
                        HEADER_NAMES[field].join(", "),
                        FIELD_NAMES[field]
                    ),
                ));
            }
        }
        if found[2].is_none() {
            let used = |i: usize| found.contains(&Some(i));
            if let Some(i) = (0..cells.len())
                .find(|&i| !used(i) && !self.is_ignored(&cells[i]) && looks_like_time(&cells[i]))
            {
                let cell = &cells[i];
                return Err((
                    i + 1,
                    format!(
                        "column \"{cell}\" is not used, but its name suggests a time, and \
                         without a start column every call is priced at --at (default: now): \
                         name it with --column start=\"{cell}\", or drop it knowingly with \
                         --ignore-column \"{cell}\""
                    ),
                ));
            }
        }
        let [Some(number), Some(billsec), start, disposition, answer] = found else {
            unreachable!("checked above")
        };
        Ok(CdrColumns {
            number,
            billsec,
            start,
            disposition,
            answer,
            min_fields: 0,
        })
    }

    fn is_ignored(&self, cell: &str) -> bool {
        self.ignored.iter().any(|h| same_header(h, cell))
    }

    /// Whether `cell` is named for some field by `--column`, or ignored: then no other
    /// field takes it by its name.
    fn is_named_or_ignored(&self, cell: &str) -> bool {
        self.is_ignored(cell) || self.named.iter().flatten().any(|h| same_header(h, cell))
    }
}

fn same_header(a: &str, b: &str) -> bool {
    normalize_header(a) == normalize_header(b)
}

/// Whether a header cell's name suggests a date or time (`start_stamp`, `CallDate`,
/// `answer`, `Setup Time`, `end`, `timestamp`).
fn looks_like_time(header: &str) -> bool {
    const INSIDE: [&str; 3] = ["date", "time", "stamp"];
    const BEGINS: [&str; 4] = ["start", "begin", "answer", "setup"];
    const WORDS: [&str; 4] = ["at", "end", "when", "from"];
    if normalize_header(header) == "timezone" {
        return false;
    }
    header_words(header).iter().any(|word| {
        INSIDE.iter().any(|part| word.contains(part))
            || BEGINS.iter().any(|part| word.starts_with(part))
            || WORDS.contains(&word.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(layout: &CdrLayout, text: &str) -> Result<CdrColumns, (usize, String)> {
        layout.from_header(text.split(',').map(str::as_bytes))
    }

    fn layout(format: CdrFormat, columns: &[&str], ignored: &[&str]) -> CdrLayout {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        CdrLayout::new(format, &owned(columns), &owned(ignored)).unwrap()
    }

    #[test]
    fn header_columns_by_the_names_switches_use() {
        let csv = layout(CdrFormat::Csv, &[], &[]);
        assert_eq!(
            header(&csv, "id, Number ,BillSec,start,x"),
            Ok(CdrColumns {
                number: 1,
                billsec: 2,
                start: Some(3),
                disposition: None,
                answer: None,
                min_fields: 0
            })
        );
        let asterisk_export = header(&csv, "calldate,src,dst,duration,billsec,disposition");
        assert_eq!(
            asterisk_export.map(|c| (c.number, c.billsec, c.start, c.disposition)),
            Ok((2, 4, Some(0), Some(5)))
        );
        assert_eq!(
            header(&csv, "number,duration").unwrap_err().1,
            "the header has no billsec column (recognised names: billsec, billable seconds; \
             name another with --column billsec=HEADER, or read a switch's file with \
             --cdr-format asterisk or freeswitch)"
        );
        assert!(header(&csv, "number,dst,billsec")
            .unwrap_err()
            .1
            .starts_with("columns \"number\" (column 1) and \"dst\" both look like the number"));
        let named = layout(CdrFormat::Csv, &["number=dst"], &[]);
        assert_eq!(
            header(&named, "number,dst,billsec").map(|c| c.number),
            Ok(1)
        );
    }

    #[test]
    fn an_unused_time_column_is_refused_without_a_start() {
        let csv = layout(CdrFormat::Csv, &[], &[]);
        let (column, message) = header(&csv, "destination_number,billsec,begin_time").unwrap_err();
        assert_eq!(column, 3);
        assert!(
            message.starts_with("column \"begin_time\" is not used, but its name suggests a time"),
            "{message}"
        );
        // Named, it is the start; dropped knowingly, calls are priced at --at.
        let named = layout(CdrFormat::Csv, &["start=begin_time"], &[]);
        assert_eq!(
            header(&named, "destination_number,billsec,begin_time").map(|c| c.start),
            Ok(Some(2))
        );
        let dropped = layout(CdrFormat::Csv, &[], &["Begin Time"]);
        assert_eq!(
            header(&dropped, "destination_number,billsec,begin_time").map(|c| c.start),
            Ok(None)
        );
        // With a start, the other times (answer, end) are not needed.
        assert!(header(&csv, "number,billsec,start_stamp,end_stamp,hangup_time").is_ok());
        for harmless in ["id", "caller", "timezone", "account", "hangup_cause"] {
            assert!(!looks_like_time(harmless), "{harmless}");
        }
        for timely in ["end", "CallDate", "Setup Time", "answered_at", "timestamp"] {
            assert!(looks_like_time(timely), "{timely}");
        }
    }

    #[test]
    fn switch_formats_have_fixed_columns() {
        let asterisk = layout(CdrFormat::Asterisk, &[], &[]).fixed().unwrap();
        assert_eq!(
            asterisk,
            CdrColumns {
                number: 2,
                billsec: 13,
                start: Some(9),
                disposition: Some(14),
                answer: None,
                min_fields: 16
            }
        );
        assert_eq!(asterisk.wanted(), 15);
        let freeswitch = layout(CdrFormat::Freeswitch, &[], &[]).fixed().unwrap();
        assert_eq!(
            (
                freeswitch.number,
                freeswitch.billsec,
                freeswitch.start,
                freeswitch.answer
            ),
            (2, 8, Some(4), Some(5))
        );
        let by_answer = layout(CdrFormat::Asterisk, &["start=answer"], &[]);
        assert_eq!(by_answer.fixed().unwrap().start, Some(10));
        let error =
            CdrLayout::new(CdrFormat::Asterisk, &["number=callee".into()], &[]).unwrap_err();
        assert!(
            error.contains("asterisk files have no column \"callee\""),
            "{error}"
        );
        assert!(layout(CdrFormat::Csv, &[], &[]).fixed().is_none());
    }
}
