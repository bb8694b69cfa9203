//! Dashboard discovery (spec sections 1.2 and 6): which products exist and where their dashboards listen.
//!
//! A [`Source`] is built once from the command line ([`Source::from_flags`]) and asked for a fresh
//! product list with [`Source::load`] whenever the route table is refreshed. A load either returns
//! the complete current list or an error; it never returns a half-read list because the
//! coordinator went away mid-way, so the caller can keep its last good list and mark it stale
//! (codis-fe-spec.md §7.4) instead of routing to nothing.
//!
//! A coordinator without `/codis3` fails the load too: that is what a renamed or deleted folder
//! looks like, and an empty list would make every product vanish from the console.
//!
//! Per-product problems are different: they never fail the load, so one broken product never hides
//! the others, and they are reported in the [`Listing`] instead of being dropped silently:
//! a `topom` that cannot be read or decoded, or whose `admin_addr` is not `host:port`, is
//! [`Listing::broken`] (with why); a product without a `topom` node (no dashboard running, or the
//! node was deleted) is [`Listing::stopped`]. The caller keeps such a product on its last known
//! dashboard, marked with the error. Coordinator data is input like any other: a product name that
//! Codis itself would refuse (`^\w[\w.-]*$`, Codis's `models.ValidateProduct`) is refused and logged.

mod error;
mod etcd;
mod filesystem;
mod static_list;
mod zookeeper;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use error::DiscoveryError;

/// Upper bound for one whole load. Every network operation has its own shorter timeout; this is
/// the backstop that guarantees a coordinator outage never stalls a route-table refresh for long.
pub const LOAD_DEADLINE: Duration = Duration::from_secs(9);

/// Where codis-fe learns the products and their dashboard addresses.
///
/// `Debug` is written by hand so that logging a `Source` never prints a password.
#[derive(Clone, PartialEq, Eq)]
pub enum Source {
    /// `--dashboard-list=FILE`: a JSON array of `{"name", "dashboard"}`, re-read on every load.
    StaticList(PathBuf),
    /// `--filesystem=ROOT`: the dashboard's filesystem coordinator (node `P` is file `ROOT/data/P`).
    Filesystem(PathBuf),
    /// `--etcd=ADDR`: etcd v2 keys API; endpoints are full `http://host:port` URLs, tried in order.
    Etcd {
        /// Endpoint URLs, `http://` already prepended.
        endpoints: Vec<String>,
        /// Basic-auth user and password.
        auth: Option<(String, String)>,
    },
    /// `--zookeeper=ADDR`: a ZooKeeper ensemble, `host:port[,host:port...]`.
    Zookeeper {
        /// The connect string, passed to the client as given.
        servers: String,
        /// Digest-auth user and password.
        auth: Option<(String, String)>,
    },
}

/// The discovery-related command-line values, exactly as typed (see codis-fe-spec.md §1.1). No `Debug`: the
/// auth values are credentials.
#[derive(Clone, Copy, Default)]
pub struct SourceFlags<'a> {
    /// `--dashboard-list`
    pub dashboard_list: Option<&'a Path>,
    /// `--zookeeper`
    pub zookeeper: Option<&'a str>,
    /// `--zookeeper-auth`
    pub zookeeper_auth: Option<&'a str>,
    /// `--etcd`
    pub etcd: Option<&'a str>,
    /// `--etcd-auth`
    pub etcd_auth: Option<&'a str>,
    /// `--filesystem`
    pub filesystem: Option<&'a Path>,
}

impl Source {
    /// Builds the source from the command line. Exactly one of `--dashboard-list`, `--zookeeper`,
    /// `--etcd` and `--filesystem` must be given; an auth flag is parsed with its own source only.
    pub fn from_flags(flags: &SourceFlags<'_>) -> Result<Source, DiscoveryError> {
        let given = [
            flags.dashboard_list.is_some(),
            flags.zookeeper.is_some(),
            flags.etcd.is_some(),
            flags.filesystem.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(DiscoveryError::InvalidFlags(
                "exactly one of --dashboard-list, --zookeeper, --etcd, --filesystem is required"
                    .into(),
            ));
        }
        if let Some(path) = flags.dashboard_list {
            Ok(Source::StaticList(path.to_path_buf()))
        } else if let Some(root) = flags.filesystem {
            Ok(Source::Filesystem(root.to_path_buf()))
        } else if let Some(addr) = flags.etcd {
            Source::etcd(addr, flags.etcd_auth)
        } else if let Some(addr) = flags.zookeeper {
            Source::zookeeper(addr, flags.zookeeper_auth)
        } else {
            // Unreachable after the count check, but an error is cheaper than a panic path.
            Err(DiscoveryError::InvalidFlags(
                "no discovery source given".into(),
            ))
        }
    }

