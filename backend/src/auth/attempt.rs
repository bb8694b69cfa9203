//! An action attempt being timed, and the audit entry of its outcome.

use std::time::{Instant, SystemTime};

use crate::audit::{rfc3339, AuditEntry};
use crate::error::ApiError;

use super::{
    Caller, ADMIN_MESSAGE, CSRF_MESSAGE, NO_ACCESS_MESSAGE, READ_ONLY_MESSAGE, VIEWER_MESSAGE,
    WRONG_PASSWORD_MESSAGE,
};

/// An action attempt being timed, to be recorded by the application's audit.
pub struct Attempt<'a> {
    pub caller: &'a Caller,
    pub product: &'a str,
    pub action: &'a str,
    pub params: serde_json::Value,
    pub started: Instant,
    /// The status of success (200; 204 for sign-out).
    pub ok_status: u16,
}

impl<'a> Attempt<'a> {
    pub fn new(caller: &'a Caller, product: &'a str, action: &'a str) -> Attempt<'a> {
        Attempt {
            caller,
            product,
            action,
            params: serde_json::json!({}),
            started: Instant::now(),
            ok_status: 200,
        }
    }

    /// The entry for this outcome; refusals by read-only, CSRF, role and password are told
    /// apart from other errors of the same kind.
    pub fn entry(&self, role: &str, result: Result<(), &ApiError>) -> AuditEntry {
        let (outcome, status, message) = match result {
            Ok(()) => ("allowed", self.ok_status, None),
            Err(e) => {
                let (status, kind) = e.status_and_kind();
                let msg = e.to_string();
                let kind = match msg.as_str() {
                    READ_ONLY_MESSAGE => "read_only",
                    CSRF_MESSAGE => "csrf_refused",
                    VIEWER_MESSAGE | ADMIN_MESSAGE | NO_ACCESS_MESSAGE => "role_refused",
                    WRONG_PASSWORD_MESSAGE => "wrong_password",
                    _ => kind,
                };
                (kind, status.as_u16(), Some(msg))
            }
        };
        AuditEntry {
            time: rfc3339(SystemTime::now()),
            user: self.caller.user.clone(),
            role: role.into(),
            client: self.caller.client(),
            product: self.product.into(),
            action: self.action.into(),
            // Always an object (`{}` when there is nothing to say), as the OpenAPI schema says.
            params: match &self.params {
                serde_json::Value::Object(_) => self.params.clone(),
                serde_json::Value::Null => serde_json::json!({}),
                other => serde_json::json!({ "value": other }),
            },
            outcome: outcome.into(),
            status,
            message,
            duration_ms: self.started.elapsed().as_millis() as u64,
        }
    }
}
