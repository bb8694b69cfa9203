//! What every handler shares.

use std::sync::Arc;

use codis_model::{Overview, Stats};

use crate::dashboard::DashboardClient;
use crate::error::ApiError;
use crate::live::Hub;
use crate::registry::Registry;
use crate::security::{
    Attempt, AuditLog, Caller, Security, CSRF_MESSAGE, READ_ONLY_MESSAGE, VIEWER_MESSAGE,
};

pub struct AppState {
    pub registry: Arc<Registry>,
    pub client: DashboardClient,
    /// Live stats: one poller per watched product, and its subscribers.
    pub live: Arc<Hub>,
    /// `--read-only` and the sign-in mode.
    pub security: Security,
    /// `--audit-log`, when given.
    pub audit: Option<AuditLog>,
}

impl AppState {
    /// Whether `caller` may run an action: 403 in read-only mode, for a missing or wrong CSRF
    /// token, and for a viewer.
    pub fn check_allowed(&self, caller: &Caller) -> Result<(), ApiError> {
        if self.security.read_only {
            return Err(ApiError::Forbidden(READ_ONLY_MESSAGE.into()));
        }
        if caller.csrf_failed {
            return Err(ApiError::Forbidden(CSRF_MESSAGE.into()));
        }
        if caller.role.as_deref() == Some("viewer") {
            return Err(ApiError::Forbidden(VIEWER_MESSAGE.into()));
        }
        Ok(())
    }

    /// Records an action attempt in the audit log (written and flushed before this returns) and
    /// hands the result back.
    pub async fn audit<T>(
        &self,
        attempt: &Attempt<'_>,
        result: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if let Some(log) = &self.audit {
            let role = attempt
                .caller
                .role
                .as_deref()
                .unwrap_or(self.security.anonymous_role());
            log.write(&attempt.entry(role, result.as_ref().map(|_| ())))
                .await;
        }
        result
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
