use super::calendar::{civil_from_days, days_from_civil};
use super::*;

#[test]
fn parses_both_forms_in_utc() {
    assert_eq!(Timestamp::parse("1970-01-01").unwrap().0, 0);
    assert_eq!(
        Timestamp::parse("2024-02-29 12:34:56").unwrap().0,
        1_709_210_096
    );
    assert_eq!(Timestamp::parse("2000-03-01").unwrap().0, 951_868_800);
}

#[test]
fn refuses_impossible_and_misshapen_dates() {
    for bad in [
        "2023-02-29",
        "2023-13-01",
        "2023-00-10",
        "2023-04-31",
        "2023-1-01",
        "2023/01/01",
        "2023-01-01T00:00:00",
        "2023-01-01 24:00:00",
        "2023-01-01 12:60:00",
        "2023-01-01 12:00",
        "",
        "yesterday",
    ] {
        assert!(Timestamp::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn http_dates_follow_rfc_9110() {
    let date = |text: &str| {
        String::from_utf8(Timestamp::parse(text).unwrap().http_date().to_vec()).unwrap()
    };
    assert_eq!(date("1994-11-06 08:49:37"), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(date("1970-01-01"), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(date("2026-11-23 16:10:05"), "Mon, 23 Nov 2026 16:10:05 GMT");
}

#[test]
fn display_inverts_parse() {
    for text in [
        "1970-01-01 00:00:00",
        "2024-02-29 23:59:59",
        "1899-12-31 01:02:03",
    ] {
        assert_eq!(Timestamp::parse(text).unwrap().to_string(), text);
    }
}

#[test]
fn iso8601_accepts_t_z_offsets_and_zero_fractions_in_utc() {
    let utc = |text: &str| Timestamp::parse(text).unwrap();
    let iso = |text: &str| Timestamp::parse_iso8601(text.as_bytes());
    assert_eq!(iso("2026-12-01T00:00:00Z"), Ok(utc("2026-12-01")));
    assert_eq!(iso("2026-12-01t00:00:00z"), Ok(utc("2026-12-01")));
    assert_eq!(iso("2026-12-01T00:00:00"), Ok(utc("2026-12-01")));
    assert_eq!(iso("2026-12-01 10:20:30"), Ok(utc("2026-12-01 10:20:30")));
    assert_eq!(iso("2026-12-01"), Ok(utc("2026-12-01")));
    assert_eq!(iso("2026-12-01T00:00:00.000Z"), Ok(utc("2026-12-01")));
    assert_eq!(
        iso("2026-12-01T02:30:00+02:30"),
        Ok(utc("2026-12-01 00:00:00"))
    );
    assert_eq!(
        iso("2026-12-01T00:00:00-0500"),
        Ok(utc("2026-12-01 05:00:00"))
    );
    assert_eq!(iso("2026-12-01T01:00:00+01"), Ok(utc("2026-12-01")));
    for bad in [
        "2026-12-01T00:00:00.5Z",
        "2026-12-01T00:00:00+24:00",
        "2026-12-01T00:00:00Q",
        "2026-12-01T00:00",
        "2026-12-01X00:00:00",
        "2026-02-30T00:00:00Z",
        "2026-12-01T00:00:00+1",
    ] {
        assert!(iso(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn date_patterns_read_vendor_dates() {
    let at = |pattern: &str, text: &str| {
        let format: DateFormat = pattern.parse().unwrap();
        format.parse(text.as_bytes()).map(|t| t.to_string())
    };
    let midnight = Some("2026-12-01 00:00:00".to_owned());
    assert_eq!(at("%d.%m.%Y", "01.12.2026"), midnight);
    assert_eq!(at("%d.%m.%Y", "1.12.2026"), midnight);
    assert_eq!(at("%m/%d/%Y", "12/01/2026"), midnight);
    assert_eq!(at("%d-%b-%Y", "01-Dec-2026"), midnight);
    assert_eq!(at("%d %B %Y", "1 DECEMBER 2026"), midnight);
    assert_eq!(at("%Y%m%d", "20261201"), midnight);
    assert_eq!(at("%Y-%m-%dT%H:%M:%SZ", "2026-12-01T00:00:00Z"), midnight);
    assert_eq!(at("%FT%T%z", "2026-12-01T01:00:00+01:00"), midnight);
    assert_eq!(
        at("%d.%m.%Y %H:%M", "01.12.2026 13:45"),
        Some("2026-12-01 13:45:00".to_owned())
    );
    assert_eq!(at("iso", "2026-12-01T00:00:00Z"), midnight);
    for (pattern, bad) in [
        ("%d.%m.%Y", "2026-12-01"),
        ("%d.%m.%Y", "31.11.2026"),
        ("%d.%m.%Y", "01.12.2026 00:00"),
        ("%m/%d/%Y", "13/01/2026"),
        ("%d.%m.%Y", "01.12.26"),
        ("%d-%b-%Y", "01-Dez-2026"),
        ("%d.%m.%Y %H:%M", "01.12.2026 24:00"),
    ] {
        assert_eq!(at(pattern, bad), None, "{pattern} accepted {bad:?}");
    }
}

#[test]
fn numbers_written_together_must_be_written_in_full() {
    let compact = DatePattern::new("%Y%m%d").unwrap();
    assert_eq!(
        compact.parse(b"20261101").map(|t| t.to_string()),
        Some("2026-11-01 00:00:00".to_owned())
    );
    // Seven digits: 2026-11-01 or 2026-01-11? Refused, never guessed.
    assert_eq!(compact.parse(b"2026111"), None);
    assert_eq!(compact.parse(b"202611"), None);
    let joined_time = DatePattern::new("%d.%m.%Y %H%M").unwrap();
    assert!(joined_time.parse(b"1.2.2026 0930").is_some());
    assert_eq!(joined_time.parse(b"1.2.2026 930"), None);
}

#[test]
fn date_patterns_that_cannot_work_are_refused_with_a_reason() {
    for (pattern, reason) in [
        ("dd.mm.yyyy", "has no specifier"),
        ("%d.%m.%y", "%y (two-digit year)"),
        ("%d.%m", "needs a year"),
        ("%d.%Y", "needs a month"),
        ("%m.%Y", "needs a day"),
        ("%d.%m.%Y %q", "unknown specifier %q"),
        ("%d.%m.%Y %M", "minutes need an hour"),
        ("%d.%d.%m.%Y", "more than once"),
        ("%d.%m.%Y%", "lone %"),
    ] {
        let error = pattern.parse::<DateFormat>().unwrap_err();
        assert!(error.contains(reason), "{pattern}: {error}");
    }
}

proptest::proptest! {
    /// Any real instant written day-first reads back as the same instant.
    #[test]
    fn patterns_read_what_display_wrote(seconds in -2_000_000_000i64..5_000_000_000) {
        let written = Timestamp(seconds).to_string();
        let (date, time) = written.split_once(' ').unwrap();
        let (y, rest) = date.split_once('-').unwrap();
        let (m, d) = rest.split_once('-').unwrap();
        if y.len() == 4 {
            let vendor = format!("{d}.{m}.{y} {time}");
            let format: DateFormat = "%d.%m.%Y %T".parse().unwrap();
            proptest::prop_assert_eq!(format.parse(vendor.as_bytes()), Some(Timestamp(seconds)));
            let iso = format!("{date}T{time}Z");
            proptest::prop_assert_eq!(Timestamp::parse_iso8601(iso.as_bytes()), Ok(Timestamp(seconds)));
        }
    }
}

proptest::proptest! {
    #[test]
    fn civil_round_trips(days in -1_000_000i64..1_000_000) {
        let (y, m, d) = civil_from_days(days);
        proptest::prop_assert_eq!(days_from_civil(y, m, d), days);
    }
}

#[test]
fn the_coarse_clock_is_at_most_a_second_behind_and_never_ahead() {
    for _ in 0..1000 {
        let coarse = Timestamp::now_coarse();
        let precise = Timestamp::now();
        assert!(
            coarse <= precise && precise.0 - coarse.0 <= 1,
            "{coarse:?} {precise:?}"
        );
    }
}

proptest::proptest! {
    /// The fixed-place reader of `YYYY-MM-DD[ HH:MM:SS]` accepts and reads what the pattern
    /// reader (an independent one) reads with `%Y-%m-%d` and `%Y-%m-%d %T`: every date of
    /// the four-digit years, and the same text with one byte changed (to a digit, making
    /// impossible dates, or to anything).
    #[test]
    fn fixed_places_read_as_the_pattern_reads(
        seconds in -62_167_219_200i64..253_402_300_800,
        date_only: bool,
        flaw in proptest::option::of((0usize..19, proptest::prop_oneof![b'0'..=b'9', proptest::num::u8::ANY])),
    ) {
        let mut text = Timestamp(seconds).to_string().into_bytes();
        if date_only {
            text.truncate(10);
        }
        if let Some((at, byte)) = flaw.filter(|&(at, _)| at < text.len()) {
            text[at] = byte;
        }
        let pattern: DateFormat = if date_only { "%Y-%m-%d" } else { "%Y-%m-%d %T" }.parse().unwrap();
        let read = Timestamp::parse_bytes(&text);
        proptest::prop_assert_eq!(read.clone().ok(), pattern.parse(&text));
        if flaw.is_none() {
            let midnight = seconds - seconds.rem_euclid(86_400);
            proptest::prop_assert_eq!(read, Ok(Timestamp(if date_only { midnight } else { seconds })));
        }
    }
}
