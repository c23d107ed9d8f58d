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
    /// Tells zones apart in a [`HourMemo`] (a clone keeps it: the same rules).
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

    /// Whether times are read as UTC.
    pub fn is_utc(&self) -> bool {
        self.rules.is_none()
    }

    /// The offset (seconds east of UTC) of the wall clock time `local` (seconds since
    /// 1970-01-01 00:00:00 on this clock), and whether every second of its hour has that
    /// same single offset.
    fn offset_of(&self, local: i64) -> Result<(i64, bool), ZoneError> {
        let Some(rules) = &self.rules else {
            return Ok((0, true));
        };
        let offset = |local: i64| -> Result<jiff::tz::AmbiguousOffset, ZoneError> {
            let days = local.div_euclid(86_400);
            let second = local.rem_euclid(86_400);
            let (year, month, day) = civil_from_days(days);
            let out_of_range = || ZoneError::OutOfRange {
                zone: self.name.clone(),
            };
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
            Ok(rules.to_ambiguous_timestamp(time).offset())
        };
        use jiff::tz::AmbiguousOffset::{Fold, Gap, Unambiguous};
        let seconds = |o: jiff::tz::Offset| i64::from(o.seconds());
        match offset(local)? {
            Unambiguous { offset: at } => {
                let hour = local - local.rem_euclid(3600);
                // No zone changes its offset twice within one hour: the same offset at both
                // ends of the hour holds all through it.
                let whole_hour = [hour, hour + 3599]
                    .into_iter()
                    .all(|edge| matches!(offset(edge), Ok(Unambiguous { offset }) if offset == at));
                Ok((seconds(at), whole_hour))
            }
            Fold { before, .. } => Ok((seconds(before), false)),
            Gap { .. } => Err(ZoneError::Skipped {
                zone: self.name.clone(),
            }),
        }
    }

    /// The instant of the wall clock time `local` (seconds since 1970-01-01 00:00:00 on this
    /// zone's clock). `memo` keeps the last hour whose offset held throughout (a zone's rules
    /// are a search; a file's calls mostly share their hours): one a worker, any zone.
    pub fn to_utc(&self, local: i64, memo: &mut HourMemo) -> Result<Timestamp, ZoneError> {
        let hour = local.div_euclid(3600);
        if memo.hour != Some((hour, self.id())) {
            let (offset, whole_hour) = self.offset_of(local)?;
            if !whole_hour {
                return Ok(Timestamp(local - offset));
            }
            *memo = HourMemo {
                hour: Some((hour, self.id())),
                offset,
            };
        }
        Ok(Timestamp(local - memo.offset))
    }

    fn id(&self) -> u64 {
        self.id
    }
}

/// The last hour [`Zone::to_utc`] read whose offset held all through it.
#[derive(Debug, Clone, Copy, Default)]
pub struct HourMemo {
    /// The hour (`local / 3600`) and the zone it was read on; `None` for none yet.
    hour: Option<(i64, u64)>,
    offset: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> i64 {
        Timestamp::parse(text).unwrap().0
    }

    fn utc(zone: &Zone, text: &str) -> Result<String, ZoneError> {
        zone.to_utc(local(text), &mut HourMemo::default())
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
        assert!(utc_zone.is_utc());
        assert_eq!(
            utc(&utc_zone, "2026-03-29 03:30:00"),
            Ok("2026-03-29 03:30:00".into())
        );
        assert!(Zone::named("Europe/Atlantis")
            .unwrap_err()
            .contains("is unknown"));
    }

    #[test]
    fn the_remembered_hour_never_changes_an_answer() {
        // Every 7 minutes across both changes of 2026, with one memo (remembering) and a
        // fresh memo a time (not), alternating two zones on the one memo: the same instants.
        let new_york = Zone::named("America/New_York").unwrap();
        let vilnius = Zone::named("Europe/Vilnius").unwrap();
        let mut memo = HourMemo::default();
        for start in [
            "2026-03-07 00:00:00",
            "2026-10-24 00:00:00",
            "2026-10-31 00:00:00",
        ] {
            for step in 0..(3 * 24 * 60 / 7) {
                let at = local(start) + step * 420;
                for zone in [&new_york, &vilnius] {
                    let fresh = zone.to_utc(at, &mut HourMemo::default());
                    assert_eq!(zone.to_utc(at, &mut memo), fresh, "{} {step}", zone.name());
                }
            }
        }
    }
}
