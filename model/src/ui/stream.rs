//! The live stream's sequence handling. Every sample has a sequence number one above the previous
//! one (`LiveView::seq`, `LiveUpdate::seq`, the SSE event id), and an update only describes what
//! changed since the sample before it. So an update is applied only on top of the sample just
//! before it: a gap in `seq`, an update before any snapshot, or an event the browser cannot read
//! means the view on screen is no longer the backend's, and the console asks for a fresh snapshot
//! (a new stream without `Last-Event-ID`) and says so in the banner.

/// What to do with an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The next sample: apply it.
    Apply,
    /// A sample already applied (a replay after a reconnection): skip it.
    Old,
}

/// Why the view must be reloaded from a fresh snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resync {
    /// One or more updates were lost.
    Gap { expected: u64, got: u64 },
    /// An update arrived with no snapshot to apply it to.
    NoBase { got: u64 },
    /// An event (`snapshot`, `update`, `status`) could not be decoded.
    Unreadable { event: String, error: String },
}

impl Resync {
    fn reason(&self) -> String {
        match self {
            Resync::Gap { expected, got } if got - expected == 1 => {
                format!("live update #{expected} was lost (#{got} arrived)")
            }
            Resync::Gap { expected, got } => {
                format!(
                    "live updates #{expected}–#{} were lost (#{got} arrived)",
                    got - 1
                )
            }
            Resync::NoBase { got } => format!("live update #{got} arrived before the whole view"),
            Resync::Unreadable { event, error } => {
                format!("a live {event} event could not be read ({error})")
            }
        }
    }

    /// For the banner while the fresh snapshot is on its way.
    pub fn pending_text(&self) -> String {
        let mut r = self.reason();
        capitalise(&mut r);
        format!("{r}; reloading the whole view from the backend.")
    }

    /// For the banner once the fresh snapshot has replaced the view.
    pub fn done_text(&self) -> String {
        format!("Reloaded the whole view: {}.", self.reason())
    }
}

fn capitalise(s: &mut String) {
    if let Some(c) = s.chars().next() {
        let up = c.to_ascii_uppercase();
        s.replace_range(..c.len_utf8(), up.encode_utf8(&mut [0; 4]));
    }
}

/// The sequence number of the view on screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sequence {
    last: Option<u64>,
}

impl Sequence {
    /// The sequence number of the view on screen, if any.
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// A snapshot replaced the view: updates continue from its number.
    pub fn snapshot(&mut self, seq: u64) {
        self.last = Some(seq);
    }

    /// Forgets the view (another product, a new stream).
    pub fn clear(&mut self) {
        self.last = None;
    }

    /// Whether the update numbered `seq` applies to the view on screen; an update that does is
    /// taken as the new number.
    pub fn update(&mut self, seq: u64) -> Result<Verdict, Resync> {
        let Some(last) = self.last else {
            return Err(Resync::NoBase { got: seq });
        };
        if seq <= last {
            return Ok(Verdict::Old);
        }
        if seq != last + 1 {
            return Err(Resync::Gap {
                expected: last + 1,
                got: seq,
            });
        }
        self.last = Some(seq);
        Ok(Verdict::Apply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_in_order_apply_one_after_the_other() {
        let mut s = Sequence::default();
        s.snapshot(41);
        assert_eq!(s.update(42), Ok(Verdict::Apply));
        assert_eq!(s.update(43), Ok(Verdict::Apply));
        assert_eq!(s.last(), Some(43));
    }

    #[test]
    fn a_gap_asks_for_a_fresh_snapshot_and_says_what_was_lost() {
        let mut s = Sequence::default();
        s.snapshot(10);
        let r = s.update(12).unwrap_err();
        assert_eq!(
            r,
            Resync::Gap {
                expected: 11,
                got: 12
            }
        );
        assert_eq!(
            r.pending_text(),
            "Live update #11 was lost (#12 arrived); reloading the whole view from the backend."
        );
        assert_eq!(s.last(), Some(10), "the view on screen is still #10");
        let r = s.update(15).unwrap_err();
        assert_eq!(
            r.done_text(),
            "Reloaded the whole view: live updates #11–#14 were lost (#15 arrived)."
        );
        // The fresh snapshot puts the stream back on track.
        s.snapshot(15);
        assert_eq!(s.update(16), Ok(Verdict::Apply));
    }

    #[test]
    fn a_replayed_update_is_skipped_not_applied_twice() {
        let mut s = Sequence::default();
        s.snapshot(5);
        assert_eq!(s.update(5), Ok(Verdict::Old));
        assert_eq!(s.update(3), Ok(Verdict::Old));
        assert_eq!(s.update(6), Ok(Verdict::Apply));
    }

    #[test]
    fn an_update_before_any_snapshot_asks_for_one() {
        let mut s = Sequence::default();
        assert_eq!(s.update(7), Err(Resync::NoBase { got: 7 }));
        s.snapshot(1);
        s.clear();
        assert_eq!(s.update(2), Err(Resync::NoBase { got: 2 }));
    }

    #[test]
    fn an_unreadable_event_is_named_in_the_banner() {
        let r = Resync::Unreadable {
            event: "update".into(),
            error: "missing field `seq` at line 1 column 2".into(),
        };
        assert_eq!(
            r.pending_text(),
            "A live update event could not be read (missing field `seq` at line 1 column 2); reloading the whole view from the backend."
        );
    }
}
