//! One HTTP client for the integration tests: a keep-alive connection that sends a request
//! (optional headers and body) and reads one response by its `Content-Length`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One response: status code, content type, body, and its head for other headers.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    /// `Connection: close` was sent.
    pub close: bool,
    /// The status line and the headers, as sent.
    pub head: String,
}

impl Response {
    /// The value of the header `name` (any case), trimmed; the first when repeated.
    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.head, name)
    }

    /// The body as JSON; the test stops when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|l| {
        l.split_once(':')
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    })
}

/// Reads one response (by Content-Length) from `stream`, keeping what arrives after it in
/// `pending` for the next; `None` when the connection ends or fails first.
pub fn read_response(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<Response> {
    let fill = |stream: &mut TcpStream, pending: &mut Vec<u8>| {
        let mut chunk = [0u8; 16384];
        let n = stream.read(&mut chunk).ok()?;
        (n > 0).then(|| pending.extend_from_slice(&chunk[..n]))
    };
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            let length: usize = header(&head, "content-length").unwrap().parse().unwrap();
            while pending.len() < end + 4 + length {
                fill(stream, pending)?;
            }
            let body = String::from_utf8(pending[end + 4..end + 4 + length].to_vec()).unwrap();
            pending.drain(..end + 4 + length);
            return Some(Response {
                status: head[9..12].parse().unwrap(),
                content_type: header(&head, "content-type").unwrap_or_default(),
                body,
                close: header(&head, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close")),
                head,
            });
        }
        fill(stream, pending)?;
    }
}

/// A keep-alive connection.
pub struct Client {
    pub stream: TcpStream,
    pending: Vec<u8>,
}

impl Client {
    /// Connects to `addr`; a response may take up to 30 s.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Client {
            stream,
            pending: Vec::new(),
        }
    }

    /// Sends `method target` with `headers` (each ending in CRLF), a `Content-Length` and
    /// `body`; the response.
    pub fn send(&mut self, method: &str, target: &str, headers: &str, body: &[u8]) -> Response {
        self.try_send(method, target, headers, body).unwrap()
    }

    /// [`Client::send`]; `None` when the connection failed before the whole answer came.
    pub fn try_send(
        &mut self,
        method: &str,
        target: &str,
        headers: &str,
        body: &[u8],
    ) -> Option<Response> {
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: t\r\n{headers}Content-Length: {}\r\n\r\n",
            body.len()
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.send_raw(&request)
    }

    /// Sends `raw` as it is and reads one response; `None` when the connection failed first.
    pub fn send_raw(&mut self, raw: &[u8]) -> Option<Response> {
        self.stream.write_all(raw).ok()?;
        self.read()
    }

    /// A JSON API request: `body` as JSON, with `token` as its bearer token.
    pub fn authorized(&mut self, token: &str, method: &str, target: &str, body: &str) -> Response {
        self.try_authorized(token, method, target, body).unwrap()
    }

    /// [`Client::authorized`]; `None` when the connection failed before the whole answer
    /// came.
    pub fn try_authorized(
        &mut self,
        token: &str,
        method: &str,
        target: &str,
        body: &str,
    ) -> Option<Response> {
        let headers =
            format!("Authorization: Bearer {token}\r\nContent-Type: application/json\r\n");
        self.try_send(method, target, &headers, body.as_bytes())
    }

    /// Reads the next response; `None` when the connection ended or failed first.
    pub fn read(&mut self) -> Option<Response> {
        read_response(&mut self.stream, &mut self.pending)
    }
}

/// What a test compares of a response: status, content type, body and `Allow` header.
pub fn seen(response: &Response) -> (u16, &str, &str, Option<String>) {
    (
        response.status,
        &response.content_type,
        &response.body,
        response.header("allow"),
    )
}
