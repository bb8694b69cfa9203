//! What every handler shares.

use std::sync::Arc;

use codis_model::{Overview, Stats};

use crate::audit::{AuditLog, Recent};
use crate::auth::{
    Attempt, AuthApp, Caller, Security, ADMIN_MESSAGE, CSRF_MESSAGE, NO_ACCESS_MESSAGE,
    READ_ONLY_MESSAGE, VIEWER_MESSAGE,
};
use crate::dashboard::DashboardClient;
use crate::error::ApiError;
use crate::live::Hub;
use crate::registry::Registry;

pub struct AppState {
    pub registry: Arc<Registry>,
    pub client: DashboardClient,
    /// Live stats: one poller per watched product, and its subscribers.
    pub live: Arc<Hub>,
    /// The fleet view and its poller (issue 16).
    pub fleet: Arc<crate::fleet::Fleet>,
    /// `--read-only` and the sign-in mode.
    pub security: Security,
    /// The session cookie's `SameSite`, `Secure` and `Path` (`--cookie-samesite`,
    /// `--cookie-secure`, `--base-path`).
    pub cookie: crate::session::CookieAttributes,
    /// `--base-path` (`/` or `/…/`): every route is served under it.
    pub base_path: String,
    /// Set at the start of a shutdown (SIGTERM, SIGINT): `/readyz` answers 503 from then on.
    pub draining: std::sync::atomic::AtomicBool,
    /// `--audit-log`, when given.
    pub audit_log: Option<AuditLog>,
    /// The last audit entries (`GET /api/activity`), kept with or without `--audit-log`.
    pub recent: Recent,
    /// Actions whose dashboard call is running or whose outcome is unknown: an identical one
    /// is refused meanwhile.
    pub running: crate::api::in_flight::Running,
}

impl AuthApp for AppState {
    fn security(&self) -> &Security {
        &self.security
    }

    fn product_names(&self) -> Vec<String> {
        self.registry
            .snapshot()
            .products
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }

    fn max_request_body(&self) -> usize {
        crate::server::MAX_REQUEST_BODY
    }

    async fn record(&self, attempt: &Attempt<'_>, result: Result<(), &ApiError>) {
        AppState::record(self, attempt, result).await;
    }
}

impl AppState {
    /// Whether `caller` may run an action on `product`: 403 in read-only mode, for a missing or
    /// wrong CSRF token, for a product it has no role for, for a viewer, and for an operator
    /// when the action is `admin_only` (dangerous dashboard settings).
    pub fn check_allowed(
        &self,
        caller: &Caller,
        product: &str,
        admin_only: bool,
    ) -> Result<(), ApiError> {
        if self.security.read_only {
            return Err(ApiError::Forbidden(READ_ONLY_MESSAGE.into()));
        }
        if caller.csrf_failed {
            return Err(ApiError::Forbidden(CSRF_MESSAGE.into()));
        }
        match self.security.role_in(caller, product).as_deref() {
            None => Err(ApiError::Forbidden(NO_ACCESS_MESSAGE.into())),
            Some("viewer") => Err(ApiError::Forbidden(VIEWER_MESSAGE.into())),
            Some("admin") => Ok(()),
            Some(_) if admin_only => Err(ApiError::Forbidden(ADMIN_MESSAGE.into())),
            Some(_) => Ok(()),
        }
    }

    /// The role written in an audit line: the caller's role for the product, `-` for nobody.
    pub fn audit_role(&self, caller: &Caller, product: &str) -> String {
        if self.security.key.is_some() && caller.session.is_none() {
            return "-".into();
        }
        self.security
            .role_in(caller, product)
            .or_else(|| caller.role.clone())
            .unwrap_or_else(|| "none".into())
    }

    /// Records an attempt: the audit log (written and flushed before this returns) and the
    /// recent entries.
    pub async fn record(&self, attempt: &Attempt<'_>, result: Result<(), &ApiError>) {
        let role = self.audit_role(attempt.caller, attempt.product);
        let entry = attempt.entry(&role, result);
        if let Some(log) = &self.audit_log {
            log.write(&entry).await;
        }
        self.recent.push(entry);
    }

    /// Records an action attempt (see [`AppState::record`]) and hands the result back.
    pub async fn audit<T>(
        &self,
        attempt: &Attempt<'_>,
        result: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.record(attempt, result.as_ref().map(|_| ())).await;
        result
    }

    /// `--session-ttl` of local sign-in.
    pub fn local_ttl(&self) -> u64 {
        self.security.local.as_ref().map_or(0, |l| l.ttl_secs)
    }

    /// The dashboard address of a known product, or a 404 naming it.
    pub fn dashboard_of(&self, product: &str) -> Result<String, ApiError> {
        self.registry
            .dashboard_of(product)
            .ok_or_else(|| ApiError::UnknownProduct(product.to_string()))
    }

    /// The product's stats, stacks removed.
    pub async fn fetch_stats(&self, product: &str) -> Result<Stats, ApiError> {
        let dashboard = self.dashboard_of(product)?;
        let xauth = codis_model::xauth::product_xauth(product);
        self.stats_from(&dashboard, &xauth).await
    }

    /// A dashboard's stats as a browser may see them (no stacks). `xauth` is passed as given, so
    /// a codis-fe page forwarding a wrong one gets the dashboard's own refusal.
    pub async fn stats_from(&self, dashboard: &str, xauth: &str) -> Result<Stats, ApiError> {
        let mut stats: Stats = self
            .client
            .get(dashboard, &format!("/api/topom/stats/{xauth}"))
            .await?;
        stats.strip_stacks();
        Ok(stats)
    }

    /// A dashboard's `/topom` as a browser may see it: no coordinator credentials, no stacks.
    pub async fn overview_from(&self, dashboard: &str) -> Result<Overview, ApiError> {
        let mut overview: Overview = self.client.get(dashboard, "/topom").await?;
        overview.redact();
        Ok(overview)
    }
}
