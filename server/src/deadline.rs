//! The one place a deadline becomes a socket timeout.
//!
//! `may` keeps a socket's read and write timeouts in whole milliseconds, rounded down, and
//! 0 means "no timeout". So a wait of 9.9996 s is armed as 9999 ms and can wake just before
//! its deadline, and the 0.4 ms then left, armed as is, becomes no timeout at all: the
//! connection would wait for the client forever. Every timeout Ratel arms (request reads,
//! the lingering close, answer writes, on the API and the admin listener alike) goes
//! through [`timeout_until`] or [`socket_timeout`]: rounded up to whole milliseconds, at
//! least 1 ms, and an expired deadline is not a timeout but the end of the connection.

use std::time::{Duration, Instant};

/// The socket timeout that waits for `wait` and not less, in the whole milliseconds `may`
/// keeps; `None` when nothing is left to wait (the caller closes the connection).
pub fn socket_timeout(wait: Duration) -> Option<Duration> {
    if wait.is_zero() {
        return None;
    }
    let millis = wait.as_nanos().div_ceil(1_000_000);
    Some(Duration::from_millis(
        u64::try_from(millis).unwrap_or(u64::MAX),
    ))
}

/// The socket timeout that reaches `deadline` from now; `None` once it has passed.
pub fn timeout_until(deadline: Instant) -> Option<Duration> {
    socket_timeout(deadline.saturating_duration_since(Instant::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_to_whole_milliseconds_and_never_to_none() {
        let ms = Duration::from_millis;
        assert_eq!(socket_timeout(Duration::from_nanos(1)), Some(ms(1)));
        assert_eq!(socket_timeout(Duration::from_micros(400)), Some(ms(1)));
        assert_eq!(
            socket_timeout(Duration::from_micros(9_999_600)),
            Some(ms(10_000))
        );
        assert_eq!(socket_timeout(ms(10_000)), Some(ms(10_000)));
        assert_eq!(socket_timeout(Duration::ZERO), None);
        // What may stores: whole milliseconds, never 0 for a timeout we arm.
        for micros in [1, 999, 1_000, 1_001, 9_999_999] {
            let armed = socket_timeout(Duration::from_micros(micros)).unwrap();
            let whole = Duration::from_millis(u64::try_from(armed.as_millis()).unwrap());
            assert!(armed >= Duration::from_millis(1) && armed == whole);
            assert!(armed >= Duration::from_micros(micros));
        }
    }

    #[test]
    fn a_passed_deadline_is_the_end_not_a_timeout() {
        let now = Instant::now();
        assert_eq!(timeout_until(now), None);
        let later = timeout_until(now + Duration::from_secs(10)).unwrap();
        assert!(later <= Duration::from_secs(10) && later > Duration::from_millis(9_000));
    }
}
