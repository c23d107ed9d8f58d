//! Who may see whom (docs/api.md): whose rates a caller reads, and whose calling cards it
//! lists or reads the balance of. One place for the rules, so the endpoints and the load
//! harness's request lists cannot drift apart.
//!
//! Plain functions of the users involved, with no allocation: they run on the request path.
//! They say why a caller is refused ([`Denied`]); each endpoint turns that into its own MOR
//! error, because the same refusal reads differently per endpoint.

use super::{CardGroup, Role, User};

/// Why a caller may not see what it asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The caller's role never may (a plain user asking for cards).
    Role,
    /// The caller's role may, with a permission (or setting) it lacks.
    Permission,
    /// The caller may see some, but not this one (someone else's user).
    Target,
}

/// The settings that widen who may read rates (`[api]` in the configuration).
#[derive(Debug, Clone, Copy, Default)]
pub struct RateRules {
    /// A plain user may read its own rates.
    pub show_rates_for_users: bool,
    /// A reseller may read the rates of plain users the admin owns.
    pub allow_resellers_admin_tariffs: bool,
}

/// Whether `user` is owned directly by the admin in the sense of docs/api.md: a plain user or
/// a reseller whose owner is the admin (never an accountant).
#[inline]
pub fn owned_by_admin(admin: u64, user: &User) -> bool {
    user.owner_id == admin && matches!(user.role, Role::User | Role::Reseller)
}

/// Whose rates `caller` reads when it asks for `target`'s (`rate_get`), `admin` being the
/// admin's id. A plain user always reads its own, whoever it names; a reseller itself, its
/// users, and admin-owned plain users when the rules allow; the admin itself and what it owns
/// directly; an accountant with both `see_financial_data` and `manage_tariffs` what the admin
/// owns directly.
#[inline]
pub fn rates_of<'u>(
    admin: u64,
    rules: RateRules,
    caller: &'u User,
    target: &'u User,
) -> Result<&'u User, Denied> {
    let allowed = match caller.role {
        Role::User if rules.show_rates_for_users => return Ok(caller),
        Role::User => return Err(Denied::Permission),
        Role::Reseller => {
            target.id == caller.id
                || (target.owner_id == caller.id && target.role == Role::User)
                || (rules.allow_resellers_admin_tariffs
                    && target.role == Role::User
                    && target.owner_id == admin)
        }
        Role::Admin => target.id == caller.id || owned_by_admin(admin, target),
        Role::Accountant => {
            if !(caller.permissions.see_financial_data && caller.permissions.manage_tariffs) {
                return Err(Denied::Permission);
            }
            owned_by_admin(admin, target)
        }
    };
    if allowed {
        Ok(target)
    } else {
        Err(Denied::Target)
    }
}

/// The card groups whose cards a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardGroups {
    All,
    /// Groups owned by this user id.
    OwnedBy(u64),
}

impl CardGroups {
    #[inline]
    pub fn contains(self, group: &CardGroup) -> bool {
        match self {
            CardGroups::All => true,
            CardGroups::OwnedBy(owner) => group.owner_id == owner,
        }
    }
}

/// The card groups `caller` may list (`calling_cards_get`): the admin all; a reseller with
/// `calling_cards` its own; an accountant with `manage_cards` the admin's. A reseller or
/// accountant without the permission is [`Denied::Permission`], a plain user
/// [`Denied::Role`].
#[inline]
pub fn cards_listed_to(admin: u64, caller: &User) -> Result<CardGroups, Denied> {
    match caller.role {
        Role::Admin => Ok(CardGroups::All),
        Role::Reseller if caller.permissions.calling_cards => Ok(CardGroups::OwnedBy(caller.id)),
        Role::Accountant if caller.permissions.manage_cards => Ok(CardGroups::OwnedBy(admin)),
        Role::Reseller | Role::Accountant => Err(Denied::Permission),
        Role::User => Err(Denied::Role),
    }
}

