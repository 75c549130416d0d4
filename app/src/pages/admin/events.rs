//! The recent auth events table of the admin page: the newest
//! [`EVENTS_SHOWN`] events, newest first, with "Reload".
//!
//! On a phone the table stacks, one card per event, each cell labelled from
//! its `data-label`.

use leptos::{prelude::*, task::spawn_local};

use super::{Refused, refusal};
use crate::{
    api,
    components::{BusyButton, Fetched},
    format::{date_time, describe_user_agent, iso_utc},
    session::use_session,
    types::AuthEventView,
};

/// How many of the newest events the page shows.
const EVENTS_SHOWN: u32 = 50;

/// The events card, loaded in the browser after hydration and again on
/// "Reload" and whenever `reload_on` moves. A `403` sets `refused`.
#[component]
pub(super) fn EventTable(#[prop(into)] reload_on: Signal<u32>, refused: WriteSignal<Option<Refused>>) -> impl IntoView {
    let session = use_session();
    let (events, set_events) = signal(Fetched::<Vec<AuthEventView>>::Loading);
    let (loading, set_loading) = signal(false);
    let (version, set_version) = signal(0_u32);
    // Only the answer to the latest request is shown: an older one arriving
    // late would hide newer events.
    let latest = StoredValue::new(0_u32);

    Effect::new(move || {
        version.track();
        reload_on.track();
        let ticket = latest.get_value().wrapping_add(1);
        latest.set_value(ticket);
        set_loading.set(true);
        spawn_local(async move {
            let answer = api::list_events(EVENTS_SHOWN).await;
            let why = refusal(&answer);
            let next = Fetched::from_answer(answer, session);
            // The page may have gone meanwhile.
            if latest.try_get_value() == Some(ticket) {
                if why.is_some() {
                    refused.set(why);
                } else {
                    set_events.set(next);
                }
                set_loading.set(false);
            }
        });
    });

    view! {
        <section class="card card-wide" aria-labelledby="events-heading">
            <div class="card-head">
                <h2 id="events-heading">"Recent auth events"</h2>
                <BusyButton
                    label="Reload"
                    busy_label="Reloading…"
                    busy=loading
                    on_press=Callback::new(move |()| set_version.update(|version| *version += 1))
                    test_id="events-reload"
                />
            </div>
            {move || {
                events
                    .get()
                    .show("Loading events…", Some("events-error"), |rows| view! { <EventRows rows/> }.into_any())
            }}
        </section>
    }
}

/// A dash for what an event does not carry.
fn or_dash(value: Option<String>) -> String {
    value.filter(|value| !value.is_empty()).unwrap_or_else(|| "—".to_owned())
}

#[component]
fn EventRows(rows: Vec<AuthEventView>) -> impl IntoView {
    let count = rows.len();
    let caption = match count {
        0 => "No events yet".to_owned(),
        1 => "1 event".to_owned(),
        n if n >= EVENTS_SHOWN as usize => format!("The latest {n} events, newest first"),
        n => format!("{n} events, newest first"),
    };
    view! {
        <div class="table-scroll" role="region" aria-labelledby="events-heading" tabindex="0">
            <table class="data-table events-table stacked" data-testid="events">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Event"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"IP address"</th>
                        <th scope="col">"Device"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|event| {
                            let AuthEventView { id, at, kind, user_id, email, ip, user_agent, detail, .. } = event;
                            let device = user_agent.as_deref().map(|agent| describe_user_agent(Some(agent)));
                            let kind_attr = kind.clone();
                            view! {
                                <tr data-testid="event-row" data-kind=kind_attr data-event-id=id.to_string()>
                                    <td class="nowrap" data-label="Time">
                                        <time datetime=iso_utc(at)>{date_time(at)}</time>
                                    </td>
                                    <td data-label="Event">
                                        <code class="event-kind">{kind}</code>
                                    </td>
                                    // Who it concerns: the email, or the id when
                                    // there is no account to name.
                                    <td class="email" data-label="User">{or_dash(email.or(user_id))}</td>
                                    <td class="nowrap" data-label="IP address">{or_dash(ip)}</td>
                                    <td title=user_agent data-label="Device">{or_dash(device)}</td>
                                    <td data-label="Detail">{or_dash(detail)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_event_fields_show_a_dash() {
        assert_eq!(or_dash(None), "—");
        assert_eq!(or_dash(Some(String::new())), "—");
        assert_eq!(or_dash(Some("127.0.0.1".to_owned())), "127.0.0.1");
    }
}
