//! The memory all connections together may hold for request bodies (docs/server.md).
//!
//! A body is read into its connection's buffer, so a thousand connections each announcing
//! the JSON API's 1 MiB would hold a gigabyte. Every request whose body is still to come
//! reserves its announced length here once its head is accepted (and, on `/v1/`, once its
//! token is), before a byte of the body is read; past the budget the request is answered 503
//! and its connection closed. The reservation is given back when the request is answered or
//! its connection ends. A request that arrives whole in one read reserves nothing: its bytes
//! are already in the buffer, bounded by the read size.
//!
//! There are two budgets ([`BodyBudgets`]): the JSON API's, reserved only once a request's
//! token was accepted, and the MOR API's, which anyone may send (its requests are signed in
//! their parameters, checked once read). So strangers filling the MOR budget cannot keep a
//! softswitch's charges from being read.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Bytes of request bodies all connections together may be reading at once, by default, for
/// each of the two APIs.
pub const DEFAULT_BODY_BUDGET: usize = 64 << 20;

/// The JSON API's budget and the MOR API's.
#[derive(Debug)]
pub struct BodyBudgets {
    pub json: BodyBudget,
    pub mor: BodyBudget,
}

impl BodyBudgets {
    /// Two budgets of `each` bytes.
    pub fn new(each: usize) -> BodyBudgets {
        BodyBudgets {
            json: BodyBudget::new(each),
            mor: BodyBudget::new(each),
        }
    }

    /// The budget a request to `path` reserves from.
    pub fn for_path(&self, path: &[u8]) -> &BodyBudget {
        match ratel_engine::json_api::is_json_api_path(path) {
            true => &self.json,
            false => &self.mor,
        }
    }
}

/// The budget and what is reserved from it now.
#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    held: AtomicUsize,
    refused: AtomicU64,
}

/// Bytes reserved for one body; given back when dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    budget: &'a BodyBudget,
    bytes: usize,
}

impl BodyBudget {
    pub fn new(limit: usize) -> BodyBudget {
        BodyBudget {
            limit,
            held: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Reserves `bytes`, or `None` (counted) when that would pass the budget.
    pub fn reserve(&self, bytes: usize) -> Option<Reservation<'_>> {
        let reserved = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(bytes).filter(|&total| total <= self.limit)
            });
        match reserved {
            Ok(_) => Some(Reservation {
                budget: self,
                bytes,
            }),
            Err(_) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Bytes reserved now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Requests refused for want of budget so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The budget.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.budget.held.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stay_within_the_budget_and_are_given_back() {
        let budget = BodyBudget::new(100);
        let first = budget.reserve(60).unwrap();
        let second = budget.reserve(40).unwrap();
        assert_eq!(budget.held(), 100);
        assert!(budget.reserve(1).is_none());
        assert_eq!(budget.refused(), 1);
        drop(first);
        assert_eq!(budget.held(), 40);
        let third = budget.reserve(60).unwrap();
        assert!(budget.reserve(usize::MAX).is_none());
        drop((second, third));
        assert_eq!((budget.held(), budget.refused()), (0, 2));
    }

    #[test]
    fn many_threads_never_hold_more_than_the_budget() {
        let budget = BodyBudget::new(1000);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..10_000 {
                        if let Some(held) = budget.reserve(300) {
                            assert!(budget.held() <= 1000);
                            drop(held);
                        }
                    }
                });
            }
        });
        assert_eq!(budget.held(), 0);
    }
}
