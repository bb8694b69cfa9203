//! The console's actions: every mutation of codis-fe-spec.md §2.8, as one typed value shared by the browser
//! (which builds it and shows its confirmation text) and the backend (which validates it, adds the
//! xauth and calls the dashboard).
//!
//! codis-fe pasted raw form text into dashboard paths and forwarded any path at all (codis-fe-spec.md §7.3, 7.9).
//! Here an action is the allow-list: a request is either one of these variants with valid fields,
//! or it is refused. [`Action::from_dashboard_path`] maps codis-fe's `?forward=` requests onto the
//! same variants, so both entry points share one set of rules.
//!
//! Fields are the raw strings an operator typed (numbers are accepted too), so that every refusal
//! comes from [`crate::validate`] and names the field and the rule.

use serde::{Deserialize, Deserializer, Serialize};

use crate::validate::{self, Validated};

/// One mutation of a product. Serialised as `{"action": "group-create", "gid": "3"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// New Proxy: register the proxy listening at admin address `addr`.
    ProxyCreate {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
    },
    /// Proxy SYNC: push all slots, start and the sentinel list to the proxy again.
    ProxyReinit {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::proxy_token))]
        #[serde(deserialize_with = "text")]
        token: String,
    },
    /// Remove (and shut down) a proxy; `force` ignores a failed shutdown.
    ProxyRemove {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::proxy_token))]
        #[serde(deserialize_with = "text")]
        token: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::flag))]
        #[serde(deserialize_with = "flag")]
        force: bool,
    },
    /// Migrate Range: queue slots `beg..=end` to group `gid`.
    SlotsCreateRange {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::slot_id))]
        #[serde(deserialize_with = "text")]
        beg: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::slot_id))]
        #[serde(deserialize_with = "text")]
        end: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        gid: String,
    },
    /// Migrate Some: queue up to `num` idle slots of group `from` to group `to`.
    SlotsCreateSome {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        from: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        to: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::slot_count))]
        #[serde(deserialize_with = "text")]
        num: String,
    },
    /// Cancel a pending slot action (slot 0 included, unlike codis-fe).
    SlotsActionRemove {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::slot_id))]
        #[serde(deserialize_with = "text")]
        sid: String,
    },
    /// Enable (`false`) or disable (`true`) slot actions.
    SlotsDisabled {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::flag))]
        #[serde(deserialize_with = "flag")]
        disabled: bool,
    },
    /// Pause between migration batches, in µs.
    SlotsInterval {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::interval_us))]
        #[serde(deserialize_with = "text")]
        interval: String,
    },
    /// Create an empty group.
    GroupCreate {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        gid: String,
    },
    /// Remove an empty group.
    GroupRemove {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        gid: String,
    },
    /// Add Server, optionally with a data center.
    GroupAddServer {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        gid: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::datacenter))]
        #[serde(default, deserialize_with = "text")]
        datacenter: String,
    },
    /// Remove a server from its group.
    GroupDelServer {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        gid: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
    },
    /// Promote a replica to master.
    GroupPromote {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        gid: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
    },
    /// Group SYNC: push the group's slots to every proxy again.
    GroupResync {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        gid: String,
    },
    /// GROUPS: SYNC ALL.
    GroupResyncAll,
    /// Let proxies read from this replica (or stop them).
    GroupReplicaGroups {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::group_id))]
        #[serde(deserialize_with = "text")]
        gid: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::flag))]
        #[serde(deserialize_with = "flag")]
        enabled: bool,
    },
    /// REPLICA(S): ENABLE ALL / DISABLE ALL.
    GroupReplicaGroupsAll {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::flag))]
        #[serde(deserialize_with = "flag")]
        enabled: bool,
    },
    /// Queue a SLAVEOF sync action for a server (the wrench).
    SyncActionCreate {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
    },
    /// Cancel a pending sync action.
    SyncActionRemove {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
    },
    /// Add Sentinel.
    SentinelAdd {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
    },
    /// Remove a sentinel; `force` drops it even if it cannot be reached.
    SentinelRemove {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::address))]
        #[serde(deserialize_with = "text")]
        addr: String,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::flag))]
        #[serde(deserialize_with = "flag")]
        force: bool,
    },
    /// Sentinels SYNC: re-monitor every group on every sentinel and tell the proxies.
    SentinelResyncAll,
    /// Admin only: set the dashboard's log level (`ERROR`, `WARN`, `INFO`, `DEBUG`, `NONE`).
    #[serde(rename = "loglevel")]
    Loglevel {
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::log_level))]
        #[serde(deserialize_with = "text")]
        value: String,
    },
    /// Admin only: make the dashboard re-read its whole model from the coordinator.
    #[serde(rename = "reload")]
    Reload,
}

