//! The endpoints the harness drives, and how an answer is told a success, a no-match or an
//! error page (the check that runs before any figure is taken).

/// The endpoints the harness drives, each with its own request list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `rate_get` with `by_full_dst=1`: a dialed number, longest prefix.
    RateFull,
    /// `rate_get` with a prefix of the deck, matched exactly.
    RateExact,
    UserBalance,
    UserSimpleBalance,
    /// `calling_cards_get` filtered by one card number.
    CallingCards,
    CardBalance,
    BalancePhp,
    /// The JSON API's `GET /v1/authorize` (sent with the bearer token).
    Authorize,
}

impl Target {
    pub const ALL: [Target; 8] = [
        Target::RateFull,
        Target::RateExact,
        Target::UserBalance,
        Target::UserSimpleBalance,
        Target::CallingCards,
        Target::CardBalance,
        Target::BalancePhp,
        Target::Authorize,
    ];

    /// The request list's file stem, also the harness's row label.
    pub fn name(self) -> &'static str {
        match self {
            Target::RateFull => "rate_get_full",
            Target::RateExact => "rate_get_exact",
            Target::UserBalance => "user_balance_get",
            Target::UserSimpleBalance => "user_simple_balance_get",
            Target::CallingCards => "calling_cards_get",
            Target::CardBalance => "card_balance_get",
            Target::BalancePhp => "balance_php",
            Target::Authorize => "authorize",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether `body` is this endpoint's success answer, or (for a dialed number, where some
    /// numbers match no prefix) its no-match answer, or an error page.
    pub fn classify(self, body: &str) -> Answer {
        if self.is_success(body) {
            Answer::Success
        } else if self == Target::RateFull && body.contains("<error>Rate was not found</error>") {
            Answer::NoMatch
        } else {
            Answer::Error
        }
    }

    /// Whether `body` is this endpoint's success answer (not one of its error pages).
    pub fn is_success(self, body: &str) -> bool {
        let amount = |text: &str| {
            let digits = text.strip_prefix('-').unwrap_or(text);
            digits.split_once('.').is_some_and(|(whole, places)| {
                !whole.is_empty()
                    && !places.is_empty()
                    && whole
                        .bytes()
                        .chain(places.bytes())
                        .all(|b| b.is_ascii_digit())
            })
        };
        match self {
            Target::RateFull | Target::RateExact => body.contains("<rate>"),
            Target::UserBalance => body.contains("<balance>"),
            Target::UserSimpleBalance => amount(body),
            Target::CallingCards => body.contains("<card_number>"),
            Target::CardBalance => body.contains("<calling_card>"),
            // Formats 2-4 all end in the balance: "...|Balance=1.00", "EUR 1.00", "1.00".
            Target::BalancePhp => body.rsplit(['=', ' ']).next().is_some_and(amount),
            // A decision with a rate found ("allowed" true or false for money), not an error.
            Target::Authorize => body.contains("\"allowed\":") && body.contains("\"prefix\":"),
        }
    }
}

/// What a response says, for the harness's answer check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Success,
    /// A dialed number that matches no prefix of the deck: a correct answer, if not most of
    /// them.
    NoMatch,
    Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_answers_are_told_from_error_pages() {
        assert!(Target::UserSimpleBalance.is_success("60.0000"));
        assert!(Target::UserSimpleBalance.is_success("-1.5"));
        assert!(!Target::UserSimpleBalance.is_success("User was not found"));
        assert!(Target::BalancePhp.is_success("CurrencyName=EUR|InitBalance=92.00|Balance=55.20"));
        assert!(Target::BalancePhp.is_success("EUR -5.20"));
        assert!(Target::BalancePhp.is_success("5.20"));
        assert!(!Target::BalancePhp.is_success("1001"));
        assert!(!Target::BalancePhp.is_success("110"));
        assert!(Target::RateFull.is_success("<page>\n  <rate>0.1#X#37</rate>\n</page>"));
        let none = "<page>\n  <error>Rate was not found</error>\n</page>";
        assert!(!Target::RateFull.is_success(none));
        assert_eq!(Target::RateFull.classify(none), Answer::NoMatch);
        assert_eq!(Target::RateExact.classify(none), Answer::Error);
        let denied = "<page>\n  <error>User was not found</error>\n</page>";
        assert_eq!(Target::RateFull.classify(denied), Answer::Error);
        let allowed = r#"{"allowed":true,"max_seconds":7200,"balance":"60.000000","prefix":"370"}"#;
        assert!(Target::Authorize.is_success(allowed));
        let no_rate = r#"{"allowed":false,"max_seconds":0,"reason":"rate not found"}"#;
        assert!(!Target::Authorize.is_success(no_rate));
        assert!(!Target::Authorize.is_success(r#"{"error":"unknown account"}"#));
    }
}
