//! Coordination between the tabs of one browser, which share the cookies.
//!
//! - [`exclusive`]: one refresh at a time across tabs, through the Web Locks
//!   API. web-sys only binds `navigator.locks` behind `web_sys_unstable_apis`,
//!   so a two-line binding of our own calls it. Without it (old browsers,
//!   insecure contexts) the work runs unlocked: the server's grace window for
//!   a racing refresh keeps that safe, only wasteful.
//! - [`Channel`]: a `BroadcastChannel` that tells the other tabs about a new
//!   session or a sign-out, so they never refresh just to find out.
//!
//! Messages carry only [`SessionInfo`] and a reason; never a token.

use std::{cell::RefCell, pin::Pin, rc::Rc};

use js_sys::{Promise, Reflect, futures::future_to_promise};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

use super::SignOutReason;
use crate::types::SessionInfo;

const LOCK_NAME: &str = "cookie-auth-refresh";
const CHANNEL_NAME: &str = "cookie-auth-session";

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    type LockManager;

    /// `locks.request(name, callback)`: runs `callback` once the lock is
    /// held and releases it when the promise `callback` returned settles.
    #[wasm_bindgen(method, catch)]
    fn request(this: &LockManager, name: &str, callback: &JsValue) -> Result<Promise, JsValue>;
}

/// What one tab tells the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum TabMessage {
    /// A refresh or sign-in succeeded; the cookies now hold this session.
    Refreshed { session: SessionInfo },
    /// The session is over, in every tab.
    SignedOut { reason: SignOutReason },
}

type Work<T> = Pin<Box<dyn Future<Output = T>>>;

/// Runs `work` while holding the cross-tab refresh lock. `None` only if the
/// lock was granted but the work never finished (the lock request failed
/// midway), which callers treat like a network failure.
pub(super) async fn exclusive<T: 'static>(work: impl Future<Output = T> + 'static) -> Option<T> {
    let pending: Rc<RefCell<Option<Work<T>>>> = Rc::new(RefCell::new(Some(Box::pin(work))));
    let output: Rc<RefCell<Option<T>>> = Rc::default();

    if let Some(locks) = lock_manager() {
        let callback: Closure<dyn FnMut(JsValue) -> JsValue> = Closure::once({
            let (pending, output) = (Rc::clone(&pending), Rc::clone(&output));
            move |_lock: JsValue| -> JsValue {
                let work = pending.borrow_mut().take();
                future_to_promise(async move {
                    if let Some(work) = work {
                        let value = work.await;
                        *output.borrow_mut() = Some(value);
                    }
                    Ok(JsValue::UNDEFINED)
                })
                .into()
            }
        });
        // Settles once the callback's promise has, i.e. after the work.
        if let Ok(released) = locks.request(LOCK_NAME, callback.as_ref()) {
            // A rejection (lock request aborted) is handled below.
            let _ = released.await;
        }
        drop(callback);
    }

    // No lock manager, or the request failed before the callback ran.
    let unlocked = pending.borrow_mut().take();
    if let Some(work) = unlocked {
        return Some(work.await);
    }
    output.borrow_mut().take()
}

fn lock_manager() -> Option<LockManager> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    locks.is_object().then(|| locks.unchecked_into())
}

/// The tabs' broadcast channel. Open for the page's whole life.
pub(super) struct Channel {
    channel: BroadcastChannel,
    // Kept so the handler lives as long as the channel.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Channel {
    /// Opens the channel and calls `on_message` with every message another
    /// tab sends (a tab never receives its own). `None` without support.
    pub(super) fn open(on_message: impl Fn(TabMessage) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(CHANNEL_NAME).ok()?;
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            // Messages are JSON text; anything else is not ours.
            if let Some(message) =
                event.data().as_string().and_then(|text| serde_json::from_str::<TabMessage>(&text).ok())
            {
                on_message(message);
            }
        });
        channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        Some(Self { channel, _on_message: handler })
    }

    pub(super) fn post(&self, message: &TabMessage) {
        let Ok(text) = serde_json::to_string(message) else { return };
        if self.channel.post_message(&JsValue::from_str(&text)).is_err() {
            leptos::logging::warn!("could not tell the other tabs about the session");
        }
    }
}
