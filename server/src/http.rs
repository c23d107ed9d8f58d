//! HTTP/1.1 requests and responses (their parameters are decoded by `form`).
//!
//! `parse_request` enforces the limits of docs/server.md on a byte buffer, so every limit is tested
//! without a socket: request line and headers at most 8 KiB (414 when the request line alone
//! is too long, 431 otherwise), at most 64 headers (431), a body of at most 64 KiB (413), no
//! chunked bodies (501), a number for `Content-Length` (400), GET and POST only (405). A body
//! is always consumed with its request, so it can never be read as the next request. Paths
//! under `/v1/` (the JSON API) take bodies of up to 1 MiB, and their 413 is a JSON error.
//!
use ratel_engine::mor_api::{ContentType, Method};
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

impl RequestMethod {
    /// The method as the APIs take it; `None` for one they never answer.
    pub fn api(self) -> Option<Method> {
        match self {
            RequestMethod::Get => Some(Method::Get),
            RequestMethod::Post => Some(Method::Post),
            RequestMethod::Other => None,
        }
    }
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
    Conflict,
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
            HttpStatus::BadRequest => "400 Bad Request",
            HttpStatus::Unauthorized => "401 Unauthorized",
            HttpStatus::NotFound => "404 Not Found",
            HttpStatus::MethodNotAllowed => "405 Method Not Allowed",
            HttpStatus::Conflict => "409 Conflict",
            HttpStatus::PayloadTooLarge => "413 Payload Too Large",
            HttpStatus::UriTooLong => "414 URI Too Long",
            HttpStatus::HeadersTooLarge => "431 Request Header Fields Too Large",
            HttpStatus::NotImplemented => "501 Not Implemented",
            HttpStatus::InternalError => "500 Internal Server Error",
            HttpStatus::Unavailable => "503 Service Unavailable",
        }
    }
}

/// Parses the request at the start of `buf` under `limits`.
pub fn parse_request<'b>(buf: &'b [u8], limits: &Limits) -> Parsed<'b> {
    // Left uninitialised: the parser writes the headers it finds, and filling 65 empty ones
    // first (2 KB a parse) was 3% of a balance read's time. `may_minihttp` does the same.
    let mut headers = [std::mem::MaybeUninit::uninit(); HEADER_SLOTS];
    let mut request = httparse::Request::new(&mut []);
    let head_len = match request.parse_with_uninit_headers(buf, &mut headers) {
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

#[cfg(test)]
mod tests;
