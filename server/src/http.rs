//! HTTP/1.1 requests and responses, and decoding parameters into the engine's `Params`.
//!
//! `parse_request` enforces the limits of docs/server.md on a byte buffer, so every limit is tested
//! without a socket: request line and headers at most 8 KiB (414 when the request line alone
//! is too long, 431 otherwise), at most 64 headers (431), a body of at most 64 KiB (413), no
//! chunked bodies (501), a number for `Content-Length` (400), GET and POST only (405). A body
//! is always consumed with its request, so it can never be read as the next request. Paths
//! under `/v1/` (the JSON API) take bodies of up to 1 MiB, and their 413 is a JSON error.
//!
//! `+` is a space and `%XX` a byte. A `%` not followed by two hex digits is kept literally:
//! the value then matches no user or card and the caller gets the endpoint's ordinary
//! "not found" answer, which is more useful to a phone than a bare 400 and can never fail.
//! Names and values are bytes; the engine decides what non-UTF-8 means.

use ratel_engine::mor_api::{ContentType, Params};
use ratel_engine::time::Timestamp;

/// the limits of docs/server.md.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_head: usize,
    pub max_headers: usize,
    pub max_body: usize,
    /// The body limit of the JSON API's paths (`/v1/...`).
    pub max_json_body: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head: 8 * 1024,
            max_headers: 64,
            max_body: 64 * 1024,
            max_json_body: 1024 * 1024,
        }
    }
}

/// The header slots handed to `httparse`: one more than allowed, to tell "too many".
const HEADER_SLOTS: usize = 65;

/// The methods Ratel answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestMethod {
    Get,
    Post,
    /// Anything else: answered 405.
    Other,
}

/// A complete request, borrowing the read buffer.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'b> {
    pub method: RequestMethod,
    pub path: &'b [u8],
    pub query: &'b [u8],
    /// The body when it is `application/x-www-form-urlencoded`.
    pub form_body: Option<&'b [u8]>,
    /// The body, whatever its type (the JSON API's).
    pub body: &'b [u8],
    /// The `Authorization` header's value (the last one sent).
    pub authorization: Option<&'b [u8]>,
    /// The client asked to close (`Connection: close`, or HTTP/1.0 without keep-alive).
    pub close: bool,
}

/// What the buffer holds so far.
#[derive(Debug, Clone, Copy)]
pub enum Parsed<'b> {
    /// A request, and how many bytes of the buffer it used (head and body).
    Complete(HttpRequest<'b>, usize),
    /// More bytes are needed.
    Partial,
    /// The head is complete and valid, the body still to come: the request so far (its
    /// body empty), the body's announced length, and whether the client sent
    /// `Expect: 100-continue` and waits for a `100 Continue` before sending it. What the
    /// head says is checked before the body is read (the JSON API's token, memory).
    AwaitingBody {
        head: HttpRequest<'b>,
        body_len: usize,
        expects_continue: bool,
    },
    /// The request breaks a rule: answer this status, then close.
    Reject(HttpStatus),
    /// As `Reject`, for a JSON API path: the answer is a JSON error.
    RejectJson(HttpStatus),
}

/// The HTTP statuses Ratel sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpStatus {
    Ok,
    BadRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    UriTooLong,
    HeadersTooLarge,
    NotImplemented,
    InternalError,
    Unavailable,
}

impl HttpStatus {
    pub fn line(self) -> &'static str {
        match self {
            HttpStatus::Ok => "200 OK",
            HttpStatus::BadRequest => "400 Bad HttpRequest",
            HttpStatus::Unauthorized => "401 Unauthorized",
            HttpStatus::NotFound => "404 Not Found",
            HttpStatus::MethodNotAllowed => "405 Method Not Allowed",
            HttpStatus::PayloadTooLarge => "413 Payload Too Large",
            HttpStatus::UriTooLong => "414 URI Too Long",
            HttpStatus::HeadersTooLarge => "431 HttpRequest Header Fields Too Large",
            HttpStatus::NotImplemented => "501 Not Implemented",
            HttpStatus::InternalError => "500 Internal Server Error",
            HttpStatus::Unavailable => "503 Service Unavailable",
        }
    }
}

