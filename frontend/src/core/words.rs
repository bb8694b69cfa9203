//! The console's words for what `codis_model` hands over as data: actions (the confirmation's
//! sentence and button), failed calls (the error `kind`, translated, beside the backend's or the
//! dashboard's own message, shown verbatim), and why the live view was reloaded. The model keeps
//! its English texts for the backend's audit log; the console says these in the viewer's
//! language (docs/i18n.md).

use codis_model::cause_id::CauseId;
use codis_model::ui::failure::ApiFailure;
use codis_model::ui::stream::Resync;
use codis_model::validate::{Rule, ValidationError};
use codis_model::Action;

use crate::tr;

thread_local! {
    // The shown product's slot count, for sentences built in event handlers (which see no
    // reactive context): set by the live view (`core::live`) when it learns the count.
    static SLOT_COUNT: std::cell::Cell<usize> = const { std::cell::Cell::new(codis_model::MAX_SLOT_NUM) };
}

/// Records the shown product's slot count (1024 on Codis 3.2, `max_slot_num` on Pika's fork).
pub fn set_slot_count(n: usize) {
    SLOT_COUNT.with(|c| c.set(n));
}

/// What `a` will do, in words; `proxy` names the proxy of a proxy action (by id and addresses).
pub fn describe(a: &Action, proxy: Option<&str>) -> String {
    let named = |token: &str| proxy.map_or_else(|| tr!(action.proxy_token, token), str::to_string);
    match a {
        Action::ProxyCreate { addr } => tr!(action.proxy_create, addr),
        Action::ProxyReinit { token } => tr!(
            pika.proxy_reinit,
            proxy = named(token),
            n = SLOT_COUNT.with(|c| c.get())
        ),
        Action::ProxyRemove {
            token,
            force: false,
        } => tr!(action.proxy_remove, proxy = named(token)),
        Action::ProxyRemove { token, force: true } => {
            tr!(action.proxy_force_remove, proxy = named(token))
        }
        Action::SlotsCreateRange { beg, end, gid } => tr!(action.slots_range, beg, end, gid),
        Action::SlotsCreateSome { from, to, num } => tr!(action.slots_some, from, to, num),
        Action::SlotsActionRemove { sid } => tr!(action.slots_cancel, sid),
        Action::SlotsDisabled { disabled: true } => tr!(action.slots_pause),
        Action::SlotsDisabled { disabled: false } => tr!(action.slots_resume),
        Action::SlotsInterval { interval } => tr!(action.slots_interval, interval),
        Action::GroupCreate { gid } => tr!(action.group_create, gid),
        Action::GroupRemove { gid } => tr!(action.group_remove, gid),
        Action::GroupAddServer {
            gid,
            addr,
            datacenter,
        } => {
            let dc = datacenter.trim();
            if dc.is_empty() {
                tr!(action.server_add, addr, gid)
            } else {
                tr!(action.server_add_dc, addr, dc, gid)
            }
        }
        Action::GroupDelServer { gid, addr } => tr!(action.server_remove, addr, gid),
        Action::GroupPromote { gid, addr } => tr!(action.promote, addr, gid),
        Action::GroupResync { gid } => tr!(action.group_resync, gid),
        Action::GroupResyncAll => tr!(action.group_resync_all),
        Action::GroupReplicaGroups {
            gid,
            addr,
            enabled: true,
        } => tr!(action.replica_on, addr, gid),
        Action::GroupReplicaGroups {
            gid,
            addr,
            enabled: false,
        } => tr!(action.replica_off, addr, gid),
        Action::GroupReplicaGroupsAll { enabled: true } => tr!(action.replica_all_on),
        Action::GroupReplicaGroupsAll { enabled: false } => tr!(action.replica_all_off),
        Action::SyncActionCreate { addr } => tr!(action.sync_create, addr),
        Action::SyncActionRemove { addr } => tr!(action.sync_remove, addr),
        Action::SentinelAdd { addr } => tr!(action.sentinel_add, addr),
        Action::SentinelRemove { addr, force: false } => tr!(action.sentinel_remove, addr),
        Action::SentinelRemove { addr, force: true } => tr!(action.sentinel_force_remove, addr),
        Action::SentinelResyncAll => tr!(action.sentinel_resync_all),
        Action::Loglevel { value } => {
            tr!(action.loglevel, level = value.trim().to_ascii_uppercase())
        }
        Action::Reload => tr!(action.reload),
    }
}

