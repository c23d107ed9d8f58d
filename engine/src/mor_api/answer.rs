//! How every endpoint's answer is written: the content type, the outcome `/metrics` counts,
//! a balance converted for printing, and the `<page>`/`<status>` envelopes of failures.

use super::{Envelope, Failure};
use crate::accounts::Currency;
use crate::money::{write_scaled, Decimal, Wide};
use crate::xml::XmlWriter;

/// Whether an endpoint answered or refused (an application-level error), for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Answered,
    Refused,
}

/// What a body is, for the `Content-Type` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// `text/xml; charset=utf-8`
    Xml,
    /// `text/plain` (every plain body is ASCII: numbers, codes, error strings)
    Text,
    /// `application/json` (the JSON API under `/v1/`)
    Json,
}

/// A balance converted into a currency, rounded once to the places it is shown with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    /// Units of `10^-places`.
    pub units: Wide,
    pub places: u8,
}

impl Amount {
    /// `balance` (in the default currency) in `currency`, rounded half away from zero.
    pub fn convert(balance: Decimal, currency: &Currency, places: u8) -> Amount {
        Amount {
            units: balance.mul_rounded(currency.rate, places),
            places,
        }
    }

    pub fn write(self, out: &mut Vec<u8>) {
        write_scaled(out, self.units, self.places);
    }
}

/// Writes `<page>` holding what `body` writes for a success, or the failure in its envelope.
pub(crate) fn write_page<T>(
    out: &mut Vec<u8>,
    result: &Result<T, Failure>,
    body: impl FnOnce(&mut XmlWriter<'_>, &T),
) -> ContentType {
    let answer = match result {
        Ok(answer) => answer,
        Err(failure) => return write_failure(out, *failure),
    };
    let mut xml = XmlWriter::document(out);
    xml.open("page");
    body(&mut xml, answer);
    xml.close("page");
    ContentType::Xml
}

/// Writes a failure in its envelope; returns the body's content type.
pub fn write_failure(out: &mut Vec<u8>, failure: Failure) -> ContentType {
    let text = failure.error.text().as_bytes();
    let roots: &[&str] = match failure.envelope {
        Envelope::Plain => {
            out.extend_from_slice(text);
            return ContentType::Text;
        }
        Envelope::Status => &["status"],
        Envelope::Page => &["page"],
        Envelope::PageStatus => &["page", "status"],
    };
    let mut xml = XmlWriter::document(out);
    for root in roots {
        xml.open(root);
    }
    xml.text("error", text);
    for root in roots.iter().rev() {
        xml.close(root);
    }
    ContentType::Xml
}