/// The card groups whose card balances `caller` may read (`card_balance_get`, docs/api.md):
/// the admin all; a reseller with `calling_cards` its own. Accountants are not named for
/// this call by the MOR documents, so they read none ([`Denied::Role`]), like plain users.
#[inline]
pub fn card_balances_for(caller: &User) -> Result<CardGroups, Denied> {
    match caller.role {
        Role::Admin => Ok(CardGroups::All),
        Role::Reseller if caller.permissions.calling_cards => Ok(CardGroups::OwnedBy(caller.id)),
        Role::Reseller => Err(Denied::Permission),
        Role::Accountant | Role::User => Err(Denied::Role),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{Permissions, Role};
    use crate::money::Decimal;

    fn user(id: u64, role: Role, owner_id: u64, permissions: Permissions) -> User {
        User {
            id,
            username: format!("u{id}"),
            role,
            owner_id,
            tariff: None,
            custom_tariff: None,
            currency: None,
            csv_balance: Decimal::ZERO,
            live: crate::accounts::BalanceCell::new(Decimal::ZERO),
            initial_balance: Decimal::ZERO,
            unique_hash: None,
            api_key: None,
            password: None,
            numbers: Vec::new(),
            first_name: String::new(),
            last_name: String::new(),
            permissions,
            credit: crate::accounts::Credit::Limited(Decimal::ZERO),
            line: 0,
            tariff_ids: [None, None],
        }
    }

    #[test]
    fn rates_follow_roles_owners_and_rules() {
        let none = Permissions::default();
        let admin = user(0, Role::Admin, 0, none);
        let reseller = user(1, Role::Reseller, 0, none);
        let own_user = user(2, Role::User, 1, none);
        let admin_user = user(3, Role::User, 0, none);
        let accountant = user(4, Role::Accountant, 0, none);
        let full = Permissions {
            see_financial_data: true,
            manage_tariffs: true,
            ..none
        };
        let entitled = user(5, Role::Accountant, 0, full);
        let rules = RateRules::default();
        let widened = RateRules {
            show_rates_for_users: true,
            allow_resellers_admin_tariffs: true,
        };
        let id = |r: Result<&User, Denied>| r.map(|u| u.id);
        assert_eq!(id(rates_of(0, rules, &admin, &admin)), Ok(0));
        assert_eq!(id(rates_of(0, rules, &admin, &reseller)), Ok(1));
        assert_eq!(
            id(rates_of(0, rules, &admin, &own_user)),
            Err(Denied::Target)
        );
        assert_eq!(
            id(rates_of(0, rules, &admin, &accountant)),
            Err(Denied::Target)
        );
        assert_eq!(id(rates_of(0, rules, &reseller, &own_user)), Ok(2));
        assert_eq!(
            id(rates_of(0, rules, &reseller, &admin_user)),
            Err(Denied::Target)
        );
        assert_eq!(id(rates_of(0, widened, &reseller, &admin_user)), Ok(3));
        assert_eq!(
            id(rates_of(0, rules, &own_user, &own_user)),
            Err(Denied::Permission)
        );
        assert_eq!(id(rates_of(0, widened, &own_user, &admin)), Ok(2));
        assert_eq!(
            id(rates_of(0, rules, &accountant, &admin_user)),
            Err(Denied::Permission)
        );
        assert_eq!(id(rates_of(0, rules, &entitled, &admin_user)), Ok(3));
        assert_eq!(
            id(rates_of(0, rules, &entitled, &own_user)),
            Err(Denied::Target)
        );
    }

    #[test]
    fn cards_follow_roles_and_permissions() {
        let none = Permissions::default();
        let cards = Permissions {
            calling_cards: true,
            ..none
        };
        let manage = Permissions {
            manage_cards: true,
            ..none
        };
        let admin = user(0, Role::Admin, 0, none);
        let reseller = user(1, Role::Reseller, 0, cards);
        let bare_reseller = user(2, Role::Reseller, 0, none);
        let accountant = user(3, Role::Accountant, 0, manage);
        let plain = user(4, Role::User, 0, none);
        assert_eq!(cards_listed_to(0, &admin), Ok(CardGroups::All));
        assert_eq!(cards_listed_to(0, &reseller), Ok(CardGroups::OwnedBy(1)));
        assert_eq!(cards_listed_to(0, &accountant), Ok(CardGroups::OwnedBy(0)));
        assert_eq!(cards_listed_to(0, &bare_reseller), Err(Denied::Permission));
        assert_eq!(cards_listed_to(0, &plain), Err(Denied::Role));
        assert_eq!(card_balances_for(&admin), Ok(CardGroups::All));
        assert_eq!(card_balances_for(&reseller), Ok(CardGroups::OwnedBy(1)));
        assert_eq!(card_balances_for(&bare_reseller), Err(Denied::Permission));
        assert_eq!(card_balances_for(&accountant), Err(Denied::Role));
        let group = CardGroup {
            id: 7,
            name: "G".into(),
            owner_id: 1,
            tariff: None,
            line: 2,
        };
        assert!(CardGroups::All.contains(&group));
        assert!(CardGroups::OwnedBy(1).contains(&group));
        assert!(!CardGroups::OwnedBy(0).contains(&group));
    }
}
