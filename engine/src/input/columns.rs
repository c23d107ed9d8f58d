//! Columns matched by header name: which field of a record holds which known column.

use super::ErrorList;

/// A column the reader knows: its header name and whether it must be present.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub required: bool,
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
    /// Matches a header row against `specs` (case-insensitive, any order, surrounding spaces
    /// and a UTF-8 byte-order mark ignored). Missing required and repeated columns are errors;
    /// unknown ones are returned as warnings.
    pub fn from_header(
        file: &str,
        header: &csv::ByteRecord,
        specs: &[ColumnSpec],
        errors: &mut ErrorList,
        warnings: &mut Vec<String>,
    ) -> Columns {
        let mut index = vec![None; specs.len()];
        for (field_index, raw) in header.iter().enumerate() {
            let column = field_index as u64 + 1;
            let Ok(name) = std::str::from_utf8(raw) else {
                errors.add(file, 1, column, "header is not valid UTF-8");
                continue;
            };
            let name = name.trim_start_matches('\u{feff}').trim();
            match specs.iter().position(|s| s.name.eq_ignore_ascii_case(name)) {
                Some(spec) if index[spec].is_some() => errors.add(
                    file,
                    1,
                    column,
                    format!(
                        "column \"{}\" appears twice in the header",
                        specs[spec].name
                    ),
                ),
                Some(spec) => index[spec] = Some(field_index),
                None => warnings.push(format!(
                    "{file}:1:{column}: unknown column \"{name}\" is ignored"
                )),
            }
        }
        for (spec, found) in specs.iter().zip(&index) {
            if spec.required && found.is_none() {
                errors.add(
                    file,
                    1,
                    1,
                    format!("missing required column \"{}\" in the header", spec.name),
                );
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
    pub fn field<'r>(&self, record: &'r csv::ByteRecord, spec: usize) -> (&'r [u8], u64) {
        match self.index[spec] {
            Some(i) => (record.get(i).unwrap_or(&[]).trim_ascii(), i as u64 + 1),
            None => (&[], 1),
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn header_matches_names_case_insensitively_in_any_order() {
        let header = csv::ByteRecord::from(vec!["\u{feff}Rate", " PREFIX ", "extra"]);
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        let columns = Columns::from_header("t.csv", &header, &SPECS, &mut errors, &mut warnings);
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
        let header = csv::ByteRecord::from(vec!["rate", "rate"]);
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        Columns::from_header("t.csv", &header, &SPECS, &mut errors, &mut warnings);
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
}
