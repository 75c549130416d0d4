//! Access tokens: EdDSA-signed JWTs with `typ: at+jwt` and a `kid`.
//!
//! Verification is strict where jsonwebtoken's defaults are lax: the
//! algorithm is pinned, `iss`/`aud`/`exp`/`nbf`/`iat`/`sub` are required and
//! checked with a small leeway, and headers that point elsewhere for keys
//! (`jku`, `jwk`, `x5u`, `x5c`) or demand extensions (`crit`) are refused.
//! Times are integers: a string or float claim fails to deserialise.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::{KeySet, LEEWAY_SECS};
use crate::config::Config;

/// A token longer than this is junk; refuse it before parsing.
const MAX_TOKEN_LEN: usize = 4096;
const TYP: &str = "at+jwt";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// Not one of the contract's claims: ours carry it so `GET /api/me`
    /// needs no database read; a token without it is still valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub roles: Vec<String>,
    /// The user's authorisation version at issue (see `users.authz_version`):
    /// a role change bumps it and older tokens are refused. Absent means 0.
    #[serde(default)]
    pub ver: i64,
    /// When the user last proved themselves in this session (OIDC
    /// `auth_time`); refresh carries it over unchanged. Absent means 0:
    /// never fresh enough for a sensitive action.
    #[serde(default)]
    pub auth_time: i64,
    /// How they did (RFC 8176 values: `pwd`, `otp`, `hwk`, `swk`, `mfa`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// RFC 7800 confirmation: present when the session is bound to a
    /// device key (DBSC), naming it by its RFC 7638 thumbprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// The `cnf` claim of a device-bound session's token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The device key's JWK thumbprint (SHA-256, base64url).
    pub jkt: String,
}

/// Why a token was refused. Only logged at debug level; clients see 401.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("forbidden header: {0}")]
    Header(&'static str),
    #[error("unknown key id")]
    UnknownKid,
    #[error("issued in the future")]
    IssuedInFuture,
    #[error("lives longer than any token this server issues")]
    Lifetime,
    #[error(transparent)]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// Whom a token is for.
pub struct Subject<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
    pub email: &'a str,
    pub roles: &'a [String],
    pub authz_version: i64,
    pub auth_time: i64,
    pub amr: &'a [String],
    /// The thumbprint of the device key the session is bound to.
    pub binding_jkt: Option<&'a str>,
}

/// Signs and verifies access tokens with the server's keys.
pub struct AccessTokens {
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: i64,
}

impl AccessTokens {
    pub fn new(config: &Config) -> Self {
        super::jwt_crypto::install();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY_SECS as u64;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Self {
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl_secs: config.access_ttl_secs,
        }
    }

    /// Signs a token for a session. Its life is the configured TTL, cut short
    /// so it never outlives the session's absolute limit.
    pub fn issue(
        &self,
        keys: &KeySet,
        subject: &Subject<'_>,
        now: i64,
        session_ends_at: i64,
    ) -> Result<(String, AccessClaims), TokenError> {
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.user_id.to_owned(),
            sid: subject.session_id.to_owned(),
            email: Some(subject.email.to_owned()),
            roles: subject.roles.to_vec(),
            ver: subject.authz_version,
            auth_time: subject.auth_time,
            amr: subject.amr.to_vec(),
            cnf: subject.binding_jkt.map(|jkt| Confirmation { jkt: jkt.to_owned() }),
            iat: now,
            nbf: now,
            exp: (now + self.ttl_secs).min(session_ends_at),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TYP.into());
        header.kid = Some(keys.current_kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &keys.encoding)?;
        Ok((token, claims))
    }

    /// Verifies a token and returns its claims.
    pub fn verify(&self, keys: &KeySet, token: &str, now: i64) -> Result<AccessClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN || token.split('.').count() != 3 {
            return Err(TokenError::Malformed);
        }
        // RFC 7519 §7.2: the claims set is UTF-8 JSON. serde_json skips the
        // claims we do not read without looking inside them, so invalid
        // bytes there would pass unless refused here.
        let payload = token.split('.').nth(1).ok_or(TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?;
        if std::str::from_utf8(&payload).is_err() {
            return Err(TokenError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Header("alg"));
        }
        if header.typ.as_deref() != Some(TYP) {
            return Err(TokenError::Header("typ"));
        }
        if header.crit.is_some() {
            return Err(TokenError::Header("crit"));
        }
        if header.jku.is_some() || header.jwk.is_some() || header.x5u.is_some() || header.x5c.is_some() {
            return Err(TokenError::Header("key location"));
        }
        let kid = header.kid.as_deref().ok_or(TokenError::UnknownKid)?;
        let key = keys.verifying_key(kid).ok_or(TokenError::UnknownKid)?;
        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)?;
        if data.claims.iat > now + LEEWAY_SECS {
            return Err(TokenError::IssuedInFuture);
        }
        // Ours never outlive the access TTL; a longer one (an `exp` near
        // 2^63, say) was not minted here, whatever its signature says.
        if data.claims.exp.saturating_sub(data.claims.iat) > self.ttl_secs + LEEWAY_SECS {
            return Err(TokenError::Lifetime);
        }
        Ok(data.claims)
    }
}
