//! Text for people: durations, times, user agents, passkey names, error
//! sentences. Small and dependency-free on purpose (no chrono, no regex in
//! the WASM).
//!
//! Times are shown in the browser's local time zone (read through JS
//! `Date`); the server, which renders none of these lists, falls back to UTC.

/// Turns a server message (`"wrong email or password"`) into a sentence.
pub fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let Some(first) = chars.next() else { return String::new() };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The refusal of a rate limit (`429`), with the wait from `Retry-After`.
pub fn too_many_attempts(retry_after_secs: Option<u64>) -> String {
    match retry_after_secs {
        Some(secs) => format!("Too many attempts, try again in {secs} s."),
        None => "Too many attempts, try again later.".to_owned(),
    }
}

/// `m:ss`, or `h:mm:ss` from an hour up.
pub fn clock_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (hours, minutes, seconds) = (secs / 3600, secs / 60 % 60, secs % 60);
    if hours > 0 { format!("{hours}:{minutes:02}:{seconds:02}") } else { format!("{minutes}:{seconds:02}") }
}

/// `2026-01-02T13:45:00Z`, for `<time datetime>`.
pub fn iso_utc(unix_secs: i64) -> String {
    let (year, month, day) = civil_from_days(unix_secs.div_euclid(86_400));
    let secs = unix_secs.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// A date and time to read: local in the browser, UTC on the server.
#[cfg(feature = "hydrate")]
pub fn date_time(unix_secs: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_secs as f64 * 1000.0));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

#[cfg(not(feature = "hydrate"))]
pub fn date_time(unix_secs: i64) -> String {
    let iso = iso_utc(unix_secs);
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

/// The local time of day `ms_from_now` from now (`14:03:12`), for display
/// only: scheduling never reads the wall clock. `None` on the server, which
/// does not know the visitor's time zone.
#[cfg(feature = "hydrate")]
pub fn local_time_in(ms_from_now: f64) -> Option<String> {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(js_sys::Date::now() + ms_from_now));
    Some(format!("{:02}:{:02}:{:02}", date.get_hours(), date.get_minutes(), date.get_seconds()))
}

#[cfg(not(feature = "hydrate"))]
pub fn local_time_in(_ms_from_now: f64) -> Option<String> {
    None
}

/// "Chrome on Linux" from a `User-Agent`; enough to tell sessions apart.
pub fn describe_user_agent(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return "Unknown device".to_owned();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name.to_owned())
    // Not a browser (curl/8.5, a mobile app): its product token.
    .unwrap_or_else(|| ua.split(['/', ' ']).next().unwrap_or(ua).chars().take(40).collect());
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name);
    match os {
        Some(os) => format!("{browser} on {os}"),
        None => browser,
    }
}

/// The name a new passkey starts with: this browser ("Chrome on Linux"),
/// so the list tells passkeys apart, or "Passkey" when the agent is unknown.
pub fn passkey_name_for(user_agent: Option<&str>) -> String {
    match user_agent.map(str::trim).filter(|ua| !ua.is_empty()) {
        Some(ua) => describe_user_agent(Some(ua)),
        None => "Passkey".to_owned(),
    }
}

/// This browser's `User-Agent`; `None` on the server, which renders as if
/// for no browser in particular.
#[cfg(feature = "hydrate")]
pub fn this_user_agent() -> Option<String> {
    web_sys::window().and_then(|window| window.navigator().user_agent().ok())
}

#[cfg(not(feature = "hydrate"))]
pub fn this_user_agent() -> Option<String> {
    None
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_become_sentences() {
        assert_eq!(sentence("wrong email or password"), "Wrong email or password.");
        assert_eq!(sentence("Done!"), "Done!");
        assert_eq!(sentence("  "), "");
    }

    #[test]
    fn a_rate_limit_says_how_long_to_wait_when_it_knows() {
        assert_eq!(too_many_attempts(Some(37)), "Too many attempts, try again in 37 s.");
        assert_eq!(too_many_attempts(None), "Too many attempts, try again later.");
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(clock_duration(0), "0:00");
        assert_eq!(clock_duration(298), "4:58");
        assert_eq!(clock_duration(3_725), "1:02:05");
        assert_eq!(clock_duration(-5), "0:00");
    }

    #[test]
    fn unix_times_format_as_utc() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(date_time(1_700_000_000), "2023-11-14 22:13 UTC");
    }

    #[test]
    fn user_agents_are_described_briefly() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36";
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0";
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";

        assert_eq!(describe_user_agent(Some(chrome)), "Chrome on Linux");
        assert_eq!(describe_user_agent(Some(edge)), "Edge on Windows");
        assert_eq!(describe_user_agent(Some(iphone)), "Safari on iOS");
        assert_eq!(describe_user_agent(Some("curl/8.5.0")), "curl");
        assert_eq!(describe_user_agent(None), "Unknown device");
        assert_eq!(describe_user_agent(Some(" ")), "Unknown device");
    }

    #[test]
    fn a_new_passkey_is_named_for_this_browser() {
        let firefox = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:120.0) Gecko/20100101 Firefox/120.0";

        assert_eq!(passkey_name_for(Some(firefox)), "Firefox on macOS");
        assert_eq!(passkey_name_for(None), "Passkey");
        assert_eq!(passkey_name_for(Some("  ")), "Passkey");
    }
}
