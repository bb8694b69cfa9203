//! The dashboard's HTTP surface (codis-fe-spec.md §4.2), routed by hand.
//!
//! Martini's routing has quirks a client depends on: one trailing `/` is tolerated, an empty
//! segment or a wrong method is a plain 404, parameters are checked (xauth first, then integers
//! in path order) before the model is touched. A hand-written match over the path segments
//! reproduces that exactly, which axum's router would not (405s, no trailing-slash tolerance).

use crate::control::Control;
use crate::fault::Fault;
use crate::model::lock;
use crate::reply::{self, int_param, ApiError, ApiResult};
use crate::world::Peer;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, Request, Response};
use axum::Router;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;

/// The dashboard router: every request goes to [`dispatch`]; responses are gzipped whenever the
/// client accepts gzip (Codis compresses everything, 800s and tiny `"OK"`s included).
pub(crate) fn router(ctl: Arc<Control>) -> Router {
    Router::new()
        .fallback(dispatch)
        .with_state(ctl)
        .layer(CompressionLayer::new().compress_when(
            |_: axum::http::StatusCode,
             _: axum::http::Version,
             _: &axum::http::HeaderMap,
             _: &axum::http::Extensions| true,
        ))
}

async fn dispatch(State(ctl): State<Arc<Control>>, req: Request<Body>) -> Response<Body> {
    // In its own task, as a Go handler: a client that gives up (a timeout) does not stop a slow
    // dashboard from carrying the request out later.
    tokio::spawn(handle(ctl, req))
        .await
        .unwrap_or_else(|_| reply::internal_error())
}

