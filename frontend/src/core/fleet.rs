//! The whole fleet, live: ONE `EventSource` on `GET /api/fleet/events` per tab (issue 16), shared
//! by the home page's table, the sidebar's health dots and product list, the alert bell and the
//! slots page's migration line. The stream's logic (sequence, patching) is
//! `codis_model::ui::fleet::FleetFeed`, tested on the host; this module wires it to signals.
//!
//! The store lives above the routes, so moving between the home page and a product keeps the
//! same stream. The home page opens it at once; a product page opens it once its own stream has
//! shown the first numbers (`ProductLayout`), so the fleet never delays the product's cold load.

use std::time::Duration;

use codis_model::fleet::{FleetRow, FleetUpdate, FleetView};
use codis_model::live::{EVENT_SNAPSHOT, EVENT_UPDATE};
use codis_model::ui::fleet::FleetFeed;
use codis_model::ui::list::patch as patch_keyed;
use codis_model::ui::stream::Resync;
use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{EventSource, MessageEvent};

use super::api;
use super::codec;
use super::live::{put, Conn, Keyed, ResyncNotice};
use super::time::now_ms;

/// One product's row, keyed by its name: its signal changes only when the row does.
pub type FleetEntry = Keyed<String, FleetRow>;

#[derive(Clone, Copy)]
pub struct Fleet {
    pub conn: RwSignal<Conn>,
    /// A snapshot arrived (the rows are the backend's, not an empty table waiting for it).
    pub loaded: RwSignal<bool>,
    /// Failed attempts to open the stream since it last worked.
    pub attempts: RwSignal<u32>,
    /// One entry per product, sorted by name (the backend's order).
    pub rows: RwSignal<Vec<FleetEntry>>,
    /// Backend time of the newest view, Unix ms.
    pub sampled_ms: RwSignal<u64>,
    /// Browser clock minus backend clock (ages are computed on one clock).
    pub skew_ms: RwSignal<f64>,
    /// Why the rows were (or are being) reloaded from a fresh snapshot.
    pub resync: RwSignal<Option<ResyncNotice>>,
    feed: StoredValue<FleetFeed>,
    /// Whether some page asked for the stream (it then stays open for the tab's life).
    wanted: StoredValue<bool>,
    last_event: StoredValue<f64>,
    /// The longest time seen between two events, for the watchdog (the backend sends one per
    /// `--fleet-interval`, empty or not).
    gap_ms: StoredValue<f64>,
    generation: StoredValue<u64>,
    stream: StoredValue<Option<Stream>, LocalStorage>,
    owner: StoredValue<Option<Owner>, LocalStorage>,
}

pub fn use_fleet() -> Fleet {
    expect_context::<Fleet>()
}

/// An open EventSource and its callbacks; closed on drop.
struct Stream {
    es: EventSource,
    _callbacks: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.es.close();
    }
}

