//! The error list every input reader fills: each problem as `file:line:column: message`,
//! collected rather than stopping at the first, the first hundred kept in full.

use std::fmt;

/// How many errors are kept in full; past this only a count is kept.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// One problem in an input file, at a 1-based line and column (the header is line 1; a
/// record's line is the physical line where it starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Errors from one or more files: the first [`MAX_REPORTED_ERRORS`] in full, then a count.
#[derive(Debug, Default, Clone)]
pub struct ErrorList {
    kept: Vec<InputError>,
    total: usize,
}

impl ErrorList {
    /// An empty list.
    pub fn new() -> ErrorList {
        ErrorList::default()
    }

    /// Records an error (kept in full while fewer than the limit are kept).
    pub fn push(&mut self, error: InputError) {
        self.total += 1;
        if self.kept.len() < MAX_REPORTED_ERRORS {
            self.kept.push(error);
        }
    }

    /// Records an error built from its parts.
    pub fn add(&mut self, file: &str, line: u64, column: u64, message: impl Into<String>) {
        self.push(InputError {
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
        });
    }

    /// Whether no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many errors were recorded, including those not kept.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The errors kept in full, in the order [`ErrorList::sort`] left them.
    pub fn kept(&self) -> &[InputError] {
        &self.kept
    }

    /// Whether more errors can still be kept in full.
    pub fn is_full(&self) -> bool {
        self.kept.len() >= MAX_REPORTED_ERRORS
    }

    /// Orders kept errors by file order of first appearance, then line and column, so that
    /// errors found in a later pass (duplicates) read in file order with the rest.
    pub fn sort(&mut self) {
        let mut files: Vec<String> = Vec::new();
        for error in &self.kept {
            if !files.contains(&error.file) {
                files.push(error.file.clone());
            }
        }
        self.kept
            .sort_by_key(|e| (files.iter().position(|f| *f == e.file), e.line, e.column));
    }
}

impl fmt::Display for ErrorList {
    /// One error per line, then `... and N more errors` when some were not kept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.kept {
            writeln!(f, "{error}")?;
        }
        if self.total > self.kept.len() {
            writeln!(f, "... and {} more errors", self.total - self.kept.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorList {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_list_keeps_a_hundred_then_counts() {
        let mut errors = ErrorList::new();
        for line in 0..250 {
            errors.add("f.csv", line + 2, 1, "bad");
        }
        assert_eq!(errors.kept().len(), MAX_REPORTED_ERRORS);
        assert_eq!(errors.total(), 250);
        assert!(errors.to_string().ends_with("... and 150 more errors\n"));
    }

    /// A reader that hands out at most `chunk` bytes a call, to hit every CR boundary.
    #[test]
    fn sort_orders_by_file_then_line() {
        let mut errors = ErrorList::new();
        errors.add("a.csv", 9, 1, "x");
        errors.add("b.csv", 2, 1, "y");
        errors.add("a.csv", 3, 2, "z");
        errors.sort();
        let lines: Vec<_> = errors
            .kept()
            .iter()
            .map(|e| (e.file.as_str(), e.line))
            .collect();
        assert_eq!(lines, vec![("a.csv", 3), ("a.csv", 9), ("b.csv", 2)]);
    }
}