impl Action {
    /// The kebab-case name used on the wire and in audit lines, e.g. `group-create`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::ProxyCreate { .. } => "proxy-create",
            Action::ProxyReinit { .. } => "proxy-reinit",
            Action::ProxyRemove { .. } => "proxy-remove",
            Action::SlotsCreateRange { .. } => "slots-create-range",
            Action::SlotsCreateSome { .. } => "slots-create-some",
            Action::SlotsActionRemove { .. } => "slots-action-remove",
            Action::SlotsDisabled { .. } => "slots-disabled",
            Action::SlotsInterval { .. } => "slots-interval",
            Action::GroupCreate { .. } => "group-create",
            Action::GroupRemove { .. } => "group-remove",
            Action::GroupAddServer { .. } => "group-add-server",
            Action::GroupDelServer { .. } => "group-del-server",
            Action::GroupPromote { .. } => "group-promote",
            Action::GroupResync { .. } => "group-resync",
            Action::GroupResyncAll => "group-resync-all",
            Action::GroupReplicaGroups { .. } => "group-replica-groups",
            Action::GroupReplicaGroupsAll { .. } => "group-replica-groups-all",
            Action::SyncActionCreate { .. } => "sync-action-create",
            Action::SyncActionRemove { .. } => "sync-action-remove",
            Action::SentinelAdd { .. } => "sentinel-add",
            Action::SentinelRemove { .. } => "sentinel-remove",
            Action::SentinelResyncAll => "sentinel-resync-all",
            Action::Loglevel { .. } => "loglevel",
            Action::Reload => "reload",
        }
    }

    /// Dangerous dashboard settings only the `admin` role may change; every action of codis-fe-spec.md §2.8
    /// is open to `operator`.
    pub fn admin_only(&self) -> bool {
        matches!(self, Action::Loglevel { .. } | Action::Reload)
    }

    /// Checks every field and returns the dashboard path (after `/api/topom/`, with the xauth
    /// inserted), e.g. `group/create/<xauth>/3`. Every value placed in the path has passed a rule
    /// that excludes `/ ? # %`, so no escaping is needed and none can corrupt the URL.
    pub fn dashboard_path(&self, xauth: &str) -> Validated<String> {
        self.dashboard_path_of(xauth, crate::types::MAX_SLOT_NUM)
    }

    /// [`dashboard_path`](Self::dashboard_path) for a product with `slots` slots (Pika's fork:
    /// `max_slot_num`; see [`Overview::slot_count`](crate::Overview::slot_count)): slot ids and
    /// counts are checked against it.
    pub fn dashboard_path_of(&self, xauth: &str, slots: usize) -> Validated<String> {
        use validate as v;
        let bit = |b: bool| if b { 1 } else { 0 };
        Ok(match self {
            Action::ProxyCreate { addr } => {
                format!("proxy/create/{xauth}/{}", v::address("addr", addr)?)
            }
            Action::ProxyReinit { token } => {
                format!("proxy/reinit/{xauth}/{}", v::proxy_token("token", token)?)
            }
            Action::ProxyRemove { token, force } => format!(
                "proxy/remove/{xauth}/{}/{}",
                v::proxy_token("token", token)?,
                bit(*force)
            ),
            Action::SlotsCreateRange { beg, end, gid } => {
                let (b, e) = v::slot_range_of(beg, end, slots)?;
                let g = v::group_id("gid", gid)?;
                format!("slots/action/create-range/{xauth}/{b}/{e}/{g}")
            }
            Action::SlotsCreateSome { from, to, num } => {
                let f = v::group_id("from", from)?;
                let t = v::group_id("to", to)?;
                let n = v::slot_count_of("num", num, slots)?;
                if f == t {
                    return Err(v::ValidationError::of("to", v::Rule::DiffersFromSource));
                }
                format!("slots/action/create-some/{xauth}/{f}/{t}/{n}")
            }
            Action::SlotsActionRemove { sid } => {
                format!(
                    "slots/action/remove/{xauth}/{}",
                    v::slot_id_of("sid", sid, slots)?
                )
            }
            Action::SlotsDisabled { disabled } => {
                format!("slots/action/disabled/{xauth}/{}", bit(*disabled))
            }
            Action::SlotsInterval { interval } => format!(
                "slots/action/interval/{xauth}/{}",
                v::interval_us("interval", interval)?
            ),
            Action::GroupCreate { gid } => {
                format!("group/create/{xauth}/{}", v::group_id("gid", gid)?)
            }
            Action::GroupRemove { gid } => {
                format!("group/remove/{xauth}/{}", v::group_id("gid", gid)?)
            }
            Action::GroupAddServer {
                gid,
                addr,
                datacenter,
            } => {
                let g = v::group_id("gid", gid)?;
                let a = v::address("addr", addr)?;
                match v::datacenter("datacenter", datacenter)? {
                    Some(dc) => format!("group/add/{xauth}/{g}/{a}/{dc}"),
                    None => format!("group/add/{xauth}/{g}/{a}"),
                }
            }
            Action::GroupDelServer { gid, addr } => format!(
                "group/del/{xauth}/{}/{}",
                v::group_id("gid", gid)?,
                v::address("addr", addr)?
            ),
            Action::GroupPromote { gid, addr } => format!(
                "group/promote/{xauth}/{}/{}",
                v::group_id("gid", gid)?,
                v::address("addr", addr)?
            ),
            Action::GroupResync { gid } => {
                format!("group/resync/{xauth}/{}", v::group_id("gid", gid)?)
            }
            Action::GroupResyncAll => format!("group/resync-all/{xauth}"),
            Action::GroupReplicaGroups { gid, addr, enabled } => format!(
                "group/replica-groups/{xauth}/{}/{}/{}",
                v::group_id("gid", gid)?,
                v::address("addr", addr)?,
                bit(*enabled)
            ),
            Action::GroupReplicaGroupsAll { enabled } => {
                format!("group/replica-groups-all/{xauth}/{}", bit(*enabled))
            }
            Action::SyncActionCreate { addr } => {
                format!("group/action/create/{xauth}/{}", v::address("addr", addr)?)
            }
            Action::SyncActionRemove { addr } => {
                format!("group/action/remove/{xauth}/{}", v::address("addr", addr)?)
            }
            Action::SentinelAdd { addr } => {
                format!("sentinels/add/{xauth}/{}", v::address("addr", addr)?)
            }
            Action::SentinelRemove { addr, force } => format!(
                "sentinels/del/{xauth}/{}/{}",
                v::address("addr", addr)?,
                bit(*force)
            ),
            Action::SentinelResyncAll => format!("sentinels/resync-all/{xauth}"),
            Action::Loglevel { value } => {
                format!("loglevel/{xauth}/{}", v::log_level("value", value)?)
            }
            Action::Reload => format!("reload/{xauth}"),
        })
    }

    /// Checks every field without building anything.
    pub fn validate(&self) -> Validated<()> {
        self.dashboard_path("").map(|_| ())
    }

    /// Checks every field for a product with `slots` slots.
    pub fn validate_of(&self, slots: usize) -> Validated<()> {
        self.dashboard_path_of("", slots).map(|_| ())
    }

    /// Whether the action uses the dashboard's sentinel routes, which Pika's Codis fork does not
    /// have (see [`Variant::has_sentinels`](crate::Variant::has_sentinels)).
    pub fn needs_sentinels(&self) -> bool {
        matches!(
            self,
            Action::SentinelAdd { .. } | Action::SentinelRemove { .. } | Action::SentinelResyncAll
        )
    }

    /// What the action will do, in words, for the confirmation dialog and the audit log. A proxy
    /// is named by its token here; the console names it by id and addresses with
    /// [`Action::describe_named`].
    pub fn describe(&self) -> String {
        self.describe_named(None)
    }

    /// [`Action::describe`] with the proxy of a proxy action named `proxy` (see
    /// [`crate::causes::proxy_name`]), e.g. "proxy 2 (127.0.0.1:19001, admin 127.0.0.1:11081)".
    pub fn describe_named(&self, proxy: Option<&str>) -> String {
        let named = |token: &str| proxy.map_or_else(|| format!("proxy {token}"), str::to_string);
        match self {
            Action::ProxyCreate { addr } => format!("Register the proxy whose admin address is {addr}."),
            Action::ProxyReinit { token } => format!(
                "Push every slot and the sentinel list to {} again and start it.", named(token)
            ),
            Action::ProxyRemove { token, force: false } => format!(
                "Shut down {} and remove it from the product. Clients connected to it are disconnected.", named(token)
            ),
            Action::ProxyRemove { token, force: true } => format!(
                "Remove {} from the product even if it cannot be shut down (use only for a proxy that is gone).", named(token)
            ),
            Action::SlotsCreateRange { beg, end, gid } => format!(
                "Migrate slots {beg} to {end} to group {gid}. Keys are moved while clients keep working."
            ),
            Action::SlotsCreateSome { from, to, num } => {
                format!("Migrate up to {num} slots from group {from} to group {to}.")
            }
            Action::SlotsActionRemove { sid } => {
                format!("Cancel the pending migration of slot {sid}.")
            }
            Action::SlotsDisabled { disabled: true } => {
                "Pause slot migrations: pending actions wait until migrations are enabled again. The setting is lost if the dashboard restarts.".into()
            }
            Action::SlotsDisabled { disabled: false } => {
                "Resume slot migrations.".into()
            }
            Action::SlotsInterval { interval } => format!(
                "Pause {interval} µs between migration batches. The setting is lost if the dashboard restarts."
            ),
            Action::GroupCreate { gid } => format!("Create the empty group {gid}."),
            Action::GroupRemove { gid } => format!("Remove the empty group {gid}."),
            Action::GroupAddServer {
                gid,
                addr,
                datacenter,
            } => {
                let dc = datacenter.trim();
                if dc.is_empty() {
                    format!("Add server {addr} to group {gid}.")
                } else {
                    format!("Add server {addr} (data center {dc}) to group {gid}.")
                }
            }
            Action::GroupDelServer { gid, addr } => {
                format!("Remove server {addr} from group {gid}. The server itself keeps running.")
            }
            Action::GroupPromote { gid, addr } => format!(
                "Promote {addr} to master of group {gid}. The old master is moved last and must be re-synced (SLAVEOF) afterwards."
            ),
            Action::GroupResync { gid } => {
                format!("Push the slots of group {gid} to every proxy again.")
            }
            Action::GroupResyncAll => "Push the slots of every group to every proxy again.".into(),
            Action::GroupReplicaGroups {
                gid,
                addr,
                enabled: true,
            } => format!("Let proxies read from replica {addr} of group {gid}."),
            Action::GroupReplicaGroups {
                gid,
                addr,
                enabled: false,
            } => format!("Stop proxies reading from replica {addr} of group {gid}."),
            Action::GroupReplicaGroupsAll { enabled: true } => {
                "Let proxies read from every replica of every group.".into()
            }
            Action::GroupReplicaGroupsAll { enabled: false } => {
                "Stop proxies reading from replicas in every group.".into()
            }
            Action::SyncActionCreate { addr } => {
                format!("Queue SLAVEOF for {addr}: make it replicate its group's master (or stand alone if it is the master).")
            }
            Action::SyncActionRemove { addr } => {
                format!("Cancel the queued SLAVEOF of {addr}.")
            }
            Action::SentinelAdd { addr } => format!("Add sentinel {addr} to the product."),
            Action::SentinelRemove { addr, force: false } => {
                format!("Stop sentinel {addr} monitoring this product and remove it.")
            }
            Action::SentinelRemove { addr, force: true } => format!(
                "Remove sentinel {addr} even if it cannot be reached (use only for a sentinel that is gone)."
            ),
            Action::SentinelResyncAll => {
                "Make every sentinel monitor every group again and push the sentinel list to every proxy.".into()
            }
            Action::Loglevel { value } => format!(
                "Set the dashboard's log level to {}. The setting is lost if the dashboard restarts.",
                value.trim().to_ascii_uppercase()
            ),
            Action::Reload => {
                "Make the dashboard drop its cache and re-read the whole model from the coordinator.".into()
            }
        }
    }

    /// The address the action is about (server, sentinel or proxy admin address), for hints.
    pub fn address(&self) -> Option<&str> {
        match self {
            Action::ProxyCreate { addr }
            | Action::GroupAddServer { addr, .. }
            | Action::GroupDelServer { addr, .. }
            | Action::GroupPromote { addr, .. }
            | Action::GroupReplicaGroups { addr, .. }
            | Action::SyncActionCreate { addr }
            | Action::SyncActionRemove { addr }
            | Action::SentinelAdd { addr }
            | Action::SentinelRemove { addr, .. } => Some(addr.trim()),
            _ => None,
        }
    }

    /// The confirmation button's label: what it does, never a bare "Confirm".
    pub fn confirm_label(&self) -> &'static str {
        match self {
            Action::ProxyCreate { .. } => "Add the proxy",
            Action::ProxyReinit { .. } => "Resync the proxy",
            Action::ProxyRemove { force: false, .. } => "Shut down and remove",
            Action::ProxyRemove { force: true, .. } => "Force remove",
            Action::SlotsCreateRange { .. } | Action::SlotsCreateSome { .. } => "Migrate",
            Action::SlotsActionRemove { .. } => "Cancel the migration",
            Action::SlotsDisabled { disabled: true } => "Pause migrations",
            Action::SlotsDisabled { disabled: false } => "Resume migrations",
            Action::SlotsInterval { .. } => "Set the interval",
            Action::GroupCreate { .. } => "Create the group",
            Action::GroupRemove { .. } => "Remove the group",
            Action::GroupAddServer { .. } => "Add the server",
            Action::GroupDelServer { .. } => "Remove the server",
            Action::GroupPromote { .. } => "Promote",
            Action::GroupResync { .. } => "Resync the group",
            Action::GroupResyncAll => "Resync all groups",
            Action::GroupReplicaGroups { enabled: true, .. }
            | Action::GroupReplicaGroupsAll { enabled: true } => "Enable replica reads",
            Action::GroupReplicaGroups { enabled: false, .. }
            | Action::GroupReplicaGroupsAll { enabled: false } => "Disable replica reads",
            Action::SyncActionCreate { .. } => "Queue SLAVEOF",
            Action::SyncActionRemove { .. } => "Cancel the SLAVEOF",
            Action::SentinelAdd { .. } => "Add the sentinel",
            Action::SentinelRemove { force: false, .. } => "Remove the sentinel",
            Action::SentinelRemove { force: true, .. } => "Force remove",
            Action::SentinelResyncAll => "Resync sentinels",
            Action::Loglevel { .. } => "Set the log level",
            Action::Reload => "Reload",
        }
    }

    /// The label of the button that closes the confirmation without acting: "Keep it" when the
    /// action itself is a cancellation (a "Cancel" button there would be ambiguous).
    pub fn dismiss_label(&self) -> &'static str {
        match self {
            Action::SlotsActionRemove { .. } | Action::SyncActionRemove { .. } => "Keep it",
            _ => "Cancel",
        }
    }

    /// Whether the console asks for confirmation first. Everything that removes, moves data,
    /// changes who is master or changes what proxies route to does (codis-fe-spec.md §7.10: codis-fe skipped
    /// several of these).
    pub fn needs_confirmation(&self) -> bool {
        !matches!(
            self,
            Action::ProxyCreate { .. }
                | Action::GroupCreate { .. }
                | Action::GroupAddServer { .. }
                | Action::SentinelAdd { .. }
                | Action::SlotsDisabled { disabled: false }
                | Action::SlotsInterval { .. }
        )
    }

    /// Maps a codis-fe `?forward=` request (method and path, query removed) onto an action, so
    /// the old UI's calls pass through the same rules. The xauth segment is returned for the
    /// caller to check. `None`: not one of the routes of codis-fe-spec.md §2.8 (the caller refuses it).
    pub fn from_dashboard_path(method: &str, path: &str) -> Option<(Action, String)> {
        if !method.eq_ignore_ascii_case("PUT") {
            return None;
        }
        let rest = path.strip_prefix("/api/topom/")?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let seg: Vec<String> = rest.split('/').map(str::to_owned).collect();
        let s: Vec<&str> = seg.iter().map(String::as_str).collect();
        let flag = |v: &str| match v {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        };
        let t = |v: &str| v.to_owned();
        let (action, x) = match s.as_slice() {
            ["proxy", "create", x, addr] => (Action::ProxyCreate { addr: t(addr) }, x),
            ["proxy", "reinit", x, token] => (Action::ProxyReinit { token: t(token) }, x),
            ["proxy", "remove", x, token, force] => (
                Action::ProxyRemove {
                    token: t(token),
                    force: flag(force)?,
                },
                x,
            ),
            ["slots", "action", "create-range", x, beg, end, gid] => (
                Action::SlotsCreateRange {
                    beg: t(beg),
                    end: t(end),
                    gid: t(gid),
                },
                x,
            ),
            ["slots", "action", "create-some", x, from, to, num] => (
                Action::SlotsCreateSome {
                    from: t(from),
                    to: t(to),
                    num: t(num),
                },
                x,
            ),
            ["slots", "action", "remove", x, sid] => (Action::SlotsActionRemove { sid: t(sid) }, x),
            ["slots", "action", "disabled", x, v] => {
                (Action::SlotsDisabled { disabled: flag(v)? }, x)
            }
            ["slots", "action", "interval", x, v] => (Action::SlotsInterval { interval: t(v) }, x),
            ["group", "create", x, gid] => (Action::GroupCreate { gid: t(gid) }, x),
            ["group", "remove", x, gid] => (Action::GroupRemove { gid: t(gid) }, x),
            ["group", "add", x, gid, addr] => (
                Action::GroupAddServer {
                    gid: t(gid),
                    addr: t(addr),
                    datacenter: String::new(),
                },
                x,
            ),
            ["group", "add", x, gid, addr, dc] => (
                Action::GroupAddServer {
                    gid: t(gid),
                    addr: t(addr),
                    datacenter: t(dc),
                },
                x,
            ),
            ["group", "del", x, gid, addr] => (
                Action::GroupDelServer {
                    gid: t(gid),
                    addr: t(addr),
                },
                x,
            ),
            ["group", "promote", x, gid, addr] => (
                Action::GroupPromote {
                    gid: t(gid),
                    addr: t(addr),
                },
                x,
            ),
            ["group", "resync", x, gid] => (Action::GroupResync { gid: t(gid) }, x),
            ["group", "resync-all", x] => (Action::GroupResyncAll, x),
            ["group", "replica-groups", x, gid, addr, v] => (
                Action::GroupReplicaGroups {
                    gid: t(gid),
                    addr: t(addr),
                    enabled: flag(v)?,
                },
                x,
            ),
            ["group", "replica-groups-all", x, v] => {
                (Action::GroupReplicaGroupsAll { enabled: flag(v)? }, x)
            }
            ["group", "action", "create", x, addr] => {
                (Action::SyncActionCreate { addr: t(addr) }, x)
            }
            ["group", "action", "remove", x, addr] => {
                (Action::SyncActionRemove { addr: t(addr) }, x)
            }
            ["sentinels", "add", x, addr] => (Action::SentinelAdd { addr: t(addr) }, x),
            ["sentinels", "del", x, addr, force] => (
                Action::SentinelRemove {
                    addr: t(addr),
                    force: flag(force)?,
                },
                x,
            ),
            ["sentinels", "resync-all", x] => (Action::SentinelResyncAll, x),
            _ => return None,
        };
        Some((action, (*x).to_owned()))
    }
}

