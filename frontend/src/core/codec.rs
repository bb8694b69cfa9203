//! JSON in and out of the console, through serde and the model's own derives (the server uses
//! the same ones, so a field added to a type is read by both sides at once).
//!
//! Decoding is serde_json's. BENCHMARKS.md (console section) compares it with the browser's
//! `JSON.parse` walked by serde-wasm-bindgen on the console's cold load.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// One JSON document as `T`; the error names where and what (serde_json's message).
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// `v` as JSON (a request body).
pub fn encode<T: Serialize>(v: &T) -> String {
    // The model's types serialise infallibly (no map with non-string keys, no failing impl).
    serde_json::to_string(v).unwrap_or_default()
}
