use super::*;
use crate::input::CsvFormat;

/// Reads `text` as `t.csv`; returns (prefix, rate, destination, line) of valid rows and the errors.
fn read(text: &[u8]) -> (Vec<(String, String, String, u64)>, ErrorList) {
    let mut errors = ErrorList::new();
    let mut rows = Vec::new();
    read_tariff(
        text,
        "t.csv",
        &mut errors,
        |row| {
            rows.push((
                String::from_utf8(row.prefix.to_vec()).unwrap(),
                row.rate.to_string(),
                row.destination.to_owned(),
                row.line,
            ))
        },
        |_| {},
    );
    (rows, errors)
}

fn messages(errors: &ErrorList) -> Vec<String> {
    errors.kept().iter().map(ToString::to_string).collect()
}

#[test]
fn reads_rows_with_columns_in_any_order_and_defaults() {
    let (rows, errors) =
        read(b"Destination,RATE,prefix\n\"Lithuania, Vilnius\",0.987,3705\nUSA,0.01,1\n");
    assert!(errors.is_empty(), "{errors}");
    assert_eq!(
        rows,
        vec![
            (
                "3705".into(),
                "0.987".into(),
                "Lithuania, Vilnius".into(),
                2
            ),
            ("1".into(), "0.01".into(), "USA".into(), 3)
        ]
    );
}

#[test]
fn every_bad_field_is_reported_with_line_and_column() {
    let csv = "prefix,rate,destination,connection_fee,increment_s,min_time_s,effective_from\n\
                   37x,0.1,A,0,1,0,\n\
                   370,-1,A,0,1,0,\n\
                   371,1e5,A,abc,0,x,2023-02-30\n\
                   372,0.1,A,0,1,0,2023-01-01 10:00\n";
    let (rows, errors) = read(csv.as_bytes());
    assert!(rows.is_empty());
    assert_eq!(
            messages(&errors),
            vec![
                "t.csv:2:1: prefix \"37x\" must be 1-20 digits",
                "t.csv:3:2: rate \"-1\" must not be negative",
                "t.csv:4:2: rate \"1e5\" is not a decimal number (expected digits with an optional '.' fraction, like 0.05)",
                "t.csv:4:4: connection_fee \"abc\" is not a decimal number (expected digits with an optional '.' fraction, like 0.05)",
                "t.csv:4:5: increment_s \"0\" must be a whole number of at least 1",
                "t.csv:4:6: min_time_s \"x\" must be a whole number of at least 0",
                "t.csv:4:7: effective_from \"2023-02-30\" is not a date: expected YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or ISO 8601 like 2026-12-01T00:00:00Z (UTC); another form needs --date-format",
                "t.csv:5:7: effective_from \"2023-01-01 10:00\" is not a date: expected YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or ISO 8601 like 2026-12-01T00:00:00Z (UTC); another form needs --date-format",
            ]
        );
}

#[test]
fn empty_required_field_and_long_prefix_are_errors() {
    let (_, errors) = read(b"prefix,rate\n370,\n,1\n123456789012345678901,1\n");
    assert_eq!(
        messages(&errors),
        vec![
            "t.csv:2:2: rate \"\" is empty",
            "t.csv:3:1: prefix \"\" must be 1-20 digits",
            "t.csv:4:1: prefix \"123456789012345678901\" must be 1-20 digits",
        ]
    );
}

#[test]
fn invalid_utf8_and_long_destination_name_their_column() {
    let mut csv = b"prefix,destination,rate\n370,Lith\xffuania,1\n".to_vec();
    csv.extend_from_slice(format!("371,{},1\n", "x".repeat(129)).as_bytes());
    let (_, errors) = read(&csv);
    assert_eq!(
        messages(&errors),
        vec![
            "t.csv:2:2: destination is not valid UTF-8 (invalid byte at offset 4)",
            "t.csv:3:2: destination is 129 bytes long; at most 128 are allowed",
        ]
    );
}

#[test]
fn missing_header_column_stops_the_file() {
    let (rows, errors) = read(b"prefix,cost\n370,1\n");
    assert!(rows.is_empty());
    assert_eq!(
        messages(&errors),
        vec![
            "t.csv:1:2: column \"cost\" is not used, but its name suggests a price, and \
                 ignoring it could bill calls wrong: name its field with --column FIELD=\"cost\", \
                 or drop it knowingly with --ignore-column \"cost\"",
            "t.csv:1:1: missing required column \"rate\" in the header (recognised names: \
                 rate, price, rate per minute; name another with --column rate=HEADER)"
        ]
    );
    let (_, errors) = read(b"");
    assert!(errors.to_string().starts_with("t.csv:1:1: file is empty"));
}