/// Accepts `"3"` or `3` for a text field, so API clients may send numbers.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        N(serde_json::Number),
    }
    match Text::deserialize(d)? {
        Text::S(s) => Ok(s),
        Text::N(n) => integral(&n).map(|i| i.to_string()).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "must be a string or an integer from -{MAX_EXACT_INTEGER} to {MAX_EXACT_INTEGER}"
            ))
        }),
    }
}

/// 2^53: the largest integer every JSON reader holds exactly (an f64 beyond it does not).
pub const MAX_EXACT_INTEGER: i64 = 1 << 53;

/// A JSON number with no fraction as an integer: JSON (and the OpenAPI document's `integer`)
/// does not tell `5` from `5.0`, and a client may write either.
fn integral(n: &serde_json::Number) -> Option<i64> {
    let i = if n.is_f64() {
        let f = n.as_f64()?;
        if f.fract() != 0.0 || f.abs() > MAX_EXACT_INTEGER as f64 {
            return None;
        }
        f as i64
    } else {
        n.as_i64()?
    };
    (i.abs() <= MAX_EXACT_INTEGER).then_some(i)
}

/// Accepts `true`/`false`, `0`/`1` or `"0"`/`"1"` for a flag.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        B(bool),
        N(u8),
        // `0.0` and `1.0`: the same JSON numbers as `0` and `1`.
        F(f64),
        S(String),
    }
    match Flag::deserialize(d)? {
        Flag::B(b) => Ok(b),
        Flag::N(0) => Ok(false),
        Flag::N(1) => Ok(true),
        Flag::F(0.0) => Ok(false),
        Flag::F(1.0) => Ok(true),
        Flag::S(s) if s == "0" => Ok(false),
        Flag::S(s) if s == "1" => Ok(true),
        _ => Err(serde::de::Error::custom("must be true/false or 0/1")),
    }
}

