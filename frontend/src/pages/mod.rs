//! The five sections of a product, and what they share (HA warnings, the read-only info dialogs).

pub mod fleet;
pub mod groups;
pub mod overview;
pub mod proxies;
mod proxy_stats;
pub mod sentinels;
pub mod slots;

use std::collections::BTreeMap;

use codis_model::derive::{ha_conflicts, GroupView};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};

use crate::components::dialog::Modal;
use crate::core::api;
use crate::core::live::Live;
use crate::core::words;
use crate::tr;

pub fn use_live() -> Live {
    expect_context::<Live>()
}

/// The current groups with their servers (read without tracking: for confirmation texts).
pub fn group_views(live: &Live) -> Vec<GroupView> {
    live.groups.with_untracked(|gs| {
        gs.iter()
            .map(|g| {
                let mut v = g.head.get_untracked();
                v.servers = g
                    .servers
                    .with_untracked(|s| s.iter().map(|x| x.row_untracked()).collect());
                v
            })
            .collect()
    })
}

/// codis-fe's alertAction2 text: groups whose sentinel-elected master is not the logical master.
pub fn ha_conflict_warnings(live: &Live, what: &str) -> Vec<String> {
    let conflicts = ha_conflicts(&group_views(live));
    if conflicts.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = conflicts
        .iter()
        .map(|c| {
            tr!(
                ha.conflict,
                group = c.group,
                real = c.ha_real_master.clone(),
                logical = c.logical_master.clone()
            )
        })
        .collect();
    out.push(tr!(ha.disagree, what));
    out
}

/// Which read-only document a dialog shows.
#[derive(Clone, Debug, PartialEq)]
pub enum InfoKind {
    /// A flat INFO map (`key -> value`), shown as a filterable table.
    Map,
    /// Any JSON, pretty-printed.
    Json,
    /// A proxy's full stats, summarised, with its per-command table live from this API path
    /// (`.../proxies/{token}/cmds`).
    ProxyStats {
        cmds_path: String,
        /// Pika's Codis fork: the latency percentiles' API path (`.../proxies/{token}/cmdinfo`,
        /// without the interval); `None` on Codis 3.2, whose proxies keep none.
        cmdinfo_path: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct InfoRequest {
    pub title: String,
    /// API path (under the product).
    pub path: String,
    pub kind: InfoKind,
}

/// A dialog that loads a document through the backend (never from cluster hosts directly).
#[component]
pub fn InfoDialog(req: InfoRequest, on_close: Callback<()>) -> impl IntoView {
    // The answer's text, parsed by the browser (`JSON.parse`) when shown: these documents are
    // only displayed, so they need no Rust types (or serde_json's `Value`) in the WASM.
    let data = RwSignal::new(None::<Result<String, String>>);
    let path = req.path.clone();
    spawn_local(async move {
        let r = api::get_text(&path).await.map_err(|e| words::failure(&e));
        // The dialog may have been closed meanwhile.
        let _ = data.try_set(Some(r));
    });
    let filter = RwSignal::new(String::new());
    let kind = req.kind.clone();
    view! {
        <Modal title=req.title on_close=on_close wide=true>
            {move || match data.get() {
                None => view! { <p class="muted">{tr!(common.loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="dialog-error" role="alert">{e}</p> }.into_any(),
                Some(Ok(text)) => {
                let v = js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL);
                match &kind {
                    InfoKind::Map => {
                        let map: BTreeMap<String, String> = if v.is_object() {
                            js_sys::Object::entries(v.unchecked_ref()).iter().filter_map(|e| {
                                let e: js_sys::Array = e.unchecked_into();
                                Some((e.get(0).as_string()?, text_of(&e.get(1))))
                            }).collect()
                        } else {
                            BTreeMap::new()
                        };
                        view! {
                            <input class="filter" type="search" placeholder=tr!(info.filter) aria-label=tr!(info.filter)
                                prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
                            <div class="scroll">
                                <table class="grid kv">
                                    <tbody>
                                        {move || {
                                            // ASCII case folding: INFO keys are ASCII, and str::to_lowercase
                                            // would link Unicode case tables (~10 KB of WASM).
                                            let f = filter.get().to_ascii_lowercase();
                                            map.iter().filter(|(k, v)| f.is_empty() || k.to_ascii_lowercase().contains(&f) || v.to_ascii_lowercase().contains(&f))
                                                .map(|(k, v)| view! { <tr><th>{k.clone()}</th><td class="wrap">{v.clone()}</td></tr> })
                                                .collect_view()
                                        }}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                    InfoKind::Json => view! { <pre class="json">{pretty(&v)}</pre> }.into_any(),
                    InfoKind::ProxyStats { cmds_path, cmdinfo_path } => proxy_stats::summary(&v, cmds_path.clone(), cmdinfo_path.clone()).into_any(),
                }
                }
            }}
        </Modal>
    }
}

/// A string as itself, anything else as its JSON text.
pub(crate) fn text_of(v: &JsValue) -> String {
    v.as_string().unwrap_or_else(|| {
        js_sys::JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    })
}

/// JSON text indented by two spaces.
pub(crate) fn pretty(v: &JsValue) -> String {
    js_sys::JSON::stringify_with_replacer_and_space(v, &JsValue::NULL, &JsValue::from(2))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// The value at `path` (object keys), if there is one.
pub(crate) fn at(v: &JsValue, path: &[&str]) -> Option<JsValue> {
    let mut cur = v.clone();
    for p in path {
        if !cur.is_object() {
            return None;
        }
        cur = js_sys::Reflect::get(&cur, &JsValue::from_str(p)).ok()?;
        if cur.is_undefined() {
            return None;
        }
    }
    Some(cur)
}

pub(crate) fn num(v: &JsValue, path: &[&str]) -> String {
    at(v, path).map_or_else(|| "–".into(), |n| text_of(&n))
}

/// Holder for the info dialog of a page.
#[component]
pub fn InfoHost(info: RwSignal<Option<InfoRequest>>) -> impl IntoView {
    let close = Callback::new(move |()| info.set(None));
    move || {
        info.get()
            .map(|req| view! { <InfoDialog req=req on_close=close/> })
    }
}
