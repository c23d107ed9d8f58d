//! What the ledger knows of the accounts it holds: each one's live balance and opening
//! amount. Shared by the ledger (which hands the cells to the accounts it attaches) and its
//! committer (which adds the accounts a commit opens, and those another server opened).

use std::sync::Arc;

use crate::accounts::BalanceCell;
use crate::money::Decimal;

/// What the ledger knows of an account it has seen.
#[derive(Debug)]
pub(crate) struct Known {
    pub(crate) cell: Arc<BalanceCell>,
    pub(crate) opening: Decimal,
}
