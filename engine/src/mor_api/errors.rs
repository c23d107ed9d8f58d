//! Every error string the MOR API answers with, and the envelope each is sent in. The strings
//! live here and nowhere else: clients match them literally.

/// How an error is wrapped (docs/api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `<status><error>E</error></status>`: the checks made before an endpoint runs.
    Status,
    /// `<page><error>E</error></page>`.
    Page,
    /// `<page><status><error>E</error></status></page>` (`calling_cards_get`).
    PageStatus,
    /// The bare text, as `text/plain` (`user_simple_balance_get`).
    Plain,
}

/// An application-level error (HTTP 200 with one of these bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    ApiDisabled,
    GetDisabled,
    NoSecretKey,
    IncorrectHash,
    FeatureDisabled,
    UserNotFound,
    AccessDenied,
    NotAuthorizedToView,
    NotAuthorizedToUse,
    EmptyPrefix,
    RateNotFound,
    CardsNotFound,
    CallingCardNotFound,
    BadLogin,
    BalanceNotUpdated,
    NotAuthorizedToUseCards,
    CurrencyDisabled,
    AmountInvalid,
}

impl ApiError {
    /// The text clients see.
    pub fn text(self) -> &'static str {
        match self {
            ApiError::ApiDisabled => "API Requests are disabled",
            ApiError::GetDisabled => "GET Requests are disabled",
            ApiError::NoSecretKey => "API must have Secret Key",
            ApiError::IncorrectHash => "Incorrect hash",
            ApiError::FeatureDisabled => "Feature disabled",
            ApiError::UserNotFound => "User was not found",
            ApiError::AccessDenied => "Access Denied",
            ApiError::NotAuthorizedToView => "You are not authorized to view this page",
            ApiError::NotAuthorizedToUse => "You are not authorized to use this functionality",
            ApiError::EmptyPrefix => "Empty prefix",
            ApiError::RateNotFound => "Rate was not found",
            ApiError::CardsNotFound => "Cards were not found",
            ApiError::CallingCardNotFound => "Calling Card was not found",
            ApiError::BadLogin => "Bad login",
            // MOR's own spelling: clients match it literally.
            ApiError::BalanceNotUpdated => "User balance not updeted",
            ApiError::NotAuthorizedToUseCards => "You are not authorized to use Calling Cards",
            ApiError::CurrencyDisabled => "Currency disabled",
            ApiError::AmountInvalid => "Amount is invalid",
        }
    }
}

/// An error with its envelope: what an endpoint returns instead of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub error: ApiError,
    pub envelope: Envelope,
}

impl Failure {
    pub fn status(error: ApiError) -> Failure {
        Failure {
            error,
            envelope: Envelope::Status,
        }
    }

    pub fn page(error: ApiError) -> Failure {
        Failure {
            error,
            envelope: Envelope::Page,
        }
    }

    pub fn page_status(error: ApiError) -> Failure {
        Failure {
            error,
            envelope: Envelope::PageStatus,
        }
    }

    pub fn plain(error: ApiError) -> Failure {
        Failure {
            error,
            envelope: Envelope::Plain,
        }
    }
}