/// The confirmation button's label: what it does, never a bare "Confirm".
pub fn confirm_label(a: &Action) -> String {
    match a {
        Action::ProxyCreate { .. } => tr!(confirm.proxy_create),
        Action::ProxyReinit { .. } => tr!(confirm.proxy_reinit),
        Action::ProxyRemove { force: false, .. } => tr!(confirm.proxy_remove),
        Action::ProxyRemove { force: true, .. } | Action::SentinelRemove { force: true, .. } => {
            tr!(confirm.force_remove)
        }
        Action::SlotsCreateRange { .. } | Action::SlotsCreateSome { .. } => tr!(confirm.migrate),
        Action::SlotsActionRemove { .. } => tr!(confirm.slots_cancel),
        Action::SlotsDisabled { disabled: true } => tr!(confirm.pause),
        Action::SlotsDisabled { disabled: false } => tr!(confirm.resume),
        Action::SlotsInterval { .. } => tr!(confirm.interval),
        Action::GroupCreate { .. } => tr!(confirm.group_create),
        Action::GroupRemove { .. } => tr!(confirm.group_remove),
        Action::GroupAddServer { .. } => tr!(confirm.server_add),
        Action::GroupDelServer { .. } => tr!(confirm.server_remove),
        Action::GroupPromote { .. } => tr!(confirm.promote),
        Action::GroupResync { .. } => tr!(confirm.group_resync),
        Action::GroupResyncAll => tr!(confirm.group_resync_all),
        Action::GroupReplicaGroups { enabled: true, .. }
        | Action::GroupReplicaGroupsAll { enabled: true } => tr!(confirm.replica_on),
        Action::GroupReplicaGroups { enabled: false, .. }
        | Action::GroupReplicaGroupsAll { enabled: false } => tr!(confirm.replica_off),
        Action::SyncActionCreate { .. } => tr!(confirm.sync_create),
        Action::SyncActionRemove { .. } => tr!(confirm.sync_remove),
        Action::SentinelAdd { .. } => tr!(confirm.sentinel_add),
        Action::SentinelRemove { force: false, .. } => tr!(confirm.sentinel_remove),
        Action::SentinelResyncAll => tr!(confirm.sentinel_resync),
        Action::Loglevel { .. } => tr!(confirm.loglevel),
        Action::Reload => tr!(confirm.reload),
    }
}

/// The label of the button that closes the confirmation without acting: "Keep it" when the
/// action itself is a cancellation (a "Cancel" button there would be ambiguous).
pub fn dismiss_label(a: &Action) -> String {
    match a {
        Action::SlotsActionRemove { .. } | Action::SyncActionRemove { .. } => tr!(confirm.keep),
        _ => tr!(common.cancel),
    }
}

/// The error `kind`, in words (backend/src/error.rs names them; `network`, `http` and
/// `bad_response` are the console's own).
pub fn kind(kind: &str) -> String {
    match kind {
        "dashboard_refused" => tr!(kind.dashboard_refused),
        "dashboard_unreachable" => tr!(kind.dashboard_unreachable),
        "dashboard_timeout" => tr!(kind.dashboard_timeout),
        "dashboard_bad_response" => tr!(kind.dashboard_bad_response),
        "dashboard_busy" => tr!(kind.dashboard_busy),
        "unknown" => tr!(kind.unknown),
        "in_flight" => tr!(kind.in_flight),
        "invalid_input" => tr!(kind.invalid_input),
        "network" => tr!(kind.network),
        "conflict" => tr!(kind.conflict),
        "busy" => tr!(kind.busy),
        "forbidden" => tr!(kind.forbidden),
        "unauthenticated" => tr!(kind.unauthenticated),
        "not_found" => tr!(kind.not_found),
        "unknown_product" => tr!(kind.unknown_product),
        "rate_limited" => tr!(kind.rate_limited),
        "too_large" => tr!(kind.too_large),
        "request_timeout" => tr!(kind.request_timeout),
        "unavailable" => tr!(kind.unavailable),
        _ => tr!(kind.failed),
    }
}

/// What the backend said, in the viewer's language: its cause id in words when it sent one
/// (`codis_model::cause_id`), else its English message as it is. A dashboard's refusal keeps the
/// dashboard's own Cause verbatim (it is what its logs and issue tracker say): its id words the
/// hint instead ([`failure_with_hint`]).
pub fn message(e: &ApiFailure) -> String {
    worded(e).map_or_else(|| e.message.clone(), cause)
}

/// The cause id that words `e`'s message, if any: not a known mistake (its id words the hint),
/// not a rule stated only in English.
fn worded(e: &ApiFailure) -> Option<&CauseId> {
    e.cause.as_ref().filter(|c| {
        !c.is_mistake()
            && !matches!(
                c,
                CauseId::Invalid {
                    rule: Rule::Other,
                    ..
                }
            )
    })
}

