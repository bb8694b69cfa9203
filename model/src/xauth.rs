//! Path tokens that the dashboard and proxies check (codis-fe-spec.md §4.1).
//!
//! Neither is a secret: the dashboard token is derived from the product name alone (codis-fe-spec.md §7.2).
//! They only prove that the caller knows which product it is talking to.

use sha2::{Digest, Sha256};

/// Number of hex characters kept from the SHA-256 digest (the first 16 bytes).
const XAUTH_HEX_LEN: usize = 32;

/// The dashboard xauth: first 32 lowercase hex characters of SHA-256 of `Codis-XAuth-[<product>]`.
///
/// `product_xauth("codis-demo") == "95b62887719520f17e312eaa76d28f2b"`.
pub fn product_xauth(product: &str) -> String {
    hex_prefix(&format!("Codis-XAuth-[{product}]"))
}

/// The xauth the dashboard uses towards a proxy: SHA-256 of
/// `Codis-XAuth-[<product>]-[<product_auth>]-[<proxy token>]`, first 16 bytes in hex.
pub fn proxy_xauth(product: &str, product_auth: &str, token: &str) -> String {
    hex_prefix(&format!(
        "Codis-XAuth-[{product}]-[{product_auth}]-[{token}]"
    ))
}

fn hex_prefix(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    let mut out = String::with_capacity(XAUTH_HEX_LEN);
    for byte in digest.iter().take(XAUTH_HEX_LEN / 2) {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_xauth_matches_the_captured_dashboard() {
        assert_eq!(
            product_xauth("codis-demo"),
            "95b62887719520f17e312eaa76d28f2b"
        );
    }

    #[test]
    fn proxy_xauth_matches_the_captured_proxy_admin_path() {
        // proxy19000 (token from proxy19000_get_api_proxy_model.json, no product_auth) was called
        // at /api/proxy/stats/0a3e30b94cb268676f3513ad5c4e300b/0 in the captures.
        assert_eq!(
            proxy_xauth("codis-demo", "", "646b55f57361986ddcdefe74dfb0c2da"),
            "0a3e30b94cb268676f3513ad5c4e300b"
        );
    }

    #[test]
    fn proxy_xauth_depends_on_auth_and_token() {
        let a = proxy_xauth("codis-demo", "", "646b55f57361986ddcdefe74dfb0c2da");
        let b = proxy_xauth("codis-demo", "secret", "646b55f57361986ddcdefe74dfb0c2da");
        assert_eq!(a.len(), 32);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
