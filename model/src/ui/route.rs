//! The console's URLs: `/`, `/p/{product}` and `/p/{product}/{section}`, with view choices in the
//! query string (`?window=15m&chart=proxy:…`). The backend serves `index.html` for every such path,
//! so deep links and reloads work; the browser follows the path as one signal (`core::nav`).

use percent_encoding::{
    percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC,
};

/// The sections of a product's page: (path segment, tab label).
pub const SECTIONS: [(&str, &str); 5] = [
    ("", "Overview"),
    ("proxies", "Proxies"),
    ("slots", "Slots"),
    ("groups", "Groups"),
    ("sentinels", "Sentinels"),
];

/// What `encodeURIComponent` leaves alone: letters, digits and `-_.!~*'()`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// What a query key or value must escape: what would end or change it (`& = # + %`, a space) and
/// what is not plain ASCII; `:` and `/` stay readable (`?chart=memory:1`).
const QUERY: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'=')
    .add(b'<')
    .add(b'>')
    .add(b'`');

/// Percent-encodes one path segment as `encodeURIComponent` does (names and addresses may hold
/// `:`, `/`, `#`, `%`, spaces).
pub fn enc(segment: &str) -> String {
    utf8_percent_encode(segment, COMPONENT).to_string()
}

/// `/api/products/<product><rest>` with the name percent-encoded.
pub fn product_path(product: &str, rest: &str) -> String {
    format!("/api/products/{}{rest}", enc(product))
}

/// The console's link to a product's section (`""` is the overview).
pub fn section_href(product: &str, section: &str) -> String {
    if section.is_empty() {
        format!("/p/{}", enc(product))
    } else {
        format!("/p/{}/{section}", enc(product))
    }
}

/// The path the console was loaded under, from its document's base URL (`document.baseURI`:
/// the `<base href>` the backend writes for `--base-path`): `""` at the root, `"/codis"` under
/// `/codis/`. Every console path (`/p/…`) and API path (`/api/…`) is appended to it.
pub fn base_of(base_url: &str) -> String {
    let after_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let path = if base_url.contains("://") {
        after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
    } else {
        after_scheme
    };
    let base_url_path = path.split(['?', '#']).next().unwrap_or("/");
    let trimmed = base_url_path.trim_end_matches('/');
    // The base URL of a page without `<base>` is the page itself (`/p/x/slots`): only the
    // directory counts.
    match trimmed.rfind('/') {
        Some(_) if base_url_path.ends_with('/') => trimmed.to_owned(),
        Some(i) => trimmed[..i].to_owned(),
        None => String::new(),
    }
}

/// The console path (`/`, `/p/…`) of a browser path under `base` (see [`base_of`]); `None` when
/// it is not under it.
pub fn strip_base<'a>(base: &str, path: &'a str) -> Option<&'a str> {
    let rest = path.strip_prefix(base)?;
    match rest {
        "" => Some("/"),
        r if r.starts_with('/') => Some(r),
        _ => None,
    }
}

/// The browser path of a console path under `base`.
pub fn with_base(base: &str, path: &str) -> String {
    format!("{base}{path}")
}

/// (product, section) of a path; empty strings when it is not a product's page. The product is
/// percent-decoded (kept as written when that does not give UTF-8).
pub fn path_parts(path: &str) -> (String, String) {
    let mut it = path.trim_start_matches('/').split('/');
    match (it.next(), it.next(), it.next()) {
        (Some("p"), Some(p), s) => (
            percent_decode_str(p)
                .decode_utf8()
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| p.to_owned()),
            s.unwrap_or("").to_owned(),
        ),
        _ => (String::new(), String::new()),
    }
}

/// Which page a path shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    Product,
    NotFound,
}

pub fn route_of(path: &str) -> Route {
    if path.trim_matches('/').is_empty() {
        return Route::Home;
    }
    let (product, section) = path_parts(path);
    let known = SECTIONS.iter().any(|&(s, _)| s == section);
    if path.starts_with("/p/") && !product.is_empty() && known {
        Route::Product
    } else {
        Route::NotFound
    }
}

