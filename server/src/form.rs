//! Decoding parameters into the engine's `Params`: a query string, a form body, an id given
//! in the path.
//!
//! `+` is a space and `%XX` a byte. A `%` not followed by two hex digits is kept literally:
//! the value then matches no user or card and the caller gets the endpoint's ordinary
//! "not found" answer, which is more useful to a phone than a bare 400 and can never fail.
//! Names and values are bytes; the engine decides what non-UTF-8 means.

use ratel_engine::mor_api::Params;

/// Which part of the request the pairs come from (the body wins on a repeated name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Query,
    Body,
}

/// Decodes `name=value&...` into `params`. Empty pieces (`&&`) are skipped; a piece without
/// `=` is a name with an empty value.
pub fn decode_pairs(input: &[u8], source: Source, params: &mut Params) {
    for piece in input.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        params.push_with(
            source == Source::Body,
            |out| decode_into(raw_name, out),
            |out| decode_into(raw_value, out),
        );
    }
}

/// Fills `params` (cleared first) with one request's parameters: the query string's, a form
/// body's (which win), and an id given in the path (`/api/simple_balance/ID`), which wins
/// over both as a Rails path parameter does.
pub fn request_params(
    params: &mut Params,
    query: &[u8],
    form_body: Option<&[u8]>,
    path_id: Option<&[u8]>,
) {
    params.clear();
    decode_pairs(query, Source::Query, params);
    if let Some(body) = form_body {
        decode_pairs(body, Source::Body, params);
    }
    if let Some(id) = path_id {
        params.push_with(
            true,
            |out| out.extend_from_slice(b"id"),
            |out| decode_into(id, out),
        );
    }
}

/// Percent-decodes one component into `out` (cleared first).
pub fn decode_component(input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    decode_into(input, out);
}

/// Percent-decodes one component, appending to `out`: `+` is a space, `%` and two hex digits
/// a byte, and a `%` without them stays as it is. Runs without either are copied whole.
fn decode_into(mut input: &[u8], out: &mut Vec<u8>) {
    while let Some(at) = memchr::memchr2(b'%', b'+', input) {
        out.extend_from_slice(&input[..at]);
        if input[at] == b'+' {
            out.push(b' ');
            input = &input[at + 1..];
            continue;
        }
        match (
            input.get(at + 1).and_then(hex),
            input.get(at + 2).and_then(hex),
        ) {
            (Some(high), Some(low)) => {
                out.push(high << 4 | low);
                input = &input[at + 3..];
            }
            _ => {
                out.push(b'%');
                input = &input[at + 1..];
            }
        }
    }
    out.extend_from_slice(input);
}

fn hex(byte: &u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(input: &str) -> String {
        let mut out = Vec::new();
        decode_component(input.as_bytes(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn escapes_plus_and_malformed_percents() {
        assert_eq!(decoded("a+b%20c%2Bd"), "a b c+d");
        assert_eq!(decoded("%e2%82%ac"), "€");
        assert_eq!(decoded("100%"), "100%");
        assert_eq!(decoded("%zz%4"), "%zz%4");
        assert_eq!(decoded("%%41"), "%A");
    }

    #[test]
    fn pairs_follow_body_wins_then_last() {
        let mut params = Params::new();
        decode_pairs(
            b"u=admin&&flag&u=first%20two&prefix=370",
            Source::Query,
            &mut params,
        );
        assert_eq!(params.text("u"), Some("first two"));
        assert_eq!(params.text("flag"), Some(""));
        decode_pairs(b"u=body", Source::Body, &mut params);
        assert_eq!(params.text("u"), Some("body"));
        decode_pairs(b"bad=%ff", Source::Query, &mut params);
        assert_eq!(params.get("bad"), Some(&b"\xff"[..]));
        assert_eq!(params.text("bad"), None);
    }

    #[test]
    fn the_path_id_wins_over_query_and_body() {
        // One Params reused across requests, as a connection does: nothing leaks between.
        let mut params = Params::new();
        request_params(&mut params, b"id=q&x=1", Some(b"id=b"), Some(b"p%20id"));
        assert_eq!(params.text("id"), Some("p id"));
        assert_eq!(params.text("x"), Some("1"));
        request_params(&mut params, b"id=q", Some(b"id=b"), None);
        assert_eq!(params.text("id"), Some("b"));
        assert_eq!(params.text("x"), None);
        request_params(&mut params, b"id=q", None, None);
        assert_eq!(params.text("id"), Some("q"));
    }

    /// Byte-at-a-time percent-decoding, the plain reading of the rules `decode_into`
    /// implements with memchr jumps.
    fn reference_decode(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < input.len() {
            match (
                input[i],
                input.get(i + 1).and_then(hex),
                input.get(i + 2).and_then(hex),
            ) {
                (b'+', _, _) => out.push(b' '),
                (b'%', Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                (byte, _, _) => out.push(byte),
            }
            i += 1;
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn escape_heavy_input_decodes_as_the_byte_at_a_time_reading(input in proptest::collection::vec(
            proptest::sample::select(b"%%%++0123456789abcdefABCDEFxz=&\xff".to_vec()), 0..64)) {
            let mut out = b"kept".to_vec();
            decode_into(&input, &mut out);
            proptest::prop_assert_eq!(&out[..4], b"kept");
            proptest::prop_assert_eq!(&out[4..], &reference_decode(&input)[..]);
        }

        #[test]
        fn any_bytes_decode_without_panicking(input in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut params = Params::new();
            decode_pairs(&input, Source::Query, &mut params);
            let mut out = Vec::new();
            decode_component(&input, &mut out);
            proptest::prop_assert!(out.len() <= input.len());
            proptest::prop_assert_eq!(out, reference_decode(&input));
        }
    }
}
