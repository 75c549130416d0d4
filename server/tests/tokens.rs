//! Access-token verification: the server signs with a key the test made, so
//! the test can mint tokens that are valid in every way but one, and each
//! must be refused with `401 unauthenticated` (never a 5xx). A control token,
//! valid in every way, is checked first in each test so that a refusal means
//! the one flaw was caught.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use tempfile::TempDir;

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "https://audience.test";

/// A server signing with a key the test holds, and a user to mint for.
struct Forge {
    app: TestApp,
    /// Holds the key file; kept alive for the server's lifetime.
    _key_dir: TempDir,
    /// The signing key as PKCS#8 DER (what the server's PEM file holds).
    key_der: Vec<u8>,
    /// The public key, raw 32 bytes.
    public_key: [u8; 32],
    kid: String,
    user: User,
}

fn generate_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

fn pkcs8_der(key: &SigningKey) -> Vec<u8> {
    key.to_pkcs8_der().expect("encode the key as PKCS#8").as_bytes().to_vec()
}

impl Forge {
    async fn start() -> Forge {
        let key = generate_key();
        let pem = key.to_pkcs8_pem(Default::default()).expect("encode the key as PKCS#8 PEM");
        let key_dir = tempfile::tempdir().expect("a temp dir for the key");
        let key_path = key_dir.path().join("signing-key.pem");
        std::fs::write(&key_path, pem.as_bytes()).expect("write the key file");
        let key_path = key_path.to_str().expect("a UTF-8 temp path").to_owned();
        let app = TestApp::spawn_with(&[
            ("AUTH_SIGNING_KEY_FILE", key_path.as_str()),
            ("AUTH_ISSUER", ISSUER),
            ("AUTH_AUDIENCE", AUDIENCE),
        ])
        .await;
        let public_key = key.verifying_key().to_bytes();
        let x = URL_SAFE_NO_PAD.encode(public_key);
        let jwks = app.jwks().await;
        let kid = jwks["keys"]
            .as_array()
            .expect("a keys array")
            .iter()
            .find(|jwk| jwk["x"] == json!(x))
            .and_then(|jwk| jwk["kid"].as_str())
            .unwrap_or_else(|| panic!("the JWKS publishes the configured key: {jwks}"))
            .to_owned();
        let user = app.new_user().await;
        let forge = Forge { app, _key_dir: key_dir, key_der: pkcs8_der(&key), public_key, kid, user };
        // The control: a token valid in every way is accepted.
        let control = forge.sign(&forge.header(), &forge.claims());
        let response = forge.me_with(&control).await;
        assert_status(&response, 200);
        forge
    }

    /// A correct header: EdDSA, `typ: at+jwt`, the published kid.
    fn header(&self) -> Header {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".to_owned());
        header.kid = Some(self.kid.clone());
        header
    }

    /// Correct claims for the user's live session.
    fn claims(&self) -> Value {
        let now = now();
        json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": self.user.info.user.id,
            "sid": self.user.info.session_id,
            "roles": self.user.info.user.roles,
            "iat": now - 1,
            "nbf": now - 1,
            "exp": now + 600,
            "jti": uuid::Uuid::new_v4().to_string(),
        })
    }

    /// Correct claims with one member replaced.
    fn claims_with(&self, name: &str, value: Value) -> Value {
        let mut claims = self.claims();
        claims[name] = value;
        claims
    }

    /// Signs with the server's key.
    fn sign(&self, header: &Header, claims: &Value) -> String {
        sign_with_der(&self.key_der, header, claims)
    }

    async fn me_with(&self, token: &str) -> Response {
        self.app.me(&self.app.jar_with_access(token)).await
    }

    /// Asserts that the token is refused as `401 unauthenticated`.
    async fn assert_refused(&self, token: &str) {
        let response = self.me_with(token).await;
        assert_error(&response, 401, "unauthenticated");
        let session = self.app.session(&self.app.jar_with_access(token)).await;
        assert_error(&session, 401, "unauthenticated");
    }
}

fn sign_with_der(der: &[u8], header: &Header, claims: &Value) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_ed_der(der)).expect("sign the token")
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("serialise JSON"))
}

fn decode_part(part: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("a base64url JWT part");
    serde_json::from_slice(&bytes).expect("a JSON JWT part")
}

#[tokio::test]
async fn a_token_minted_with_the_configured_key_is_accepted() {
    // Arrange
    let forge = Forge::start().await;
    let token = forge.sign(&forge.header(), &forge.claims());

    // Act
    let me = forge.me_with(&token).await;
    let session = forge.app.session(&forge.app.jar_with_access(&token)).await;

    // Assert
    assert_status(&me, 200);
    assert_status(&session, 200);
    assert_eq!(session.session_info().session_id, forge.user.info.session_id);
}

