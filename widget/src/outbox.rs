//! The outbox in the browser: pending submissions saved in `localStorage` under one key per API and
//! form, read back on the next page load. Where storage is refused (some private modes, some
//! third-party frames) it falls back to memory for the life of the page.

use crate::api::read_json_str;
use crate::state::Pending;
use std::cell::RefCell;

// A page has one or two forms: plain Vecs, which also keep hash tables out of the wasm.
thread_local! {
    static MEMORY: RefCell<Vec<(String, Vec<Pending>)>> = const { RefCell::new(Vec::new()) };
    static FLUSHING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Invariant: `key` names one API and form, so two forms on a page never share an outbox.
#[derive(Debug, Clone)]
pub struct Outbox {
    key: String,
}

impl Outbox {
    pub fn new(api: &str, form_id: &str) -> Outbox {
        Outbox { key: ["inlet:outbox:", api, ":", form_id].concat() }
    }

    pub fn load(&self) -> Vec<Pending> {
        let stored = storage()
            .and_then(|s| s.get_item(&self.key).ok().flatten())
            .and_then(|text| read_json_str(&text));
        stored.unwrap_or_else(|| {
            MEMORY.with(|m| {
                m.borrow()
                    .iter()
                    .find(|(k, _)| *k == self.key)
                    .map(|(_, p)| p.clone())
                    .unwrap_or_default()
            })
        })
    }

    pub fn save(&self, pending: &[Pending]) {
        MEMORY.with(|m| {
            let mut memory = m.borrow_mut();
            memory.retain(|(k, _)| *k != self.key);
            memory.push((self.key.clone(), pending.to_vec()));
        });
        if let Some(storage) = storage() {
            let result = if pending.is_empty() {
                storage.remove_item(&self.key)
            } else {
                crate::json::to_string(pending)
                    .map_or(Ok(()), |text| storage.set_item(&self.key, &text))
            };
            // Quota or privacy settings: memory still holds it for this page.
            let _ = result;
        }
    }

    /// Saves a changed entry (a renewed token) in place of the one with its key.
    pub fn replace(&self, changed: &Pending) {
        let mut pending = self.load();
        for entry in pending.iter_mut().filter(|p| p.key == changed.key) {
            *entry = changed.clone();
        }
        self.save(&pending);
    }

    pub fn remove(&self, idempotency_key: &str) {
        let mut pending = self.load();
        pending.retain(|p| p.key != idempotency_key);
        self.save(&pending);
    }

    /// Marks this outbox as being sent; `false` if another task already is.
    pub fn begin_flush(&self) -> bool {
        FLUSHING.with(|f| {
            let mut flushing = f.borrow_mut();
            if flushing.contains(&self.key) {
                return false;
            }
            flushing.push(self.key.clone());
            true
        })
    }

    pub fn end_flush(&self) {
        FLUSHING.with(|f| f.borrow_mut().retain(|k| *k != self.key));
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}