/// The value of `key` in a query string (`location.search`, with or without its `?`), decoded as
/// the browser's `URLSearchParams` decodes it (`%XX` escapes, `+` for a space).
pub fn query_get(search: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// `search` with `key` set to `value` (`Some`) or removed (`None`): `""` or `?k=v&…`, every value
/// encoded, the other parameters kept in their order.
pub fn query_set(search: &str, key: &str, value: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
            .filter(|(k, _)| k != key)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    if let Some(v) = value {
        pairs.push((key.to_owned(), v.to_owned()));
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY),
                utf8_percent_encode(v, QUERY)
            )
        })
        .collect();
    if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_paths_go_under_the_base_and_come_back() {
        assert_eq!(base_of("/"), "");
        assert_eq!(base_of("/codis/"), "/codis");
        assert_eq!(base_of("/ops/codis/"), "/ops/codis");
        assert_eq!(
            base_of("/p/codis-demo/slots"),
            "/p/codis-demo",
            "no <base>: the directory"
        );
        assert_eq!(base_of("https://ops.example:8443/codis/"), "/codis");
        assert_eq!(base_of("http://127.0.0.1:9090/"), "");
        assert_eq!(base_of("http://127.0.0.1:9090"), "");
        assert_eq!(base_of("http://h/codis/?x=/y/#z"), "/codis");
        for base in ["", "/codis", "/ops/codis"] {
            for path in ["/", "/p/codis-demo", "/p/a%2Fb/slots"] {
                let full = with_base(base, path);
                assert_eq!(strip_base(base, &full), Some(path), "{base} {path}");
            }
        }
        assert_eq!(strip_base("/codis", "/codis"), Some("/"));
        assert_eq!(strip_base("/codis", "/codisx/p/a"), None);
        assert_eq!(strip_base("/codis", "/p/a"), None);
        assert_eq!(strip_base("", "/p/a"), Some("/p/a"));
    }

    #[test]
    fn a_query_value_is_percent_decoded() {
        assert_eq!(
            query_get("?window=15m&chart=proxy%3Aab%2Fc", "chart").as_deref(),
            Some("proxy:ab/c")
        );
        assert_eq!(query_get("?q=a%20b+c", "q").as_deref(), Some("a b c"));
        assert_eq!(query_get("q=caf%C3%A9", "q").as_deref(), Some("café"));
        assert_eq!(query_get("?window=15m", "chart"), None);
        assert_eq!(query_get("", "chart"), None);
    }

    #[test]
    fn a_query_value_written_is_read_back_unchanged() {
        for v in [
            "proxy:0a1b",
            "a b",
            "x&y=z",
            "100%",
            "#frag",
            "café",
            "+",
            "",
        ] {
            let search = query_set("?window=1h", "chart", Some(v));
            assert_eq!(query_get(&search, "chart").as_deref(), Some(v), "{search}");
            assert_eq!(
                query_get(&search, "window").as_deref(),
                Some("1h"),
                "{search}"
            );
        }
    }

    #[test]
    fn setting_a_query_value_replaces_it_and_none_removes_it() {
        assert_eq!(
            query_set("?a=1&chart=x&b=2", "chart", Some("y")),
            "?a=1&b=2&chart=y"
        );
        assert_eq!(query_set("?chart=x", "chart", None), "");
        assert_eq!(query_set("", "window", Some("15m")), "?window=15m");
        // Values the console writes stay readable in the address bar.
        assert_eq!(
            query_set("?window=15", "chart", Some("memory:1")),
            "?window=15&chart=memory:1"
        );
        assert_eq!(query_set("", "q", Some("a b&c")), "?q=a%20b%26c");
    }

    #[test]
    fn product_names_round_trip_through_links() {
        for name in ["codis-demo", "a b", "x/y", "100%", "q?#", "café"] {
            let href = section_href(name, "groups");
            assert!(!href[3..].contains(['?', '#', ' ']), "{href}");
            assert_eq!(path_parts(&href), (name.to_owned(), "groups".to_owned()));
            assert_eq!(route_of(&href), Route::Product, "{href}");
        }
        assert_eq!(enc("a:b/c d"), "a%3Ab%2Fc%20d");
        assert_eq!(enc("-_.!~*'()"), "-_.!~*'()");
        assert_eq!(product_path("x/y", "/events"), "/api/products/x%2Fy/events");
    }

    #[test]
    fn paths_map_to_their_pages() {
        assert_eq!(route_of("/"), Route::Home);
        assert_eq!(route_of(""), Route::Home);
        assert_eq!(route_of("/p/codis-demo"), Route::Product);
        assert_eq!(route_of("/p/codis-demo/slots"), Route::Product);
        assert_eq!(route_of("/p/codis-demo/nope"), Route::NotFound);
        assert_eq!(route_of("/p/"), Route::NotFound);
        assert_eq!(route_of("/elsewhere"), Route::NotFound);
        // A malformed escape keeps the name as written rather than failing.
        assert_eq!(path_parts("/p/%FF").0, "%FF");
    }
}
