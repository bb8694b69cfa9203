//! Response bodies exactly as the Go dashboard writes them.
//!
//! Go's `json.MarshalIndent(v, "", "    ")` pretty-prints with 4 spaces, writes no trailing
//! newline and escapes `&`, `<`, `>` as `\u0026`, `\u003c`, `\u003e` (the capture of a wrong
//! xauth reads `product name \u0026 auth`). Errors use the non-standard status 800.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use codis_model::error::ERROR_STATUS;
use codis_model::{DashboardError, StackFrame};
use serde::Serialize;

/// The content type of every dashboard (and proxy admin) response.
pub(crate) const JSON_TYPE: &str = "application/json; charset=utf-8";

/// An application error: a Cause, and whether Codis traced it (a `Stack` array) or not
/// (parameter and xauth errors have `"Stack": null`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub cause: String,
    pub traced: bool,
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An untraced error (`"Stack": null`): parameter checks, xauth.
    pub(crate) fn plain(cause: impl Into<String>) -> Self {
        Self {
            cause: cause.into(),
            traced: false,
        }
    }

    /// A traced error (`"Stack": [...]`): everything the model or a dial refuses.
    pub(crate) fn traced(cause: impl Into<String>) -> Self {
        Self {
            cause: cause.into(),
            traced: true,
        }
    }

    /// The `{"Cause", "Stack"}` body. The stack is a short, clearly simulated one: it keeps the
    /// shape (an array of frames) a client must survive without leaking anything real.
    pub(crate) fn body(&self) -> DashboardError {
        DashboardError {
            cause: self.cause.clone(),
            stack: self.traced.then(|| {
                vec![
                    StackFrame {
                        name: "github.com/CodisLabs/codis/pkg/topom.(*Topom)".to_owned(),
                        file: "codis-demo/simulated.go".to_owned(),
                        line: 1,
                    },
                    StackFrame {
                        name: "github.com/CodisLabs/codis/pkg/topom.(*apiServer)".to_owned(),
                        file: "codis-demo/simulated_api.go".to_owned(),
                        line: 1,
                    },
                ]
            }),
        }
    }
}

/// Go-style pretty JSON text of a value.
pub(crate) fn go_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(256);
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    if value.serialize(&mut ser).is_err() {
        return "null".to_owned();
    }
    let text = String::from_utf8(out).unwrap_or_default();
    // These characters only occur inside JSON strings, so a global replace is exact.
    text.replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// 200 with the value as Go-style JSON.
pub(crate) fn ok_json<T: Serialize + ?Sized>(value: &T) -> Response<Body> {
    with_type(StatusCode::OK, JSON_TYPE, go_json(value))
}

/// 200 `"OK"`, the body of every successful mutation.
pub(crate) fn ok() -> Response<Body> {
    ok_json(codis_model::OK_REPLY)
}

/// 800 with `{"Cause", "Stack"}`.
pub(crate) fn error(err: &ApiError) -> Response<Body> {
    let status = StatusCode::from_u16(ERROR_STATUS).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    with_type(status, JSON_TYPE, go_json(&err.body()))
}

/// Either result, as the dashboard answers it.
pub(crate) fn result<T: Serialize>(r: ApiResult<T>) -> Response<Body> {
    match r {
        Ok(v) => ok_json(&v),
        Err(e) => error(&e),
    }
}

/// martini's (and Go's) not-found answer for unknown routes, missing segments and wrong methods.
pub(crate) fn not_found() -> Response<Body> {
    let mut resp = with_type(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        "404 page not found\n".to_owned(),
    );
    resp.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// 302 to `location`, with the JSON content type martini leaves on it.
pub(crate) fn redirect(location: &'static str) -> Response<Body> {
    let mut resp = with_type(StatusCode::FOUND, JSON_TYPE, String::new());
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(location));
    resp
}

/// A plain-text 500, what a panicking Go handler gives.
pub(crate) fn internal_error() -> Response<Body> {
    with_type(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain; charset=utf-8",
        "Internal Server Error".to_owned(),
    )
}

/// A 200 that claims JSON but is not (a truncated document).
pub(crate) fn garbage() -> Response<Body> {
    with_type(
        StatusCode::OK,
        JSON_TYPE,
        "{\n    \"closed\": fals\u{0}<html>".to_owned(),
    )
}

/// Splits a request path into its segments, tolerating one trailing `/` (codis-fe-spec.md §4.1). `None`
/// when a segment is empty (a missing parameter), which routes to 404. Segments are
/// percent-decoded, as Go's router sees them.
pub(crate) fn segments(path: &str) -> Option<Vec<String>> {
    let p = path.strip_prefix('/').unwrap_or(path);
    let p = p.strip_suffix('/').unwrap_or(p);
    if p.is_empty() {
        return Some(Vec::new());
    }
    p.split('/')
        .map(|s| {
            (!s.is_empty()).then(|| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
        })
        .collect()
}

/// Go's `strconv.Atoi` for a path parameter: "missing <name>" / "invalid <name>".
pub(crate) fn int_param(text: &str, name: &str) -> ApiResult<i64> {
    if text.is_empty() {
        return Err(ApiError::plain(format!("missing {name}")));
    }
    text.parse::<i64>()
        .map_err(|_| ApiError::plain(format!("invalid {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_go_style() {
        let body =
            go_json(&ApiError::plain("invalid xauth, please check product name & auth").body());
        assert_eq!(
            body,
            "{\n    \"Cause\": \"invalid xauth, please check product name \\u0026 auth\",\n    \"Stack\": null\n}"
        );
        assert_eq!(go_json("OK"), "\"OK\"");
    }

    #[test]
    fn segments_tolerate_one_trailing_slash_only() {
        assert_eq!(segments("/topom/"), Some(vec!["topom".to_owned()]));
        assert_eq!(segments("/topom//"), None);
        assert_eq!(segments("/"), Some(vec![]));
        assert_eq!(
            segments("/a/127.0.0.1%3A1"),
            Some(vec!["a".to_owned(), "127.0.0.1:1".to_owned()])
        );
        assert_eq!(int_param("-1", "sid"), Ok(-1));
        assert_eq!(int_param("x", "sid"), Err(ApiError::plain("invalid sid")));
    }
}