    /// `--etcd=ADDR [--etcd-auth=USR:PWD]`: comma-separated endpoints, `http://` prepended to any
    /// entry that does not start with it (as the original does).
    pub fn etcd(addr: &str, auth: Option<&str>) -> Result<Source, DiscoveryError> {
        let endpoints: Vec<String> = addr
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.starts_with("http://") {
                    s.to_string()
                } else {
                    format!("http://{s}")
                }
            })
            .collect();
        if endpoints.is_empty() {
            return Err(DiscoveryError::InvalidFlags(format!(
                "--etcd={addr:?} names no endpoint"
            )));
        }
        for endpoint in &endpoints {
            if let Err(e) = reqwest::Url::parse(endpoint) {
                return Err(DiscoveryError::InvalidFlags(format!(
                    "--etcd endpoint {endpoint:?}: {e}"
                )));
            }
        }
        Ok(Source::Etcd {
            endpoints,
            auth: parse_optional_auth("--etcd-auth", auth)?,
        })
    }

    /// `--zookeeper=ADDR [--zookeeper-auth=USR:PWD]`: a comma-separated `host:port` list.
    pub fn zookeeper(addr: &str, auth: Option<&str>) -> Result<Source, DiscoveryError> {
        let servers = addr.trim();
        if servers.is_empty() {
            return Err(DiscoveryError::InvalidFlags(
                "--zookeeper names no server".into(),
            ));
        }
        Ok(Source::Zookeeper {
            servers: servers.to_string(),
            auth: parse_optional_auth("--zookeeper-auth", auth)?,
        })
    }

    /// One line naming the source for logs and error messages, e.g. `etcd http://127.0.0.1:2379`.
    /// Never includes credentials.
    pub fn describe(&self) -> String {
        match self {
            Source::StaticList(path) => format!("dashboard-list {}", path.display()),
            Source::Filesystem(root) => format!("filesystem {}", root.display()),
            Source::Etcd { endpoints, .. } => format!("etcd {}", endpoints.join(",")),
            Source::Zookeeper { servers, .. } => format!("zookeeper {servers}"),
        }
    }

    /// Loads the current products: each one's dashboard `host:port`, or why it has none.
    ///
    /// Fails as a whole when the file or the coordinator cannot be read at all (`/codis3` missing
    /// included), and within [`LOAD_DEADLINE`] in any case.
    pub async fn load(&self) -> Result<Listing, DiscoveryError> {
        let desc = self.describe();
        let load = async {
            match self {
                Source::StaticList(path) => static_list::load(path).await,
                Source::Filesystem(root) => collect(&mut filesystem::Filesystem::new(root)).await,
                Source::Etcd { endpoints, auth } => {
                    let mut etcd = etcd::Etcd::new(&desc, endpoints, auth.as_ref())?;
                    collect(&mut etcd).await
                }
                Source::Zookeeper { servers, auth } => {
                    let mut zk =
                        zookeeper::ZooKeeper::connect(&desc, servers, auth.as_ref()).await?;
                    collect(&mut zk).await
                }
            }
        };
        let listing = tokio::time::timeout(LOAD_DEADLINE, load)
            .await
            .map_err(|_| DiscoveryError::Timeout {
                source_desc: desc.clone(),
                after: LOAD_DEADLINE,
            })??;
        for refusal in &listing.refused {
            tracing::warn!(source = %desc, "refused: {refusal}");
        }
        for (product, reason) in &listing.broken {
            tracing::warn!(source = %desc, product, "no usable dashboard address: {reason}");
        }
        Ok(listing)
    }
}

