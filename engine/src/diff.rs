//! What a new deck changes (`tariff-diff`): for every prefix of either deck, the row each
//! holds in force at a time, and what the change is for the carrier's customers.
//!
//! Both decks' prefixes are walked together, one slice at a time, in one merged pass over
//! their sorted streams; nothing is looked up per prefix. Prefixes are compared exactly: a
//! prefix the new deck drops is `closed` even when a shorter prefix of the new deck would
//! still price its numbers.

use crate::artifact::{Artifact, RateRecord};
use crate::lookup::{DamagedIndex, PrefixRow, Slice};
use crate::money::Decimal;
use crate::time::Timestamp;

/// Seconds in a day.
const DAY_S: i64 = 86_400;

/// What happened to one prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrefixStatus {
    /// Only the new deck prices it.
    New,
    /// Only the old deck prices it.
    Closed,
    /// A higher rate.
    Increased,
    /// A lower rate.
    Decreased,
    /// The same rate, another connection fee, increment or minimum time.
    TermsChanged,
    /// The same rate and terms.
    Unchanged,
}

impl PrefixStatus {
    /// Every status, in the order summaries list them (`status as usize` is its place).
    pub const ALL: [PrefixStatus; 6] = [
        PrefixStatus::New,
        PrefixStatus::Closed,
        PrefixStatus::Increased,
        PrefixStatus::Decreased,
        PrefixStatus::TermsChanged,
        PrefixStatus::Unchanged,
    ];

    /// The name written in the `status` column.
    pub fn name(self) -> &'static str {
        match self {
            PrefixStatus::New => "new",
            PrefixStatus::Closed => "closed",
            PrefixStatus::Increased => "increased",
            PrefixStatus::Decreased => "decreased",
            PrefixStatus::Unchanged => "unchanged",
            PrefixStatus::TermsChanged => "terms_changed",
        }
    }

    /// The status of a prefix priced by `old` and `new` (`None` where a deck has no row in
    /// force); `None` when neither has.
    pub fn of(old: Option<&RateRecord<'_>>, new: Option<&RateRecord<'_>>) -> Option<PrefixStatus> {
        Some(match (old, new) {
            (None, None) => return None,
            (None, Some(_)) => PrefixStatus::New,
            (Some(_), None) => PrefixStatus::Closed,
            (Some(old), Some(new)) => match new.rate.cmp_value(old.rate) {
                std::cmp::Ordering::Greater => PrefixStatus::Increased,
                std::cmp::Ordering::Less => PrefixStatus::Decreased,
                std::cmp::Ordering::Equal
                    if new.connection_fee.cmp_value(old.connection_fee).is_ne()
                        || new.increment_s != old.increment_s
                        || new.min_time_s != old.min_time_s
                        || new.first_interval_s != old.first_interval_s =>
                {
                    PrefixStatus::TermsChanged
                }
                std::cmp::Ordering::Equal => PrefixStatus::Unchanged,
            },
        })
    }
}

/// The notice carriers' agreements require before an increase takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub days: u32,
    /// When the new deck was received.
    pub received: Timestamp,
}

/// One prefix's change.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub prefix: &'a [u8],
    pub status: PrefixStatus,
    pub old: Option<RateRecord<'a>>,
    pub new: Option<RateRecord<'a>>,
    /// When the new row took effect; `None` for an undated row (at once).
    pub new_since: Option<Timestamp>,
}

impl Change<'_> {
    /// The destination's name: the new deck's, or the old one's for a closed prefix.
    pub fn destination(&self) -> &[u8] {
        self.new.or(self.old).map_or(&[][..], |row| row.destination)
    }

    /// (new − old) / old × 100, to 2 places; `None` when old is missing or zero.
    pub fn change_pct(&self) -> Option<Percent> {
        Percent::change(self.old?.rate, self.new?.rate)
    }

    /// Whether this is an increase that takes effect less than `notice.days` days after the
    /// deck was received (an undated row takes effect at once).
    pub fn is_short_notice(&self, notice: Notice) -> bool {
        if self.status != PrefixStatus::Increased {
            return false;
        }
        let effective = self.new_since.unwrap_or(notice.received);
        i128::from(effective.0) - i128::from(notice.received.0)
            < i128::from(notice.days) * i128::from(DAY_S)
    }
}

/// A percentage rounded half away from zero to 2 places, held exactly (whole percent and
/// hundredths, so that no ratio of two 18-digit rates can overflow it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percent {
    negative: bool,
    whole: u128,
    hundredths: u8,
}