/// The answer to an action: what the dashboard said, without its stack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionOutcome {
    /// The action's wire name.
    pub action: String,
    /// `true` when the dashboard answered 200.
    pub ok: bool,
    /// The dashboard's reply (`"OK"`, or a rebalance plan) on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<serde_json::Value>,
    /// For a migration: how many slots the dashboard actually queued (it accepts "migrate some"
    /// that finds nothing to move and queues nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: &str = "95b62887719520f17e312eaa76d28f2b";

    #[test]
    fn every_codis_fe_action_path_maps_to_an_action_and_back() {
        let paths = [
            "proxy/create/X/127.0.0.1:11080",
            "proxy/reinit/X/646b55f57361986ddcdefe74dfb0c2da",
            "proxy/remove/X/646b55f57361986ddcdefe74dfb0c2da/1",
            "slots/action/create-range/X/100/299/2",
            "slots/action/create-some/X/1/2/10",
            "slots/action/remove/X/0",
            "slots/action/disabled/X/1",
            "slots/action/interval/X/300000",
            "group/create/X/4",
            "group/remove/X/4",
            "group/add/X/3/127.0.0.1:16385",
            "group/add/X/3/127.0.0.1:16385/dc-b",
            "group/del/X/3/127.0.0.1:16384",
            "group/promote/X/1/127.0.0.1:16380",
            "group/resync/X/2",
            "group/resync-all/X",
            "group/replica-groups/X/2/127.0.0.1:16382/1",
            "group/replica-groups-all/X/0",
            "group/action/create/X/127.0.0.1:16380",
            "group/action/remove/X/127.0.0.1:16380",
            "sentinels/add/X/127.0.0.1:26382",
            "sentinels/del/X/127.0.0.1:26382/0",
            "sentinels/resync-all/X",
        ];
        for p in paths {
            let path = format!("/api/topom/{}", p.replace("/X", &format!("/{X}")));
            let (action, x) = Action::from_dashboard_path("PUT", &path)
                .unwrap_or_else(|| panic!("{path} is an allowed action"));
            assert_eq!(x, X);
            assert_eq!(
                format!("/api/topom/{}", action.dashboard_path(X).expect("valid")),
                path
            );
        }
    }

    #[test]
    fn dangerous_dashboard_routes_are_not_actions() {
        for (m, p) in [
            ("PUT", "/api/topom/shutdown/X"),
            ("PUT", "/api/topom/reload/X"),
            ("PUT", "/api/topom/loglevel/X/DEBUG"),
            ("PUT", "/api/topom/slots/assign/X"),
            ("PUT", "/api/topom/proxy/online/X/127.0.0.1:11080"),
            ("GET", "/api/topom/group/create/X/1"),
            ("PUT", "/debug/pprof/cmdline"),
            ("PUT", "/api/topom/group/create/X/1/extra"),
        ] {
            assert!(Action::from_dashboard_path(m, p).is_none(), "{m} {p}");
        }
    }

    #[test]
    fn refused_inputs_name_the_field_and_the_rule() {
        let bad = Action::GroupAddServer {
            gid: "3".into(),
            addr: "10.0.0.1:6379/../../shutdown".into(),
            datacenter: String::new(),
        };
        let err = bad.validate().expect_err("slash refused");
        assert_eq!(err.field, "addr");
        let bad = Action::SlotsCreateRange {
            beg: "300".into(),
            end: "200".into(),
            gid: "1".into(),
        };
        assert_eq!(bad.validate().expect_err("range").field, "end");
        let bad = Action::SlotsInterval {
            interval: "1000001".into(),
        };
        assert!(bad
            .validate()
            .expect_err("interval")
            .rule
            .contains("1000000"));
        let bad = Action::SlotsCreateSome {
            from: "2".into(),
            to: "2".into(),
            num: "10".into(),
        };
        assert_eq!(bad.validate().expect_err("same group").field, "to");
    }

    #[test]
    fn slot_zero_pending_action_can_be_cancelled() {
        let a = Action::SlotsActionRemove { sid: "0".into() };
        assert_eq!(
            a.dashboard_path(X).expect("slot 0 is valid"),
            format!("slots/action/remove/{X}/0")
        );
    }

    #[test]
    fn actions_accept_numbers_or_text_from_api_clients() {
        let a: Action = serde_json::from_str(
            r#"{"action":"proxy-remove","token":"646b55f57361986ddcdefe74dfb0c2da","force":1}"#,
        )
        .expect("parses");
        assert_eq!(
            a,
            Action::ProxyRemove {
                token: "646b55f57361986ddcdefe74dfb0c2da".into(),
                force: true
            }
        );
        let a: Action =
            serde_json::from_str(r#"{"action":"group-create","gid":3}"#).expect("parses");
        assert_eq!(a, Action::GroupCreate { gid: "3".into() });
        let err = serde_json::from_str::<Action>(r#"{"action":"shutdown"}"#).expect_err("unknown");
        assert!(err.to_string().contains("unknown variant"));
    }

    #[test]
    fn loglevel_and_reload_are_admin_only_and_validated() {
        let a: Action =
            serde_json::from_str(r#"{"action":"loglevel","value":"debug"}"#).expect("parses");
        assert_eq!(a.name(), "loglevel");
        assert!(a.admin_only());
        assert_eq!(
            a.dashboard_path(X).expect("valid"),
            format!("loglevel/{X}/DEBUG")
        );
        let bad = Action::Loglevel {
            value: "LOUD".into(),
        };
        let err = bad.validate().expect_err("refused");
        assert_eq!(err.field, "value");
        assert!(err.rule.contains("ERROR, WARN, INFO, DEBUG, NONE"), "{err}");
        let r: Action = serde_json::from_str(r#"{"action":"reload"}"#).expect("parses");
        assert_eq!(r, Action::Reload);
        assert!(r.admin_only());
        assert_eq!(r.dashboard_path(X).expect("valid"), format!("reload/{X}"));
        assert_eq!(
            serde_json::to_value(&a).expect("json"),
            serde_json::json!({"action": "loglevel", "value": "debug"})
        );
        assert!(!Action::GroupCreate { gid: "1".into() }.admin_only());
    }

    #[test]
    fn destructive_actions_ask_for_confirmation() {
        assert!(Action::GroupRemove { gid: "1".into() }.needs_confirmation());
        assert!(Action::GroupReplicaGroupsAll { enabled: true }.needs_confirmation());
        assert!(Action::SlotsDisabled { disabled: true }.needs_confirmation());
        assert!(!Action::GroupCreate { gid: "1".into() }.needs_confirmation());
    }

    #[test]
    fn cancelling_a_migration_names_both_buttons_by_what_they_do() {
        let a = Action::SlotsActionRemove { sid: "19".into() };
        assert_eq!(a.dismiss_label(), "Keep it");
        assert_eq!(a.confirm_label(), "Cancel the migration");
        let r = Action::GroupRemove { gid: "4".into() };
        assert_eq!(r.confirm_label(), "Remove the group");
        assert_ne!(r.confirm_label(), "Confirm");
    }

    #[test]
    fn proxies_are_named_by_id_and_addresses_in_confirmations() {
        let a = Action::ProxyRemove {
            token: "4dfcf06ba35e4dfcf06ba35e4dfcf06b".into(),
            force: false,
        };
        let name = crate::causes::proxy_name(2, "127.0.0.1:19001", "127.0.0.1:11081");
        let text = a.describe_named(Some(&name));
        assert!(
            text.starts_with("Shut down proxy 2 (127.0.0.1:19001, admin 127.0.0.1:11081)"),
            "{text}"
        );
        assert!(!text.contains("4dfcf06b"), "{text}");
    }
}
