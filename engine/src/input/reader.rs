//! Reading a whole CSV file: the header matched against the known columns, then every
//! record of the header's width handed on as a [`Row`], tokenised on a second thread.

use super::{
    read_records_ahead, ColumnSpec, Columns, CsvFormat, ErrorList, HeaderNames, LineReader, Record,
    Row, SpecNames,
};

/// What to read and how: the file's name for messages, its format, the columns known and
/// how header cells name them.
#[derive(Clone, Copy)]
pub struct CsvInput<'a> {
    pub file: &'a str,
    pub format: CsvFormat,
    pub specs: &'a [ColumnSpec],
    pub names: &'a dyn HeaderNames,
}

impl std::fmt::Debug for CsvInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvInput")
            .field("file", &self.file)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Reads a whole CSV file (UTF-8, comma-separated, each column known by its spec's name):
/// see [`read_csv_with`].
pub fn read_csv<R: std::io::Read + Send>(
    input: R,
    file: &str,
    specs: &[ColumnSpec],
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
    on_row: impl FnMut(&mut Row<'_, '_>),
    on_progress: impl FnMut(u64),
) -> Option<Columns> {
    let names = SpecNames(specs);
    let source = CsvInput {
        file,
        format: CsvFormat::default(),
        specs,
        names: &names,
    };
    read_csv_with(input, &source, errors, warnings, on_row, on_progress)
}

/// Reads a whole CSV file: matches its header (the first line that is not blank) against
/// the specs (errors and warnings recorded), then hands each record of the header's width to
/// `on_row` as a [`Row`]; a record of another width is an error, and so is a quote left open
/// at the end of its line. A record whose fields are all empty or spaces is skipped like a
/// blank line. Records are tokenised on a second thread
/// ([`read_records_ahead`]). `on_progress` gets the bytes read so far, about every MiB.
/// Returns the columns found, or `None` when the header was unusable.
pub fn read_csv_with<R: std::io::Read + Send>(
    input: R,
    source: &CsvInput<'_>,
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
    mut on_row: impl FnMut(&mut Row<'_, '_>),
    mut on_progress: impl FnMut(u64),
) -> Option<Columns> {
    let file = source.file;
    let mut reader = LineReader::new(input, source.format);
    let mut header = Record::new();
    match reader.read(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            let required: Vec<String> = source
                .specs
                .iter()
                .filter(|s| s.required)
                .map(|s| format!("\"{}\"", s.name))
                .collect();
            errors.add(
                file,
                1,
                1,
                format!(
                    "file is empty: expected a header row with at least {}",
                    required.join(" and ")
                ),
            );
            return None;
        }
        Err(error) => {
            errors.add(file, error.line, error.column, error.message);
            return None;
        }
    }
    let before = errors.total();
    let columns = Columns::from_header(file, &header, source.specs, source.names, errors, warnings);
    if errors.total() > before {
        if header.iter().any(|cell| cell.contains(&0)) {
            warnings.push(format!(
                "{file}:{}:1: the header holds NUL bytes: is the file UTF-16 without a \
                 byte-order mark? (its encoding is read as {})",
                header.line(),
                source.format.encoding.name()
            ));
        } else if header.len() == 1 {
            warnings.push(format!(
                "{file}:{}:1: the header has a single column: is the file's delimiter \
                 (read as {}) right?",
                header.line(),
                delimiter_name(reader.delimiter())
            ));
        }
        return None;
    }
    let width = header.len();
    let mut last_progress = 0u64;
    let mut total = 0u64;
    read_records_ahead(reader, |batch| {
        let report = |errors: &mut ErrorList, error: &super::LineError| {
            errors.add(file, error.line, error.column, error.message.as_str());
        };
        let mut found = batch.errors.iter().peekable();
        for (index, record) in batch.records[..batch.len].iter().enumerate() {
            while let Some((_, error)) = found.next_if(|(before, _)| *before <= index) {
                report(errors, error);
            }
            let line = record.line();
            // Spreadsheets export the empty rows below a table as lines of delimiters.
            if record.iter().all(|field| field.trim_ascii().is_empty()) {
                continue;
            }
            if record.len() != width {
                errors.add(
                    file,
                    line,
                    1,
                    format!("row has {} fields but the header has {width}", record.len()),
                );
                continue;
            }
            on_row(&mut Row::new(file, line, &columns, record, errors));
        }
        for (_, error) in found {
            report(errors, error);
        }
        if batch.bytes_read - last_progress >= 1 << 20 {
            last_progress = batch.bytes_read;
            on_progress(batch.bytes_read);
        }
        total = batch.bytes_read;
    });
    on_progress(total);
    Some(columns)
}