#[test]
fn a_quote_left_open_is_reported_where_it_opened_and_ragged_rows_are_errors() {
    let (rows, errors) = read(b"prefix,destination,rate\n370,\"two\nlines\",1\n371,x\n372,y,1\n");
    assert_eq!(rows.iter().map(|r| r.3).collect::<Vec<_>>(), vec![5]);
    assert_eq!(
        messages(&errors),
        vec![
            "t.csv:2:2: quote opened here is not closed on this line (a field may not span lines)",
            "t.csv:3:1: row has 2 fields but the header has 3",
            "t.csv:4:1: row has 2 fields but the header has 3",
        ]
    );
}

proptest::proptest! {
    /// Whatever bytes arrive, the reader answers with rows or located errors.
    #[test]
    fn arbitrary_bytes_never_panic_the_reader(
        body in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
        with_header: bool,
    ) {
        let mut input = if with_header { b"prefix,rate,destination,effective_from\n".to_vec() } else { Vec::new() };
        input.extend_from_slice(&body);
        let mut errors = ErrorList::new();
        let mut rows = 0;
        read_tariff(&input[..], "t.csv", &mut errors, |_| rows += 1, |_| {});
        for error in errors.kept() {
            proptest::prop_assert!(error.line >= 1 && error.column >= 1);
        }
    }

    /// The same in every vendor format: each encoding, delimiter and option.
    #[test]
    fn arbitrary_bytes_never_panic_the_reader_in_any_format(
        body in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        encoding in proptest::sample::select(vec!["utf-8", "windows-1252", "utf-16", "utf-16be", "shift_jis"]),
        delimiter in proptest::sample::select(vec![",", ";", "tab", "auto"]),
        decimal_comma: bool,
        dates in proptest::sample::select(vec!["iso", "%d.%m.%Y", "%FT%T%z", "%d-%b-%Y %H:%M"]),
    ) {
        let mut format = DeckFormat {
            decimal_comma,
            dates: dates.parse().unwrap(),
            ..DeckFormat::default()
        };
        format.csv.encoding = TextEncoding::from_label(encoding).unwrap();
        format.csv.delimiter = delimiter.parse().unwrap();
        let mut input = b"\xFF\xFEp\0;\0r\0\n\0".to_vec();
        input.truncate(if body.first().is_some_and(|b| b % 2 == 0) { 10 } else { 0 });
        input.extend_from_slice(b"Dial Code;Price;Effective Date\n");
        input.extend_from_slice(&body);
        let mut errors = ErrorList::new();
        read_tariff_with(&input[..], "t.csv", &format, &mut errors, |_| {}, |_| {});
        for error in errors.kept() {
            proptest::prop_assert!(error.line >= 1 && error.column >= 1);
        }
    }
}

/// (prefix, rate, fee, increment, min time, destination, effective_from) of every valid
/// row read in `format`, the error messages and the warnings.
#[allow(clippy::type_complexity)]
fn read_deck(text: &[u8], format: &DeckFormat) -> (Vec<[String; 7]>, Vec<String>, Vec<String>) {
    let mut errors = ErrorList::new();
    let mut rows = Vec::new();
    let summary = read_tariff_with(
        text,
        "t.csv",
        format,
        &mut errors,
        |row| {
            rows.push([
                String::from_utf8(row.prefix.to_vec()).unwrap(),
                row.rate.to_string(),
                row.connection_fee.to_string(),
                row.increment_s.to_string(),
                row.min_time_s.to_string(),
                row.destination.to_owned(),
                row.effective_from
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            ])
        },
        |_| {},
    );
    (rows, messages(&errors), summary.warnings)
}

fn strings<const N: usize>(items: [&str; N]) -> [String; N] {
    items.map(str::to_owned)
}

