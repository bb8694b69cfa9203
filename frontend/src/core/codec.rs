//! JSON in and out of the console, through serde and the model's own derives (the server uses
//! the same ones, so a field added to a type is read by both sides at once).
//!
//! The browser's `JSON.parse` reads the text and serde-wasm-bindgen walks the parsed value into
//! the model's types: measured against serde_json on the console's cold load, the smaller of the
//! two (BENCHMARKS.md, console section: 271,016 against 280,145 B of brotli wasm). Integers must
//! be exact in a JavaScript number (below 2^53), which every count and time the backend writes is.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsCast;

/// One JSON document as `T`; the error says what did not fit (or the browser's JSON syntax error).
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|e| {
        e.dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| "not JSON".into())
    })?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// `v` as JSON (a request body): maps as plain objects, as serde_json writes them.
pub fn encode<T: Serialize>(v: &T) -> String {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()
        .and_then(|v| js_sys::JSON::stringify(&v).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}