#[tokio::test]
async fn the_issued_access_token_is_an_eddsa_at_jwt_with_the_contract_claims() {
    // Arrange
    let forge = Forge::start().await;
    let token = forge.app.access_token(&forge.user.jar);

    // Act
    let parts: Vec<&str> = token.split('.').collect();
    let header = decode_part(parts[0]);
    let key = DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(forge.public_key))
        .expect("a decoding key from the JWKS x");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    let verified = jsonwebtoken::decode::<Value>(&token, &key, &validation);

    // Assert
    assert_eq!(parts.len(), 3);
    assert_eq!(header["alg"], json!("EdDSA"));
    assert_eq!(header["typ"], json!("at+jwt"));
    assert_eq!(header["kid"], json!(forge.kid));
    let claims = verified.expect("the token verifies with the published key").claims;
    assert_eq!(claims["iss"], json!(ISSUER));
    assert_eq!(claims["aud"], json!(AUDIENCE));
    assert_eq!(claims["sub"], json!(forge.user.info.user.id));
    assert_eq!(claims["sid"], json!(forge.user.info.session_id));
    assert_eq!(claims["roles"], json!(["user"]));
    assert!(!claims["jti"].as_str().unwrap_or_default().is_empty());
    for name in ["iat", "nbf", "exp"] {
        assert!(claims[name].is_i64() || claims[name].is_u64(), "{name} is an integer: {claims}");
    }
    let iat = claims["iat"].as_i64().expect("integer iat");
    let exp = claims["exp"].as_i64().expect("integer exp");
    assert_eq!(exp - iat, DEFAULT_ACCESS_TTL);
    assert_eq!(exp, forge.user.info.access_expires_at);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let forge = Forge::start().await;
    let now = now();
    let mut claims = forge.claims();
    claims["iat"] = json!(now - 7200);
    claims["nbf"] = json!(now - 7200);
    claims["exp"] = json!(now - 3600);

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_not_valid_before_a_future_time_is_refused() {
    let forge = Forge::start().await;
    let claims = forge.claims_with("nbf", json!(now() + 3600));

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_refused() {
    let forge = Forge::start().await;
    let claims = forge.claims_with("iat", json!(now() + 3600));

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let forge = Forge::start().await;
    let claims = forge.claims_with("aud", json!("https://other-audience.test"));

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let forge = Forge::start().await;
    let claims = forge.claims_with("iss", json!("https://other-issuer.test"));

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_typed_jwt_instead_of_at_jwt_is_refused() {
    let forge = Forge::start().await;
    let mut header = forge.header();
    header.typ = Some("JWT".to_owned());

    let token = forge.sign(&header, &forge.claims());

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_without_a_typ_is_refused() {
    let forge = Forge::start().await;
    let mut header = forge.header();
    header.typ = None;

    let token = forge.sign(&header, &forge.claims());

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_with_a_tampered_payload_is_refused() {
    // Arrange
    let forge = Forge::start().await;
    let token = forge.sign(&forge.header(), &forge.claims());
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = decode_part(parts[1]);
    payload["roles"] = json!(["user", "admin"]);
    payload["exp"] = json!(now() + 86_400);

    // Act
    let tampered = format!("{}.{}.{}", parts[0], b64_json(&payload), parts[2]);

    // Assert
    forge.assert_refused(&tampered).await;
    let admin = forge.app.get("/api/admin/users", &forge.app.jar_with_access(&tampered)).await;
    assert_error(&admin, 401, "unauthenticated");
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    // Arrange
    let forge = Forge::start().await;
    let header = json!({ "alg": "none", "typ": "at+jwt", "kid": forge.kid });

    // Act
    let token = format!("{}.{}.", b64_json(&header), b64_json(&forge.claims()));

    // Assert
    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_with_an_unknown_kid_is_refused() {
    let forge = Forge::start().await;
    let mut header = forge.header();
    header.kid = Some(format!("unknown-{}", uuid::Uuid::new_v4().simple()));

    let token = forge.sign(&header, &forge.claims());

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_signed_by_another_key_under_the_published_kid_is_refused() {
    let forge = Forge::start().await;
    let other_key = pkcs8_der(&generate_key());

    let token = sign_with_der(&other_key, &forge.header(), &forge.claims());

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_is_refused() {
    // Arrange: the classic algorithm-confusion attack.
    let forge = Forge::start().await;
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".to_owned());
    header.kid = Some(forge.kid.clone());

    // Act: signed by hand, as the server's JWT backend does EdDSA alone.
    let signing_input = format!(
        "{}.{}",
        b64_json(&serde_json::to_value(&header).expect("serialise the header")),
        b64_json(&forge.claims())
    );
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&forge.public_key).expect("an HMAC key");
    hmac::Mac::update(&mut mac, signing_input.as_bytes());
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(hmac::Mac::finalize(mac).into_bytes()));

    // Assert
    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_with_a_string_exp_is_refused() {
    let forge = Forge::start().await;
    let claims = forge.claims_with("exp", json!((now() + 600).to_string()));

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_with_a_float_exp_is_refused() {
    let forge = Forge::start().await;
    let claims = forge.claims_with("exp", json!((now() + 600) as f64 + 0.5));

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_with_a_crit_header_is_refused() {
    let forge = Forge::start().await;
    let mut header = forge.header();
    header.crit = Some(vec!["urn:example:must-understand".to_owned()]);

    let token = forge.sign(&header, &forge.claims());

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_with_a_jku_header_is_refused() {
    let forge = Forge::start().await;
    let mut header = forge.header();
    header.jku = Some("https://evil.example/jwks.json".to_owned());

    let token = forge.sign(&header, &forge.claims());

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_with_an_x5u_header_is_refused() {
    let forge = Forge::start().await;
    let mut header = forge.header();
    header.x5u = Some("https://evil.example/cert.pem".to_owned());

    let token = forge.sign(&header, &forge.claims());

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn a_token_with_an_embedded_jwk_header_is_refused_even_when_it_is_the_real_key() {
    let forge = Forge::start().await;
    let jwks = forge.app.jwks().await;
    let mut header = forge.header();
    header.jwk = Some(serde_json::from_value(jwks["keys"][0].clone()).expect("the published JWK parses"));

    let token = forge.sign(&header, &forge.claims());

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn tokens_with_malicious_kids_are_refused() {
    let forge = Forge::start().await;
    let kids = [
        "../../../../etc/passwd".to_owned(),
        "' OR '1'='1".to_owned(),
        "\u{0}".to_owned(),
        format!("{}\u{0}", forge.kid),
        forge.kid.to_uppercase(),
        "k".repeat(5000),
        String::new(),
    ];
    for kid in kids {
        let mut header = forge.header();
        header.kid = Some(kid);

        let token = forge.sign(&header, &forge.claims());

        forge.assert_refused(&token).await;
    }
}

#[tokio::test]
async fn tokens_with_exp_at_2_pow_63_are_refused() {
    let forge = Forge::start().await;
    // 2^63 does not fit the signed 64-bit claim; 2^63 - 1 does, but no token
    // of ours lives longer than the access TTL, so a far-future `exp` is
    // refused even under a valid signature.
    for exp in [json!(9_223_372_036_854_775_808_u64), json!(i64::MAX), json!(u64::MAX), json!(1e300)] {
        let token = forge.sign(&forge.header(), &forge.claims_with("exp", exp));

        forge.assert_refused(&token).await;
    }
}

#[tokio::test]
async fn a_token_living_longer_than_the_access_ttl_is_refused() {
    let forge = Forge::start().await;
    let claims = forge.claims_with("exp", json!(now() + DEFAULT_ACCESS_TTL + 3600));

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn tokens_with_times_as_strings_are_refused() {
    let forge = Forge::start().await;
    for claim in ["iat", "nbf"] {
        let claims = forge.claims_with(claim, json!((now() - 1).to_string()));

        let token = forge.sign(&forge.header(), &claims);

        forge.assert_refused(&token).await;
    }
}

#[tokio::test]
async fn a_well_signed_token_for_an_unknown_session_is_refused() {
    let forge = Forge::start().await;
    let claims = forge.claims_with("sid", json!(uuid::Uuid::new_v4().to_string()));

    let token = forge.sign(&forge.header(), &claims);

    forge.assert_refused(&token).await;
}

#[tokio::test]
async fn an_access_token_in_the_refresh_cookie_is_refused() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let mut swapped = app.jar_with_refresh(&app.access_token(&user.jar));

    // Act
    let response = app.refresh(&mut swapped).await;

    // Assert
    assert_error(&response, 401, "refresh_invalid");
    assert_clears_both_cookies(&app, &response);
    let mut jar = user.jar.clone();
    assert_status(&app.refresh(&mut jar).await, 200);
}

#[tokio::test]
async fn a_refresh_token_in_the_access_cookie_is_refused() {
    // Arrange
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let swapped = app.jar_with_access(&app.refresh_token(&user.jar));

    // Act
    let me = app.me(&swapped).await;
    let session = app.session(&swapped).await;

    // Assert
    assert_error(&me, 401, "unauthenticated");
    assert_error(&session, 401, "unauthenticated");
}

#[tokio::test]
async fn a_token_whose_claims_are_not_utf8_is_refused_even_in_a_claim_the_server_ignores() {
    // RFC 7519 §7.2: the claims set is UTF-8 JSON. Invalid bytes inside a
    // string the server never reads must not slip through.
    let forge = Forge::start().await;
    let mut payload = serde_json::to_vec(&forge.claims()).expect("serialise the claims");
    assert_eq!(payload.pop(), Some(b'}'));
    payload.extend_from_slice(b",\"note\":\"\xff\xfe\"}");
    let header = b64_json(&serde_json::to_value(forge.header()).expect("a header as JSON"));
    let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(&payload));
    let key = <SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_der(&forge.key_der).expect("the key");
    let signature = ed25519_dalek::Signer::sign(&key, signing_input.as_bytes());
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));

    forge.assert_refused(&token).await;
}
