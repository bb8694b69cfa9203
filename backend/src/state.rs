//! What every handler shares.

use std::sync::Arc;

use codis_model::Stats;

use crate::dashboard::DashboardClient;
use crate::error::ApiError;
use crate::live::Hub;
use crate::registry::Registry;

pub struct AppState {
    pub registry: Arc<Registry>,
    pub client: DashboardClient,
    /// Live stats: one poller per watched product, and its subscribers.
    pub live: Arc<Hub>,
}

impl AppState {
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
        let mut stats: Stats = self
            .client
            .get(&dashboard, &format!("/api/topom/stats/{xauth}"))
            .await?;
        stats.strip_stacks();
        Ok(stats)
    }
}
