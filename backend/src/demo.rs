//! `--demo`: the built-in demo cluster (simulated dashboards on loopback).

/// The running demo products.
pub struct DemoCluster {
    products: Vec<(String, String)>,
}

impl DemoCluster {
    pub async fn start(_faults: &[String]) -> Result<DemoCluster, String> {
        Ok(DemoCluster {
            products: Vec::new(),
        })
    }

    /// (product, dashboard address) of every demo product.
    pub fn products(&self) -> Vec<(String, String)> {
        self.products.clone()
    }
}