impl Percent {
    /// (new − old) / old × 100; `None` when old is zero or negative.
    pub fn change(old: Decimal, new: Decimal) -> Option<Percent> {
        // Both at one scale: integers below 10^36, so every step below fits u128.
        let scale = old.scale().max(new.scale());
        let (Some(old), Some(new)) = (old.widened(scale), new.widened(scale)) else {
            return None;
        };
        if old <= 0 {
            return None;
        }
        let (difference, divisor) = ((new - old).unsigned_abs(), old.unsigned_abs());
        // Long division: whole percent, then two decimals, then the rounding digit.
        let quotient = difference / divisor;
        let mut remainder = (difference % divisor) * 100;
        let mut whole = quotient * 100 + remainder / divisor;
        remainder = (remainder % divisor) * 100;
        let mut hundredths = remainder / divisor;
        remainder %= divisor;
        if remainder * 2 >= divisor {
            hundredths += 1;
        }
        if hundredths == 100 {
            hundredths = 0;
            whole += 1;
        }
        Some(Percent {
            negative: new < old,
            whole,
            hundredths: hundredths as u8,
        })
    }

    /// Writes it with two decimals (`12.50`, `-3.33`, `0.00`).
    pub fn write(&self, out: &mut Vec<u8>) {
        if self.negative && (self.whole > 0 || self.hundredths > 0) {
            out.push(b'-');
        }
        out.extend_from_slice(itoa::Buffer::new().format(self.whole).as_bytes());
        out.push(b'.');
        out.push(b'0' + self.hundredths / 10);
        out.push(b'0' + self.hundredths % 10);
    }
}

/// Two decks to compare: one tariff of each, at one time.
#[derive(Debug, Clone, Copy)]
pub struct Decks<'a> {
    pub old: &'a Artifact,
    pub old_tariff: usize,
    pub new: &'a Artifact,
    pub new_tariff: usize,
    pub at: Timestamp,
}

/// Why two decks are not compared: their rates are in two currencies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tariff \"{tariff}\" is in {old_currency} in {old_path} but in {new_currency} in {new_path}; rates in two currencies are not compared")]
pub struct TwoCurrencies {
    pub tariff: String,
    pub old_currency: String,
    pub old_path: String,
    pub new_currency: String,
    pub new_path: String,
}

impl<'a> Decks<'a> {
    /// The decks to compare, refused when they are priced in two currencies (codes compared
    /// ignoring case). Tariff ids must be the artifacts' own.
    pub fn new(
        old: &'a Artifact,
        old_tariff: usize,
        new: &'a Artifact,
        new_tariff: usize,
        at: Timestamp,
    ) -> Result<Decks<'a>, TwoCurrencies> {
        let (old_info, new_info) = (&old.tariffs()[old_tariff], &new.tariffs()[new_tariff]);
        if !old_info.currency.eq_ignore_ascii_case(&new_info.currency) {
            return Err(TwoCurrencies {
                tariff: new_info.name.clone(),
                old_currency: old_info.currency.clone(),
                old_path: old.path().display().to_string(),
                new_currency: new_info.currency.clone(),
                new_path: new.path().display().to_string(),
            });
        }
        Ok(Decks {
            old,
            old_tariff,
            new,
            new_tariff,
            at,
        })
    }
}