#[test]
fn a_vendor_deck_with_semicolons_decimal_commas_and_day_first_dates_reads_whole() {
    let deck =
        "Dial Code;Code Name;Price;Setup Fee;Billing Increment;Minimal Time;Effective Date\n\
                    44;United Kingdom;0,0123;0,5;60;30;01.12.2026\n\
                    4420;\"London; City\";1;0;1;0;\n";
    let format = DeckFormat {
        decimal_comma: true,
        dates: "%d.%m.%Y".parse().unwrap(),
        ..DeckFormat::default()
    };
    let (rows, errors, warnings) = read_deck(deck.as_bytes(), &format);
    assert!(
        errors.is_empty() && warnings.is_empty(),
        "{errors:?} {warnings:?}"
    );
    assert_eq!(
        rows,
        vec![
            strings([
                "44",
                "0.0123",
                "0.5",
                "60",
                "30",
                "United Kingdom",
                "2026-12-01 00:00:00"
            ]),
            strings(["4420", "1", "0", "1", "0", "London; City", ""]),
        ]
    );
}

#[test]
fn an_effective_date_column_is_honoured_not_ignored() {
    // The deck that once compiled with every future rate in force at once.
    let deck = b"Prefix,Destination,Rate,Effective Date\n44,UK,0.05,2099-01-01\n";
    let (rows, errors, warnings) = read_deck(deck, &DeckFormat::default());
    assert!(
        errors.is_empty() && warnings.is_empty(),
        "{errors:?} {warnings:?}"
    );
    assert_eq!(rows[0][6], "2099-01-01 00:00:00");
    let iso = b"code,price,effective\n44,0.05,2026-12-01T00:00:00Z\n";
    assert_eq!(
        read_deck(iso, &DeckFormat::default()).0[0][6],
        "2026-12-01 00:00:00"
    );
}

#[test]
fn unused_headers_that_carry_fees_or_billing_steps_in_vendor_words_are_errors() {
    // Seen in real decks: dropping any of these would bill calls wrong with exit 0.
    for header in [
        "Connection",
        "Setup",
        "Pulse",
        "Min",
        "Min Duration",
        "Minimal Duration",
        "Rounding",
        "Grace",
        "Tax",
        "VAT",
        "Interconnect",
        "Peak",
        "Off-Peak",
        "Per Minute",
        "Amount",
        "USD",
        "EUR/min",
        "Incr",
        "Init Incr",
        "Addl Incr",
        "60/60",
        "Ccy",
        "JPY",
        "Blocked",
        "Active",
        "Removed",
        "Flagfall",
        "Set-up",
        "NewRate",
        "Weekend",
        "Free Seconds",
        "Granularity",
    ] {
        let deck = format!("prefix,rate,{header}\n44,0.05,0.10\n");
        let (rows, errors, _) = read_deck(deck.as_bytes(), &DeckFormat::default());
        assert!(rows.is_empty(), "{header}");
        assert_eq!(errors.len(), 1, "{header}: {errors:?}");
        assert!(
            errors[0].starts_with(&format!("t.csv:1:3: column \"{header}\" is not used")),
            "{errors:?}"
        );
    }
    // Harmless columns stay warnings.
    for header in [
        "Country",
        "Admin Notes",
        "Private",
        "Region",
        "Terminating Country",
        "Rate Center",
        "Exchange",
        "Strategy",
        "Corporate",
        "Transaction",
        "Last Updated",
        "Time Zone",
        "NPA",
        "NXX",
        "OCN",
        "LATA",
        "Route to",
        "Operated By",
    ] {
        let deck = format!("prefix,rate,{header}\n44,0.05,x\n");
        let (rows, errors, warnings) = read_deck(deck.as_bytes(), &DeckFormat::default());
        assert_eq!(
            (rows.len(), errors.len(), warnings.len()),
            (1, 0, 1),
            "{header}"
        );
    }
}

#[test]
fn unused_headers_that_look_like_dates_or_prices_are_errors_unless_ignored_knowingly() {
    let deck = b"prefix,rate,End Date,Country\n44,0.05,2099-01-01,UK\n";
    let (rows, errors, warnings) = read_deck(deck, &DeckFormat::default());
    assert!(rows.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with(
            "t.csv:1:3: column \"End Date\" is not used, but its name suggests a date or time"
        ),
        "{errors:?}"
    );
    assert_eq!(
        warnings,
        vec!["t.csv:1:4: unknown column \"Country\" is ignored"]
    );
    let mut format = DeckFormat::default();
    format.ignore_column("end date").unwrap();
    let (rows, errors, warnings) = read_deck(deck, &format);
    assert_eq!((rows.len(), errors.len()), (1, 0));
    assert_eq!(
        warnings[0],
        "t.csv:1:3: column \"End Date\" is ignored: --ignore-column"
    );
}

