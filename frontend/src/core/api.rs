//! The backend's JSON API (`/api/...`). Answers are decoded and request bodies written through
//! serde with the model's own derives ([`super::codec`]), so the browser reads exactly what the
//! server writes. Every failure becomes an [`ApiFailure`] carrying the backend's or the
//! dashboard's own message, so no error is ever shown as a blank dialog.

use codis_model::console::ApiErrorBody;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;

use gloo_net::http::{Request, RequestBuilder, Response};

use super::codec;
use super::config::api_base;

pub use codis_model::ui::failure::ApiFailure;
pub use codis_model::ui::route::{enc, product_path};

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

/// A 2xx answer's JSON as `T`.
async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, ApiFailure> {
    let status = resp.status();
    let text = text_of(resp).await?;
    codec::decode(&text).map_err(|e| ApiFailure::bad_response(status, e))
}

/// The body of a 2xx answer, or the failure the backend described.
async fn text_of(resp: Response) -> Result<String, ApiFailure> {
    let status = resp.status();
    let text = resp.text().await.map_err(ApiFailure::network)?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let body = ApiErrorBody::from_json(&text);
    Err(ApiFailure::refused(status, body, &text))
}

/// A GET whose answer is only shown (the INFO dialogs): its text.
pub async fn get_text(path: &str) -> Result<String, ApiFailure> {
    let resp = send_cookies(Request::get(&url(path)))
        .send()
        .await
        .map_err(ApiFailure::network)?;
    text_of(resp).await
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    let resp = send_cookies(Request::get(&url(path)))
        .send()
        .await
        .map_err(ApiFailure::network)?;
    decode(resp).await
}

/// A POST of `body` as JSON.
pub async fn post<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, ApiFailure> {
    let req = with_csrf(send_cookies(Request::post(&url(path))))
        .header("Content-Type", "application/json")
        .body(codec::encode(body))
        .map_err(ApiFailure::network)?;
    let resp = req.send().await.map_err(ApiFailure::network)?;
    decode(resp).await
}

/// A POST without a body (the rebalance preview).
pub async fn post_empty<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
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
