//! One-time codes: TOTP (RFC 6238: HMAC-SHA1, 30-second steps, six
//! digits, one step of drift either way, through `totp-rs`), recovery codes,
//! and the enrolment QR code drawn as SVG (`qrcode`).
//!
//! Which step a code matched is returned, not just "valid": a code is
//! accepted once, so the caller records the step and refuses it (and every
//! earlier one) afterwards (`store::mfa::accept_totp_step`).

use rand::{Rng, RngCore, rngs::OsRng};
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

/// Bytes of a TOTP secret: 160 bits, RFC 4226's recommendation.
pub const SECRET_BYTES: usize = 20;
/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code, without the dash: 10 from a 32-letter
/// alphabet, 50 bits each (a SHA-256 of it is plenty at rest).
const RECOVERY_LEN: usize = 10;
/// No 0/O, 1/I/L: codes are read off paper.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A fresh random TOTP secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> anyhow::Result<Totp> {
    Builder::new()
        .with_secret(Secret::from(secret))
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
        .map_err(|err| anyhow::anyhow!("building the TOTP: {err}"))
}

/// The secret as base32, as authenticator apps take it typed in.
pub fn secret_text(secret: &[u8]) -> String {
    Secret::from(secret).to_base32()
}

/// The `otpauth://totp/…` URI an authenticator app scans.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> anyhow::Result<String> {
    totp(secret, issuer, account)?.to_url().map_err(|err| anyhow::anyhow!("the otpauth URI: {err}"))
}

/// The time step `code` is valid for at Unix time `now` (the current step
/// or one either side), or `None`. Spaces in the code are ignored (apps
/// show `123 456`); anything but six digits never matches.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let totp = totp(secret, "-", "-").ok()?;
    let now = u64::try_from(now).ok()?;
    totp.check(&code, now).and_then(|step| i64::try_from(step).ok())
}

/// The code for Unix time `at` (tests and the command line's self-check).
pub fn code_at(secret: &[u8], at: i64) -> String {
    totp(secret, "-", "-").map(|t| t.generate(at.max(0) as u64).to_string()).unwrap_or_default()
}

/// A QR code of `text` as an SVG document, black on white, with the quiet
/// zone the standard asks for.
pub fn qr_svg(text: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|err| anyhow::anyhow!("the QR code: {err}"))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

/// Ten new recovery codes, `xxxxx-xxxxx`.
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..RECOVERY_LEN)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &chars[..RECOVERY_LEN / 2], &chars[RECOVERY_LEN / 2..])
        })
        .collect()
}

/// How a recovery code is stored: SHA-256 (hex) of the user id and the
/// code as typed, folded (case, dashes and spaces ignored), so the same
/// code of two users never hashes alike. `None` for input that cannot be a
/// code, so it is never looked up.
pub fn recovery_hash(user_id: &str, typed: &str) -> Option<String> {
    let folded: String =
        typed.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')).flat_map(char::to_lowercase).collect();
    if folded.len() != RECOVERY_LEN || !folded.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        return None;
    }
    let digest = Sha256::new().chain_update(user_id.as_bytes()).chain_update([0]).chain_update(folded).finalize();
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, truncated to six digits.
    #[test]
    fn codes_match_the_rfc_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924")] {
            assert_eq!(code_at(secret, time), code);
            assert_eq!(matching_step(secret, code, time), Some(time / 30));
        }
    }

    #[test]
    fn one_step_of_drift_either_way_and_no_more() {
        let secret = new_secret();
        let now = 1_800_000_015;
        for offset in [-30, 0, 30] {
            assert!(matching_step(&secret, &code_at(&secret, now + offset), now).is_some(), "{offset}");
        }
        for offset in [-60, 60, 90] {
            assert_eq!(matching_step(&secret, &code_at(&secret, now + offset), now), None, "{offset}");
        }
    }

    #[test]
    fn junk_never_matches() {
        let secret = new_secret();
        for junk in ["", "12345", "1234567", "+12345", "abcdef", "１２３４５６", "-12345"] {
            assert_eq!(matching_step(&secret, junk, 1_800_000_000), None, "{junk:?}");
        }
        assert!(matching_step(&secret, &code_at(&secret, 1_800_000_000).replacen("", " ", 1), 1_800_000_000).is_some());
    }

    #[test]
    fn recovery_codes_fold_and_refuse_junk() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let code = &codes[0];
        let hash = recovery_hash("u1", code).expect("a made code hashes");
        assert_eq!(recovery_hash("u1", &code.to_uppercase().replace('-', " ")), Some(hash.clone()));
        assert_ne!(recovery_hash("u2", code), Some(hash));
        for junk in ["", "abcde", "abcde-fghi0", "abcde-fghijk", "ééééé-ééééé"] {
            assert_eq!(recovery_hash("u1", junk), None, "{junk:?}");
        }
    }

    #[test]
    fn the_qr_code_is_an_svg_document() {
        let svg = qr_svg("otpauth://totp/x:y?secret=ABC").expect("draws");
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("</svg>"));
    }
}
