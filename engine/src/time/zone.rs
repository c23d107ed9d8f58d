//! The wall clock of a named zone (IANA, such as `Europe/Vilnius`), for switches that log
//! local time: Asterisk writes `2026-10-25 03:30:00` in the switch's own zone, an instant
//! only through that zone's rules. The rules come from the system's tzdata
//! (`/usr/share/zoneinfo`), or from the copy built into the binary where a system has none.
//!
//! Twice a year a zone with summer time reads strangely. When the clocks go back, an hour is
//! read twice: a time in it is taken as its **first** occurrence (summer time; a call logged
//! then cannot be told apart, and the earlier instant is the one a tariff in force "from the
//! change" will not reach by mistake). When the clocks go forward, an hour never happens: a
//! time in it is an error ([`ZoneError::Skipped`]), as no switch on that zone could have
//! written it (the zone is most likely not the switch's).

use std::sync::atomic::{AtomicU64, Ordering};

use super::{civil_from_days, Timestamp};

/// A zone whose wall clock times are read: UTC, or a named IANA zone.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    /// Tells zones apart in a [`OffsetMemo`] (a clone keeps it: the same rules).
    id: u64,
    /// `None`: UTC, no rules to apply.
    rules: Option<jiff::tz::TimeZone>,
}

/// Why a wall clock time names no instant on a zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error(
        "does not exist in {zone}: the clocks skipped that hour (is {zone} the switch's zone?)"
    )]
    Skipped { zone: String },
    #[error("is out of the range of dates {zone} can read")]
    OutOfRange { zone: String },
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

impl Zone {
    /// UTC: wall clock times are instants as written.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".to_owned(),
            id: 0,
            rules: None,
        }
    }

    /// The IANA zone `name` (`Europe/Vilnius`, `America/New_York`; `UTC` is [`Zone::utc`]).
    /// The error says the name is unknown.
    pub fn named(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("UTC") || name == "Etc/UTC" {
            return Ok(Zone::utc());
        }
        jiff::tz::TimeZone::get(name)
            .map(|rules| {
                static NEXT_ID: AtomicU64 = AtomicU64::new(1);
                Zone {
                    name: name.to_owned(),
                    id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                    rules: Some(rules),
                }
            })
            .map_err(|_| {
                format!(
                    "time zone \"{name}\" is unknown: give an IANA name such as Europe/Vilnius, \
                     America/New_York or UTC"
                )
            })
    }

    /// The zone's name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset (seconds east of UTC) of the wall clock time `local` (seconds since
    /// 1970-01-01 00:00:00 on this clock), and the wall clock times around it that surely
    /// have that same single offset (`None` near a change of offset).
    fn offset_of(&self, local: i64) -> Result<(i64, Option<(i64, i64)>), ZoneError> {
        let Some(rules) = &self.rules else {
            return Ok((0, Some((i64::MIN, i64::MAX))));
        };
        let out_of_range = || ZoneError::OutOfRange {
            zone: self.name.clone(),
        };
        let days = local.div_euclid(86_400);
        let second = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let time = jiff::civil::DateTime::new(
            i16::try_from(year).map_err(|_| out_of_range())?,
            month as i8,
            day as i8,
            (second / 3600) as i8,
            (second / 60 % 60) as i8,
            (second % 60) as i8,
            0,
        )
        .map_err(|_| out_of_range())?;
        use jiff::tz::AmbiguousOffset::{Fold, Gap, Unambiguous};
        match rules.to_ambiguous_timestamp(time).offset() {
            Unambiguous { offset } => {
                let offset = i64::from(offset.seconds());
                let instant =
                    jiff::Timestamp::from_second(local - offset).map_err(|_| out_of_range())?;
                // Between the changes before and after this instant the offset is this one;
                // a wall clock time further than any offset (under 2 days) from either change
                // can only be read with it.
                let transition = |t: Option<jiff::tz::TimeZoneTransition<'_>>| {
                    t.map(|t| t.timestamp().as_second() + offset)
                };
                let before = transition(rules.preceding(instant).next())
                    .map_or(i64::MIN, |at| at.saturating_add(SAFE_FROM_A_CHANGE));
                let after = transition(rules.following(instant).next())
                    .map_or(i64::MAX, |at| at.saturating_sub(SAFE_FROM_A_CHANGE));
                Ok((
                    offset,
                    (before <= local && local < after).then_some((before, after)),
                ))
            }
            Fold { before, .. } => Ok((i64::from(before.seconds()), None)),
            Gap { .. } => Err(ZoneError::Skipped {
                zone: self.name.clone(),
            }),
        }
    }

    /// The instant of the wall clock time `local` (seconds since 1970-01-01 00:00:00 on this
    /// zone's clock). `memo` keeps the last span of wall clock times with one offset (a
    /// zone's rules are a search; a file's calls mostly fall between the same two changes):
    /// one a worker, any zone.
    pub fn to_utc(&self, local: i64, memo: &mut OffsetMemo) -> Result<Timestamp, ZoneError> {
        if memo.zone != Some(self.id()) || local < memo.from || local >= memo.until {
            let (offset, span) = self.offset_of(local)?;
            let Some((from, until)) = span else {
                return Ok(Timestamp(local - offset));
            };
            *memo = OffsetMemo {
                zone: Some(self.id()),
                from,
                until,
                offset,
            };
        }
        Ok(Timestamp(local - memo.offset))
    }

    fn id(&self) -> u64 {
        self.id
    }
}

