//! Which listener a connection came in on: the public API or the admin listener.

/// Which listener a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Api,
    Admin,
}

impl Listener {
    pub const ALL: [Listener; 2] = [Listener::Api, Listener::Admin];

    /// The `listener` label in `/metrics`.
    pub fn name(self) -> &'static str {
        match self {
            Listener::Api => "api",
            Listener::Admin => "admin",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}
