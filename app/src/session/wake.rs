//! Moments when a refresh timer may have missed its time: the tab became
//! visible again, the window got focus, the network came back, or the page
//! was restored from the back/forward cache. Browsers pause or throttle
//! timers in hidden tabs and stop them while a laptop sleeps, so the
//! scheduler re-checks its deadline at each of these.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{EventTarget, VisibilityState};

/// Calls `handler` at every wake-up moment, for the page's whole life.
pub(super) fn on_wake(handler: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else { return };
    let handler: Rc<dyn Fn()> = Rc::new(handler);

    for event in ["focus", "online", "pageshow"] {
        let handler = Rc::clone(&handler);
        listen(&window, event, move || handler());
    }
    if let Some(document) = window.document() {
        let target = document.clone();
        listen(&target, "visibilitychange", move || {
            if document.visibility_state() == VisibilityState::Visible {
                handler();
            }
        });
    }
}

fn listen(target: &EventTarget, event: &str, callback: impl Fn() + 'static) {
    let callback = Closure::<dyn Fn()>::new(callback);
    if target.add_event_listener_with_callback(event, callback.as_ref().unchecked_ref()).is_err() {
        leptos::logging::warn!("could not listen for {event}");
    }
    // Never removed: the listener lives as long as the page, so its closure must too.
    callback.forget();
}