impl Decks<'_> {
    /// Calls `each` with every prefix of `slice` that either deck prices at the time, in
    /// prefix order. `Err` when a deck's index turned out damaged (the rows before were
    /// sound).
    pub fn diff(
        &self,
        slice: Slice,
        mut each: impl FnMut(&Change<'_>),
    ) -> Result<(), DamagedIndex> {
        let mut old = self.old.prefixes(self.old_tariff, slice, self.at);
        let mut new = self.new.prefixes(self.new_tariff, slice, self.at);
        let (mut next_old, mut next_new) = (old.next(), new.next());
        loop {
            // The smaller head goes first; equal heads are one prefix of both decks.
            let (from_old, from_new): (Option<PrefixRow>, Option<PrefixRow>) =
                match (next_old, next_new) {
                    (None, None) => return old.check().and(new.check()),
                    (Some(o), Some(n)) if o.prefix() == n.prefix() => (Some(o), Some(n)),
                    (Some(o), Some(n)) if o.prefix() < n.prefix() => (Some(o), None),
                    (Some(_), Some(n)) => (None, Some(n)),
                    (o, n) => (o, n),
                };
            if from_old.is_some() {
                next_old = old.next();
            }
            if from_new.is_some() {
                next_new = new.next();
            }
            let old_row = from_old.and_then(|row| self.old.record(row.row.record));
            let new_row = from_new.and_then(|row| self.new.record(row.row.record));
            let Some(status) = PrefixStatus::of(old_row.as_ref(), new_row.as_ref()) else {
                continue;
            };
            let Some(prefix) = from_new.or(from_old) else {
                continue;
            };
            each(&Change {
                prefix: prefix.prefix(),
                status,
                old: old_row,
                new: new_row,
                new_since: from_new.and_then(|row| row.row.since),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text, false).unwrap()
    }

    fn pct(old: &str, new: &str) -> Option<String> {
        Percent::change(d(old), d(new)).map(|p| {
            let mut out = Vec::new();
            p.write(&mut out);
            String::from_utf8(out).unwrap()
        })
    }

    #[test]
    fn change_pct_rounds_half_away_from_zero_to_two_places() {
        assert_eq!(pct("0.02", "0.025").as_deref(), Some("25.00"));
        assert_eq!(pct("0.03", "0.02").as_deref(), Some("-33.33"));
        assert_eq!(pct("0.03", "0.04").as_deref(), Some("33.33"));
        assert_eq!(pct("3", "2.00005").as_deref(), Some("-33.33"));
        // 1/8 % = 0.125 → 0.13; -0.125 → -0.13
        assert_eq!(pct("800", "801").as_deref(), Some("0.13"));
        assert_eq!(pct("800", "799").as_deref(), Some("-0.13"));
        assert_eq!(pct("0.1", "0.1").as_deref(), Some("0.00"));
        assert_eq!(pct("1", "0").as_deref(), Some("-100.00"));
        // -0.004 % rounds to zero, printed without a sign.
        assert_eq!(pct("100000", "99999.996").as_deref(), Some("0.00"));
        assert_eq!(pct("0", "1"), None);
        // The widest ratio two rates can have is still exact.
        assert_eq!(
            pct("0.000000000000000001", "999999999999999999").as_deref(),
            Some("99999999999999999899999999999999999900.00")
        );
        // 0.995 % carries into the whole part.
        assert_eq!(pct("1000", "1009.95").as_deref(), Some("1.00"));
        assert_eq!(pct("1000", "1009.949").as_deref(), Some("0.99"));
    }

    #[test]
    fn every_status_sits_at_its_own_place_in_all() {
        for (place, status) in PrefixStatus::ALL.iter().enumerate() {
            assert_eq!(*status as usize, place, "{status:?}");
        }
    }

    #[test]
    fn a_changed_first_interval_is_a_change_of_terms() {
        let old = RateRecord {
            rate: d("0.1"),
            connection_fee: Decimal::ZERO,
            destination: b"X",
            increment_s: 6,
            min_time_s: 0,
            first_interval_s: 0,
        };
        let new = RateRecord {
            first_interval_s: 30,
            ..old
        };
        let status =
            |old: &RateRecord<'_>, new: &RateRecord<'_>| PrefixStatus::of(Some(old), Some(new));
        assert_eq!(status(&old, &new), Some(PrefixStatus::TermsChanged));
        assert_eq!(status(&new, &old), Some(PrefixStatus::TermsChanged));
        let other = RateRecord {
            first_interval_s: 45,
            ..new
        };
        assert_eq!(status(&new, &other), Some(PrefixStatus::TermsChanged));
        assert_eq!(status(&new, &new), Some(PrefixStatus::Unchanged));
        // A rate change still reads as the rate's.
        let dearer = RateRecord {
            rate: d("0.2"),
            ..new
        };
        assert_eq!(status(&old, &dearer), Some(PrefixStatus::Increased));
    }

    #[test]
    fn notice_is_short_for_increases_taking_effect_within_the_days() {
        let received = Timestamp::parse("2026-11-26").unwrap();
        let notice = Notice { days: 7, received };
        let record = RateRecord {
            rate: d("0.1"),
            connection_fee: Decimal::ZERO,
            destination: b"X",
            increment_s: 1,
            min_time_s: 0,
            first_interval_s: 0,
        };
        let change = |status, since: Option<&str>| Change {
            prefix: b"1",
            status,
            old: Some(record),
            new: Some(record),
            new_since: since.map(|s| Timestamp::parse(s).unwrap()),
        };
        assert!(change(PrefixStatus::Increased, None).is_short_notice(notice));
        assert!(
            change(PrefixStatus::Increased, Some("2026-12-02 23:59:59")).is_short_notice(notice)
        );
        assert!(!change(PrefixStatus::Increased, Some("2026-12-03")).is_short_notice(notice));
        assert!(change(PrefixStatus::Increased, Some("2026-01-01")).is_short_notice(notice));
        assert!(!change(PrefixStatus::Decreased, None).is_short_notice(notice));
        let none = Notice { days: 0, received };
        assert!(!change(PrefixStatus::Increased, None).is_short_notice(none));
    }
}
