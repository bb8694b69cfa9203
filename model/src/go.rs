//! serde helpers that make our JSON match what Go's `encoding/json` produces (and accept what it
//! may produce).
//!
//! Go's `omitempty` drops zero numbers, empty strings, `false`, empty maps and slices and nil
//! pointers; the `is_*` predicates below are used with `skip_serializing_if` to do the same.

use serde::{Deserialize, Deserializer, Serializer};

/// `skip_serializing_if` predicate for Go's `omitempty` on a bool.
pub(crate) fn is_false(v: &bool) -> bool {
    !*v
}

/// `skip_serializing_if` predicate for Go's `omitempty` on a number.
pub(crate) fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Deserialises `null` as the type's default. Go encodes a nil slice or map as `null`; we never
/// want to fail on that, and the UI treats it as empty anyway.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Go encodes a `float64` that happens to be integral without a fraction (`0`, not `0.0`), and
/// `serde_json::Value` treats `0` and `0.0` as different numbers. Writing integral floats as
/// integers keeps a re-encoded document equal to the original (e.g. `rusage.cpu` of an idle proxy).
pub(crate) mod go_float {
    use super::*;

    /// Largest integer a double represents exactly; beyond it Go prints an exponent anyway.
    const EXACT_INT_LIMIT: f64 = 9_007_199_254_740_992.0;

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() && v.fract() == 0.0 && v.abs() < EXACT_INT_LIMIT {
            // Exact: the value is an integer below 2^53.
            s.serialize_i64(*v as i64)
        } else {
            s.serialize_f64(*v)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}
