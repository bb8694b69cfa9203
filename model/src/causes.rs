//! The dashboard's Causes as operators should read them: secrets redacted, proxies named by id
//! and addresses instead of by token, and a hint beside the classic mistakes.
//!
//! The table [`KNOWN_CAUSES`] lists the Causes a real Codis 3.2 dashboard gives for mistakes
//! people make (a proxy added by its data port, a plain Redis added to a group, ...), each with
//! the capture in `fixtures/codis-3.2` that shows it; the model's tests check every entry
//! against its capture, so a hint cannot drift from the words the dashboard really uses.

use crate::cause_id::CauseId;
use crate::types::Proxy;

/// How a proxy is named everywhere in the console: its id and both addresses (the table shows
/// no token, so a token alone tells nobody which proxy is meant).
pub fn proxy_name(id: u64, proxy_addr: &str, admin_addr: &str) -> String {
    format!("proxy {id} ({proxy_addr}, admin {admin_addr})")
}

/// [`proxy_name`] of a registered proxy.
pub fn name_of(p: &Proxy) -> String {
    proxy_name(p.id, &p.proxy_addr, &p.admin_addr)
}

/// 32 hex digits. Checked on bytes: a Cause is arbitrary text, and slicing it as a `str` at a
/// fixed width could split a multi-byte character.
fn is_hex32(b: &[u8]) -> bool {
    b.len() == 32 && b.iter().all(u8::is_ascii_hexdigit)
}

/// Replaces every xauth-like path segment (`/` then 32 hex digits, then the end or a
/// non-alphanumeric character) with `{xauth}`, as in
/// `Get "http://127.0.0.1:11081/api/proxy/stats/{xauth}": dial tcp ...`. Proxy tokens in
/// `proxy-[...]` are not secrets (the dashboard lists them) and are left for [`name_proxies`].
pub fn redact_secrets(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] == b'/' && i + 33 <= b.len() && is_hex32(&b[i + 1..i + 33]) {
            let after = b.get(i + 33);
            if after.is_none_or(|c| !c.is_ascii_alphanumeric()) {
                out.push_str(&text[copied..=i]);
                out.push_str("{xauth}");
                i += 33;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Replaces `proxy-[<token>]` of every registered proxy with its [`proxy_name`]; tokens of no
/// registered proxy stay as the dashboard wrote them.
pub fn name_proxies(text: &str, proxies: &[Proxy]) -> String {
    let mut out = text.to_string();
    for p in proxies {
        if p.token.is_empty() {
            continue;
        }
        let pattern = format!("proxy-[{}]", p.token);
        if out.contains(&pattern) {
            out = out.replace(&pattern, &name_of(p));
        }
    }
    out
}

/// What the hint may use besides the Cause itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct HintContext<'a> {
    /// The address the action was about (a server, sentinel or proxy admin address), if any.
    pub addr: Option<&'a str>,
    /// The product's registered proxies.
    pub proxies: &'a [Proxy],
}

/// One classic mistake: how its Cause reads, and what to tell the operator.
pub struct KnownCause {
    /// Short name, used in tests and logs.
    pub name: &'static str,
    /// Every one of these appears in the Cause.
    pub contains: &'static [&'static str],
    /// A capture (without `.json`) in `fixtures/codis-3.2` whose Cause this entry matches.
    pub example: &'static str,
    hint: fn(&str, &HintContext) -> CauseId,
}

impl KnownCause {
    pub fn matches(&self, cause: &str) -> bool {
        self.contains.iter().all(|c| cause.contains(c))
    }

    /// The mistake as data (its id and parameters), which the console words in its language.
    pub fn cause_id(&self, cause: &str, ctx: &HintContext) -> CauseId {
        (self.hint)(cause, ctx)
    }

    /// The hint in English.
    pub fn hint(&self, cause: &str, ctx: &HintContext) -> String {
        self.cause_id(cause, ctx).hint().unwrap_or_default()
    }
}

/// The address a `proxy@<addr> ...` Cause names, else the action's own address.
fn subject<'a>(cause: &'a str, ctx: &HintContext<'a>) -> Option<&'a str> {
    cause
        .split_once("proxy@")
        .and_then(|(_, rest)| rest.split([' ', ',']).next())
        .filter(|a| !a.is_empty())
        .or(ctx.addr)
}

fn owned(addr: Option<&str>) -> Option<String> {
    addr.map(str::to_string)
}

fn data_port(cause: &str, ctx: &HintContext) -> CauseId {
    let addr = subject(cause, ctx);
    if let Some(p) = addr.and_then(|a| ctx.proxies.iter().find(|p| p.proxy_addr == a)) {
        return CauseId::ProxyDataPort {
            addr: p.proxy_addr.clone(),
            admin: p.admin_addr.clone(),
        };
    }
    CauseId::RedisPort { addr: owned(addr) }
}

fn not_codis_server(_: &str, ctx: &HintContext) -> CauseId {
    CauseId::NotCodisServer {
        addr: owned(ctx.addr),
    }
}