#[test]
fn a_header_naming_a_field_twice_is_an_error() {
    let deck = b"Code,Dial Code,Rate\n44,44,1\n";
    let (rows, errors, _) = read_deck(deck, &DeckFormat::default());
    assert!(rows.is_empty());
    assert_eq!(
        errors,
        vec!["t.csv:1:2: column \"Dial Code\" names prefix again: column 1 \"Code\" already does"]
    );
}

#[test]
fn column_options_name_any_header_and_set_aside_the_recognised_one() {
    let deck = b"Code,Rate,Tarif EUR\n44,9,0.05\n";
    let mut format = DeckFormat::default();
    format.name_column("rate=tarif eur").unwrap();
    let (rows, errors, warnings) = read_deck(deck, &format);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows[0][1], "0.05");
    assert_eq!(
            warnings,
            vec!["t.csv:1:2: column \"Rate\" is ignored: --column rate=\"tarif eur\" names the rate column"]
        );
    let mut absent = DeckFormat::default();
    absent.name_column("effective_from=Valid From").unwrap();
    let (_, errors, _) = read_deck(deck, &absent);
    assert_eq!(errors.len(), 2, "{errors:?}");
    // "Tarif EUR", no longer named, is a price column left unused.
    assert!(errors[0].starts_with("t.csv:1:3: column \"Tarif EUR\" is not used"));
    assert_eq!(
            errors[1],
            "t.csv:1:1: --column effective_from=\"Valid From\": the header has no column \"Valid From\""
        );
}

#[test]
fn decimal_commas_are_read_only_when_asked_and_points_are_then_refused() {
    let comma = DeckFormat {
        decimal_comma: true,
        ..DeckFormat::default()
    };
    let deck = b"prefix;rate;connection_fee\n1;0,5;0\n2;0.5;0\n3;1,2,3;0\n4;;0\n";
    let (rows, errors, _) = read_deck(deck, &comma);
    assert_eq!(rows.len(), 1);
    assert_eq!(
            errors,
            vec![
                "t.csv:3:2: rate \"0.5\" has a '.', but the deck is read with --decimal-comma (expected digits with an optional ',' fraction, like 0,05)",
                "t.csv:4:2: rate \"1,2,3\" is not a decimal number (expected digits with an optional ',' fraction, like 0,05, as --decimal-comma says)",
                "t.csv:5:2: rate \"\" is empty",
            ]
        );
    let (_, errors, _) = read_deck(b"prefix;rate\n1;0,5\n", &DeckFormat::default());
    assert_eq!(
            errors,
            vec!["t.csv:2:2: rate \"0,5\" is not a decimal number (expected digits with an optional '.' fraction, like 0.05; a deck with decimal commas needs --decimal-comma)"]
        );
}

#[test]
fn dates_outside_the_format_name_it() {
    let format = DeckFormat {
        dates: "%d.%m.%Y".parse().unwrap(),
        ..DeckFormat::default()
    };
    let (_, errors, _) = read_deck(b"prefix,rate,effective_from\n1,1,2026-12-01\n", &format);
    assert_eq!(
        errors,
        vec!["t.csv:2:3: effective_from \"2026-12-01\" is not a date in --date-format %d.%m.%Y"]
    );
}

#[test]
fn windows_1252_utf16_bom_and_crlf_decks_read_the_same_rows() {
    let expected = vec![strings(["225", "0.05", "0", "1", "0", "Côte d'Ivoire", ""])];
    let cp1252 = DeckFormat {
        csv: CsvFormat {
            encoding: TextEncoding::from_label("windows-1252").unwrap(),
            ..DeckFormat::default().csv
        },
        ..DeckFormat::default()
    };
    let (rows, errors, _) = read_deck(
        b"prefix;destination;rate\r\n225;C\xf4te d'Ivoire;0.05\r\n",
        &cp1252,
    );
    assert_eq!((rows, errors), (expected.clone(), vec![]));
    let text = "prefix,destination,rate\r\n225,Côte d'Ivoire,0.05\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (rows, errors, _) = read_deck(&utf16, &DeckFormat::default());
    assert_eq!((rows, errors), (expected.clone(), vec![]));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let (rows, errors, _) = read_deck(&bom, &DeckFormat::default());
    assert_eq!((rows, errors), (expected, vec![]));
    // Read as UTF-8, the same Windows-1252 byte is an error at its line and column.
    let (_, errors, _) = read_deck(
        b"prefix;destination;rate\r\n225;C\xf4te;0.05\r\n",
        &DeckFormat::default(),
    );
    assert_eq!(
        errors,
        vec!["t.csv:2:2: destination is not valid UTF-8 (invalid byte at offset 1)"]
    );
}

