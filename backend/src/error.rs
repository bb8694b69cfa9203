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

use codis_model::cause_id::CauseId;

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
    /// 404: the product has no proxy with this token.
    #[error("product {product} has no proxy {token}")]
    NoSuchProxy { product: String, token: String },
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
    /// mistake, which one (`codis_model::causes`): the body's hint and cause id.
    #[error("{cause}")]
    Refused {
        cause: String,
        mistake: Option<CauseId>,
    },
    /// An action's call to the dashboard at `addr` timed out: the dashboard may still carry it
    /// out.
    #[error("the dashboard at {addr} did not answer in time, but it may still carry the action out: check the cluster's state before retrying")]
    OutcomeUnknown { addr: String },
    /// The cluster changed between a rebalance's preview and its confirmation (409).
    #[error("the cluster changed since the preview: the plan now moves {now} slots instead of {before}; preview again")]
    PlanChanged { now: u64, before: u64 },
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
            ApiError::NotFound(_) | ApiError::NoSuchProxy { .. } => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            ApiError::Conflict(_) | ApiError::StateConflict(_) | ApiError::PlanChanged { .. } => {
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
            ApiError::OutcomeUnknown { .. } => (StatusCode::GATEWAY_TIMEOUT, "unknown"),
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
        if self.status_and_kind().0.is_server_error() {
            tracing::warn!(kind = self.status_and_kind().1, error = %self, "request failed");
        }
        self.into_unlogged_response()
    }
}