/// Parses the request at the start of `buf` under `limits`.
pub fn parse_request<'b>(buf: &'b [u8], limits: &Limits) -> Parsed<'b> {
    let mut headers = [httparse::EMPTY_HEADER; HEADER_SLOTS];
    let mut request = httparse::Request::new(&mut headers);
    let head_len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            if buf.len() > limits.max_head {
                let line_done = buf[..limits.max_head].contains(&b'\n');
                return Parsed::Reject(if line_done {
                    HttpStatus::HeadersTooLarge
                } else {
                    HttpStatus::UriTooLong
                });
            }
            return Parsed::Partial;
        }
        Err(httparse::Error::TooManyHeaders) => return Parsed::Reject(HttpStatus::HeadersTooLarge),
        Err(_) => return Parsed::Reject(HttpStatus::BadRequest),
    };
    if head_len > limits.max_head {
        return Parsed::Reject(HttpStatus::HeadersTooLarge);
    }
    if request.headers.len() > limits.max_headers {
        return Parsed::Reject(HttpStatus::HeadersTooLarge);
    }
    let method = match request.method {
        Some("GET") => RequestMethod::Get,
        Some("POST") => RequestMethod::Post,
        _ => RequestMethod::Other,
    };
    let http10 = request.version == Some(0);
    let mut close = http10;
    let mut content_length: Option<usize> = None;
    let mut form = false;
    let mut expects_continue = false;
    let mut authorization = None;
    for header in request.headers.iter() {
        let value = header.value.trim_ascii();
        if header.name.eq_ignore_ascii_case("content-length") {
            let parsed = std::str::from_utf8(value)
                .ok()
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<usize>().ok());
            match (parsed, content_length) {
                (None, _) => return Parsed::Reject(HttpStatus::BadRequest),
                (Some(a), Some(b)) if a != b => return Parsed::Reject(HttpStatus::BadRequest),
                (Some(length), _) => content_length = Some(length),
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Parsed::Reject(HttpStatus::NotImplemented);
        } else if header.name.eq_ignore_ascii_case("connection") {
            let tokens = value.split(|&b| b == b',').map(<[u8]>::trim_ascii);
            for token in tokens {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    close = false;
                }
            }
        } else if header.name.eq_ignore_ascii_case("authorization") {
            authorization = Some(value);
        } else if header.name.eq_ignore_ascii_case("expect") {
            expects_continue = value.eq_ignore_ascii_case(b"100-continue");
        } else if header.name.eq_ignore_ascii_case("content-type") {
            form = value.split(|&b| b == b';').next().is_some_and(|t| {
                t.trim_ascii()
                    .eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
            });
        }
    }
    let target: &'b [u8] = request.path.unwrap_or("/").as_bytes();
    let (path, query) = match target.iter().position(|&b| b == b'?') {
        Some(at) => (&target[..at], &target[at + 1..]),
        None => (target, &b""[..]),
    };
    let json = ratel_engine::json_api::is_json_api_path(path);
    let max_body = if json {
        limits.max_json_body
    } else {
        limits.max_body
    };
    let too_large = if json {
        Parsed::RejectJson(HttpStatus::PayloadTooLarge)
    } else {
        Parsed::Reject(HttpStatus::PayloadTooLarge)
    };
    let body_len = content_length.unwrap_or(0);
    if body_len > max_body {
        return too_large;
    }
    let Some(total) = head_len.checked_add(body_len) else {
        return too_large;
    };
    let request = |body: &'b [u8]| HttpRequest {
        method,
        path,
        query,
        form_body: (form && method == RequestMethod::Post).then_some(body),
        body,
        authorization,
        close,
    };
    if buf.len() < total {
        return Parsed::AwaitingBody {
            head: request(&[]),
            body_len,
            expects_continue,
        };
    }
    Parsed::Complete(request(&buf[head_len..total]), total)
}

