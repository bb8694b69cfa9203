//! The users file (`--users`) and the roles it grants; `codis-fe passwd`'s hashes.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

/// The roles, weakest first.
pub const ROLES: [&str; 3] = ["viewer", "operator", "admin"];

/// One user of `--users`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserEntry {
    pub user: String,
    /// argon2id, PHC string format (required for local sign-in; optional in proxy mode).
    #[serde(default)]
    pub hash: Option<String>,
    /// The role everywhere except the products of `products`; without it, the user sees only
    /// the products listed there.
    #[serde(default)]
    pub role: Option<String>,
    /// Product name (or `*`) -> role, overriding `role` for that product.
    #[serde(default)]
    pub products: BTreeMap<String, String>,
}

/// Reads `--users`. `need_hash`: local sign-in (every entry needs a password hash).
pub fn load_users(path: &Path, need_hash: bool) -> Result<HashMap<String, UserEntry>, String> {
    let text = std::fs::read(path).map_err(|e| format!("--users {}: {e}", path.display()))?;
    let list: Vec<UserEntry> = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "--users {}: not a JSON array of {{user, hash, role, products}}: {e}",
            path.display()
        )
    })?;
    let mut map = HashMap::new();
    for u in list {
        let bad = |what: &str| format!("--users {}: user {:?}: {what}", path.display(), u.user);
        if u.role.is_none() && u.products.is_empty() {
            return Err(bad("give a role, or products with roles"));
        }
        let roles = u.role.iter().chain(u.products.values());
        if roles.clone().any(|r| !ROLES.contains(&r.as_str())) {
            return Err(bad("role must be viewer, operator or admin"));
        }
        match &u.hash {
            Some(h) if argon2::PasswordHash::new(h).is_err() => {
                return Err(bad(
                    "the hash is not a PHC string (make one with `codis-fe passwd`)",
                ))
            }
            None if need_hash => {
                return Err(bad(
                    "no hash: the hash is not a PHC string (make one with `codis-fe passwd`)",
                ))
            }
            _ => {}
        }
        if map.contains_key(&u.user) {
            return Err(bad("is listed more than once (one entry per user)"));
        }
        map.insert(u.user.clone(), u);
    }
    Ok(map)
}

/// An argon2id PHC hash of `password` with the crate's default (OWASP) parameters.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}
