//! Proxy calls (codis-fe-spec.md §5.6): create/online fetch the proxy's model from its admin address, check
//! the proxy xauth, register it and push slots, start and sentinels (reinit).

use crate::fault::Fault;
use crate::model::{Model, FOREIGN_PRODUCT};
use crate::noise::{go_time, hex_id};
use crate::reply::{ApiError, ApiResult};
use crate::world::Peer;
use codis_model::GoTime;
use std::time::{Duration, Instant, SystemTime};

/// How the proxy admin address answered `GET /api/proxy/model`.
enum Fetch {
    Proxy(usize),
    /// Go's error text for the failed request.
    Failed(String),
}

impl Model {
    fn fetch_proxy_model(&self, addr: &str) -> Fetch {
        let url = format!("Get \"http://{addr}/api/proxy/model\"");
        // A proxy's data port speaks the Redis protocol: it answers the request line with an
        // `-ERR wrong ...` reply, as a codis-server does (codis issues #1240, #1276, #1279).
        let data_port = self.world.proxies.iter().enumerate().any(|(i, p)| {
            p.model.proxy_addr == addr && !self.faults.contains(&Fault::ProxyError(i))
        });
        if data_port {
            return Fetch::Failed(format!(
                "{url}: net/http: HTTP/1.x transport connection broken: malformed HTTP status code \"wrong\""
            ));
        }
        match self.world.dial(addr, &self.faults) {
            Ok(Peer::Proxy(i)) if self.faults.contains(&Fault::ProxyTimeout(i)) => Fetch::Failed(
                format!("{url}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)"),
            ),
            Ok(Peer::Proxy(i)) => Fetch::Proxy(i),
            // A Redis port answers the HTTP request line with `-ERR wrong number of arguments`
            // (`-ERR unknown command` on a sentinel), which Go reads as a malformed status.
            Ok(Peer::Server) | Ok(Peer::PlainRedis) => Fetch::Failed(format!(
                "{url}: net/http: HTTP/1.x transport connection broken: malformed HTTP status code \"wrong\""
            )),
            Ok(Peer::Sentinel) => Fetch::Failed(format!(
                "{url}: net/http: HTTP/1.x transport connection broken: malformed HTTP status code \"unknown\""
            )),
            Err(e) => Fetch::Failed(format!("{url}: {e}")),
        }
    }

    /// `proxy/create` (`online = false`) and `proxy/online` (`online = true`: messages carry
    /// no detail, and an existing token is refreshed in place).
    pub(crate) fn proxy_create(&mut self, addr: &str, online: bool) -> ApiResult<()> {
        let detail = |msg: String, err: &str| {
            if online {
                ApiError::traced(msg)
            } else {
                ApiError::traced(format!("{msg}, {err}"))
            }
        };
        let i = match self.fetch_proxy_model(addr) {
            Fetch::Proxy(i) => i,
            Fetch::Failed(e) => return Err(detail(format!("proxy@{addr} fetch model failed"), &e)),
        };
        let p = self.world.proxies[i].model.clone();
        if p.product_name != self.product {
            return Err(detail(
                format!("proxy@{addr} check xauth failed"),
                "[Remote Error] invalid xauth, please check product name & auth",
            ));
        }
        let mut model = p;
        match self.proxies.get(&model.token) {
            Some(existing) if online => model.id = existing.id,
            Some(_) => {
                return Err(ApiError::traced(format!(
                    "proxy-[{}] already exists",
                    model.token
                )))
            }
            None => model.id = self.proxies.values().map(|p| p.id).max().unwrap_or(0) + 1,
        }
        let token = model.token.clone();
        self.proxies.insert(token.clone(), model);
        self.proxy_reinit_token(&token)
    }

    /// Pushes slots, start and sentinels to a registered proxy.
    fn proxy_reinit_token(&mut self, token: &str) -> ApiResult<()> {
        if self.proxy_unreachable(token) {
            return Err(ApiError::traced(format!(
                "proxy-[{token}] fillslots failed"
            )));
        }
        let sentinels = self.sentinel.servers.clone();
        if let Some(i) = self.proxy_index(token) {
            let p = &mut self.world.proxies[i];
            p.online = true;
            p.sentinels = sentinels;
        }
        Ok(())
    }

    pub(crate) fn proxy_reinit(&mut self, token: &str) -> ApiResult<()> {
        if !self.proxies.contains_key(token) {
            return Err(ApiError::traced(format!("proxy-[{token}] doesn't exist")));
        }
        self.proxy_reinit_token(token)
    }

    /// Shuts the proxy down and unregisters it. The simulated proxy process is then restarted
    /// as a spare (new token, offline), as a supervisor would, so the demo can add it again.
    pub(crate) fn proxy_remove(&mut self, token: &str, force: bool) -> ApiResult<()> {
        if !self.proxies.contains_key(token) {
            return Err(ApiError::traced(format!("proxy-[{token}] doesn't exist")));
        }
        let unreachable = self.proxy_unreachable(token);
        if unreachable && !force {
            return Err(ApiError::traced(format!("proxy-[{token}] shutdown failed")));
        }
        self.proxies.remove(token);
        if !unreachable {
            if let Some(i) = self.proxy_index(token) {
                let seed = self.seed;
                let p = &mut self.world.proxies[i];
                p.model.token = hex_id(seed, &format!("{token}-restarted"), 32);
                p.model.start_time = GoTime(go_time(
                    SystemTime::now(),
                    Some(Duration::from_nanos(8_080_000)),
                ));
                p.online = false;
                p.sentinels.clear();
                p.ops_total = 0.0;
                p.ops_fails = 0.0;
                p.redis_errors = 0.0;
                p.sessions_total = 0;
                p.started_at = Instant::now();
                p.last_advance = Instant::now();
            }
        }
        Ok(())
    }

    /// Admin addresses of proxy processes of this product that are not registered.
    pub(crate) fn spare_proxy_addrs(&self) -> Vec<String> {
        self.world
            .proxies
            .iter()
            .filter(|p| {
                p.model.product_name == self.product && !self.proxies.contains_key(&p.model.token)
            })
            .map(|p| p.model.admin_addr.clone())
            .collect()
    }

    /// The admin address of the other product's proxy.
    pub(crate) fn foreign_proxy_addr(&self) -> String {
        self.world
            .proxies
            .iter()
            .find(|p| p.model.product_name == FOREIGN_PRODUCT)
            .map(|p| p.model.admin_addr.clone())
            .unwrap_or_default()
    }
}
