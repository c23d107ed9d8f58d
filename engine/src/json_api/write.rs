//! How answers are written: JSON through serde, money as strings (rates and fees as the
//! deck's canonical decimal, costs and balances with exactly 6 places).

use serde::{Serialize, Serializer};

use crate::cost::COST_PLACES;
use crate::money::{write_scaled, Decimal};

/// Serializes `value` as JSON into `out`.
pub(crate) fn write_json(out: &mut Vec<u8>, value: &impl Serialize) {
    // Writing to a Vec cannot fail, and every Serialize here is infallible.
    let _ = serde_json::to_writer(out, value);
}

/// Serializes `{"results":[...]}`, the answer of the batch endpoints (`/v1/calls`,
/// `/v1/rates`): one result per item, in input order.
pub(crate) fn write_results(out: &mut Vec<u8>, results: &[impl Serialize]) {
    #[derive(Serialize)]
    struct Answer<'a, T> {
        results: &'a [T],
    }
    write_json(out, &Answer { results });
}

/// An amount with exactly 6 places (costs and balances), rounded half away from zero.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Money(pub Decimal);

impl Money {
    /// The amount's text, without quotes.
    fn write_text(self, out: &mut Vec<u8>) {
        write_scaled(out, self.0.rounded(COST_PLACES), COST_PLACES);
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_text(|out| self.write_text(out), serializer)
    }
}

/// A rate or a fee as the deck has it: the canonical decimal (`"0.155"`, `"35"`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Canonical(pub Decimal);

impl Canonical {
    /// The decimal's text, without quotes.
    fn write_text(self, out: &mut Vec<u8>) {
        write_scaled(out, self.0.units(), self.0.scale());
    }
}

impl Serialize for Canonical {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_text(|out| self.write_text(out), serializer)
    }
}

/// UTF-8 bytes from the artifact (verified at load) as a JSON string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text<'a>(pub &'a [u8]);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&String::from_utf8_lossy(self.0))
    }
}

/// The text `write` gives (an amount: ASCII digits, '-' and '.'), as a JSON string.
fn serialize_text<S: Serializer>(
    write: impl FnOnce(&mut Vec<u8>),
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut text = Vec::with_capacity(48);
    write(&mut text);
    serializer.serialize_str(std::str::from_utf8(&text).unwrap_or(""))
}

/// Writes one JSON object field by field, as serde would write a struct of those fields, but
/// with the keys copied as they are: serde scans every key and value for characters to
/// escape, which was a fifth of `/v1/authorize`'s instructions. Keys are the answer's own
/// field names (letters and `_`, nothing to escape); text values still go through serde's
/// escaping.
pub(crate) struct ObjectWriter<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> ObjectWriter<'o> {
    pub(crate) fn new(out: &'o mut Vec<u8>) -> ObjectWriter<'o> {
        out.push(b'{');
        ObjectWriter { out, empty: true }
    }

    fn key(&mut self, key: &'static str) -> &mut Vec<u8> {
        debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub(crate) fn bool(&mut self, key: &'static str, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.key(key).extend_from_slice(text);
    }

    pub(crate) fn u32(&mut self, key: &'static str, value: u32) {
        let mut digits = itoa::Buffer::new();
        self.key(key)
            .extend_from_slice(digits.format(value).as_bytes());
    }

    /// A JSON string, escaped as serde escapes it.
    pub(crate) fn str(&mut self, key: &'static str, value: &str) {
        write_json(self.key(key), &value);
    }

    /// UTF-8 bytes from the artifact, as [`Text`] writes them.
    pub(crate) fn text(&mut self, key: &'static str, value: &[u8]) {
        write_json(self.key(key), &Text(value));
    }

    /// An amount as [`Money`] writes it, or `null`.
    pub(crate) fn money(&mut self, key: &'static str, value: Option<Money>) {
        let out = self.key(key);
        match value {
            Some(amount) => quoted(out, |out| amount.write_text(out)),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// A rate or fee as [`Canonical`] writes it.
    pub(crate) fn canonical(&mut self, key: &'static str, value: Canonical) {
        quoted(self.key(key), |out| value.write_text(out));
    }

    /// `write(self, key, value)` when there is a value; nothing, not even the key, when not
    /// (serde's `skip_serializing_if = "Option::is_none"`).
    pub(crate) fn present<T>(
        &mut self,
        key: &'static str,
        value: Option<T>,
        write: impl FnOnce(&mut Self, &'static str, T),
    ) {
        if let Some(value) = value {
            write(self, key, value);
        }
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Text that needs no escaping (an amount), between quotes.
fn quoted(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    out.push(b'"');
    write(out);
    out.push(b'"');
}