fn not_sentinel(_: &str, ctx: &HintContext) -> CauseId {
    CauseId::NotSentinel {
        addr: owned(ctx.addr),
    }
}

fn other_product(cause: &str, ctx: &HintContext) -> CauseId {
    CauseId::OtherProduct {
        addr: owned(subject(cause, ctx)),
    }
}

fn promoting(_: &str, _: &HintContext) -> CauseId {
    CauseId::GroupPromoting
}

fn proxy_unreachable(_: &str, _: &HintContext) -> CauseId {
    CauseId::ProxyUnreachable
}

fn master_in_use(_: &str, _: &HintContext) -> CauseId {
    CauseId::MasterInUse
}

fn group_has_servers(_: &str, _: &HintContext) -> CauseId {
    CauseId::GroupHasServers
}

fn refused(cause: &str, ctx: &HintContext) -> CauseId {
    let addr: Option<String> = cause
        .split_once("dial tcp ")
        .map(|(_, r)| r.split(':').take(2).collect::<Vec<_>>().join(":"))
        .filter(|a| !a.is_empty())
        .or_else(|| owned(ctx.addr));
    CauseId::NothingListens { addr }
}

fn no_port(_: &str, _: &HintContext) -> CauseId {
    CauseId::AddressWithoutPort
}

fn closed_connection(_: &str, _: &HintContext) -> CauseId {
    CauseId::ClosedConnection
}

fn wrong_xauth(_: &str, _: &HintContext) -> CauseId {
    CauseId::WrongXauth
}

/// Classic mistakes, most specific first.
pub const KNOWN_CAUSES: &[KnownCause] = &[
    KnownCause {
        name: "proxy-added-by-data-port",
        contains: &["fetch model failed", "malformed HTTP status code \"wrong\""],
        example: "put_proxy_create__err_not_a_proxy_redis_port",
        hint: data_port,
    },
    KnownCause {
        name: "plain-redis-added-to-group",
        contains: &["ERR unknown command 'SLOTSINFO'"],
        example: "put_group_add__err_plain_redis_not_codis",
        hint: not_codis_server,
    },
    KnownCause {
        name: "not-a-sentinel",
        contains: &["ERR unknown command 'SENTINEL'"],
        example: "put_sentinels_add__err_not_a_sentinel_codis_server",
        hint: not_sentinel,
    },
    KnownCause {
        name: "proxy-of-another-product",
        contains: &["check xauth failed"],
        example: "put_proxy_create__err_other_product_proxy",
        hint: other_product,
    },
    KnownCause {
        name: "group-promoting",
        contains: &["is promoting"],
        example: "put_group_add__err_group_promoting",
        hint: promoting,
    },
    KnownCause {
        name: "proxy-unreachable-fillslots",
        contains: &["proxy-[", "] fillslots failed"],
        example: "put_proxy_reinit__err_dead_proxy",
        hint: proxy_unreachable,
    },
    KnownCause {
        name: "proxy-unreachable-resync",
        contains: &["proxy-[", "] resync slots failed"],
        example: "put_group_resync__err_dead_proxy",
        hint: proxy_unreachable,
    },
    KnownCause {
        name: "proxy-unreachable-shutdown",
        contains: &["proxy-[", "] shutdown failed"],
        example: "put_proxy_remove__err_dead_proxy_no_force",
        hint: proxy_unreachable,
    },
    KnownCause {
        name: "proxy-unreachable-sentinel",
        contains: &["proxy-[", "] sentinel failed"],
        example: "put_sentinels_resync_all__err_dead_proxy",
        hint: proxy_unreachable,
    },
    KnownCause {
        name: "master-still-in-use",
        contains: &["can't remove master, still in use"],
        example: "put_group_del__err_master_in_use",
        hint: master_in_use,
    },
    KnownCause {
        name: "group-has-servers",
        contains: &["isn't empty"],
        example: "put_group_remove__err_group_has_servers",
        hint: group_has_servers,
    },
    KnownCause {
        name: "connection-refused",
        contains: &["connect: connection refused"],
        example: "put_group_add__err_conn_refused",
        hint: refused,
    },
    KnownCause {
        name: "address-without-port",
        contains: &["missing port in address"],
        example: "put_group_add__err_bad_addr_no_port",
        hint: no_port,
    },
    KnownCause {
        name: "closed-network-connection",
        contains: &["use of closed network connection"],
        example: "demo_get_topom_stats__sentinel_transient_closed_conn",
        hint: closed_connection,
    },
    KnownCause {
        name: "wrong-xauth",
        contains: &["invalid xauth"],
        example: "put_group_create__err_wrong_xauth",
        hint: wrong_xauth,
    },
];

/// The table entry matching `cause`, if it is a known mistake.
pub fn known(cause: &str) -> Option<&'static KnownCause> {
    KNOWN_CAUSES.iter().find(|k| k.matches(cause))
}