/// One line for a toast or a dialog: the kind in the viewer's language, then [`message`], and
/// the field and rule of a refused input.
pub fn failure(e: &ApiFailure) -> String {
    let who = kind(&e.kind);
    if let Some(c) = worded(e) {
        return tr!(error.prefix, who, message = cause(c));
    }
    let message = match e.kind.as_str() {
        "network" => tr!(error.network_msg, error = e.message.clone()),
        "bad_response" => tr!(error.bad_response_msg, error = e.message.clone()),
        _ => e.message.clone(),
    };
    match (&e.field, &e.rule) {
        (Some(field), Some(rule)) if !message.contains(rule.as_str()) => {
            tr!(
                error.prefix_rule,
                who,
                message,
                field = field.clone(),
                rule = rule.clone()
            )
        }
        _ => tr!(error.prefix, who, message),
    }
}

/// [`failure`], then the hint of a known mistake (worded from its id when the backend sent one).
pub fn failure_with_hint(e: &ApiFailure) -> String {
    let hint = match &e.cause {
        Some(c) if c.is_mistake() => Some(cause(c)),
        _ => e.hint.clone(),
    };
    match hint {
        Some(h) => tr!(error.hint, text = failure(e), hint = h),
        None => failure(e),
    }
}

/// A cause id (`codis_model::cause_id`) in words.
pub fn cause(c: &CauseId) -> String {
    let addr = |a: &Option<String>| a.clone().unwrap_or_else(|| tr!(cause.that_address));
    let addr_lc = |a: &Option<String>| a.clone().unwrap_or_else(|| tr!(cause.that_address_lc));
    match c {
        CauseId::Invalid { field, rule } => format!("{field}: {}", rule_words(*rule, "")),
        CauseId::ProxyDataPort { addr, admin } => tr!(
            cause.proxy_data_port,
            addr = addr.clone(),
            admin = admin.clone()
        ),
        CauseId::RedisPort { addr: a } => tr!(cause.redis_port, addr = addr(a)),
        CauseId::NotCodisServer { addr: a } => tr!(cause.not_codis_server, addr = addr(a)),
        CauseId::NotSentinel { addr: a } => tr!(cause.not_sentinel, addr = addr(a)),
        CauseId::OtherProduct { addr: a } => tr!(cause.other_product, addr = addr_lc(a)),
        CauseId::GroupPromoting => tr!(cause.group_promoting),
        CauseId::ProxyUnreachable => tr!(cause.proxy_unreachable),
        CauseId::MasterInUse => tr!(cause.master_in_use),
        CauseId::GroupHasServers => tr!(cause.group_has_servers),
        CauseId::NothingListens { addr: a } => tr!(cause.nothing_listens, addr = addr_lc(a)),
        CauseId::AddressWithoutPort => tr!(cause.address_without_port),
        CauseId::ClosedConnection => tr!(cause.closed_connection),
        CauseId::WrongXauth => tr!(cause.wrong_xauth),
        CauseId::DashboardTimeout { addr } => tr!(cause.dashboard_timeout, addr = addr.clone()),
        CauseId::DashboardUnreachable { addr } => {
            tr!(cause.dashboard_unreachable, addr = addr.clone())
        }
        CauseId::DashboardBusy => tr!(cause.dashboard_busy),
        CauseId::OutcomeUnknown { addr } => tr!(cause.outcome_unknown, addr = addr.clone()),
        CauseId::DashboardBadResponse { addr } => {
            tr!(cause.dashboard_bad_response, addr = addr.clone())
        }
        CauseId::DashboardRefused { addr } => tr!(cause.dashboard_refused, addr = addr.clone()),
        CauseId::NotDiscovered { product } => {
            tr!(cause.not_discovered, product = product.clone())
        }
        CauseId::NoAnswer { ms } => tr!(cause.no_answer, ms = *ms),
        CauseId::DashboardClosed => tr!(cause.dashboard_closed),
        CauseId::SamplesFrozen { secs } => tr!(cause.samples_frozen, secs = *secs),
        CauseId::UnknownProduct { product } => {
            tr!(cause.unknown_product, product = product.clone())
        }
        CauseId::NoSuchProxy { product, token } => tr!(
            cause.no_such_proxy,
            product = product.clone(),
            token = token.clone()
        ),
        CauseId::ReadOnly => tr!(cause.read_only),
        CauseId::Csrf => tr!(cause.csrf),
        CauseId::NoAccess => tr!(cause.no_access),
        CauseId::Viewer => tr!(cause.viewer),
        CauseId::AdminOnly => tr!(cause.admin_only),
        CauseId::InFlight => tr!(cause.in_flight),
        CauseId::PlanChanged { now, before } => {
            tr!(cause.plan_changed, now = *now, before = *before)
        }
        CauseId::WrongPassword => tr!(cause.wrong_password),
        CauseId::SignInRateLimited { secs } => tr!(cause.sign_in_rate_limited, secs = *secs),
        CauseId::SignInBusy => tr!(cause.sign_in_busy),
    }
}

