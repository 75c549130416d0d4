//! A list the page fetches in the browser, and how it shows while it loads
//! or after it failed.
//!
//! The server does not call its own API, so it renders every such list as
//! [`Fetched::Loading`]; the browser fetches once hydrated.

use leptos::prelude::*;

use crate::{api::ApiError, format::sentence, session::SessionContext};

/// Where a fetched list stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetched<T> {
    Loading,
    Loaded(T),
    /// What went wrong, as a sentence to show.
    Failed(String),
}

impl<T> Fetched<T> {
    /// The API's answer. A `401` means the access token died early, so the
    /// session is checked at once: it is refreshed, or every tab signs out.
    pub fn from_answer(answer: Result<T, ApiError>, session: SessionContext) -> Self {
        match answer {
            Ok(value) => Self::Loaded(value),
            Err(error) => {
                if error.is_unauthorized() {
                    session.check_now();
                }
                Self::Failed(sentence(&error.message()))
            }
        }
    }

    /// The view: the status line `loading` while loading, the message once
    /// failed (with `error_test_id` as its `data-testid`), and what `loaded`
    /// makes of the list once loaded.
    pub fn show(
        self,
        loading: &'static str,
        error_test_id: Option<&'static str>,
        loaded: impl FnOnce(T) -> AnyView,
    ) -> AnyView {
        match self {
            Self::Loading => view! { <p class="muted" role="status">{loading}</p> }.into_any(),
            Self::Failed(message) => view! {
                <p class="form-error" role="alert" data-testid=error_test_id>
                    {message}
                </p>
            }
            .into_any(),
            Self::Loaded(value) => loaded(value),
        }
    }
}