/// The hint for `cause`, if it is a known mistake.
pub fn hint(cause: &str, ctx: &HintContext) -> Option<String> {
    known(cause).map(|k| k.hint(cause, ctx))
}

/// The known mistake behind `cause` as data (the console words its hint), if it is one.
pub fn cause_id(cause: &str, ctx: &HintContext) -> Option<CauseId> {
    known(cause).map(|k| k.cause_id(cause, ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(id: u64, token: &str, data: &str, admin: &str) -> Proxy {
        Proxy {
            id,
            token: token.into(),
            proxy_addr: data.into(),
            admin_addr: admin.into(),
            ..Proxy::default()
        }
    }

    #[test]
    fn xauth_segments_are_redacted_and_nothing_else() {
        let cause = "Get \"http://127.0.0.1:11081/api/proxy/stats/caddbd191ed18444978369e0ffabf43c\": dial tcp 127.0.0.1:11081: connect: connection refused";
        let r = redact_secrets(cause);
        assert_eq!(
            r,
            "Get \"http://127.0.0.1:11081/api/proxy/stats/{xauth}\": dial tcp 127.0.0.1:11081: connect: connection refused"
        );
        let with_flags = "/api/proxy/stats/caddbd191ed18444978369e0ffabf43c/4294967295";
        assert_eq!(
            redact_secrets(with_flags),
            "/api/proxy/stats/{xauth}/4294967295"
        );
        // A token in brackets is a name, not a secret; longer hex runs are not xauths.
        let token = "proxy-[28a6da90f4425c690e44d01055334654] fillslots failed";
        assert_eq!(redact_secrets(token), token);
        let long = "/caddbd191ed18444978369e0ffabf43cab";
        assert_eq!(redact_secrets(long), long);
        assert_eq!(redact_secrets("é/ü"), "é/ü");
        // 31 hex digits then a multi-byte character: no xauth, and no slicing inside the 'é'.
        let near = format!("/{}é and more", "a".repeat(31));
        assert_eq!(redact_secrets(&near), near);
    }

    #[test]
    fn proxies_are_named_by_id_and_addresses() {
        let ps = [proxy(
            2,
            "28a6da90f4425c690e44d01055334654",
            "127.0.0.1:19001",
            "127.0.0.1:11081",
        )];
        assert_eq!(
            name_proxies(
                "proxy-[28a6da90f4425c690e44d01055334654] resync slots failed",
                &ps
            ),
            "proxy 2 (127.0.0.1:19001, admin 127.0.0.1:11081) resync slots failed"
        );
        let unknown = "proxy-[ffffffffffffffffffffffffffffffff] doesn't exist";
        assert_eq!(name_proxies(unknown, &ps), unknown);
    }

    #[test]
    fn a_data_port_names_the_admin_port_when_the_proxy_is_known() {
        let cause = "proxy@127.0.0.1:19000 fetch model failed, Get \"http://127.0.0.1:19000/api/proxy/model\": net/http: HTTP/1.x transport connection broken: malformed HTTP status code \"wrong\"";
        let ps = [proxy(1, "aa", "127.0.0.1:19000", "127.0.0.1:11080")];
        let ctx = HintContext {
            addr: Some("127.0.0.1:19000"),
            proxies: &ps,
        };
        assert_eq!(
            hint(cause, &ctx).expect("known"),
            "127.0.0.1:19000 answers like a proxy's data port; the admin port of this proxy is 127.0.0.1:11080"
        );
        let general = hint(cause, &HintContext::default()).expect("known");
        assert!(
            general.starts_with("127.0.0.1:19000 answers like a Redis port"),
            "{general}"
        );
        assert!(general.contains("admin address"), "{general}");
    }

    #[test]
    fn each_known_mistake_has_its_id_and_its_hint_reads_from_it() {
        let ctx = HintContext {
            addr: Some("10.0.0.5:6379"),
            proxies: &[],
        };
        let refused = "dial tcp 10.0.0.9:6380: connect: connection refused";
        assert_eq!(
            cause_id(refused, &ctx),
            Some(CauseId::NothingListens {
                addr: Some("10.0.0.9:6380".into())
            })
        );
        assert_eq!(
            hint(refused, &ctx).unwrap(),
            "Nothing listens at 10.0.0.9:6380: check that the process is running and the address is right"
        );
        assert_eq!(
            cause_id("ERR unknown command 'SLOTSINFO'", &ctx),
            Some(CauseId::NotCodisServer {
                addr: Some("10.0.0.5:6379".into())
            })
        );
        for k in KNOWN_CAUSES {
            let id = k.cause_id(k.contains.join(" ").as_str(), &ctx);
            assert!(id.hint().is_some(), "{}: {id:?} has no hint", k.name);
        }
    }

    #[test]
    fn unknown_causes_get_no_hint() {
        assert!(hint("group-[9] doesn't exist", &HintContext::default()).is_none());
    }
}