impl ApiError {
    /// The answer without the "request failed" log line: for an answer rendered ahead of the
    /// requests it will serve (the per-address refusal, which logs when it refuses instead).
    pub(crate) fn into_unlogged_response(self) -> Response {
        let (status, kind) = self.status_and_kind();
        let (field, rule) = match &self {
            ApiError::Invalid(v) | ApiError::StateConflict(v) => {
                (Some(v.field.clone()), Some(v.rule.clone()))
            }
            _ => (None, None),
        };
        let body = ApiErrorBody {
            error: ApiErrorDetail {
                kind: kind.into(),
                message: self.to_string(),
                field,
                rule,
                hint: match &self {
                    ApiError::Refused { mistake, .. } => mistake.as_ref().and_then(CauseId::hint),
                    _ => None,
                },
                cause: self.cause_id(),
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
    /// Why, as data (`error.cause`), which the console words in the viewer's language; `None`
    /// for failures only the English message describes (hostile or broken requests, mostly).
    pub(crate) fn cause_id(&self) -> Option<CauseId> {
        use crate::auth::{
            ADMIN_MESSAGE, BUSY_MESSAGE, CSRF_MESSAGE, NO_ACCESS_MESSAGE, READ_ONLY_MESSAGE,
            VIEWER_MESSAGE, WRONG_PASSWORD_MESSAGE,
        };
        Some(match self {
            ApiError::Invalid(v) | ApiError::StateConflict(v) => CauseId::Invalid {
                field: v.field.clone(),
                rule: v.code,
            },
            ApiError::UnknownProduct(product) => CauseId::UnknownProduct {
                product: product.clone(),
            },
            ApiError::NoSuchProxy { product, token } => CauseId::NoSuchProxy {
                product: product.clone(),
                token: token.clone(),
            },
            ApiError::Refused { mistake, .. } => return mistake.clone(),
            ApiError::Dashboard(CallError::Timeout(addr)) => {
                CauseId::DashboardTimeout { addr: addr.clone() }
            }
            ApiError::Dashboard(CallError::Unreachable(addr)) => {
                CauseId::DashboardUnreachable { addr: addr.clone() }
            }
            ApiError::Dashboard(CallError::Busy(_)) => CauseId::DashboardBusy,
            ApiError::OutcomeUnknown { addr } => CauseId::OutcomeUnknown { addr: addr.clone() },
            ApiError::InFlight(_) => CauseId::InFlight,
            ApiError::PlanChanged { now, before } => CauseId::PlanChanged {
                now: *now,
                before: *before,
            },
            // The messages are the auth module's constants: each one is one id.
            ApiError::Forbidden(m) => match m.as_str() {
                READ_ONLY_MESSAGE => CauseId::ReadOnly,
                CSRF_MESSAGE => CauseId::Csrf,
                NO_ACCESS_MESSAGE => CauseId::NoAccess,
                VIEWER_MESSAGE => CauseId::Viewer,
                ADMIN_MESSAGE => CauseId::AdminOnly,
                _ => return None,
            },
            ApiError::Unauthenticated(m) if m == WRONG_PASSWORD_MESSAGE => CauseId::WrongPassword,
            ApiError::Busy(m) if m == BUSY_MESSAGE => CauseId::SignInBusy,
            ApiError::RateLimited(_) => CauseId::SignInRateLimited {
                secs: self.retry_after().unwrap_or(60),
            },
            _ => return None,
        })
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{
        ADMIN_MESSAGE, BUSY_MESSAGE, CSRF_MESSAGE, NO_ACCESS_MESSAGE, READ_ONLY_MESSAGE,
        VIEWER_MESSAGE, WRONG_PASSWORD_MESSAGE,
    };
    use codis_model::validate::Rule;

    #[test]
    fn each_failure_an_operator_meets_maps_to_its_cause_id() {
        let addr = || "10.0.0.1:18080".to_string();
        let cases = [
            (
                ApiError::Invalid(ValidationError::of("gid", Rule::Flag)),
                Some(CauseId::Invalid {
                    field: "gid".into(),
                    rule: Rule::Flag,
                }),
            ),
            (
                ApiError::StateConflict(ValidationError::of("action", Rule::NoSentinels)),
                Some(CauseId::Invalid {
                    field: "action".into(),
                    rule: Rule::NoSentinels,
                }),
            ),
            (
                ApiError::UnknownProduct("p".into()),
                Some(CauseId::UnknownProduct {
                    product: "p".into(),
                }),
            ),
            (
                ApiError::Dashboard(CallError::Timeout(addr())),
                Some(CauseId::DashboardTimeout { addr: addr() }),
            ),
            (
                ApiError::Dashboard(CallError::Unreachable(addr())),
                Some(CauseId::DashboardUnreachable { addr: addr() }),
            ),
            (
                ApiError::OutcomeUnknown { addr: addr() },
                Some(CauseId::OutcomeUnknown { addr: addr() }),
            ),
            (
                ApiError::Refused {
                    cause: "ERR unknown command 'SLOTSINFO'".into(),
                    mistake: Some(CauseId::NotCodisServer { addr: None }),
                },
                Some(CauseId::NotCodisServer { addr: None }),
            ),
            (
                ApiError::Refused {
                    cause: "group-[3] already exists".into(),
                    mistake: None,
                },
                None,
            ),
            (
                ApiError::Forbidden(READ_ONLY_MESSAGE.into()),
                Some(CauseId::ReadOnly),
            ),
            (
                ApiError::Forbidden(CSRF_MESSAGE.into()),
                Some(CauseId::Csrf),
            ),
            (
                ApiError::Forbidden(NO_ACCESS_MESSAGE.into()),
                Some(CauseId::NoAccess),
            ),
            (
                ApiError::Forbidden(VIEWER_MESSAGE.into()),
                Some(CauseId::Viewer),
            ),
            (
                ApiError::Forbidden(ADMIN_MESSAGE.into()),
                Some(CauseId::AdminOnly),
            ),
            // A refusal worded only in English (forward, /metrics) has no id.
            (ApiError::Forbidden("forward: no".into()), None),
            (
                ApiError::Unauthenticated(WRONG_PASSWORD_MESSAGE.into()),
                Some(CauseId::WrongPassword),
            ),
            (
                ApiError::Busy(BUSY_MESSAGE.into()),
                Some(CauseId::SignInBusy),
            ),
            (
                ApiError::RateLimited("wait".into()),
                Some(CauseId::SignInRateLimited { secs: 60 }),
            ),
            (
                ApiError::PlanChanged { now: 3, before: 2 },
                Some(CauseId::PlanChanged { now: 3, before: 2 }),
            ),
            (ApiError::TooLarge("big".into()), None),
        ];
        for (e, want) in cases {
            assert_eq!(e.cause_id(), want, "{e:?}");
        }
    }

    #[tokio::test]
    async fn the_body_keeps_the_english_beside_the_id() {
        let e = ApiError::Refused {
            cause: "dial tcp 10.0.0.5:6379: connect: connection refused".into(),
            mistake: Some(CauseId::NothingListens {
                addr: Some("10.0.0.5:6379".into()),
            }),
        };
        let resp = e.into_response();
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(
            body,
            serde_json::json!({"error": {
                "kind": "dashboard_refused",
                "message": "dial tcp 10.0.0.5:6379: connect: connection refused",
                "hint": "Nothing listens at 10.0.0.5:6379: check that the process is running and the address is right",
                "cause": {"id": "nothing_listens", "params": {"addr": "10.0.0.5:6379"}}
            }})
        );
    }
}