impl Fleet {
    /// The store, closed until [`Fleet::want`]; call once, above the routes.
    pub fn new() -> Fleet {
        let fleet = Fleet {
            conn: RwSignal::new(Conn::Connecting),
            loaded: RwSignal::new(false),
            attempts: RwSignal::new(0),
            rows: RwSignal::new(Vec::new()),
            sampled_ms: RwSignal::new(0),
            skew_ms: RwSignal::new(0.0),
            resync: RwSignal::new(None),
            feed: StoredValue::new(FleetFeed::default()),
            wanted: StoredValue::new(false),
            last_event: StoredValue::new(0.0),
            gap_ms: StoredValue::new(0.0),
            generation: StoredValue::new(0),
            stream: StoredValue::new_local(None),
            owner: StoredValue::new_local(Owner::current()),
        };
        // Watchdog: a stream silent for much longer than the backend's interval is dead even if
        // the browser has not noticed (a proxy holding the connection open): reopen it.
        let handle = set_interval_with_handle(
            move || {
                if !fleet.wanted.get_value() || fleet.conn.get_untracked() != Conn::Open {
                    return;
                }
                let silent_for = now_ms() - fleet.last_event.get_value();
                if silent_for > (fleet.gap_ms.get_value() * 3.0).max(30_000.0) {
                    fleet.conn.set(Conn::Lost);
                    fleet.open();
                }
            },
            Duration::from_secs(5),
        )
        .ok();
        // As for the product stream (`core::live`): a page in the back/forward cache must not
        // hold one of the browser's six connections per host.
        let hide = window_event_listener_untyped("pagehide", move |_| {
            fleet.generation.update_value(|g| *g += 1);
            fleet.stream.set_value(None);
        });
        let show = window_event_listener_untyped("pageshow", move |ev| {
            let persisted = js_sys::Reflect::get(&ev, &"persisted".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if persisted && fleet.wanted.get_value() {
                fleet.conn.set(Conn::Connecting);
                fleet.open();
            }
        });
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
            hide.remove();
            show.remove();
            fleet.generation.update_value(|g| *g += 1);
            fleet.stream.set_value(None);
        });
        fleet
    }

    /// Opens the stream if it is not open yet.
    pub fn want(&self) {
        if self.wanted.get_value() {
            return;
        }
        self.wanted.set_value(true);
        self.open();
    }

    /// Closes the stream (signed out); the next [`Fleet::want`] opens it again.
    pub fn stop(&self) {
        if !self.wanted.get_value() {
            return;
        }
        self.wanted.set_value(false);
        self.generation.update_value(|g| *g += 1);
        self.stream.set_value(None);
        self.conn.set(Conn::Connecting);
        self.attempts.set(0);
    }

    /// The row of `product` (tracked), once known.
    pub fn row(&self, product: &str) -> Option<FleetRow> {
        self.rows
            .with(|rows| rows.iter().find(|e| e.key == product).map(|e| e.row.get()))
    }

    /// (Re)opens the stream. The browser's EventSource retries by itself after a network error;
    /// when it gives up (HTTP error, readyState CLOSED) we reopen it with a backoff of 1, 2, 4 …
    /// 15 s.
    fn open(&self) {
        let fleet = *self;
        fleet.generation.update_value(|g| *g += 1);
        let generation = fleet.generation.get_value();
        fleet.stream.set_value(None);
        fleet.feed.update_value(FleetFeed::restart);
        let init = web_sys::EventSourceInit::new();
        init.set_with_credentials(true);
        let Ok(es) =
            EventSource::new_with_event_source_init_dict(&api::url("/api/fleet/events"), &init)
        else {
            fleet.retry_later(generation);
            return;
        };
        fleet.last_event.set_value(now_ms());
        let current = move || fleet.generation.get_value() == generation;
        let on = |name: &str, f: Box<dyn Fn(String)>| {
            let cb = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    f(text);
                }
            });
            let _ = es.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            cb
        };
        let mut callbacks = Vec::new();
        callbacks.push(on(
            EVENT_SNAPSHOT,
            Box::new(move |text| {
                if !current() {
                    return;
                }
                match codec::decode::<FleetView>(&text) {
                    Ok(v) => {
                        fleet.in_owner(|| fleet.apply_snapshot(v));
                        mark_once("codis:first-fleet");
                    }
                    Err(error) => {
                        // The same snapshot would come again at once: ask again after a backoff.
                        fleet.notice(Resync::Unreadable {
                            event: EVENT_SNAPSHOT.into(),
                            error,
                        });
                        fleet.retry_later(generation);
                    }
                }
            }),
        ));
        callbacks.push(on(
            EVENT_UPDATE,
            Box::new(move |text| {
                if !current() {
                    return;
                }
                let applied = codec::decode::<FleetUpdate>(&text)
                    .map_err(|error| Resync::Unreadable {
                        event: EVENT_UPDATE.into(),
                        error,
                    })
                    .and_then(|u| {
                        let r = fleet.feed.try_update_value(|f| f.update(&u));
                        r.unwrap_or(Ok(false))
                            .map(|applied| (applied, u.sampled_ms))
                    });
                match applied {
                    Ok((true, sampled_ms)) => fleet.in_owner(|| fleet.show(sampled_ms)),
                    Ok((false, _)) => fleet.mark_event(),
                    Err(why) => fleet.resync_now(why),
                }
            }),
        ));
        let on_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_e: MessageEvent| {
            if !current() {
                return;
            }
            fleet.conn.set(Conn::Lost);
            // readyState 2 = CLOSED: the browser will not retry by itself.
            let closed = fleet
                .stream
                .with_value(|s| s.as_ref().map(|s| s.es.ready_state() == 2))
                .unwrap_or(true);
            if closed {
                fleet.retry_later(generation);
            } else {
                fleet.attempts.update(|a| *a += 1);
            }
        });
        es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        callbacks.push(on_error);
        fleet.stream.set_value(Some(Stream {
            es,
            _callbacks: callbacks,
        }));
    }

    fn notice(&self, why: Resync) {
        leptos::logging::warn!("fleet: {}", why.pending_text());
        self.resync.set(Some(ResyncNotice { why, done_ms: None }));
    }

    /// The rows on screen are no longer the backend's: say so and ask for a fresh snapshot at
    /// once (a new stream, without `Last-Event-ID`), after the current callback returns.
    fn resync_now(&self, why: Resync) {
        self.notice(why);
        let fleet = *self;
        let generation = fleet.generation.get_value();
        set_timeout(
            move || {
                if fleet.generation.get_value() == generation {
                    fleet.open();
                }
            },
            Duration::ZERO,
        );
    }

    fn retry_later(&self, generation: u64) {
        let fleet = *self;
        let attempt = fleet.attempts.get_untracked();
        fleet.attempts.set(attempt + 1);
        let delay = (1000u64 << attempt.min(4)).min(15_000);
        set_timeout(
            move || {
                if fleet.generation.get_value() == generation {
                    fleet.open();
                }
            },
            Duration::from_millis(delay),
        );
    }

    /// Signals created for new rows belong to the store's owner (the app), not to no one.
    fn in_owner(&self, f: impl FnOnce()) {
        match self.owner.with_value(|o| o.clone()) {
            Some(o) => o.with(f),
            None => f(),
        }
    }

    fn mark_event(&self) {
        let now = now_ms();
        let gap = now - self.last_event.get_value();
        if self.conn.get_untracked() == Conn::Open && gap > self.gap_ms.get_value() {
            self.gap_ms.set_value(gap.min(300_000.0));
        }
        self.last_event.set_value(now);
        if self.conn.get_untracked() != Conn::Open {
            self.conn.set(Conn::Open);
            self.attempts.set(0);
        }
    }

    fn apply_snapshot(&self, v: FleetView) {
        self.feed.update_value(|f| f.snapshot(v));
        if self
            .resync
            .with_untracked(|r| r.as_ref().is_some_and(|r| r.done_ms.is_none()))
        {
            self.resync.update(|r| {
                if let Some(r) = r {
                    r.done_ms = Some(now_ms());
                }
            });
        }
        let sampled = self
            .feed
            .with_value(|f| f.view().map_or(0, |v| v.sampled_ms));
        self.show(sampled);
        put(self.loaded, true);
    }

    /// Puts the feed's view into the row signals: only changed rows wake their cells, and the
    /// list itself changes only when products come or go.
    fn show(&self, sampled_ms: u64) {
        self.mark_event();
        put(self.skew_ms, now_ms() - sampled_ms as f64);
        put(self.sampled_ms, sampled_ms);
        let rows = self
            .feed
            .with_value(|f| f.view().map(|v| v.rows.clone()).unwrap_or_default());
        let order = rows.iter().map(|r| r.product.clone()).collect();
        let changed = self.rows.with_untracked(|old| {
            patch_keyed(old, rows, Some(order), |r: &FleetRow| r.product.clone())
        });
        if let Some(new) = changed {
            self.rows.set(new);
        }
    }
}

impl Default for Fleet {
    fn default() -> Self {
        Fleet::new()
    }
}

/// A Performance API mark, once per page (`ui_fleet` reads "first fleet numbers" from it).
fn mark_once(name: &str) {
    let Some(perf) = window().performance() else {
        return;
    };
    if perf.get_entries_by_name(name).length() == 0 {
        let _ = perf.mark(name);
    }
}