/// How far (seconds) a wall clock time must be from a change of offset to be read with the
/// offset of its side only: more than the largest difference between two offsets of a zone
/// (Samoa skipped a whole day in 2011).
const SAFE_FROM_A_CHANGE: i64 = 3 * 86_400;

/// The last span of wall clock times [`Zone::to_utc`] read with one offset throughout.
#[derive(Debug, Clone, Copy, Default)]
pub struct OffsetMemo {
    /// The zone it was read on; `None` for none yet.
    zone: Option<u64>,
    /// The span `[from, until)` of wall clock times.
    from: i64,
    until: i64,
    offset: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> i64 {
        Timestamp::parse(text).unwrap().0
    }

    fn utc(zone: &Zone, text: &str) -> Result<String, ZoneError> {
        zone.to_utc(local(text), &mut OffsetMemo::default())
            .map(|t| t.to_string())
    }

    #[test]
    fn summer_and_winter_times_and_both_changes_on_a_named_zone() {
        let vilnius = Zone::named("Europe/Vilnius").unwrap();
        // Winter: UTC+2; summer: UTC+3. Clocks went back at 04:00 on 2026-10-25 and forward
        // at 03:00 on 2026-03-29.
        assert_eq!(
            utc(&vilnius, "2026-11-26 10:00:00"),
            Ok("2026-11-26 08:00:00".into())
        );
        assert_eq!(
            utc(&vilnius, "2026-07-01 10:00:00"),
            Ok("2026-07-01 07:00:00".into())
        );
        // The hour read twice: its first occurrence, in summer time.
        assert_eq!(
            utc(&vilnius, "2026-10-25 03:30:00"),
            Ok("2026-10-25 00:30:00".into())
        );
        assert_eq!(
            utc(&vilnius, "2026-10-25 04:00:00"),
            Ok("2026-10-25 02:00:00".into())
        );
        // The hour that never was.
        assert_eq!(
            utc(&vilnius, "2026-03-29 03:30:00"),
            Err(ZoneError::Skipped {
                zone: "Europe/Vilnius".into()
            })
        );
        assert_eq!(
            utc(&vilnius, "2026-03-29 04:00:00"),
            Ok("2026-03-29 01:00:00".into())
        );
        let utc_zone = Zone::named("utc").unwrap();
        assert_eq!(utc_zone.name(), "UTC");
        assert_eq!(
            utc(&utc_zone, "2026-03-29 03:30:00"),
            Ok("2026-03-29 03:30:00".into())
        );
        assert!(Zone::named("Europe/Atlantis")
            .unwrap_err()
            .contains("is unknown"));
    }

    #[test]
    fn the_remembered_span_never_changes_an_answer() {
        // Every 7 minutes for 10 days walking into each change of 2026 (the memo set far from
        // it, then carried up to it), one memo a zone and one shared by both, against a fresh
        // memo a time: the same instants.
        let new_york = Zone::named("America/New_York").unwrap();
        let vilnius = Zone::named("Europe/Vilnius").unwrap();
        let (mut shared, mut own) = (OffsetMemo::default(), [OffsetMemo::default(); 2]);
        for start in [
            "2026-03-01 00:00:00",
            "2026-03-22 00:00:00",
            "2026-10-18 00:00:00",
            "2026-10-26 00:00:00",
        ] {
            for step in 0..(10 * 24 * 60 / 7) {
                let at = local(start) + step * 420;
                for (zone, memo) in [&new_york, &vilnius].into_iter().zip(own.iter_mut()) {
                    let fresh = zone.to_utc(at, &mut OffsetMemo::default());
                    assert_eq!(zone.to_utc(at, memo), fresh, "{} {step}", zone.name());
                    assert_eq!(
                        zone.to_utc(at, &mut shared),
                        fresh,
                        "{} {step}",
                        zone.name()
                    );
                }
            }
        }
    }
}
