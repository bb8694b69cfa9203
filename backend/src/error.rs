//! One error type for the HTTP boundary, mapped to a status and a JSON body in one place.
//! Nothing a dashboard returns is passed through raw: the browser gets the `Cause`, never a Go
//! stack trace or the non-standard status 800.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use codis_model::{
    console::{ApiErrorBody, ApiErrorDetail},
    validate::ValidationError,
};

use crate::dashboard::CallError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    BadRequest(String),
    #[error("no product named {0:?} is known (see GET /api/products)")]
    UnknownProduct(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Every password check is busy (sign-in): 503 with `Retry-After`.
    #[error("{0}")]
    Busy(String),
    /// The router's 405, when it is audited.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The request was not read in time (slow head or body): 408, and the connection closes.
    #[error("{0}")]
    RequestTimeout(String),
    /// The server cannot take this request now (a limit is reached): 503 with `Retry-After`.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Dashboard(#[from] CallError),
    /// The dashboard refused an action: its Cause (redacted, proxies named) and, for a known
    /// mistake, a hint (`codis_model::causes`).
    #[error("{cause}")]
    Refused { cause: String, hint: Option<String> },
    /// An action's dashboard call timed out: the dashboard may still carry it out.
    #[error("{0}")]
    OutcomeUnknown(String),
    /// The same action is already running (another tab or user).
    #[error("{0}")]
    InFlight(String),
    /// A well-formed input that the cluster's current state refuses (e.g. "migrate some" from a
    /// group that does not exist): 409, naming the field and the rule like `Invalid`.
    #[error("{0}")]
    StateConflict(ValidationError),
}

impl ApiError {
    pub(crate) fn status_and_kind(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Invalid(_) | ApiError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, "invalid_input")
            }
            ApiError::UnknownProduct(_) => (StatusCode::NOT_FOUND, "unknown_product"),
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) | ApiError::StateConflict(_) => {
                (StatusCode::CONFLICT, "conflict")
            }
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::RequestTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            // The dashboard understood and refused (state or precondition): a conflict with the
            // cluster's current state, which the operator can read and act on.
            ApiError::Dashboard(CallError::Refused(_)) | ApiError::Refused { .. } => {
                (StatusCode::CONFLICT, "dashboard_refused")
            }
            ApiError::OutcomeUnknown(_) => (StatusCode::GATEWAY_TIMEOUT, "unknown"),
            ApiError::InFlight(_) => (StatusCode::CONFLICT, "in_flight"),
            ApiError::Dashboard(CallError::Timeout(_)) => {
                (StatusCode::GATEWAY_TIMEOUT, "dashboard_timeout")
            }
            ApiError::Dashboard(CallError::Unreachable(_)) => {
                (StatusCode::BAD_GATEWAY, "dashboard_unreachable")
            }
            ApiError::Dashboard(CallError::BadResponse(_)) => {
                (StatusCode::BAD_GATEWAY, "dashboard_bad_response")
            }
            ApiError::Dashboard(CallError::Busy(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "dashboard_busy")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind) = self.status_and_kind();
        let (field, rule) = match &self {
            ApiError::Invalid(v) | ApiError::StateConflict(v) => {
                (Some(v.field.clone()), Some(v.rule.clone()))
            }
            _ => (None, None),
        };
        if status.is_server_error() {
            tracing::warn!(kind, error = %self, "request failed");
        }
        let body = ApiErrorBody {
            error: ApiErrorDetail {
                kind: kind.into(),
                message: self.to_string(),
                field,
                rule,
                hint: match &self {
                    ApiError::Refused { hint, .. } => hint.clone(),
                    _ => None,
                },
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if status == StatusCode::REQUEST_TIMEOUT {
            resp.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        if let Some(secs) = self.retry_after() {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

impl ApiError {
    /// Seconds a refused caller should wait before trying again (`Retry-After` of a 429 or 503).
    fn retry_after(&self) -> Option<u64> {
        match self {
            // The sign-in limit counts failures over 60 s.
            ApiError::RateLimited(_) => Some(60),
            ApiError::Unavailable(_) => Some(crate::policy::DEFAULT_RETRY_AFTER_SECS),
            // Every password check is busy: one is about 0.1 s.
            ApiError::Busy(_) => Some(1),
            ApiError::Dashboard(CallError::Busy(_)) => {
                Some(crate::dashboard::BUSY_RETRY_AFTER_SECS)
            }
            _ => None,
        }
    }
}
