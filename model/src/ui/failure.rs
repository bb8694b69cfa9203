//! A failed call to the console backend, ready to show: every failure carries the backend's or
//! the dashboard's own message, so no error is ever shown as a blank dialog.

use crate::cause_id::CauseId;
use crate::console::ApiErrorBody;

/// A failed call.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiFailure {
    /// HTTP status; 0 when the backend could not be reached at all.
    pub status: u16,
    /// The backend's error kind (`invalid_input`, `dashboard_refused`, ...), `network`, `http`
    /// (an answer that is not the backend's error body) or `bad_response`.
    pub kind: String,
    pub message: String,
    /// For `invalid_input`: which input broke which rule.
    pub field: Option<String>,
    pub rule: Option<String>,
    /// For a known mistake (`crate::causes`), what to do about it, shown beside the message.
    pub hint: Option<String>,
    /// Why, as data ([`CauseId`]): the console words it in the viewer's language instead of the
    /// English `message` (or, for a dashboard's refusal, instead of the English `hint`).
    pub cause: Option<CauseId>,
}

impl ApiFailure {
    /// The backend could not be reached (or the request not sent).
    pub fn network(e: impl std::fmt::Display) -> ApiFailure {
        ApiFailure {
            status: 0,
            kind: "network".into(),
            // The browser's words only: the sentence around them is the UI's, in its language.
            message: e.to_string(),
            field: None,
            rule: None,
            hint: None,
            cause: None,
        }
    }

    /// A 2xx answer that is not the JSON expected.
    pub fn bad_response(status: u16, e: impl std::fmt::Display) -> ApiFailure {
        ApiFailure {
            status,
            kind: "bad_response".into(),
            message: e.to_string(),
            field: None,
            rule: None,
            hint: None,
            cause: None,
        }
    }

    /// A non-2xx answer: the backend's error body when `body` decoded as one, otherwise the
    /// status and the start of the text (a proxy's HTML error page, say).
    pub fn refused(status: u16, body: Option<ApiErrorBody>, text: &str) -> ApiFailure {
        match body {
            Some(b) => ApiFailure {
                status,
                kind: b.error.kind,
                message: b.error.message,
                field: b.error.field,
                rule: b.error.rule,
                hint: b.error.hint,
                cause: b.error.cause,
            },
            None => {
                let mut message = format!("HTTP {status}");
                let t = text.trim();
                if !t.is_empty() {
                    message.push_str(": ");
                    message.extend(t.chars().take(300));
                }
                ApiFailure {
                    status,
                    kind: "http".into(),
                    message,
                    field: None,
                    rule: None,
                    hint: None,
                    cause: None,
                }
            }
        }
    }

    /// One line for a toast or a dialog, in English (the console shows its own translation of
    /// the kind around the same message: frontend/src/core/words.rs).
    pub fn text(&self) -> String {
        let message = match self.kind.as_str() {
            "network" => format!("Cannot reach the console backend: {}", self.message),
            "bad_response" => format!("unexpected answer from the backend ({})", self.message),
            _ => self.message.clone(),
        };
        let who = match self.kind.as_str() {
            "dashboard_refused" => "The dashboard refused",
            "dashboard_unreachable" => "Dashboard unreachable",
            "dashboard_timeout" => "Dashboard timed out",
            "unknown" => "Outcome unknown",
            "in_flight" => "Already running",
            "invalid_input" => "Invalid input",
            "network" => "Network error",
            _ => "Failed",
        };
        match (&self.field, &self.rule) {
            (Some(f), Some(r)) if !message.contains(r.as_str()) => {
                format!("{who}: {message} ({f}: {r})")
            }
            _ => format!("{who}: {message}"),
        }
    }

    /// [`ApiFailure::text`], then the hint of a known mistake, for a toast.
    pub fn text_with_hint(&self) -> String {
        match &self.hint {
            Some(h) => format!("{} Hint: {h}", self.text()),
            None => self.text(),
        }
    }

    /// The action's outcome is unknown (its dashboard call timed out): the dashboard may still
    /// carry it out, so it must not be retried blindly.
    pub fn outcome_unknown(&self) -> bool {
        self.kind == "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ApiErrorDetail;

    fn body(kind: &str, message: &str, field: Option<&str>, rule: Option<&str>) -> ApiErrorBody {
        ApiErrorBody {
            error: ApiErrorDetail {
                kind: kind.into(),
                message: message.into(),
                field: field.map(Into::into),
                rule: rule.map(Into::into),
                hint: None,
                cause: None,
            },
        }
    }

    #[test]
    fn an_invalid_input_names_the_field_and_the_rule() {
        let f = ApiFailure::refused(
            400,
            Some(body(
                "invalid_input",
                "gid is not a number",
                Some("gid"),
                Some("1..9999"),
            )),
            "",
        );
        assert_eq!(
            f.text(),
            "Invalid input: gid is not a number (gid: 1..9999)"
        );
        // A message that already states the rule is not repeated.
        let f = ApiFailure::refused(
            400,
            Some(body(
                "invalid_input",
                "gid must be 1..9999",
                Some("gid"),
                Some("1..9999"),
            )),
            "",
        );
        assert_eq!(f.text(), "Invalid input: gid must be 1..9999");
    }

    #[test]
    fn the_dashboards_own_message_is_shown() {
        let f = ApiFailure::refused(
            502,
            Some(body(
                "dashboard_refused",
                "group-[3] already exists",
                None,
                None,
            )),
            "",
        );
        assert_eq!(f.text(), "The dashboard refused: group-[3] already exists");
        let f = ApiFailure::refused(
            504,
            Some(body("dashboard_timeout", "after 10 s", None, None)),
            "",
        );
        assert_eq!(f.text(), "Dashboard timed out: after 10 s");
    }

    #[test]
    fn an_answer_that_is_not_ours_shows_its_status_and_start() {
        let page = format!("<html>{}</html>", "x".repeat(1000));
        let f = ApiFailure::refused(502, None, &page);
        assert_eq!(f.kind, "http");
        assert!(
            f.text().starts_with("Failed: HTTP 502: <html>xxx"),
            "{}",
            f.text()
        );
        assert_eq!(f.message.chars().count(), "HTTP 502: ".len() + 300);
        assert_eq!(
            ApiFailure::refused(500, None, "  ").text(),
            "Failed: HTTP 500"
        );
    }

    #[test]
    fn a_hint_follows_the_dashboards_words_and_a_timeout_is_outcome_unknown() {
        let mut b = body(
            "dashboard_refused",
            "ERR unknown command 'SLOTSINFO'",
            None,
            None,
        );
        b.error.hint = Some("127.0.0.1:6379 is not a codis-server".into());
        let f = ApiFailure::refused(409, Some(b), "");
        assert_eq!(
            f.text_with_hint(),
            "The dashboard refused: ERR unknown command 'SLOTSINFO' Hint: 127.0.0.1:6379 is not a codis-server"
        );
        let f = ApiFailure::refused(
            504,
            Some(body("unknown", "check before retrying", None, None)),
            "",
        );
        assert!(f.outcome_unknown());
        assert_eq!(f.text(), "Outcome unknown: check before retrying");
    }

    #[test]
    fn no_backend_and_a_bad_answer_say_so() {
        assert_eq!(
            ApiFailure::network("connection refused").text(),
            "Network error: Cannot reach the console backend: connection refused"
        );
        let f = ApiFailure::bad_response(200, "expected value at line 1 column 1");
        assert_eq!(
            f.text(),
            "Failed: unexpected answer from the backend (expected value at line 1 column 1)"
        );
    }
}
