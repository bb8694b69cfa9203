//! `--demo`: the built-in demo cluster. Three simulated dashboards on loopback (`codis-demo`,
//! like the captured 3-group cluster, the smaller `codis-tiny`, and `pika-demo`, Pika's Codis
//! fork with `--demo-pika-slots` slots), reached over real HTTP like any other dashboard, so the
//! demo exercises the same code path as production.

use std::str::FromStr;
use std::time::Duration;

use codis_demo::{DemoDashboard, DemoOptions, Fault, Noise, Preset};

/// The running demo dashboards; they stop when this is dropped.
pub struct DemoCluster {
    pub dashboards: Vec<DemoDashboard>,
}

impl DemoCluster {
    /// Starts both demo products; `faults` (from `--demo-fault`) apply to `codis-demo`. With
    /// `noise` (`--demo-noise`, on by default) both show the transient failures of a real cluster.
    pub async fn start(
        faults: &[String],
        noise: bool,
        pika_slots: u16,
    ) -> Result<DemoCluster, String> {
        let faults = faults
            .iter()
            .filter(|f| !f.trim().is_empty())
            .map(|f| Fault::from_str(f.trim()).map_err(|e| format!("--demo-fault {f:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut dashboards = Vec::new();
        for (product, preset) in [
            ("codis-demo", Preset::Small),
            ("codis-tiny", Preset::Tiny),
            (
                "pika-demo",
                Preset::Pika {
                    max_slot_num: pika_slots,
                },
            ),
        ] {
            let opts = DemoOptions {
                product: product.to_string(),
                preset,
                seed: 1,
                step: Duration::from_millis(200),
            };
            let d = DemoDashboard::start(opts)
                .await
                .map_err(|e| format!("--demo: cannot start the {product} dashboard: {e}"))?;
            if noise {
                d.set_noise(Noise::realistic());
            }
            dashboards.push(d);
        }
        if let Some(main) = dashboards.first() {
            // Every fault is checked against codis-demo before any is set: a typo in one
            // address refuses the start instead of running a demo without that fault.
            for f in &faults {
                main.check_fault(f)
                    .map_err(|e| format!("--demo-fault \"{f}\": {e}"))?;
            }
            for f in faults {
                main.set_fault(f);
            }
        }
        Ok(DemoCluster { dashboards })
    }

    /// `--demo-fleet=N`: `n` more small products, `codis-fleet-001` onwards (the `Tiny`
    /// preset, each with its own seed so their numbers differ).
    pub async fn add_fleet(&mut self, n: u16, noise: bool) -> Result<(), String> {
        for i in 1..=n {
            let product = format!("codis-fleet-{i:03}");
            let opts = DemoOptions {
                product: product.clone(),
                preset: Preset::Tiny,
                seed: u64::from(i) + 1,
                step: Duration::from_millis(200),
            };
            let d = DemoDashboard::start(opts)
                .await
                .map_err(|e| format!("--demo-fleet: cannot start the {product} dashboard: {e}"))?;
            if noise {
                d.set_noise(Noise::realistic());
            }
            self.dashboards.push(d);
        }
        Ok(())
    }

    /// (product, dashboard address) of every demo product.
    pub fn products(&self) -> Vec<(String, String)> {
        self.dashboards
            .iter()
            .map(|d| (d.product().to_string(), d.addr().to_string()))
            .collect()
    }

    /// The demo dashboard of `product`, for tests that inject faults.
    pub fn dashboard(&self, product: &str) -> Option<&DemoDashboard> {
        self.dashboards.iter().find(|d| d.product() == product)
    }
}