/// Why the live data is not current (a live status's or a fleet row's `cause` and `message`), in
/// the viewer's language: the cause worded, with the dashboard's own words beside it when they
/// say more (its refusal's Cause, what was wrong with its answer); an older backend's English
/// message as it is.
pub fn live_reason(cause_id: Option<&CauseId>, message: Option<&String>) -> Option<String> {
    match (cause_id, message) {
        (
            Some(c @ (CauseId::DashboardRefused { .. } | CauseId::DashboardBadResponse { .. })),
            Some(m),
        ) => Some(tr!(cause.with_raw, cause = cause(c), raw = m.clone())),
        (Some(c), _) => Some(cause(c)),
        (None, m) => m.cloned(),
    }
}

/// A server's INFO `role` as the console labels it (主 / 从); a role Redis may add later is
/// shown as Redis wrote it.
pub fn info_role(role: &str) -> String {
    match role {
        "master" => tr!(info_role.master),
        "slave" | "replica" => tr!(info_role.replica),
        other => other.to_string(),
    }
}

fn resync_reason(r: &Resync) -> String {
    match r {
        Resync::Gap { expected, got } if got - expected == 1 => {
            tr!(resync.gap_one, expected = *expected, got = *got)
        }
        Resync::Gap { expected, got } => {
            tr!(resync.gap, expected = *expected, last = got - 1, got = *got)
        }
        Resync::NoBase { got } => tr!(resync.no_base, got = *got),
        Resync::Unreadable { event, error } => {
            tr!(
                resync.unreadable,
                event = event.clone(),
                error = error.clone()
            )
        }
    }
}

/// The banner while the fresh snapshot is on its way.
pub fn resync_pending(r: &Resync) -> String {
    let mut reason = resync_reason(r);
    if let Some(c) = reason.chars().next() {
        let up = c.to_ascii_uppercase();
        reason.replace_range(..c.len_utf8(), up.encode_utf8(&mut [0; 4]));
    }
    tr!(resync.pending, reason)
}

/// The banner once the fresh snapshot has replaced the view.
pub fn resync_done(r: &Resync) -> String {
    tr!(resync.done, reason = resync_reason(r))
}

/// The rule a refused input broke (`codis_model::validate::Rule`), in words.
pub fn rule(e: &ValidationError) -> String {
    rule_words(e.code, &e.rule)
}

/// `code` in words; `english` is what a [`Rule::Other`] says (only in words, in English).
fn rule_words(code: Rule, english: &str) -> String {
    match code {
        Rule::IntRange {
            min,
            max,
            micros: false,
        } => tr!(rule.int_range, min, max),
        Rule::IntRange {
            min,
            max,
            micros: true,
        } => tr!(rule.int_range_us, min, max),
        Rule::RangeOrder => tr!(rule.range_order),
        Rule::Flag => tr!(rule.flag),
        Rule::Address => tr!(rule.address),
        Rule::Datacenter { max } => tr!(rule.datacenter, max),
        Rule::ProductName => tr!(rule.product_name),
        Rule::LogLevel => tr!(rule.log_level),
        Rule::ProxyToken => tr!(rule.proxy_token),
        Rule::DiffersFromSource => tr!(rule.differs),
        Rule::CmdinfoInterval => tr!(cause.rule_cmdinfo_interval),
        Rule::GroupMissing { gid } => tr!(cause.rule_group_missing, gid),
        Rule::GroupHoldsNoSlots { gid } => tr!(cause.rule_group_no_slots, gid),
        Rule::GroupSlotsBusy { gid } => tr!(cause.rule_group_slots_busy, gid),
        Rule::NoCmdinfo => tr!(cause.rule_no_cmdinfo),
        Rule::ProxyHasAuth => tr!(cause.rule_proxy_has_auth),
        Rule::NoSentinels => tr!(cause.rule_no_sentinels),
        // Stated in words only (about the cluster's state): as the model says it.
        Rule::Other => english.to_string(),
    }
}

/// `field: rule`, in words.
pub fn invalid(e: &ValidationError) -> String {
    format!("{}: {}", e.field, rule(e))
}
