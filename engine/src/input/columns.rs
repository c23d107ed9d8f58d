//! Columns matched by header name: which field of a record holds which known column.
//!
//! What a header cell means is the reader's business ([`HeaderNames`]): the account files
//! know each column by one name, a tariff deck by the names carriers use too. What every
//! file shares lives here: a column named twice is an error, a required one missing is an
//! error, an unknown one is a warning (or an error, when the reader says ignoring it is
//! unsafe).

use super::{ErrorList, Record};

/// A column the reader knows: its header name and whether it must be present.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub required: bool,
}

/// What one header cell names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderMatch {
    /// The column of spec number `.0`.
    Column(usize),
    /// No known column: a warning.
    Unknown,
    /// Knowingly not used: a warning giving the reason.
    Ignored(String),
    /// Not used, and ignoring it would be unsafe: an error with this message.
    Refused(String),
}

/// How a reader tells what its header cells name.
pub trait HeaderNames {
    /// What the header cell `header` (trimmed) names.
    fn classify(&self, header: &str) -> HeaderMatch;

    /// The error when spec `spec` has no column in this file, or `None` when it may be
    /// absent. By default only required specs must be present.
    fn missing(&self, spec: usize, specs: &[ColumnSpec]) -> Option<String> {
        let spec = &specs[spec];
        spec.required
            .then(|| format!("missing required column \"{}\" in the header", spec.name))
    }
}

/// Each spec known by its own name only (ASCII case ignored).
#[derive(Debug, Clone, Copy)]
pub struct SpecNames<'a>(pub &'a [ColumnSpec]);

impl HeaderNames for SpecNames<'_> {
    fn classify(&self, header: &str) -> HeaderMatch {
        match self
            .0
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(header))
        {
            Some(spec) => HeaderMatch::Column(spec),
            None => HeaderMatch::Unknown,
        }
    }
}

/// Where each known column sits in one file, found from its header row.
#[derive(Debug, Clone)]
pub struct Columns {
    /// For each [`ColumnSpec`] in the order given, its 0-based field index, if present.
    index: Vec<Option<usize>>,
    /// Each spec's header name, for messages.
    pub(super) names: Vec<&'static str>,
}

impl Columns {
    /// Matches the header row (on line `header.line()`) against `specs` through `names`,
    /// in any order, surrounding spaces and a byte-order mark ignored. A spec named twice, a
    /// cell `names` refuses and a missing column `names` requires are errors; unknown and
    /// ignored cells are warnings.
    pub fn from_header(
        file: &str,
        header: &Record,
        specs: &[ColumnSpec],
        names: &dyn HeaderNames,
        errors: &mut ErrorList,
        warnings: &mut Vec<String>,
    ) -> Columns {
        let line = header.line().max(1);
        let mut index = vec![None; specs.len()];
        let cell = |i: usize| {
            let raw = header.get(i).unwrap_or(&[]);
            String::from_utf8_lossy(raw)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_owned()
        };
        for (field_index, raw) in header.iter().enumerate() {
            let column = field_index as u64 + 1;
            let Ok(name) = std::str::from_utf8(raw) else {
                errors.add(file, line, column, "header is not valid UTF-8");
                continue;
            };
            let name = name.trim_start_matches('\u{feff}').trim();
            match names.classify(name) {
                HeaderMatch::Column(spec) => match index[spec] {
                    Some(first) => {
                        let message = if cell(first) == name {
                            format!("column \"{name}\" appears twice in the header")
                        } else {
                            format!(
                                "column \"{name}\" names {} again: column {} \"{}\" already does",
                                specs[spec].name,
                                first + 1,
                                cell(first)
                            )
                        };
                        errors.add(file, line, column, message);
                    }
                    None => index[spec] = Some(field_index),
                },
                HeaderMatch::Unknown => warnings.push(format!(
                    "{file}:{line}:{column}: unknown column \"{name}\" is ignored"
                )),
                HeaderMatch::Ignored(reason) => warnings.push(format!(
                    "{file}:{line}:{column}: column \"{name}\" is ignored: {reason}"
                )),
                HeaderMatch::Refused(message) => errors.add(file, line, column, message),
            }
        }
        for (spec, found) in index.iter().enumerate() {
            if found.is_none() {
                if let Some(message) = names.missing(spec, specs) {
                    errors.add(file, line, 1, message);
                }
            }
        }
        Columns {
            index,
            names: specs.iter().map(|s| s.name).collect(),
        }
    }