#[test]
fn tariff_names_follow_the_spec() {
    assert!(is_valid_tariff_name("retail_EU-2"));
    assert!(!is_valid_tariff_name(""));
    assert!(!is_valid_tariff_name("has space"));
    assert!(!is_valid_tariff_name(&"a".repeat(65)));
}

/// (prefix, first interval, increment) of every valid row, and the error messages.
fn read_intervals(text: &str) -> (Vec<(String, u32, u32)>, Vec<String>) {
    let mut errors = ErrorList::new();
    let mut rows = Vec::new();
    read_tariff(
        text.as_bytes(),
        "t.csv",
        &mut errors,
        |row| {
            rows.push((
                String::from_utf8(row.prefix.to_vec()).unwrap(),
                row.first_interval_s,
                row.increment_s,
            ))
        },
        |_| {},
    );
    (rows, messages(&errors))
}

#[test]
fn first_next_in_the_increment_column_sets_both_intervals() {
    let (rows, errors) = read_intervals(
        "Code,Price,Billing Increment\n1,0.1,60/60\n2,0.1,30/6\n3,0.1, 45 / 10 \n4,0.1,60\n5,0.1,\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        rows,
        vec![
            ("1".into(), 60, 60),
            ("2".into(), 30, 6),
            ("3".into(), 45, 10),
            ("4".into(), 0, 60),
            ("5".into(), 0, 1),
        ]
    );
}

#[test]
fn a_first_interval_column_sets_first_with_the_increment_as_next() {
    for header in ["first_interval_s", "First Interval", "Initial Increment"] {
        let deck = format!(
            "prefix,rate,increment_s,{header}\n1,0.1,6,30\n2,0.1,1,\n3,0.1,10/10,10\n4,0.1,,45\n"
        );
        let (rows, errors) = read_intervals(&deck);
        assert!(errors.is_empty(), "{header}: {errors:?}");
        assert_eq!(
            rows,
            vec![
                ("1".into(), 30, 6),
                ("2".into(), 0, 1),
                ("3".into(), 10, 10),
                ("4".into(), 45, 1),
            ],
            "{header}"
        );
    }
}

#[test]
fn malformed_or_disagreeing_intervals_are_errors_with_line_and_column() {
    let (rows, errors) = read_intervals(
        "prefix,rate,increment_s,first_interval_s\n\
         1,0.1,60/,\n\
         2,0.1,0/60,\n\
         3,0.1,a/b,\n\
         4,0.1,60/60/60,\n\
         5,0.1,30/6,45\n\
         6,0.1,6,0\n\
         7,0.1,6,x\n\
         8,0.1,30/6,30\n",
    );
    let expected = "is not a billing interval pair: expected FIRST/NEXT in seconds, like 60/60 \
                    or 30/6 (whole numbers from 1 to 4294967295)";
    assert_eq!(
        errors,
        vec![
            format!("t.csv:2:3: increment_s \"60/\" {expected}"),
            format!("t.csv:3:3: increment_s \"0/60\" {expected}"),
            format!("t.csv:4:3: increment_s \"a/b\" {expected}"),
            format!("t.csv:5:3: increment_s \"60/60/60\" {expected}"),
            "t.csv:6:4: first_interval_s \"45\" disagrees with increment_s \"30/6\", whose first \
             interval is 30: give the first interval in one column, or the same in both"
                .to_owned(),
            "t.csv:7:4: first_interval_s \"0\" must be a whole number of at least 1".to_owned(),
            "t.csv:8:4: first_interval_s \"x\" must be a whole number of at least 1".to_owned(),
        ]
    );
    assert_eq!(rows, vec![("8".into(), 30, 6)]);
}
