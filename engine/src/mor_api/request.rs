//! What one MOR call carries: its method, its decoded parameters, and the time rates are
//! taken at.

use crate::time::Timestamp;

/// The HTTP method, as far as the API cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// Decoded request parameters: the query string's, then a form body's. A name sent in the
/// body wins over the query; otherwise the last occurrence wins (docs/api.md). Values are bytes:
/// percent-decoding may yield anything, and a value that is not UTF-8 simply matches nothing.
///
/// Names and values live in one byte buffer, so a server that keeps one `Params` per
/// connection and [`clear`](Params::clear)s it per request decodes without allocating.
#[derive(Debug, Clone, Default)]
pub struct Params {
    bytes: Vec<u8>,
    entries: Vec<Pair>,
}

/// Where one parameter's name and value sit in `Params::bytes`.
#[derive(Debug, Clone)]
struct Pair {
    name: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
    from_body: bool,
}

impl Params {
    pub fn new() -> Params {
        Params::default()
    }

    /// Forgets every parameter, keeping the storage for the next request.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.entries.clear();
    }

    /// Adds a parameter decoded from the query string.
    pub fn push_query(&mut self, name: &[u8], value: &[u8]) {
        self.push_with(
            false,
            |out| out.extend_from_slice(name),
            |out| out.extend_from_slice(value),
        );
    }

    /// Adds a parameter decoded from a form body.
    pub fn push_body(&mut self, name: &[u8], value: &[u8]) {
        self.push_with(
            true,
            |out| out.extend_from_slice(name),
            |out| out.extend_from_slice(value),
        );
    }

    /// Adds a parameter whose name and value `name` and `value` append to the storage they
    /// are given (a decoder writing straight into it); `from_body` when it came in a form
    /// body.
    pub fn push_with(
        &mut self,
        from_body: bool,
        name: impl FnOnce(&mut Vec<u8>),
        value: impl FnOnce(&mut Vec<u8>),
    ) {
        let start = self.bytes.len();
        name(&mut self.bytes);
        let middle = self.bytes.len();
        value(&mut self.bytes);
        self.entries.push(Pair {
            name: start..middle,
            value: middle..self.bytes.len(),
            from_body,
        });
    }

    /// Builds parameters from query pairs (for tests and tools).
    pub fn from_query(pairs: &[(&str, &str)]) -> Params {
        let mut params = Params::new();
        for (name, value) in pairs {
            params.push_query(name.as_bytes(), value.as_bytes());
        }
        params
    }

    /// The winning value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        let last = |from_body: bool| {
            self.entries
                .iter()
                .rev()
                .find(|e| {
                    e.from_body == from_body && self.bytes[e.name.clone()] == *name.as_bytes()
                })
                .map(|e| &self.bytes[e.value.clone()])
        };
        last(true).or_else(|| last(false))
    }

    /// The value of `name` as text; `None` when absent or not UTF-8.
    pub fn text(&self, name: &str) -> Option<&str> {
        std::str::from_utf8(self.get(name)?).ok()
    }
}

/// One API call: how it came, what it carried, and the time rates are taken at.
#[derive(Debug, Clone, Copy)]
pub struct MorRequest<'a> {
    pub method: Method,
    pub params: &'a Params,
    pub now: Timestamp,
}
