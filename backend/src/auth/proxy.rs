//! Sign-in through a trusted reverse proxy (`--auth-proxy-header` from `--trusted-proxies`).

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Trusted reverse-proxy sign-in.
#[derive(Debug)]
pub struct ProxyAuth {
    /// The user header (lower case).
    pub header: String,
    pub role_header: Option<String>,
    pub trusted: Vec<IpNet>,
    pub default_role: String,
}

/// An address or CIDR of `--trusted-proxies` (a bare address is a /32 or /128).
pub fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

impl ProxyAuth {
    pub fn from_args(args: &crate::config::Args) -> Result<Option<ProxyAuth>, String> {
        let trusted: Vec<&String> = args
            .trusted_proxies
            .iter()
            .filter(|t| !t.trim().is_empty())
            .collect();
        let Some(header) = &args.auth_proxy_header else {
            if !trusted.is_empty() {
                return Err("--trusted-proxies needs --auth-proxy-header (CODIS_FE_AUTH_PROXY_HEADER): the header carrying the user name".into());
            }
            if args.auth_proxy_role_header.is_some() {
                return Err("--auth-proxy-role-header needs --auth-proxy-header (CODIS_FE_AUTH_PROXY_HEADER) and --trusted-proxies".into());
            }
            return Ok(None);
        };
        if trusted.is_empty() {
            return Err("--auth-proxy-header needs --trusted-proxies (CODIS_FE_TRUSTED_PROXIES): the addresses or CIDRs of the reverse proxies whose headers are believed".into());
        }
        let name = |flag: &str, h: &str| {
            axum::http::HeaderName::from_bytes(h.trim().as_bytes())
                .map(|n| n.as_str().to_string())
                .map_err(|_| format!("{flag}: {h:?} is not a header name"))
        };
        let trusted = trusted
            .into_iter()
            .map(|t| {
                parse_net(t).ok_or_else(|| {
                    format!("--trusted-proxies: {t:?} is not an IP address or CIDR (10.0.0.0/8)")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(ProxyAuth {
            header: name("--auth-proxy-header", header)?,
            role_header: args
                .auth_proxy_role_header
                .as_deref()
                .map(|h| name("--auth-proxy-role-header", h))
                .transpose()?,
            trusted,
            default_role: args.auth_proxy_default_role.clone(),
        }))
    }

    /// Whether `ip` is one of `--trusted-proxies` (an IPv4-mapped IPv6 peer counts as IPv4).
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|n| n.contains(&ip))
    }
}

/// The client behind a trusted proxy: the right-most `X-Forwarded-For` address that is not a
/// trusted proxy itself (the ones to its left could be forged by the client). Only an IP
/// address is believed: anything else in the header (a name, a port, text meant for the audit
/// log) makes it `None`, and the audit names the TCP peer instead.
pub fn forwarded_client(headers: &HeaderMap, proxy: &ProxyAuth) -> Option<String> {
    let mut list = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        for s in v.to_str().ok()?.split(',') {
            list.push(s.trim().parse::<IpAddr>().ok()?);
        }
    }
    list.iter()
        .rev()
        .find(|ip| !proxy.trusts(**ip))
        .or_else(|| list.first())
        .map(IpAddr::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(net: &str, ip: &str) -> bool {
        let proxy = ProxyAuth {
            header: "x-remote-user".into(),
            role_header: None,
            trusted: vec![parse_net(net).expect("net")],
            default_role: "viewer".into(),
        };
        proxy.trusts(ip.parse().expect("ip"))
    }

    #[test]
    fn trusted_proxies_are_addresses_or_cidrs_and_mapped_ipv6_counts_as_ipv4() {
        assert!(contains("10.1.0.0/16", "10.1.200.3"));
        assert!(!contains("10.1.0.0/16", "10.2.0.1"));
        assert!(contains("10.1.0.0/16", "::ffff:10.1.0.9"));
        assert!(contains("127.0.0.1", "127.0.0.1"));
        assert!(!contains("127.0.0.1", "127.0.0.2"));
        assert!(contains("0.0.0.0/0", "203.0.113.1"));
        assert!(contains("fd00::/8", "fd12::1"));
        assert!(!contains("fd00::/8", "10.0.0.1"));
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.0/", "::/129"] {
            assert_eq!(parse_net(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_forwarded_client_is_the_rightmost_untrusted_address() {
        let proxy = ProxyAuth {
            header: "x-remote-user".into(),
            role_header: None,
            trusted: vec![parse_net("10.0.0.0/8").expect("cidr")],
            default_role: "viewer".into(),
        };
        let mut h = HeaderMap::new();
        assert_eq!(forwarded_client(&h, &proxy), None);
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 198.51.100.7, 10.0.0.2".parse().expect("header"),
        );
        assert_eq!(
            forwarded_client(&h, &proxy).as_deref(),
            Some("198.51.100.7")
        );
        h.insert(
            "x-forwarded-for",
            "10.0.0.3, 10.0.0.2".parse().expect("header"),
        );
        assert_eq!(forwarded_client(&h, &proxy).as_deref(), Some("10.0.0.3"));
        for not_an_ip in ["evil\", \"x", "198.51.100.7:80", "1.2.3.4, unknown", ""] {
            h.insert("x-forwarded-for", not_an_ip.parse().expect("header"));
            assert_eq!(forwarded_client(&h, &proxy), None, "{not_an_ip:?}");
        }
    }
}
