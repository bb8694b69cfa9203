//! The backend's JSON API (`/api/...`). Every failure becomes an [`ApiFailure`] carrying the
//! backend's or the dashboard's own message, so no error is ever shown as a blank dialog.

use codis_model::console::ApiErrorBody;
use codis_model::wire::{self, Decode};
use std::cell::RefCell;

use gloo_net::http::{Request, RequestBuilder, Response};

use super::config::api_base;

/// A failed call, ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiFailure {
    /// HTTP status; 0 when the backend could not be reached at all.
    pub status: u16,
    /// The backend's error kind (`invalid_input`, `dashboard_refused`, ...), or `network`.
    pub kind: String,
    pub message: String,
    /// For `invalid_input`: which input broke which rule.
    pub field: Option<String>,
    pub rule: Option<String>,
}

impl ApiFailure {
    fn network(e: impl std::fmt::Display) -> ApiFailure {
        ApiFailure {
            status: 0,
            kind: "network".into(),
            message: format!("Cannot reach the console backend: {e}"),
            field: None,
            rule: None,
        }
    }

    /// One line for a toast or a dialog.
    pub fn text(&self) -> String {
        let who = match self.kind.as_str() {
            "dashboard_refused" => "The dashboard refused",
            "dashboard_unreachable" => "Dashboard unreachable",
            "dashboard_timeout" => "Dashboard timed out",
            "invalid_input" => "Invalid input",
            "network" => "Network error",
            _ => "Failed",
        };
        match (&self.field, &self.rule) {
            (Some(f), Some(r)) if !self.message.contains(r.as_str()) => {
                format!("{who}: {} ({f}: {r})", self.message)
            }
            _ => format!("{who}: {}", self.message),
        }
    }
}

thread_local! {
    /// The CSRF token of the signed-in session (`Me.csrf`), sent on every state-changing request.
    static CSRF: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Remembers (or forgets) the CSRF token given by `GET /api/me` or `POST /api/session`.
pub fn set_csrf(token: Option<String>) {
    CSRF.with(|c| *c.borrow_mut() = token);
}

/// Adds `X-CSRF-Token` when sign-in gave one.
fn with_csrf(req: RequestBuilder) -> RequestBuilder {
    match CSRF.with(|c| c.borrow().clone()) {
        Some(t) => req.header("X-CSRF-Token", &t),
        None => req,
    }
}

/// Sends the session cookie also when the API is on another origin (a console on a CDN).
fn send_cookies(req: RequestBuilder) -> RequestBuilder {
    req.credentials(web_sys::RequestCredentials::Include)
}

/// `<api_base><path>`; `path` starts with `/`.
pub fn url(path: &str) -> String {
    format!("{}{path}", api_base())
}

/// `/api/products/<product>` with the name percent-encoded.
pub fn product_path(product: &str, rest: &str) -> String {
    format!("/api/products/{}{rest}", enc(product))
}

/// Percent-encodes one path segment (addresses and names may hold `:`, `/`, `#`).
pub fn enc(segment: &str) -> String {
    String::from(js_sys::encode_uri_component(segment))
}

/// Answers are decoded by [`codis_model::wire`] (no serde_json decoder in the WASM).
async fn decode<T: Decode>(resp: Response) -> Result<T, ApiFailure> {
    let status = resp.status();
    let text = text_of(resp).await?;
    wire::decode(&text).map_err(|e| ApiFailure {
        status,
        kind: "bad_response".into(),
        message: format!("unexpected answer from the backend ({e})"),
        field: None,
        rule: None,
    })
}

/// The body of a 2xx answer, or the failure the backend described.
async fn text_of(resp: Response) -> Result<String, ApiFailure> {
    let status = resp.status();
    let text = resp.text().await.map_err(ApiFailure::network)?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    Err(match wire::decode::<ApiErrorBody>(&text) {
        Ok(body) => ApiFailure {
            status,
            kind: body.error.kind,
            message: body.error.message,
            field: body.error.field,
            rule: body.error.rule,
        },
        Err(_) => {
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
            }
        }
    })
}

/// A GET whose answer is only shown (the INFO dialogs): its text.
pub async fn get_text(path: &str) -> Result<String, ApiFailure> {
    let resp = send_cookies(Request::get(&url(path)))
        .send()
        .await
        .map_err(ApiFailure::network)?;
    text_of(resp).await
}

pub async fn get<T: Decode>(path: &str) -> Result<T, ApiFailure> {
    let resp = send_cookies(Request::get(&url(path)))
        .send()
        .await
        .map_err(ApiFailure::network)?;
    decode(resp).await
}

/// A POST of a JSON body (written by `codis_model::wire::encode_*`).
pub async fn post<T: Decode>(path: &str, body: String) -> Result<T, ApiFailure> {
    let req = with_csrf(send_cookies(Request::post(&url(path))))
        .header("Content-Type", "application/json")
        .body(body)
        .map_err(ApiFailure::network)?;
    let resp = req.send().await.map_err(ApiFailure::network)?;
    decode(resp).await
}

/// A POST without a body (the rebalance preview).
pub async fn post_empty<T: Decode>(path: &str) -> Result<T, ApiFailure> {
    let resp = with_csrf(send_cookies(Request::post(&url(path))))
        .send()
        .await
        .map_err(ApiFailure::network)?;
    decode(resp).await
}

/// A DELETE whose answer has no body (sign-out: 204).
pub async fn delete(path: &str) -> Result<(), ApiFailure> {
    let resp = with_csrf(send_cookies(Request::delete(&url(path))))
        .send()
        .await
        .map_err(ApiFailure::network)?;
    text_of(resp).await.map(|_| ())
}
