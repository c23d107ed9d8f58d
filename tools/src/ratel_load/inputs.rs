//! The harness's input files: the prefixes of a deck answerable now, and the lines of a
//! list (dialed numbers, request paths).

use std::io::{self, BufRead, Read};
use std::path::Path;

/// Prefixes of a tariff CSV (`file` names it in errors) that have an undated row, so are
/// answerable at any time, in file order, without repeats. The deck is read by the engine's
/// own tariff reader; an invalid deck is an error naming file, line and column.
pub fn current_prefixes(deck: impl Read + Send, file: &str) -> Result<Vec<String>, String> {
    let mut errors = ratel_engine::input::ErrorList::new();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    ratel_engine::tariff::read_tariff(
        deck,
        file,
        &mut errors,
        |row| {
            if row.effective_from.is_none() && seen.insert(row.prefix.to_vec()) {
                out.push(String::from_utf8_lossy(row.prefix).into_owned());
            }
        },
        |_| {},
    );
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.to_string())
    }
}

/// Lines of a text file, without empty ones.
pub fn read_lines(path: &Path) -> io::Result<Vec<String>> {
    let file = std::fs::File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    io::BufReader::new(file)
        .lines()
        .filter(|line| !matches!(line, Ok(l) if l.trim().is_empty()))
        .map(|line| line.map(|l| l.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_prefixes_skip_dated_rows_and_repeats() {
        let deck = "prefix,destination,rate,effective_from\n37,A,1,\n370,B,1,2030-01-01\n37,A,2,2020-01-01\n371,C,1,\n";
        assert_eq!(
            current_prefixes(deck.as_bytes(), "d.csv").unwrap(),
            ["37", "371"]
        );
        let error = current_prefixes("prefix,rate\n37x,1\n".as_bytes(), "d.csv").unwrap_err();
        assert!(error.starts_with("d.csv:2:1: "), "{error}");
    }
}
