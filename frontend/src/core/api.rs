//! The backend's JSON API (`/api/...`). Every failure becomes an [`ApiFailure`] carrying the
//! backend's or the dashboard's own message, so no error is ever shown as a blank dialog.

use codis_model::console::ApiErrorBody;
use codis_model::wire::{self, Decode};
use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

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
    fn network(e: JsValue) -> ApiFailure {
        let e = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.to_string()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| "the request failed".into());
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

/// One `fetch` (the browser's, directly): the status and the text of the answer. State-changing
/// requests carry `X-CSRF-Token` when sign-in gave one.
pub async fn fetch(method: &str, url: &str, body: Option<String>) -> Result<Answer, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new()?;
    if method != "GET" {
        if let Some(t) = CSRF.with(|c| c.borrow().clone()) {
            headers.set("X-CSRF-Token", &t)?;
        }
    }
    if let Some(b) = body {
        headers.set("Content-Type", "application/json")?;
        init.set_body(&JsValue::from(b));
    }
    init.set_headers(&headers);
    let req = web_sys::Request::new_with_str_and_init(url, &init)?;
    let resp: web_sys::Response =
        JsFuture::from(leptos::prelude::window().fetch_with_request(&req))
            .await?
            .unchecked_into();
    let text = JsFuture::from(resp.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        status: resp.status(),
        text,
    })
}

/// What [`fetch`] got.
pub struct Answer {
    pub status: u16,
    pub text: String,
}

async fn call(method: &str, path: &str, body: Option<String>) -> Result<Answer, ApiFailure> {
    fetch(method, &url(path), body)
        .await
        .map_err(ApiFailure::network)
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
async fn decode<T: Decode>(a: Result<Answer, ApiFailure>) -> Result<T, ApiFailure> {
    let a = a?;
    let status = a.status;
    let text = text_of(Ok(a))?;
    wire::decode(&text).map_err(|e| ApiFailure {
        status,
        kind: "bad_response".into(),
        message: format!("unexpected answer from the backend ({e})"),
        field: None,
        rule: None,
    })
}

/// The body of a 2xx answer, or the failure the backend described.
fn text_of(a: Result<Answer, ApiFailure>) -> Result<String, ApiFailure> {
    let Answer { status, text } = a?;
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
    text_of(call("GET", path, None).await)
}

pub async fn get<T: Decode>(path: &str) -> Result<T, ApiFailure> {
    decode(call("GET", path, None).await).await
}

/// A POST of a JSON body (written by `codis_model::wire::encode_*`).
pub async fn post<T: Decode>(path: &str, body: String) -> Result<T, ApiFailure> {
    decode(call("POST", path, Some(body)).await).await
}

/// A POST without a body (the rebalance preview).
pub async fn post_empty<T: Decode>(path: &str) -> Result<T, ApiFailure> {
    decode(call("POST", path, None).await).await
}

/// A DELETE whose answer has no body (sign-out: 204).
pub async fn delete(path: &str) -> Result<(), ApiFailure> {
    text_of(call("DELETE", path, None).await).map(|_| ())
}