/// What one load found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// Product name -> dashboard `host:port` (checked), for every product that has one.
    pub dashboards: BTreeMap<String, String>,
    /// Product name -> why its `topom` gives no usable address (unreadable, not a dashboard
    /// model, `admin_addr` empty or not `host:port`). Never also in `dashboards`.
    pub broken: BTreeMap<String, String>,
    /// Products listed without a `topom` node: no dashboard is running (or its node was deleted).
    pub stopped: BTreeSet<String>,
    /// Entries refused outright, one line each naming the value and the rule (a product name
    /// Codis does not allow). Logged by [`Source::load`].
    pub refused: Vec<String>,
}

impl Listing {
    /// Adds product `name` with the address its coordinator gave: checked as `host:port`, else the
    /// product is broken with the rule it broke.
    pub(crate) fn add(&mut self, name: String, admin_addr: &str) {
        match codis_model::validate::address("admin_addr", admin_addr) {
            Ok(addr) => {
                self.broken.remove(&name);
                self.dashboards.insert(name, addr.to_string());
            }
            Err(rule) => self.add_broken(name, format!("{rule} (got {admin_addr:?})")),
        }
    }

    pub(crate) fn add_broken(&mut self, name: String, reason: String) {
        self.dashboards.remove(&name);
        self.broken.insert(name, reason);
    }

    /// Whether `name` is a product name Codis allows; a refused one is recorded in `refused`.
    pub(crate) fn allows_name(&mut self, name: &str) -> bool {
        match codis_model::validate::product_name("product name", name) {
            Ok(_) => true,
            Err(rule) => {
                self.refused.push(format!("{name:?}: {rule}"));
                false
            }
        }
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user = |auth: &Option<(String, String)>| {
            auth.as_ref().map(|(user, _)| format!("{user}:<redacted>"))
        };
        match self {
            Source::StaticList(path) => f.debug_tuple("StaticList").field(path).finish(),
            Source::Filesystem(root) => f.debug_tuple("Filesystem").field(root).finish(),
            Source::Etcd { endpoints, auth } => f
                .debug_struct("Etcd")
                .field("endpoints", endpoints)
                .field("auth", &user(auth))
                .finish(),
            Source::Zookeeper { servers, auth } => f
                .debug_struct("Zookeeper")
                .field("servers", servers)
                .field("auth", &user(auth))
                .finish(),
        }
    }
}

/// Splits `USR:PWD` at the first `:`. An absent or empty flag means no auth; a value without `:`
/// or with an empty user is rejected like the original ("invalid auth").
pub fn parse_auth(flag: &'static str, value: &str) -> Result<(String, String), DiscoveryError> {
    match value.split_once(':') {
        Some((user, password)) if !user.is_empty() => Ok((user.to_string(), password.to_string())),
        _ => Err(DiscoveryError::InvalidAuth { flag }),
    }
}

fn parse_optional_auth(
    flag: &'static str,
    value: Option<&str>,
) -> Result<Option<(String, String)>, DiscoveryError> {
    match value {
        None | Some("") => Ok(None),
        Some(value) => parse_auth(flag, value).map(Some),
    }
}

/// Why one product's `topom` could not be used.
pub(crate) enum NodeError {
    /// This product only: it is reported as broken, with this reason.
    Skip(String),
    /// The coordinator itself failed (connection lost mid-load): fail the whole load rather than
    /// return a list that silently lacks products.
    Fatal(DiscoveryError),
}

/// The two reads every coordinator offers (codis-fe-spec.md §1.2 steps 1 and 3).
pub(crate) trait Coordinator {
    /// The children of `/codis3` (last path component only). A missing `/codis3` is
    /// [`DiscoveryError::NoProductRoot`].
    async fn list_products(&mut self) -> Result<Vec<String>, DiscoveryError>;

    /// `admin_addr` of `/codis3/<product>/topom`, or `None` when the node does not exist.
    async fn read_admin_addr(&mut self, product: &str) -> Result<Option<String>, NodeError>;
}

/// Spec 1.2 for any coordinator: list the products, read each `topom`, key by directory name.
async fn collect<C: Coordinator>(coordinator: &mut C) -> Result<Listing, DiscoveryError> {
    let mut listing = Listing::default();
    for product in coordinator.list_products().await? {
        if !listing.allows_name(&product) {
            continue;
        }
        match coordinator.read_admin_addr(&product).await {
            Ok(Some(addr)) if addr.is_empty() => {
                listing.add_broken(product, "topom has no admin_addr".into())
            }
            Ok(Some(addr)) => listing.add(product, &addr),
            Ok(None) => {
                listing.stopped.insert(product);
            }
            Err(NodeError::Skip(reason)) => listing.add_broken(product, reason),
            Err(NodeError::Fatal(err)) => return Err(err),
        }
    }
    Ok(listing)
}

