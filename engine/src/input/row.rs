//! Typed readers for one record's fields, recording each problem with its line and column.

use super::{Columns, ErrorList, Record};
use crate::money::Decimal;
use crate::time::Timestamp;

/// One record being validated: typed readers for its fields that record every problem as
/// `file:line:column: message` and remember whether any field failed, so a reader can check
/// all fields of a row and report them together.
#[derive(Debug)]
pub struct Row<'r, 'e> {
    file: &'r str,
    line: u64,
    columns: &'r Columns,
    record: &'r Record,
    errors: &'e mut ErrorList,
    ok: bool,
}

impl<'r, 'e> Row<'r, 'e> {
    pub(super) fn new(
        file: &'r str,
        line: u64,
        columns: &'r Columns,
        record: &'r Record,
        errors: &'e mut ErrorList,
    ) -> Row<'r, 'e> {
        Row {
            file,
            line,
            columns,
            record,
            errors,
            ok: true,
        }
    }

    /// The physical line the record starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Whether every field read so far was valid.
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// Records a problem with the field in `column`.
    pub fn fail(&mut self, column: u64, message: String) {
        self.errors.add(self.file, self.line, column, message);
        self.ok = false;
    }

    /// Records a problem with spec `spec`'s field.
    pub fn fail_field(&mut self, spec: usize, message: String) {
        let column = self.columns.field(self.record, spec).1;
        self.fail(column, message);
    }

    /// Spec `spec`'s trimmed bytes and column.
    pub fn raw(&self, spec: usize) -> (&'r [u8], u64) {
        self.columns.field(self.record, spec)
    }

    fn name(&self, spec: usize) -> &'static str {
        self.columns.names[spec]
    }

    /// The parsed value, or an error `NAME "TEXT" REASON` at `column` and `None`.
    fn accept<T, E: std::fmt::Display>(
        &mut self,
        spec: usize,
        column: u64,
        text: &[u8],
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                let message = format!(
                    "{} \"{}\" {error}",
                    self.name(spec),
                    String::from_utf8_lossy(text)
                );
                self.fail(column, message);
                None
            }
        }
    }

    /// Spec `spec`'s value read by `parse`, or an error `NAME "TEXT" REASON` (the reason
    /// being `parse`'s error) and `None`; an empty field is `default` when there is one.
    pub fn parse_with<T, E: std::fmt::Display>(
        &mut self,
        spec: usize,
        default: Option<T>,
        parse: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Option<T> {
        let (text, column) = self.raw(spec);
        if let (true, Some(value)) = (text.is_empty(), default) {
            return Some(value);
        }
        let parsed = parse(text);
        self.accept(spec, column, text, parsed)
    }

    /// A decimal (`-?[0-9]+(\.[0-9]+)?`, a minus only when `allow_negative`); an empty field
    /// is `default`, or an error when there is none.
    pub fn decimal(
        &mut self,
        spec: usize,
        allow_negative: bool,
        default: Option<Decimal>,
    ) -> Option<Decimal> {
        let (text, column) = self.raw(spec);
        if let (true, Some(value)) = (text.is_empty(), default) {
            return Some(value);
        }
        let parsed = Decimal::parse_bytes(text, allow_negative);
        self.accept(spec, column, text, parsed)
    }

    /// A whole number from `min` to `max`; an empty field is `default`, or an error.
    pub fn whole(&mut self, spec: usize, default: Option<u64>, min: u64, max: u64) -> Option<u64> {
        let (text, column) = self.raw(spec);
        if let (true, Some(value)) = (text.is_empty(), default) {
            return Some(value);
        }
        let value = std::str::from_utf8(text)
            .ok()
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .map(|t| t.parse::<u64>().unwrap_or(u64::MAX));
        match value {
            Some(value) if (min..=max).contains(&value) => Some(value),
            Some(value) if value > max => {
                let message = format!(
                    "{} \"{}\" must be a whole number from {min} to {max}",
                    self.name(spec),
                    String::from_utf8_lossy(text)
                );
                self.fail(column, message);
                None
            }
            _ => {
                let message = format!(
                    "{} \"{}\" must be a whole number of at least {min}",
                    self.name(spec),
                    String::from_utf8_lossy(text)
                );
                self.fail(column, message);
                None
            }
        }
    }

    /// UTF-8 text of at most `max_bytes` (possibly empty).
    pub fn text(&mut self, spec: usize, max_bytes: usize) -> Option<&'r str> {
        let (bytes, column) = self.raw(spec);
        match std::str::from_utf8(bytes) {
            Ok(text) if text.len() <= max_bytes => Some(text),
            Ok(text) => {
                let message = format!(
                    "{} is {} bytes long; at most {max_bytes} are allowed",
                    self.name(spec),
                    text.len()
                );
                self.fail(column, message);
                None
            }
            Err(error) => {
                let message = format!(
                    "{} is not valid UTF-8 (invalid byte at offset {})",
                    self.name(spec),
                    error.valid_up_to()
                );
                self.fail(column, message);
                None
            }
        }
    }

    /// Non-empty text of at most `max_bytes`.
    pub fn required_text(&mut self, spec: usize, max_bytes: usize) -> Option<&'r str> {
        let text = self.text(spec, max_bytes)?;
        if text.is_empty() {
            let message = format!("{} is empty but required", self.name(spec));
            self.fail_field(spec, message);
            return None;
        }
        Some(text)
    }

    /// An optional `YYYY-MM-DD[ HH:MM:SS]` date (UTC): `Some(None)` when empty.
    pub fn date(&mut self, spec: usize) -> Option<Option<Timestamp>> {
        let (text, column) = self.raw(spec);
        if text.is_empty() {
            return Some(None);
        }
        let parsed = Timestamp::parse_bytes(text);
        self.accept(spec, column, text, parsed).map(Some)
    }

    /// A `0`/`1` flag; empty is `false`.
    pub fn flag(&mut self, spec: usize) -> Option<bool> {
        match self.raw(spec).0 {
            b"" | b"0" => Some(false),
            b"1" => Some(true),
            other => {
                let message = format!(
                    "{} \"{}\" must be 0 or 1",
                    self.name(spec),
                    String::from_utf8_lossy(other)
                );
                self.fail_field(spec, message);
                None
            }
        }
    }
}
