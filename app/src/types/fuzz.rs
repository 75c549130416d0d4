//! Properties of [`Credentials`] parsing over generated JSON and bytes
//! (proptest), moved here from the server's `tests/fuzz.rs`: a body parses
//! exactly when it is `{email, password}` (or the `[email, password]` pair
//! serde also accepts), the password never reaches `Debug`, and no input
//! panics.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::contextualize_config;
use serde_json::Value;

use super::Credentials;

/// Cases a property (unless `PROPTEST_CASES` says otherwise).
const CASES: u32 = 256;

/// `CASES` cases, no regression files, bounded shrinking.
/// `PROPTEST_CASES=0` is refused: it would pass every property without
/// checking anything.
fn config() -> ProptestConfig {
    let config = contextualize_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 4096,
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    });
    assert!(config.cases > 0, "PROPTEST_CASES=0 would check nothing; set it to at least 1");
    config
}

/// Any string up to `max` chars: every Unicode scalar, controls and NUL too.
fn text(max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(|chars| chars.into_iter().collect()).boxed()
}

/// Field names worth hitting, and anything else.
fn json_key() -> BoxedStrategy<String> {
    const KEYS: &[&str] =
        &["email", "password", "current_password", "new_password", "roles", "id", "admin", "__proto__", ""];
    prop_oneof![2 => select(KEYS).prop_map(str::to_owned), 1 => text(12)].boxed()
}

fn json_number() -> BoxedStrategy<Value> {
    const INTS: &[i64] = &[i64::MIN, -1, 0, 1, i64::MAX];
    const BIG: &[u64] = &[1 << 63, u64::MAX];
    const FLOATS: &[f64] = &[f64::MAX, f64::MIN_POSITIVE, -0.0, 1e300, 0.5];
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(INTS).prop_map(Value::from),
        select(BIG).prop_map(Value::from),
        select(FLOATS).prop_map(Value::from),
    ]
    .boxed()
}

/// Any JSON value: null, booleans, numbers, strings, arrays and objects.
fn arb_json() -> BoxedStrategy<Value> {
    const STRINGS: &[&str] =
        &["", "null", "user", "admin", "a@b.c", "\u{0}", "' OR '1'='1", "%00", "../..", "\u{202e}", "💥", "\\u0000"];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        text(24).prop_map(Value::String),
        select(STRINGS).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(json_key(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

/// An object of `extra` fields, then `fields` (absent when `None`).
fn object(extra: BTreeMap<String, Value>, fields: Vec<(&str, Option<Value>)>) -> Value {
    let mut map: serde_json::Map<String, Value> = extra.into_iter().collect();
    for (name, value) in fields {
        if let Some(value) = value {
            map.insert(name.to_owned(), value);
        }
    }
    Value::Object(map)
}

fn extra_fields() -> BoxedStrategy<BTreeMap<String, Value>> {
    prop::collection::btree_map(json_key(), arb_json(), 0..3).boxed()
}

fn plausible_email() -> BoxedStrategy<String> {
    " {0,2}[A-Za-z0-9._+-]{1,16}@[A-Za-z0-9.-]{1,12}\\.[a-z]{2,6} {0,2}".boxed()
}

/// `{email, password}` objects, each field often plausible, sometimes
/// missing or of the wrong type.
fn credentials_objects() -> BoxedStrategy<Value> {
    let samples = ["a@b.c", " A@Example.COM ", "x@y", "@", "a@b@c", "a@.b", "\u{0}@x.y"].map(String::from).to_vec();
    let email = prop_oneof![
        3 => plausible_email().prop_map(Value::String),
        1 => select(samples).prop_map(Value::String),
        1 => text(60).prop_map(Value::String),
        1 => arb_json(),
    ];
    let password = prop_oneof![
        3 => "[ -~]{0,24}".prop_map(Value::String),
        1 => text(40).prop_map(Value::String),
        1 => "[a-z]{1020,1030}".prop_map(Value::String),
        1 => arb_json(),
    ];
    (extra_fields(), prop::option::weighted(0.9, email), prop::option::weighted(0.9, password))
        .prop_map(|(extra, email, password)| object(extra, vec![("email", email), ("password", password)]))
        .boxed()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn credentials_parse_exactly_well_shaped_bodies(
        value in prop_oneof![credentials_objects(), arb_json()],
        cut in any::<Index>(),
    ) {
        let bytes = serde_json::to_vec(&value).expect("a JSON value serialises");
        let parsed = serde_json::from_slice::<Credentials>(&bytes).ok();
        let as_object = match (value.get("email"), value.get("password")) {
            (Some(Value::String(email)), Some(Value::String(password))) if value.is_object() => {
                Some((email.clone(), password.clone()))
            }
            _ => None,
        };
        let as_pair = match value.as_array().map(Vec::as_slice) {
            Some([Value::String(email), Value::String(password)]) => Some((email.clone(), password.clone())),
            _ => None,
        };
        let got = parsed.as_ref().map(|c| (c.email.clone(), c.password.clone()));
        if as_object.is_some() {
            prop_assert_eq!(&got, &as_object, "a well-shaped object was not parsed as given");
        }
        if let Some(credentials) = &parsed {
            prop_assert!(
                got == as_object || got == as_pair,
                "parsed a body that is not {{email, password}}: {value}"
            );
            // The password never reaches a Debug line.
            prop_assert_eq!(
                format!("{credentials:?}"),
                format!("Credentials {{ email: {:?}, password: \"<redacted>\" }}", credentials.email)
            );
        }
        // A prefix of the text never parses to something else, nor panics.
        let prefix = &bytes[..cut.index(bytes.len().max(1)).min(bytes.len())];
        if let Ok(credentials) = serde_json::from_slice::<Credentials>(prefix) {
            prop_assert_eq!(Some(credentials), parsed);
        }
    }

    #[test]
    fn credentials_parsing_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<Credentials>(&bytes);
    }
}
