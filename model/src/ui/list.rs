//! Keyed list patching: the live view holds each list (proxies, groups, servers, sentinels) as
//! entries that keep their identity (and, in the browser, their signals) across updates, so a
//! tick touches only the rows it names and the list itself changes only when its keys do.

/// An entry of a keyed list.
pub trait Entry<T>: Clone {
    type Key: PartialEq + Clone;
    fn key(&self) -> &Self::Key;
    /// A new entry for a row that was not in the list.
    fn create(key: Self::Key, row: T) -> Self;
    /// Gives an existing entry its new row (the browser wakes only what changed).
    fn put(&self, row: T);
}

/// Patches the keyed list `old` with `rows`.
///
/// Each row whose key has an entry is `put` into it. With `order` (the complete new key order),
/// entries are also created, dropped and reordered to match it, and the new list is returned when
/// its keys differ from `old`'s; a row whose key is not in `order` is ignored, and so is a key of
/// `order` with neither an entry nor a row. Without `order`, rows of unknown keys are ignored and
/// the list keeps its keys. `None` means "the list is unchanged" (only rows were updated).
pub fn patch<T, E: Entry<T>>(
    old: &[E],
    mut rows: Vec<T>,
    order: Option<Vec<E::Key>>,
    key: impl Fn(&T) -> E::Key,
) -> Option<Vec<E>> {
    let Some(order) = order else {
        for r in rows {
            let k = key(&r);
            if let Some(e) = old.iter().find(|e| *e.key() == k) {
                e.put(r);
            }
        }
        return None;
    };
    let mut new = Vec::with_capacity(order.len());
    for k in order {
        let row = rows
            .iter()
            .position(|r| key(r) == k)
            .map(|i| rows.swap_remove(i));
        match (old.iter().find(|e| *e.key() == k), row) {
            (Some(e), Some(r)) => {
                e.put(r);
                new.push(e.clone());
            }
            (Some(e), None) => new.push(e.clone()),
            (None, Some(r)) => new.push(E::create(k, r)),
            (None, None) => {}
        }
    }
    let same = old.len() == new.len() && old.iter().zip(&new).all(|(a, b)| a.key() == b.key());
    (!same).then_some(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A row holder that counts its writes, as a row signal would wake its readers.
    #[derive(Clone, Debug)]
    struct Row {
        key: &'static str,
        value: Rc<RefCell<u32>>,
        writes: Rc<RefCell<u32>>,
    }

    impl Entry<(&'static str, u32)> for Row {
        type Key = &'static str;
        fn key(&self) -> &&'static str {
            &self.key
        }
        fn create(key: &'static str, row: (&'static str, u32)) -> Row {
            Row {
                key,
                value: Rc::new(RefCell::new(row.1)),
                writes: Rc::new(RefCell::new(0)),
            }
        }
        fn put(&self, row: (&'static str, u32)) {
            if *self.value.borrow() != row.1 {
                *self.value.borrow_mut() = row.1;
                *self.writes.borrow_mut() += 1;
            }
        }
    }

    fn list(rows: &[(&'static str, u32)]) -> Vec<Row> {
        rows.iter().map(|&(k, v)| Row::create(k, (k, v))).collect()
    }

    fn keys(l: &[Row]) -> Vec<&'static str> {
        l.iter().map(|r| r.key).collect()
    }

    #[test]
    fn a_counter_tick_updates_only_its_row_and_keeps_the_list() {
        let old = list(&[("a", 1), ("b", 2), ("c", 3)]);
        let out = patch(&old, vec![("b", 20)], None, |r| r.0);
        assert!(out.is_none(), "the list's keys did not change");
        assert_eq!(*old[1].value.borrow(), 20);
        assert_eq!(*old[1].writes.borrow(), 1);
        assert_eq!(*old[0].writes.borrow() + *old[2].writes.borrow(), 0);
    }

    #[test]
    fn a_row_of_an_unknown_key_without_an_order_is_ignored() {
        let old = list(&[("a", 1)]);
        assert!(patch(&old, vec![("z", 9)], None, |r| r.0).is_none());
        assert_eq!(keys(&old), ["a"]);
    }

    #[test]
    fn an_order_adds_removes_and_reorders_keeping_existing_entries() {
        let old = list(&[("a", 1), ("b", 2), ("c", 3)]);
        let new = patch(
            &old,
            vec![("d", 4), ("a", 10)],
            Some(vec!["c", "a", "d"]),
            |r| r.0,
        )
        .expect("keys changed");
        assert_eq!(keys(&new), ["c", "a", "d"]);
        // Existing entries are the same entries (same cells), updated in place.
        assert!(Rc::ptr_eq(&new[0].value, &old[2].value));
        assert!(Rc::ptr_eq(&new[1].value, &old[0].value));
        assert_eq!(*new[1].value.borrow(), 10);
        assert_eq!(*new[2].value.borrow(), 4);
        assert_eq!(*old[2].writes.borrow(), 0, "an unnamed row is not touched");
    }

    #[test]
    fn an_order_equal_to_the_current_keys_changes_no_list() {
        let old = list(&[("a", 1), ("b", 2)]);
        assert!(patch(&old, vec![("a", 5)], Some(vec!["a", "b"]), |r| r.0).is_none());
        assert_eq!(*old[0].value.borrow(), 5);
    }

    #[test]
    fn a_key_of_the_order_with_no_entry_and_no_row_is_dropped() {
        let old = list(&[("a", 1)]);
        let new = patch(&old, Vec::new(), Some(vec!["a", "ghost"]), |r| r.0);
        assert!(new.is_none(), "nothing to show for ghost");
    }
}
