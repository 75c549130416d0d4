//! The tiny cookie jar: [`SetCookie`] parses one `Set-Cookie` header, and
//! [`Jar`] keeps cookies by name and sends each only to the paths its
//! `Path` matches, as a browser would.

use std::collections::BTreeMap;

use super::api::Response;

/// One parsed `Set-Cookie` header.
#[derive(Clone, Debug)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// Attribute names as sent, with their values (`None` for flags).
    pub attributes: Vec<(String, Option<String>)>,
    pub raw: String,
}

impl SetCookie {
    pub fn parse(raw: &str) -> Option<SetCookie> {
        let mut parts = raw.split(';');
        let (name, value) = parts.next()?.split_once('=')?;
        let attributes = parts
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| match part.split_once('=') {
                Some((key, value)) => (key.trim().to_owned(), Some(value.trim().to_owned())),
                None => (part.to_owned(), None),
            })
            .collect();
        Some(SetCookie {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
            attributes,
            raw: raw.to_owned(),
        })
    }

    /// `Some(value)` when the attribute is present (case-insensitive name).
    pub fn attribute(&self, key: &str) -> Option<Option<&str>> {
        self.attributes.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, value)| value.as_deref())
    }

    pub fn has(&self, key: &str) -> bool {
        self.attribute(key).is_some()
    }

    pub fn value_of(&self, key: &str) -> Option<&str> {
        self.attribute(key).flatten()
    }

    pub fn max_age(&self) -> Option<i64> {
        self.value_of("Max-Age")
            .map(|value| value.parse().unwrap_or_else(|_| panic!("Max-Age is not an integer: {}", self.raw)))
    }

    pub fn path(&self) -> Option<&str> {
        self.value_of("Path")
    }

    /// True when this header tells the browser to delete the cookie.
    pub fn is_removal(&self) -> bool {
        matches!(self.max_age(), Some(age) if age <= 0)
    }
}

/// Cookies by name, each with its Path; sent only to matching paths, like a
/// browser would.
#[derive(Clone, Debug, Default)]
pub struct Jar {
    cookies: BTreeMap<String, (String, String)>,
}

impl Jar {
    /// Takes the response's Set-Cookie headers: stores new values and drops
    /// the cookies it clears.
    pub fn absorb(&mut self, response: &Response) {
        for cookie in &response.set_cookies {
            if cookie.is_removal() {
                self.cookies.remove(&cookie.name);
            } else {
                let path = cookie.path().unwrap_or("/").to_owned();
                self.cookies.insert(cookie.name.clone(), (cookie.value.clone(), path));
            }
        }
    }

    /// This jar plus `name=value` for every path.
    pub fn with(mut self, name: &str, value: &str) -> Jar {
        self.set(name, value, "/");
        self
    }

    pub fn set(&mut self, name: &str, value: &str, path: &str) {
        self.cookies.insert(name.to_owned(), (value.to_owned(), path.to_owned()));
    }

    pub fn remove(&mut self, name: &str) {
        self.cookies.remove(name);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(|(value, _)| value.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// The `Cookie` header a browser would send to `request_path`.
    pub fn header_for(&self, request_path: &str) -> Option<String> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|(_, (_, path))| path_matches(path, request_path))
            .map(|(name, (value, _))| format!("{name}={value}"))
            .collect();
        if pairs.is_empty() { None } else { Some(pairs.join("; ")) }
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    let request_path = request_path.split('?').next().unwrap_or("");
    if request_path == cookie_path {
        return true;
    }
    request_path.starts_with(cookie_path)
        && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/'))
}
