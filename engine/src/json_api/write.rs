//! How answers are written: JSON through serde, money as strings (rates and fees as the
//! deck's canonical decimal, costs and balances with exactly 6 places).

use serde::{Serialize, Serializer};

use crate::cost::COST_PLACES;
use crate::money::{write_scaled, Decimal, Wide};

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

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_scaled(self.0.rounded(COST_PLACES), COST_PLACES, serializer)
    }
}

/// A rate or a fee as the deck has it: the canonical decimal (`"0.155"`, `"35"`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Canonical(pub Decimal);

impl Serialize for Canonical {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_scaled(self.0.units(), self.0.scale(), serializer)
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

/// `units / 10^places` with exactly `places` fractional digits, as a JSON string.
fn serialize_scaled<S: Serializer>(
    units: impl Into<Wide>,
    places: u8,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut text = Vec::with_capacity(48);
    write_scaled(&mut text, units, places);
    // Only ASCII digits, '-' and '.' were written.
    serializer.serialize_str(std::str::from_utf8(&text).unwrap_or(""))
}
