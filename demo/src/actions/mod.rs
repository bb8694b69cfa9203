//! The dashboard's mutations, as methods on [`Model`](crate::model::Model).
//!
//! Each method performs Codis's checks in Codis's order and returns the exact Cause text of
//! codis-fe-spec.md §5.6 (and of the `put_*__err_*` captures), so a client's error handling is exercised for
//! real. Handlers only parse parameters and call these.

mod group;
mod proxy;
mod sentinel;
mod slots;
