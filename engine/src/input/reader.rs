//! Reading a whole CSV file: the header matched against the known columns, then every
//! record of the header's width handed on as a [`Row`], tokenised on a second thread.

use super::{
    read_record, read_records_ahead, ColumnSpec, Columns, CrlfToLf, ErrorList, ReadAhead, Row,
};

/// Reads a whole CSV file: matches its header against `specs` (errors and warnings
/// recorded), then hands each record of the header's width to `on_row` as a [`Row`]; a record
/// of another width is an error. Records are tokenised on a second thread
/// ([`read_records_ahead`]). `on_progress` gets the bytes read so far, about every MiB.
/// Returns the columns found, or `None` when the header was unusable.
pub fn read_csv<R: std::io::Read + Send>(
    input: R,
    file: &str,
    specs: &[ColumnSpec],
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
    mut on_row: impl FnMut(&mut Row<'_, '_>),
    mut on_progress: impl FnMut(u64),
) -> Option<Columns> {
    let mut reader = csv_reader(input);
    let mut header = csv::ByteRecord::new();
    match read_record(&mut reader, &mut header) {
        Ok(true) => {}
        Ok(false) => {
            let required: Vec<String> = specs
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
            report_csv_error(file, &error, errors);
            return None;
        }
    }
    let before = errors.total();
    let columns = Columns::from_header(file, &header, specs, errors, warnings);
    if errors.total() > before {
        return None;
    }
    let width = header.len();
    let mut last_progress = 0u64;
    let mut total = 0u64;
    read_records_ahead(reader, |item| {
        let (records, len, bytes_read) = match item {
            ReadAhead::Batch {
                records,
                len,
                bytes_read,
            } => (records, *len, *bytes_read),
            ReadAhead::Error(error) => {
                report_csv_error(file, error, errors);
                return;
            }
        };
        for record in &records[..len] {
            let line = record.position().map_or(0, csv::Position::line);
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
        if bytes_read - last_progress >= 1 << 20 {
            last_progress = bytes_read;
            on_progress(bytes_read);
        }
        total = bytes_read;
    });
    on_progress(total);
    Some(columns)
}

/// Turns a `csv` crate error into a located input error.
fn report_csv_error(file: &str, error: &csv::Error, errors: &mut ErrorList) {
    let line = error.position().map_or(1, csv::Position::line);
    let message = match error.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read file: {io}"),
        other => format!("malformed CSV: {other:?}"),
    };
    errors.add(file, line, 1, message);
}

/// A CSV reader configured the way every Ratel input is read: a header row, RFC 4180
/// quoting, and rows of any length (checked by us, with a better message than the crate's).
/// Fields are trimmed when read through [`Columns::field`], not here: the crate's trimming
/// rebuilds every record. Input is read through [`CrlfToLf`], so that line numbers in errors
/// are right for files with Windows line endings too.
pub fn csv_reader<R: std::io::Read>(input: R) -> csv::Reader<CrlfToLf<R>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(CrlfToLf::new(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_lines(input: &[u8]) -> Vec<u64> {
        let mut reader = csv_reader(input);
        let mut lines = Vec::new();
        let mut record = csv::ByteRecord::new();
        while read_record(&mut reader, &mut record).unwrap() {
            lines.push(record.position().unwrap().line());
        }
        lines
    }

    #[test]
    fn records_report_the_line_they_start_on_whatever_the_line_ends() {
        for ending in ["\n", "\r\n"] {
            let text = "h,x|1,1||2,x|\"3|\",y|||4,z".replace('|', ending);
            assert_eq!(
                record_lines(text.as_bytes()),
                vec![1, 2, 4, 5, 9],
                "{ending:?}"
            );
            let text = format!("{text}{ending}");
            assert_eq!(
                record_lines(text.as_bytes()),
                vec![1, 2, 4, 5, 9],
                "{ending:?} terminated"
            );
        }
        assert_eq!(record_lines(b"\n\nh\n\"a\nb\""), vec![3, 4]);
    }
}
