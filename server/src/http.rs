//! Request decoding: query strings and `application/x-www-form-urlencoded` bodies into the
//! engine's `Params`.
//!
//! `+` is a space and `%XX` a byte. A `%` not followed by two hex digits is kept literally:
//! the value then matches no user or card and the caller gets the endpoint's ordinary
//! "not found" answer, which is more useful to a phone than a bare 400 and can never fail.
//! Names and values are bytes; the engine decides what non-UTF-8 means.

use ratel_engine::api::Params;

/// Which part of the request the pairs come from (the body wins on a repeated name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Query,
    Body,
}

/// Decodes `name=value&...` into `params`. Empty pieces (`&&`) are skipped; a piece without
/// `=` is a name with an empty value.
pub fn decode_pairs(input: &[u8], source: Source, params: &mut Params) {
    let (mut name, mut value) = (Vec::new(), Vec::new());
    for piece in input.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        decode_component(raw_name, &mut name);
        decode_component(raw_value, &mut value);
        match source {
            Source::Query => params.push_query(&name, &value),
            Source::Body => params.push_body(&name, &value),
        }
    }
}

/// The parameters of one request: the query string's, a form body's (which win), and an id
/// given in the path (`/api/simple_balance/ID`), which wins over both as a Rails path
/// parameter does.
pub fn request_params(query: &[u8], form_body: Option<&[u8]>, path_id: Option<&[u8]>) -> Params {
    let mut params = Params::new();
    decode_pairs(query, Source::Query, &mut params);
    if let Some(body) = form_body {
        decode_pairs(body, Source::Body, &mut params);
    }
    if let Some(id) = path_id {
        let mut decoded = Vec::new();
        decode_component(id, &mut decoded);
        params.push_body(b"id", &decoded);
    }
    params
}

/// Percent-decodes one component into `out` (cleared first).
pub fn decode_component(input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                input.get(i + 1).and_then(hex),
                input.get(i + 2).and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
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
        let params = request_params(b"id=q&x=1", Some(b"id=b"), Some(b"p%20id"));
        assert_eq!(params.text("id"), Some("p id"));
        assert_eq!(
            request_params(b"id=q", Some(b"id=b"), None).text("id"),
            Some("b")
        );
        assert_eq!(request_params(b"id=q", None, None).text("id"), Some("q"));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_without_panicking(input in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut params = Params::new();
            decode_pairs(&input, Source::Query, &mut params);
            let mut out = Vec::new();
            decode_component(&input, &mut out);
            proptest::prop_assert!(out.len() <= input.len());
        }
    }
}
