use super::*;

use crate::input::testing::Trickle;

type Expected = Result<(u64, Vec<String>), (u64, u64, String)>;

/// Every record (line, fields) or error (line, column, message) of `data`.
fn read_all(data: &[u8], format: CsvFormat, chunk: usize) -> Vec<Expected> {
    let mut reader = LineReader::new(Trickle { data, chunk }, format);
    let mut record = Record::new();
    let mut out = Vec::new();
    loop {
        match reader.read(&mut record) {
            Ok(true) => out.push(Ok((
                record.line(),
                record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ))),
            Ok(false) => return out,
            Err(e) => {
                let fatal = e.fatal;
                out.push(Err((e.line, e.column, e.message)));
                if fatal {
                    return out;
                }
            }
        }
    }
}

fn fields(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn records_carry_their_physical_line_whatever_the_line_ends() {
    for ending in ["\n", "\r\n"] {
        let text = "h,x|1,1||2,\"x, y\"|||4,z".replace('|', ending);
        let got = read_all(text.as_bytes(), CsvFormat::default(), 3);
        let lines: Vec<u64> = got.iter().map(|r| r.as_ref().unwrap().0).collect();
        assert_eq!(lines, vec![1, 2, 4, 7], "{ending:?}");
        assert_eq!(got[2], Ok((4, fields(&["2", "x, y"]))));
    }
}

#[test]
fn an_unclosed_quote_is_reported_where_it_opened_and_the_next_line_is_read() {
    let text = b"prefix,destination,rate\n1,a,1\n2,\"Lithuania,1\n3,b,1\n4,\"c\"\"d\",1\n5,\"e";
    let got = read_all(text, CsvFormat::default(), 64);
    assert_eq!(
        got,
        vec![
            Ok((1, fields(&["prefix", "destination", "rate"]))),
            Ok((2, fields(&["1", "a", "1"]))),
            Err((
                3,
                2,
                "quote opened here is not closed on this line (a field may not span lines)".into()
            )),
            Ok((4, fields(&["3", "b", "1"]))),
            Ok((5, fields(&["4", "c\"d", "1"]))),
            Err((
                6,
                2,
                "quote opened here is not closed on this line (a field may not span lines)".into()
            )),
        ]
    );
}

#[test]
fn auto_chooses_the_delimiter_that_splits_the_header_most() {
    let cases: [(&[u8], u8); 5] = [
        (b"Dial Code;Destination;Rate\n1;a,b;0,5\n", b';'),
        (b"prefix,rate,\"notes; misc\"\n", b','),
        (b"code\tname\trate\n", b'\t'),
        (b"code|rate\n", b'|'),
        (b"single\n", b','),
    ];
    for (text, expected) in cases {
        let format = CsvFormat {
            delimiter: Delimiter::Auto,
            ..CsvFormat::default()
        };
        let mut reader = LineReader::new(text, format);
        assert!(reader.read(&mut Record::new()).unwrap());
        assert_eq!(reader.delimiter(), Delimiter::Byte(expected));
    }
    let got = read_all(
        b"Dial Code;Destination;Rate\n1;a,b;0,5\n",
        CsvFormat {
            delimiter: Delimiter::Auto,
            ..CsvFormat::default()
        },
        5,
    );
    assert_eq!(got[1], Ok((2, fields(&["1", "a,b", "0,5"]))));
}

#[test]
fn a_line_too_long_is_skipped_with_an_error() {
    let mut text = b"a,b\n".to_vec();
    text.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
    text.extend_from_slice(b"\nc,d\n");
    let got = read_all(&text, CsvFormat::default(), 1 << 16);
    assert_eq!(
        got.len(),
        3,
        "{:?}",
        got.iter().map(|r| r.as_ref().err()).collect::<Vec<_>>()
    );
    assert_eq!(got[0], Ok((1, fields(&["a", "b"]))));
    assert!(
        matches!(&got[1], Err((2, 1, m)) if m.contains("longer than 1 MiB")),
        "{:?}",
        got[1].as_ref().err()
    );
    assert_eq!(got[2], Ok((3, fields(&["c", "d"]))));
}

#[test]
fn delimiters_parse_from_their_names() {
    assert_eq!(";".parse(), Ok(Delimiter::Byte(b';')));
    assert_eq!("tab".parse(), Ok(Delimiter::Byte(b'\t')));
    assert_eq!("auto".parse(), Ok(Delimiter::Auto));
    assert!("::".parse::<Delimiter>().is_err());
}

proptest::proptest! {
    /// Line numbers and fields do not depend on how the input arrives, and every line
    /// with content is one record or one error.
    #[test]
    fn reading_is_independent_of_chunking(
        text in "[ab,\"\r\n]{0,80}",
        chunk in 1usize..9,
    ) {
        let whole = read_all(text.as_bytes(), CsvFormat::default(), 1 << 16);
        let trickled = read_all(text.as_bytes(), CsvFormat::default(), chunk);
        proptest::prop_assert_eq!(&whole, &trickled);
        let content_lines = text
            .split('\n')
            .filter(|l| !l.strip_suffix('\r').unwrap_or(l).is_empty())
            .count();
        proptest::prop_assert_eq!(whole.len(), content_lines);
    }
}