async fn handle(ctl: Arc<Control>, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    // Dashboard-wide faults first: they model a sick dashboard process.
    let faults: Vec<Fault> = lock(&ctl.shared)
        .faults
        .iter()
        .filter(|f| f.is_dashboard_wide())
        .cloned()
        .collect();
    for f in &faults {
        match f {
            Fault::DashboardSlow(d) => tokio::time::sleep(*d).await,
            Fault::SlowActions(d) if parts.method == Method::PUT => tokio::time::sleep(*d).await,
            _ => {}
        }
    }
    if faults.contains(&Fault::DashboardError500) {
        return reply::internal_error();
    }
    if faults.contains(&Fault::DashboardGarbage) {
        return reply::garbage();
    }
    let Some(segs) = reply::segments(parts.uri.path()) else {
        return reply::not_found();
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (parts.method.clone(), segs.as_slice()) {
        (Method::GET, []) => reply::redirect("/topom"),
        (Method::GET, ["topom"]) => read(&ctl, |m| reply::ok_json(&m.overview())),
        (Method::GET, ["topom", "model"]) | (Method::GET, ["api", "topom", "model"]) => {
            read(&ctl, |m| reply::ok_json(&m.topom))
        }
        (Method::GET, ["topom", "stats"]) => read(&ctl, |m| reply::ok_json(&m.stats())),
        (Method::GET, ["topom", "slots"]) => read(&ctl, |m| reply::ok_json(&m.proxy_slots())),
        (Method::GET, ["api", "topom", rest @ ..]) => get_api(&ctl, rest),
        (Method::PUT, ["api", "topom", rest @ ..]) => put_api(&ctl, rest, &body),
        _ => reply::not_found(),
    }
}

/// Runs a read under the lock, after advancing the moving counters.
fn read(ctl: &Control, f: impl FnOnce(&crate::model::Model) -> Response<Body>) -> Response<Body> {
    let mut m = lock(&ctl.shared);
    m.advance();
    f(&m)
}

/// The xauth check, in Codis's order (codis-fe-spec.md §4.1).
fn check_xauth(ctl: &Control, xauth: &str) -> ApiResult<()> {
    let m = lock(&ctl.shared);
    if m.closed {
        return Err(ApiError::plain("use of closed topom"));
    }
    if xauth.is_empty() {
        return Err(ApiError::plain(
            "missing xauth, please check product name & auth",
        ));
    }
    if xauth != m.xauth() {
        return Err(ApiError::plain(
            "invalid xauth, please check product name & auth",
        ));
    }
    Ok(())
}

fn get_api(ctl: &Control, segs: &[&str]) -> Response<Body> {
    match segs {
        ["xping", x] => reply::result(check_xauth(ctl, x).map(|()| codis_model::OK_REPLY)),
        ["stats", x] => match check_xauth(ctl, x) {
            Ok(()) => read(ctl, |m| reply::ok_json(&m.stats())),
            Err(e) => reply::error(&e),
        },
        ["slots", x] => match check_xauth(ctl, x) {
            Ok(()) => read(ctl, |m| reply::ok_json(&m.proxy_slots())),
            Err(e) => reply::error(&e),
        },
        // Pika's Codis fork has no sentinel routes.
        ["sentinels", ..] if lock(&ctl.shared).pika.is_some() => reply::not_found(),
        ["group", "info", addr] => read(ctl, |m| match m.world.dial(addr, &m.faults) {
            Ok(Peer::Server) if m.pika.is_some() => reply::ok_json(&m.pika_info(addr)),
            Ok(Peer::Server) => reply::ok_json(&m.server_info(addr)),
            Ok(Peer::PlainRedis) => reply::ok_json(&m.plain_redis_info(addr)),
            Ok(Peer::Sentinel) => reply::error(&ApiError::traced("ERR unknown command 'CONFIG'")),
            Ok(Peer::Proxy(_)) => reply::error(&ApiError::traced("bad resp type 'H'")),
            Err(e) => reply::error(&ApiError::traced(e)),
        }),
        ["sentinels", "info", addr] => read(ctl, |m| match m.world.dial(addr, &m.faults) {
            Ok(Peer::Sentinel) => reply::ok_json(&m.sentinel_info(addr)),
            Ok(Peer::Server) => reply::ok_json(&m.server_info(addr)),
            Ok(Peer::PlainRedis) => reply::ok_json(&m.plain_redis_info(addr)),
            Ok(Peer::Proxy(_)) => reply::error(&ApiError::traced("bad resp type 'H'")),
            Err(e) => reply::error(&ApiError::traced(e)),
        }),
        ["sentinels", "info", addr, "monitored"] => {
            read(ctl, |m| match m.world.dial(addr, &m.faults) {
                Ok(Peer::Sentinel) => reply::ok_json(&m.sentinel_monitored(addr)),
                Ok(Peer::Proxy(_)) => reply::error(&ApiError::traced("bad resp type 'H'")),
                Ok(_) => reply::error(&ApiError::traced("ERR unknown command 'SENTINEL'")),
                Err(e) => reply::error(&ApiError::traced(e)),
            })
        }
        _ => reply::not_found(),
    }
}

/// Log levels Codis accepts (case-insensitive).
const LOG_LEVELS: &[&str] = &["ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NONE"];

/// A mutation: xauth, then parameters, then the model call under the lock.
fn put_api(ctl: &Arc<Control>, segs: &[&str], body: &Bytes) -> Response<Body> {
    let Some(xauth) = xauth_segment(segs) else {
        return reply::not_found();
    };
    // Pika's Codis fork has no sentinel routes.
    if segs.first() == Some(&"sentinels") && lock(&ctl.shared).pika.is_some() {
        return reply::not_found();
    }
    if let Err(e) = check_xauth(ctl, xauth) {
        return reply::error(&e);
    }
    let int = int_param;
    let run = |f: &dyn Fn(&mut crate::model::Model) -> ApiResult<()>| -> Response<Body> {
        let mut m = lock(&ctl.shared);
        reply::result(f(&mut m).map(|()| codis_model::OK_REPLY))
    };
    // Parameters are parsed before the lock, in path order, so errors name the first bad one.
    macro_rules! ints {
        ($($text:expr => $name:literal),+) => {
            (|| -> ApiResult<_> { Ok(($(int($text, $name)?),+)) })()
        };
    }
    let parsed: Result<Response<Body>, ApiError> = (|| {
        Ok(match segs {
            ["reload", _] => run(&|_| Ok(())),
            ["shutdown", _] => {
                lock(&ctl.shared).closed = true;
                ctl.shutdown_soon();
                reply::ok()
            }
            ["loglevel", _] => return Err(ApiError::plain("missing loglevel")),
            ["loglevel", _, value] if value.trim().is_empty() => {
                return Err(ApiError::plain("missing loglevel"))
            }
            ["loglevel", _, value] => {
                let upper = value.to_ascii_uppercase();
                if !LOG_LEVELS.contains(&upper.as_str()) {
                    return Err(ApiError::plain("invalid loglevel"));
                }
                run(&|m| {
                    m.loglevel = upper.clone();
                    Ok(())
                })
            }
            ["proxy", "create", _, addr] => run(&|m| m.proxy_create(addr, false)),
            ["proxy", "online", _, addr] => run(&|m| m.proxy_create(addr, true)),
            ["proxy", "reinit", _, token] => run(&|m| m.proxy_reinit(token)),
            ["proxy", "remove", _, token, force] => {
                let force = int(force, "force")?;
                run(&|m| m.proxy_remove(token, force != 0))
            }
            ["group", "create", _, gid] => {
                let gid = int(gid, "gid")?;
                run(&|m| m.group_create(gid))
            }
            ["group", "remove", _, gid] => {
                let gid = int(gid, "gid")?;
                run(&|m| m.group_remove(gid))
            }
            ["group", "resync", _, gid] => {
                let gid = int(gid, "gid")?;
                run(&|m| m.group_resync(gid))
            }
            ["group", "resync-all", _] => run(&|m| m.group_resync_all()),
            ["group", "add", _, gid, addr] => {
                let gid = int(gid, "gid")?;
                run(&|m| m.group_add(gid, addr, ""))
            }
            ["group", "add", _, gid, addr, dc] => {
                let gid = int(gid, "gid")?;
                run(&|m| m.group_add(gid, addr, dc))
            }
            ["group", "del", _, gid, addr] => {
                let gid = int(gid, "gid")?;
                run(&|m| m.group_del(gid, addr))
            }
            ["group", "promote", _, gid, addr] => {
                let gid = int(gid, "gid")?;
                run(&|m| m.group_promote(gid, addr))
            }
            ["group", "replica-groups", _, gid, addr, value] => {
                let (gid, value) = ints!(gid => "gid", value => "value")?;
                run(&|m| m.group_replica_groups(gid, addr, value != 0))
            }
            ["group", "replica-groups-all", _, value] => {
                let value = int(value, "value")?;
                run(&|m| m.group_replica_groups_all(value != 0))
            }
            ["group", "action", "create", _, addr] => run(&|m| m.sync_action_create(addr)),
            ["group", "action", "remove", _, addr] => run(&|m| m.sync_action_remove(addr)),
            ["slots", "action", "create", _, sid, gid] => {
                let (sid, gid) = ints!(sid => "sid", gid => "gid")?;
                run(&|m| m.slot_create(sid, gid))
            }
            ["slots", "action", "create-some", _, src, dst, num] => {
                let (src, dst, num) = ints!(src => "src", dst => "dst", num => "num")?;
                run(&|m| m.slot_create_some(src, dst, num))
            }
            ["slots", "action", "create-range", _, beg, end, gid] => {
                let (beg, end, gid) = ints!(beg => "beg", end => "end", gid => "gid")?;
                run(&|m| m.slot_create_range(beg, end, gid))
            }
            ["slots", "action", "remove", _, sid] => {
                let sid = int(sid, "sid")?;
                run(&|m| m.slot_remove_action(sid))
            }
            ["slots", "action", "interval", _, value] => {
                let value = int(value, "value")?;
                run(&|m| {
                    m.slot_set_interval(value);
                    Ok(())
                })
            }
            ["slots", "action", "disabled", _, value] => {
                let value = int(value, "value")?;
                run(&|m| {
                    m.slot_set_disabled(value);
                    Ok(())
                })
            }
            ["slots", "assign", _] => run(&|m| m.slots_assign(body, false)),
            ["slots", "assign", _, "offline"] => run(&|m| m.slots_assign(body, true)),
            ["slots", "rebalance", _, confirm] => {
                let confirm = int(confirm, "confirm")?;
                let mut m = lock(&ctl.shared);
                reply::result(m.slots_rebalance(confirm != 0))
            }
            ["sentinels", "add", _, addr] => run(&|m| m.sentinel_add(addr)),
            ["sentinels", "del", _, addr, force] => {
                let force = int(force, "force")?;
                run(&|m| m.sentinel_del(addr, force != 0))
            }
            ["sentinels", "resync-all", _] => run(&|m| m.sentinel_resync_all()),
            _ => reply::not_found(),
        })
    })();
    parsed.unwrap_or_else(|e| reply::error(&e))
}

/// The `{xauth}` segment of a PUT route, or `None` when the path is no known route (404 comes
/// before the xauth check).
fn xauth_segment<'a>(segs: &[&'a str]) -> Option<&'a str> {
    let at = match segs {
        ["reload" | "shutdown", _] => 1,
        ["loglevel", _] | ["loglevel", _, _] => 1,
        ["proxy", "create" | "online" | "reinit", _, _] | ["proxy", "remove", _, _, _] => 2,
        ["group", "create" | "remove" | "resync", _, _]
        | ["group", "resync-all", _]
        | ["group", "add", _, _, _]
        | ["group", "add", _, _, _, _]
        | ["group", "del" | "promote", _, _, _]
        | ["group", "replica-groups", _, _, _, _]
        | ["group", "replica-groups-all", _, _] => 2,
        ["group", "action", "create" | "remove", _, _] => 3,
        ["slots", "action", "create", _, _, _]
        | ["slots", "action", "create-some" | "create-range", _, _, _, _]
        | ["slots", "action", "remove" | "interval" | "disabled", _, _] => 3,
        ["slots", "assign", _]
        | ["slots", "assign", _, "offline"]
        | ["slots", "rebalance", _, _] => 2,
        ["sentinels", "add", _, _]
        | ["sentinels", "del", _, _, _]
        | ["sentinels", "resync-all", _] => 2,
        _ => return None,
    };
    segs.get(at).copied()
}