/// Writes a whole response: status line, `Server`, `Date`, `Content-Type`,
/// `Content-Length`, `Allow: GET, POST` on a 405, `Connection: close` when closing, then the
/// body.
pub fn write_response(
    out: &mut Vec<u8>,
    status: HttpStatus,
    content_type: ContentType,
    body: &[u8],
    close: bool,
    now: Timestamp,
) {
    write_response_allowing(out, status, content_type, body, close, now, "GET, POST");
}

/// [`write_response`] with the methods a 405's `Allow` lists (a JSON API endpoint takes one).
pub fn write_response_allowing(
    out: &mut Vec<u8>,
    status: HttpStatus,
    content_type: ContentType,
    body: &[u8],
    close: bool,
    now: Timestamp,
    allow: &str,
) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.line().as_bytes());
    out.extend_from_slice(b"\r\nServer: ratel\r\nDate: ");
    out.extend_from_slice(&now.http_date());
    out.extend_from_slice(match content_type {
        ContentType::Xml => {
            b"\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: ".as_slice()
        }
        ContentType::Text => b"\r\nContent-Type: text/plain\r\nContent-Length: ".as_slice(),
        ContentType::Json => b"\r\nContent-Type: application/json\r\nContent-Length: ".as_slice(),
    });
    out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
    if status == HttpStatus::MethodNotAllowed {
        out.extend_from_slice(b"\r\nAllow: ");
        out.extend_from_slice(allow.as_bytes());
    }
    if close {
        out.extend_from_slice(b"\r\nConnection: close");
    }
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
}

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

    fn parse(input: &[u8]) -> Result<(HttpRequest<'_>, usize), String> {
        match parse_request(input, &Limits::default()) {
            Parsed::Complete(request, used) => Ok((request, used)),
            Parsed::Partial => Err("partial".into()),
            Parsed::AwaitingBody {
                expects_continue, ..
            } => Err(format!("awaiting body, continue {expects_continue}")),
            Parsed::Reject(status) => Err(status.line().into()),
            Parsed::RejectJson(status) => Err(format!("json {}", status.line())),
        }
    }

    #[test]
    fn a_get_and_a_form_post_parse() {
        let get = b"GET /billing/api/rate_get?u=admin HTTP/1.1\r\nHost: x\r\n\r\n";
        let (request, used) = parse(get).unwrap();
        assert_eq!(
            (request.method, request.path, request.query),
            (
                RequestMethod::Get,
                &b"/billing/api/rate_get"[..],
                &b"u=admin"[..]
            )
        );
        assert!(!request.close && request.form_body.is_none());
        assert_eq!(used, get.len());
        let post = b"POST /p HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nContent-Length: 7\r\n\r\nu=admin";
        let (request, used) = parse(post).unwrap();
        assert_eq!(request.form_body, Some(&b"u=admin"[..]));
        assert_eq!(used, post.len());
    }

    #[test]
    fn a_body_is_consumed_with_its_request_even_when_not_a_form() {
        // The body looks like a request: it must not be read as the next one.
        let input = b"POST /p HTTP/1.1\r\nContent-Length: 23\r\n\r\nGET /smuggled HTTP/1.1\nGET /next HTTP/1.1\r\n\r\n";
        let (request, used) = parse(input).unwrap();
        assert!(request.form_body.is_none());
        let (next, _) = parse(&input[used..]).unwrap();
        assert_eq!(next.path, b"/next");
    }

    #[test]
    fn incomplete_heads_and_bodies_wait_for_more() {
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost:").unwrap_err(), "partial");
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab").unwrap_err(),
            "awaiting body, continue false"
        );
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
                .unwrap_err(),
            "awaiting body, continue true"
        );
        assert_eq!(parse(b"").unwrap_err(), "partial");
    }

    #[test]
    fn limits_and_malformed_requests_are_rejected() {
        let long_line = format!("GET /{} HTTP/1.1\r\n", "a".repeat(20_000));
        assert_eq!(parse(long_line.as_bytes()).unwrap_err(), "414 URI Too Long");
        let big_head = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(9_000));
        assert_eq!(
            parse(big_head.as_bytes()).unwrap_err(),
            "431 HttpRequest Header Fields Too Large"
        );
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(200));
        assert_eq!(
            parse(many.as_bytes()).unwrap_err(),
            "431 HttpRequest Header Fields Too Large"
        );
        let sixty_four = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(64));
        assert!(parse(sixty_four.as_bytes()).is_ok());
        for bad in [
            &b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nContent-Length: \xff\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"\x00\x01garbage\r\n\r\n",
        ] {
            assert_eq!(
                parse(bad).unwrap_err(),
                "400 Bad HttpRequest",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n").unwrap_err(),
            "413 Payload Too Large"
        );
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n")
                .unwrap_err(),
            "400 Bad HttpRequest"
        );
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap_err(),
            "501 Not Implemented"
        );
    }

    #[test]
    fn json_api_paths_take_a_mebibyte_and_refuse_more_in_json() {
        let head = |path: &str, length: usize| {
            format!("POST {path} HTTP/1.1\r\nContent-Length: {length}\r\n\r\n")
        };
        assert_eq!(
            parse(head("/v1/calls", 1024 * 1024).as_bytes()).unwrap_err(),
            "awaiting body, continue false"
        );
        assert_eq!(
            parse(head("/v1/calls?x=1", 1024 * 1024 + 1).as_bytes()).unwrap_err(),
            "json 413 Payload Too Large"
        );
        // Everywhere else the limit stays 64 KiB, answered as before.
        assert_eq!(
            parse(head("/billing/api/rate_get", 64 * 1024 + 1).as_bytes()).unwrap_err(),
            "413 Payload Too Large"
        );
        assert_eq!(
            parse(head("/v1", 64 * 1024 + 1).as_bytes()).unwrap_err(),
            "413 Payload Too Large"
        );
    }

    #[test]
    fn the_raw_body_and_the_authorization_header_reach_the_handler() {
        let post = b"POST /v1/calls HTTP/1.1\r\nAuthorization: Bearer  t0k3n \r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        let (request, _) = parse(post).unwrap();
        assert_eq!(request.body, b"{}");
        assert_eq!(request.authorization, Some(&b"Bearer  t0k3n"[..]));
        assert_eq!(request.form_body, None);
        let (request, _) = parse(b"GET /v1/balance HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!((request.body, request.authorization), (&b""[..], None));
    }

    #[test]
    fn connection_close_and_http_1_0_close() {
        assert!(
            parse(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n")
                .unwrap()
                .0
                .close
        );
        assert!(parse(b"GET / HTTP/1.0\r\n\r\n").unwrap().0.close);
        assert!(
            !parse(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                .unwrap()
                .0
                .close
        );
        assert_eq!(
            parse(b"HEAD / HTTP/1.1\r\n\r\n").unwrap().0.method,
            RequestMethod::Other
        );
    }

    #[test]
    fn responses_carry_length_type_date_and_close() {
        let mut out = Vec::new();
        write_response(
            &mut out,
            HttpStatus::Ok,
            ContentType::Text,
            b"60.0000",
            true,
            Timestamp(0),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 200 OK\r\nServer: ratel\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
             Content-Type: text/plain\r\nContent-Length: 7\r\nConnection: close\r\n\r\n60.0000"
        );
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
        fn any_bytes_parse_or_are_refused_without_panicking(input in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_request(&input, &Limits::default());
            let mut with_head = b"POST /x?a=%zz HTTP/1.1\r\nContent-Length: 5\r\n".to_vec();
            with_head.extend_from_slice(&input);
            let _ = parse_request(&with_head, &Limits::default());
        }

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