fn delimiter_name(delimiter: super::Delimiter) -> String {
    match delimiter {
        super::Delimiter::Byte(b'\t') => "tab".into(),
        super::Delimiter::Byte(byte) => format!("'{}'", char::from(byte)),
        super::Delimiter::Auto => "auto".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: [ColumnSpec; 2] = [
        ColumnSpec {
            name: "a",
            required: true,
        },
        ColumnSpec {
            name: "b",
            required: false,
        },
    ];

    /// (line, a, b) of every row handed on, and the errors.
    fn read(text: &[u8]) -> (Vec<(u64, String, String)>, String) {
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        let mut rows = Vec::new();
        read_csv(
            text,
            "t.csv",
            &SPECS,
            &mut errors,
            &mut warnings,
            |row| {
                let text = |spec| String::from_utf8_lossy(row.raw(spec).0).into_owned();
                rows.push((row.line(), text(0), text(1)));
            },
            |_| {},
        );
        (rows, errors.to_string())
    }

    #[test]
    fn rows_name_their_physical_line_whatever_the_line_ends() {
        for ending in ["\n", "\r\n"] {
            let text = "\n\na,b|1,x||2,\" y \"|||3,z".replace('|', ending);
            let (rows, errors) = read(text.as_bytes());
            assert_eq!(errors, "");
            let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
            assert_eq!(lines, vec![4, 6, 9], "{ending:?}");
        }
    }

    #[test]
    fn an_unclosed_quote_is_an_error_at_its_line_and_later_lines_are_still_checked() {
        let (rows, errors) = read(b"a,b\n1,\"open\n2,x,extra\n3,y\n");
        assert_eq!(rows, vec![(4, "3".into(), "y".into())]);
        assert_eq!(
            errors,
            "t.csv:2:2: quote opened here is not closed on this line (a field may not span lines)\n\
             t.csv:3:1: row has 3 fields but the header has 2\n"
        );
    }

    #[test]
    fn line_errors_and_row_errors_keep_file_order_across_batches() {
        let mut text = b"a,b\n".to_vec();
        for i in 0..10_000 {
            let line: &[u8] = match i % 3 {
                0 => b"1,x\n",
                1 => b"2,\"open\n",
                _ => b"3,y,z\n",
            };
            text.extend_from_slice(line);
        }
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        let mut rows = 0;
        read_csv(
            &text[..],
            "t.csv",
            &SPECS,
            &mut errors,
            &mut warnings,
            |_| rows += 1,
            |_| {},
        );
        assert_eq!(rows, 3334);
        assert_eq!(errors.total(), 6666);
        let lines: Vec<u64> = errors.kept().iter().map(|e| e.line).collect();
        let expected: Vec<u64> = (2..).filter(|line| line % 3 != 2).take(100).collect();
        assert_eq!(lines, expected);
    }

    #[test]
    fn rows_of_empty_fields_are_skipped_like_blank_lines() {
        let (rows, errors) = read(b"a,b\n1,x\n,\n , \n,,,\n2,\n");
        assert_eq!(errors, "");
        assert_eq!(
            rows,
            vec![(2, "1".into(), "x".into()), (6, "2".into(), String::new())]
        );
    }

    #[test]
    fn header_problems_stop_the_file_and_name_the_header_line() {
        let (rows, errors) = read(b"\nb;a\n1;2\n");
        assert!(rows.is_empty());
        assert_eq!(
            errors,
            "t.csv:2:1: missing required column \"a\" in the header\n"
        );
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        let utf16_without_mark = b"a\0,\0b\0\n\0";
        read_csv(
            &utf16_without_mark[..],
            "t.csv",
            &SPECS,
            &mut errors,
            &mut warnings,
            |_| {},
            |_| {},
        );
        assert!(
            warnings[2].contains("1:1: the header holds NUL bytes: is the file UTF-16 without"),
            "{warnings:?}"
        );
        let (_, errors) = read(b"a,\"b\n1,2\n");
        assert_eq!(
            errors,
            "t.csv:1:2: quote opened here is not closed on this line (a field may not span lines)\n"
        );
    }
}
