//! The token of a mailed link (`?token=…`), taken once when the page opens.
//! In the browser the address is then replaced by the bare path, so the
//! token leaves the address bar and the history (and, with the server's
//! `Referrer-Policy: no-referrer` on these pages, any `Referer`).

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};

/// The link's token, if the address had one; `page` is the bare path to
/// show instead.
pub fn take_link_token(page: &'static str) -> Option<String> {
    let token = use_query_map().with_untracked(|query| query.get("token")).filter(|token| !token.is_empty());
    if token.is_some() {
        let navigate = use_navigate();
        // Effects run only in the browser, once hydrated.
        Effect::new(move || navigate(page, NavigateOptions { replace: true, scroll: false, ..Default::default() }));
    }
    token
}