/// The part of the dashboard model (codis-fe-spec.md §4.3.3) discovery needs. Other fields are ignored and a
/// missing `admin_addr` reads as empty (then reported as broken), as Go's decoder would do.
#[derive(Deserialize)]
struct Topom {
    #[serde(default)]
    admin_addr: String,
}

/// Decodes a `topom` node's data into its `admin_addr`.
pub(crate) fn decode_admin_addr(data: &[u8]) -> Result<String, String> {
    serde_json::from_slice::<Topom>(data)
        .map(|t| t.admin_addr)
        .map_err(|e| format!("topom is not a dashboard model: {e}"))
}

/// Last component of a coordinator path such as `/codis3/codis-demo`.
pub(crate) fn last_component(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_splits_at_first_colon_and_rejects_empty_user() {
        assert_eq!(
            parse_auth("--etcd-auth", "u:p:q").ok(),
            Some(("u".into(), "p:q".into()))
        );
        assert_eq!(
            parse_auth("--etcd-auth", "u:").ok(),
            Some(("u".into(), String::new()))
        );
        for bad in [":p", "nocolon", ":"] {
            let err = parse_auth("--zookeeper-auth", bad)
                .err()
                .map(|e| e.to_string());
            assert!(err.is_some_and(|e| e.starts_with("invalid auth")), "{bad}");
        }
        assert_eq!(
            parse_optional_auth("--etcd-auth", Some("")).ok(),
            Some(None)
        );
    }

    #[test]
    fn etcd_endpoints_get_http_prefix() {
        let source = Source::etcd("127.0.0.1:2379, http://10.0.0.1:2379,", None).ok();
        assert_eq!(
            source,
            Some(Source::Etcd {
                endpoints: vec![
                    "http://127.0.0.1:2379".into(),
                    "http://10.0.0.1:2379".into()
                ],
                auth: None
            })
        );
        assert_eq!(
            source.map(|s| s.describe()).as_deref(),
            Some("etcd http://127.0.0.1:2379,http://10.0.0.1:2379")
        );
        assert!(Source::etcd(" , ", None).is_err());
    }

    #[test]
    fn exactly_one_source_is_required() {
        assert!(Source::from_flags(&SourceFlags::default()).is_err());
        let two = SourceFlags {
            etcd: Some("a:1"),
            zookeeper: Some("b:2"),
            ..Default::default()
        };
        assert!(Source::from_flags(&two).is_err());
        let zk = SourceFlags {
            zookeeper: Some("b:2"),
            zookeeper_auth: Some("u:p"),
            ..Default::default()
        };
        assert_eq!(
            Source::from_flags(&zk).ok(),
            Some(Source::Zookeeper {
                servers: "b:2".into(),
                auth: Some(("u".into(), "p".into()))
            })
        );
        let bad_auth = SourceFlags {
            zookeeper: Some("b:2"),
            zookeeper_auth: Some(":p"),
            ..Default::default()
        };
        assert!(matches!(
            Source::from_flags(&bad_auth),
            Err(DiscoveryError::InvalidAuth { .. })
        ));
    }

    #[test]
    fn debug_output_hides_passwords() {
        let source = Source::zookeeper("h:2181", Some("codis:s3cret")).ok();
        let text = format!("{source:?}");
        assert!(
            text.contains("codis:<redacted>") && !text.contains("s3cret"),
            "{text}"
        );
    }

    #[test]
    fn load_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let source = Source::Filesystem(PathBuf::from("/nonexistent"));
        let fut = source.load();
        assert_send(&fut);
    }

    #[test]
    fn topom_decoding_and_paths() {
        assert_eq!(
            decode_admin_addr(br#"{"admin_addr":"h:1","x":2}"#)
                .ok()
                .as_deref(),
            Some("h:1")
        );
        assert_eq!(decode_admin_addr(b"{}").ok().as_deref(), Some(""));
        assert!(decode_admin_addr(b"{not json").is_err());
        assert_eq!(last_component("/codis3/codis-demo"), "codis-demo");
        assert_eq!(last_component("codis-demo"), "codis-demo");
    }
}
