use super::*;

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
        parse(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n").unwrap_err(),
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
        "431 Request Header Fields Too Large"
    );
    let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(200));
    assert_eq!(
        parse(many.as_bytes()).unwrap_err(),
        "431 Request Header Fields Too Large"
    );
    let sixty_four = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(64));
    assert!(parse(sixty_four.as_bytes()).is_ok());
    let sixty_five = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(65));
    assert_eq!(
        parse(sixty_five.as_bytes()).unwrap_err(),
        "431 Request Header Fields Too Large"
    );
    for bad in [
        &b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nContent-Length: \xff\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"\x00\x01garbage\r\n\r\n",
    ] {
        assert_eq!(
            parse(bad).unwrap_err(),
            "400 Bad Request",
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(
        parse(b"POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n").unwrap_err(),
        "413 Payload Too Large"
    );
    assert_eq!(
        parse(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n").unwrap_err(),
        "400 Bad Request"
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

proptest::proptest! {
    #[test]
    fn any_bytes_parse_or_are_refused_without_panicking(input in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
        let _ = parse_request(&input, &Limits::default());
        let mut with_head = b"POST /x?a=%zz HTTP/1.1\r\nContent-Length: 5\r\n".to_vec();
        with_head.extend_from_slice(&input);
        let _ = parse_request(&with_head, &Limits::default());
    }

}