    /// The 1-based column number of every spec (1 for a column the file lacks), for errors
    /// found after reading, such as duplicates and references to other files.
    pub fn numbers(&self) -> Vec<u64> {
        self.index
            .iter()
            .map(|i| i.map_or(1, |i| i as u64 + 1))
            .collect()
    }

    /// The 0-based field index of spec number `spec`, if the file has that column.
    pub fn position(&self, spec: usize) -> Option<usize> {
        self.index[spec]
    }

    /// Spec number `spec`'s value in `record`, trimmed of surrounding ASCII spaces (an absent
    /// column reads as empty), and the 1-based column number to name in an error.
    #[inline]
    pub fn field<'r>(&self, record: &'r Record, spec: usize) -> (&'r [u8], u64) {
        match self.index[spec] {
            Some(i) => (record.get(i).unwrap_or(&[]).trim_ascii(), i as u64 + 1),
            None => (&[], 1),
        }
    }
}

/// A header name as carriers' names are compared: lower case, without spaces, dots and
/// underscores (`Dial Code`, `dial_code` and `DialCode` are all `dialcode`).
pub fn normalize_header(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a header cell, as readers judge what an unused column would hold: its runs
/// of letters and digits, split at lower-to-upper case changes too (`NewRate` is `new rate`),
/// lowercased.
pub fn header_words(header: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in header.chars() {
        if !c.is_ascii_alphanumeric() {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_ascii_lowercase();
        word.push(c.to_ascii_lowercase());
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

#[cfg(test)]
mod tests {
    use super::super::{CsvFormat, LineReader};
    use super::*;

    const SPECS: [ColumnSpec; 2] = [
        ColumnSpec {
            name: "prefix",
            required: true,
        },
        ColumnSpec {
            name: "rate",
            required: false,
        },
    ];

    fn header(text: &str) -> Record {
        let mut record = Record::new();
        let mut reader = LineReader::new(text.as_bytes(), CsvFormat::default());
        assert!(reader.read(&mut record).unwrap());
        record
    }

    #[test]
    fn header_matches_names_case_insensitively_in_any_order() {
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        let columns = Columns::from_header(
            "t.csv",
            &header("\u{feff}Rate, PREFIX ,extra"),
            &SPECS,
            &SpecNames(&SPECS),
            &mut errors,
            &mut warnings,
        );
        assert!(errors.is_empty());
        assert_eq!(columns.position(0), Some(1));
        assert_eq!(columns.position(1), Some(0));
        assert_eq!(
            warnings,
            vec!["t.csv:1:3: unknown column \"extra\" is ignored"]
        );
    }

    #[test]
    fn missing_required_and_repeated_columns_are_errors() {
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        let names = SpecNames(&SPECS);
        Columns::from_header(
            "t.csv",
            &header("rate,rate"),
            &SPECS,
            &names,
            &mut errors,
            &mut warnings,
        );
        let text = errors.to_string();
        assert!(
            text.contains("t.csv:1:2: column \"rate\" appears twice"),
            "{text}"
        );
        assert!(
            text.contains("t.csv:1:1: missing required column \"prefix\""),
            "{text}"
        );
    }

    /// Names `code` and `prefix` both as spec 0, refuses `danger`, ignores `old`.
    struct Aliases;

    impl HeaderNames for Aliases {
        fn classify(&self, header: &str) -> HeaderMatch {
            match normalize_header(header).as_str() {
                "code" | "prefix" => HeaderMatch::Column(0),
                "rate" => HeaderMatch::Column(1),
                "danger" => HeaderMatch::Refused("danger is not used".into()),
                "old" => HeaderMatch::Ignored("by request".into()),
                _ => HeaderMatch::Unknown,
            }
        }
    }

    #[test]
    fn two_names_for_one_column_refused_and_ignored_cells_are_reported() {
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        Columns::from_header(
            "t.csv",
            &header("Code,Rate,Prefix,Danger,Old"),
            &SPECS,
            &Aliases,
            &mut errors,
            &mut warnings,
        );
        assert_eq!(
            errors.to_string(),
            "t.csv:1:3: column \"Prefix\" names prefix again: column 1 \"Code\" already does\n\
             t.csv:1:4: danger is not used\n"
        );
        assert_eq!(
            warnings,
            vec!["t.csv:1:5: column \"Old\" is ignored: by request"]
        );
    }

    #[test]
    fn normalizing_ignores_case_spaces_dots_and_underscores() {
        for name in [
            "Dial Code",
            "dial_code",
            "DIAL.CODE",
            "DialCode",
            " dial  code ",
        ] {
            assert_eq!(normalize_header(name), "dialcode");
        }
        assert_eq!(normalize_header("Rate-EUR"), "rate-eur");
    }
}
