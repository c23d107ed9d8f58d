//! The MOR endpoints, as routed to, and their names.

/// The endpoints, as routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    UserSimpleBalanceGet,
    UserBalanceGet,
    RateGet,
    CallingCardsGet,
    CardBalanceGet,
    BalancePhp,
    UserBalanceUpdate,
    CardPaymentAdd,
}

impl Endpoint {
    /// Every endpoint, for metrics labels.
    pub const ALL: [Endpoint; 8] = [
        Endpoint::UserSimpleBalanceGet,
        Endpoint::UserBalanceGet,
        Endpoint::RateGet,
        Endpoint::CallingCardsGet,
        Endpoint::CardBalanceGet,
        Endpoint::BalancePhp,
        Endpoint::UserBalanceUpdate,
        Endpoint::CardPaymentAdd,
    ];

    /// The MOR name (`balance_php` for Arrow's `balance.php`).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::UserSimpleBalanceGet => "user_simple_balance_get",
            Endpoint::UserBalanceGet => "user_balance_get",
            Endpoint::RateGet => "rate_get",
            Endpoint::CallingCardsGet => "calling_cards_get",
            Endpoint::CardBalanceGet => "card_balance_get",
            Endpoint::BalancePhp => "balance_php",
            Endpoint::UserBalanceUpdate => "user_balance_update",
            Endpoint::CardPaymentAdd => "card_payment_add",
        }
    }
}
