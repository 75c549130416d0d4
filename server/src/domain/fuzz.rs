//! Properties of [`Email`], [`NewPassword`] and [`Roles`] over generated
//! input (proptest), moved here from `tests/fuzz.rs`: each parser accepts
//! exactly what the contract documents, and keeps what it accepts.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::contextualize_config;

use super::{Email, NewPassword, Roles};

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

fn plausible_email() -> BoxedStrategy<String> {
    " {0,2}[A-Za-z0-9._+-]{1,16}@[A-Za-z0-9.-]{1,12}\\.[a-z]{2,6} {0,2}".boxed()
}

fn email_inputs() -> BoxedStrategy<String> {
    prop_oneof![
        2 => text(300),
        2 => plausible_email(),
        1 => "[ A-Za-z0-9.@_+\t-]{0,40}",
        1 => (text(12), text(12)).prop_map(|(local, domain)| format!("{local}@{domain}")),
        1 => "[a-z]{250,260}@b\\.c",
    ]
    .boxed()
}

fn password_inputs() -> BoxedStrategy<String> {
    prop_oneof![
        2 => text(20),
        1 => prop::collection::vec(any::<char>(), 1015..=1030).prop_map(|chars| chars.into_iter().collect()),
        1 => "[a-z]{6,10}",
        1 => text(1100),
    ]
    .boxed()
}

/// The role rules of the contract, written out independently: 1 to 16
/// names of `[a-z][a-z0-9_-]{0,31}` once duplicates are collapsed.
fn role_rules(raw: &[String]) -> Option<Vec<String>> {
    let mut roles: Vec<String> = Vec::new();
    for role in raw {
        let mut chars = role.chars();
        let well_formed = role.len() <= 32
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !well_formed {
            return None;
        }
        if !roles.contains(role) {
            roles.push(role.clone());
        }
    }
    (1..=16).contains(&roles.len()).then_some(roles)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn emails_are_accepted_only_in_the_documented_shape(raw in email_inputs()) {
        if let Ok(email) = Email::parse(&raw) {
            let email = email.as_str();
            prop_assert_eq!(email, raw.trim().to_lowercase());
            prop_assert!(!email.is_empty() && email.len() <= 254);
            prop_assert!(!email.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert_eq!(email.matches('@').count(), 1);
            let (local, domain) = email.split_once('@').expect("one @");
            prop_assert!(!local.is_empty() && !domain.is_empty());
            prop_assert!(!domain.starts_with('.') && !domain.ends_with('.'));
            // What was stored parses to itself (logging in with it works).
            let again = Email::parse(email).ok().map(|e| e.as_str().to_owned());
            prop_assert_eq!(again.as_deref(), Some(email));
        }
    }

    #[test]
    fn well_formed_emails_in_any_case_with_spaces_around_parse_to_the_trimmed_lower_cased_input(
        email in "[a-z0-9]{1,16}@[a-z0-9]{1,12}\\.[a-z]{2,6}",
        // One flag per char: at most 16 + 1 + 12 + 1 + 6 = 36 of them.
        upper in prop::collection::vec(any::<bool>(), 36),
        (before, after) in (" {0,3}", " {0,3}"),
    ) {
        let cased: String =
            email.chars().zip(&upper).map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c }).collect();
        let raw = format!("{before}{cased}{after}");
        let expected = raw.trim().to_lowercase();
        prop_assert_eq!(&expected, &email, "the strategy's own arithmetic");
        let parsed = Email::parse(&raw).ok().map(|parsed| parsed.as_str().to_owned());
        prop_assert_eq!(parsed, Some(expected), "{:?} was refused or changed", raw);
    }

    #[test]
    fn passwords_are_accepted_iff_8_to_1024_chars_and_kept_verbatim(raw in password_inputs()) {
        let chars = raw.chars().count();
        match NewPassword::parse(raw.clone()) {
            Ok(password) => {
                prop_assert!((8..=1024).contains(&chars), "{chars} chars accepted");
                prop_assert_eq!(password.into_inner(), raw);
            }
            Err(_) => prop_assert!(!(8..=1024).contains(&chars), "{chars} chars refused"),
        }
    }

    #[test]
    fn roles_follow_the_documented_rules(
        raw in prop_oneof![
            prop::collection::vec(
                prop_oneof![
                    "[a-z][a-z0-9_-]{0,31}",
                    "[a-z][a-z0-9_-]{30,33}",
                    select(vec!["user", "admin"]).prop_map(str::to_owned),
                    text(8),
                ],
                0..20,
            ),
            prop::collection::vec(select(vec!["a", "b", "c", "user"]).prop_map(str::to_owned), 0..20),
        ],
    ) {
        let parsed = Roles::parse(&raw).map(|roles| roles.as_slice().to_vec()).ok();
        prop_assert_eq!(parsed, role_rules(&raw));
    }
}
