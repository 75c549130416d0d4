//! The app's page paths and the one way to build links between them: the
//! server's redirects and the browser's navigation both use these.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::SignOutReason;

/// The dashboard (signed in only).
pub const HOME: &str = "/";
/// Sign-in.
pub const LOGIN: &str = "/login";
/// Registration.
pub const REGISTER: &str = "/register";
/// Users and the audit log (role `admin` only).
pub const ADMIN: &str = "/admin";
/// Two-step verification: the authenticator app and recovery codes
/// (signed in only). An account that must have a second factor and has
/// none yet is sent here from every other signed-in page.
pub const SECURITY: &str = "/security";
/// "Forgot your password?": asks for the address to mail a reset link to.
pub const FORGOT: &str = "/forgot";
/// The page a password-reset link opens (`?token=…`).
pub const RESET: &str = "/reset";
/// The page an email-verification link opens (`?token=…`).
pub const VERIFY: &str = "/verify";
/// The page the confirmation of an email change opens (`?token=…`).
pub const CONFIRM_EMAIL: &str = "/confirm-email";
/// The page the undo of an email change opens (`?token=…`).
pub const UNDO_EMAIL: &str = "/undo-email";
/// Pages opened from a mailed link: their address holds a token.
pub const LINK_PAGES: &[&str] = &[RESET, VERIFY, CONFIRM_EMAIL, UNDO_EMAIL];
/// The resume hop: rotates the refresh cookie (sent only under
/// `/api/auth`) and returns to `next`.
pub const RESUME: &str = "/api/auth/resume";
/// Pages that need a signed-in user; the rest render for anyone.
pub const PROTECTED: &[&str] = &[HOME, ADMIN, SECURITY];

/// Everything but the unreserved characters is escaped in a query value;
/// `/` stays, so a path reads as one.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');
/// … and in one path segment, `/` too.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `value` percent-encoded for a query string.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// `value` percent-encoded as one path segment (an id from the server).
pub fn encode_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// True for a path on this site: it starts with one `/`, and has no
/// backslash or control character a browser might read as another host.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.chars().any(char::is_control)
}

/// `next` if it is a path on this site, else [`HOME`]: an open redirect
/// through `?next=https://evil.example` must not be possible.
pub fn local_path(next: Option<&str>) -> String {
    next.filter(|path| is_local_path(path)).unwrap_or(HOME).to_owned()
}

/// [`LOGIN`], with `reason` (why the session ended) and `next` (where to
/// return) when they say something.
pub fn login_href(reason: Option<SignOutReason>, next: &str) -> String {
    let mut query = Vec::new();
    if let Some(reason) = reason {
        query.push(format!("reason={}", reason.as_str()));
    }
    if next != HOME && is_local_path(next) {
        query.push(format!("next={}", encode_query_value(next)));
    }
    if query.is_empty() { LOGIN.to_owned() } else { format!("{LOGIN}?{}", query.join("&")) }
}

/// [`RESUME`], returning to `next`.
pub fn resume_href(next: &str) -> String {
    format!("{RESUME}?next={}", encode_query_value(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_link_carries_the_reason_and_the_way_back() {
        assert_eq!(login_href(None, "/"), "/login");
        assert_eq!(login_href(Some(SignOutReason::Revoked), "/"), "/login?reason=revoked");
        assert_eq!(login_href(Some(SignOutReason::Expired), "/admin?x=1"), "/login?reason=expired&next=/admin%3Fx%3D1");
        assert_eq!(login_href(None, "https://evil.example"), "/login");
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/admin?x=1")), "/admin?x=1");
        assert!(is_local_path("/"));
        for bad in ["", "admin", "https://evil.example", "//evil.example", "/\\evil", "/a\nb"] {
            assert!(!is_local_path(bad), "{bad:?}");
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(encode_query_value("/admin?x=1&y"), "/admin%3Fx%3D1%26y");
        assert_eq!(resume_href("/a b"), "/api/auth/resume?next=/a%20b");
        assert_eq!(encode_segment("a/b?c"), "a%2Fb%3Fc");
        assert_eq!(encode_segment("é"), "%C3%A9");
    }
}
