//! The device-binding (DBSC) endpoints, called by the browser itself, never
//! by the page: registration of a device key, and the refresh of a bound
//! session's access cookie. Both sit under `/api/auth/` so the refresh
//! cookie comes along; both rotate it exactly as `POST /api/auth/refresh`
//! does (see `sessions::rotation`). `AUTH_DEVICE_BINDING=off`: both 404.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use tower_cookies::Cookies;
use uuid::Uuid;

use super::Routes;
use crate::{
    auth::{cookies, refresh::RefreshToken},
    binding::{
        self, REFRESH_PATH, REGISTER_PATH,
        challenge::Challenge,
        proof::{DeviceKey, Proof},
    },
    client::Client,
    error::ApiError,
    metrics::{BindingOutcome, RefreshOutcome},
    sessions::{self, Device, Issued},
    state::AppState,
    store,
};

pub fn routes() -> Routes {
    let under_api = |path: &'static str| path.strip_prefix("/api").expect("binding paths are under /api");
    Routes::default().post(under_api(REGISTER_PATH), register).post(under_api(REFRESH_PATH), refresh)
}

/// `POST /api/auth/device-binding` with `Secure-Session-Response`: a proof
/// carrying the device's public key (`jwk`) and answering the challenge
/// offered with this session. Binds the session to the key as it rotates;
/// answers the session instructions, the new cookies and the challenge for
/// the first refresh.
async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
) -> Result<Response, ApiError> {
    let (presented, token) = begin(&state, &headers, &client).await?;
    let sid = token.session_id.to_string();
    let refuse = |why: String| binding::refuse_proof(&state, None, &sid, &client, why);
    let proof = proof_of(&headers).map_err(&refuse)?.ok_or_else(|| refuse("a registration needs a proof".into()))?;
    let key = proof.registering_key().map_err(|why| refuse(why.to_string()))?;
    key.verify(&proof).map_err(|why| refuse(why.to_string()))?;
    // Any unexpired challenge of this session will do: the key can be bound
    // once only, so a challenge can never serve twice.
    let challenge = challenge_of(&state, &proof, token.session_id).await.map_err(&refuse)?;
    if challenge.expires_at <= state.now() {
        return Err(refuse("the challenge has expired; sign in again to be offered a new one".into()));
    }
    let issued = finish(&state, &presented, Device::Register(&key), &client).await?;
    tracing::info!(session_id = %sid, key = %key.thumbprint, "session bound to a device key");
    let next = binding::challenge_header(&state, token.session_id, issued.generation);
    super::auth::set_cookies(&state, &cookies, issued);
    Ok(([(binding::CHALLENGE, next)], Json(binding::instructions(&state.config, token.session_id))).into_response())
}

/// `POST /api/auth/device-binding/refresh`: without a proof, `403` and a
/// challenge; with a proof by the session's key answering a challenge for
/// its live generation, the rotation, the new cookies and the challenge for
/// the next refresh (which saves that one the `403` round trip).
async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    cookies: Cookies,
    client: Client,
) -> Result<Response, ApiError> {
    let (presented, token) = begin(&state, &headers, &client).await?;
    let sid = token.session_id.to_string();
    let refuse = |why: String| binding::refuse_proof(&state, None, &sid, &client, why);
    if let Some(named) = headers.get(binding::SESSION_ID)
        && named.to_str().ok().map(|named| named.trim_matches('"')) != Some(sid.as_str())
    {
        return Err(refuse("Sec-Secure-Session-Id names another session".into()));
    }
    let proof = proof_of(&headers).map_err(&refuse)?;
    let bound = store::bindings::find_bound_key(&state.db, &sid, state.now()).await?.ok_or_else(|| {
        state.metrics.refresh(RefreshOutcome::Invalid);
        ApiError::RefreshInvalid
    })?;
    let Some(stored) = bound.binding_key else {
        return Err(refuse("this session is not bound to a device".into()));
    };
    let Some(proof) = proof else {
        return Err(challenge(&state, token.session_id, bound.generation));
    };
    let challenge_seen = challenge_of(&state, &proof, token.session_id).await.map_err(&refuse)?;
    let key =
        DeviceKey::from_stored(&stored).map_err(|why| ApiError::Internal(anyhow::anyhow!("stored key: {why}")))?;
    proof.check_refresh(&key).map_err(|why| refuse(why.to_string()))?;
    if challenge_seen.expires_at <= state.now() {
        return Err(challenge(&state, token.session_id, bound.generation));
    }
    let device = Device::Proven { jkt: &key.thumbprint, challenge_generation: challenge_seen.generation };
    let issued = finish(&state, &presented, device, &client).await?;
    let next = binding::challenge_header(&state, token.session_id, issued.generation);
    super::auth::set_cookies(&state, &cookies, issued);
    Ok((StatusCode::OK, [(binding::CHALLENGE, next)]).into_response())
}

/// What both endpoints start with: binding on, the per-address refresh
/// limit, and the request's one refresh cookie (as sent, and decoded; under
/// a MAC key another instance just made, after a reload).
async fn begin(state: &AppState, headers: &HeaderMap, client: &Client) -> Result<(String, RefreshToken), ApiError> {
    if !state.config.device_binding.is_on() {
        return Err(ApiError::NotFound);
    }
    state.limits.refresh_by_ip.acquire(&client.ip_key())?;
    let presented = cookies::refresh_token(headers, &state.config).one().ok_or(ApiError::RefreshInvalid)?;
    let token = state
        .refresh_keys
        .decode_or_reload(&state.db, &presented, state.now())
        .await
        .ok_or(ApiError::RefreshInvalid)?;
    Ok((presented, token))
}

/// Rotates; a rotation that went through gives the attempt back.
async fn finish(state: &AppState, presented: &str, device: Device<'_>, client: &Client) -> Result<Issued, ApiError> {
    let issued = sessions::rotate(state, presented, device, client).await?;
    state.limits.refresh_by_ip.forgive(&client.ip_key());
    Ok(issued)
}

/// The `Secure-Session-Response` proof, parsed; `None` without one.
fn proof_of(headers: &HeaderMap) -> Result<Option<Proof>, String> {
    let Some(value) = headers.get(binding::RESPONSE) else { return Ok(None) };
    let text = value.to_str().map_err(|_| "the proof is not a compact JWS in base64url".to_owned())?;
    Proof::parse(text).map(Some).map_err(|why| why.to_string())
}

/// The challenge a proof answers: one this server issued (under a MAC key
/// another instance just made, after a reload), for this session.
async fn challenge_of(state: &AppState, proof: &Proof, session_id: Uuid) -> Result<Challenge, String> {
    let decode = || Challenge::decode(&proof.jti, &state.refresh_keys, state.now());
    let mut decoded = decode();
    if decoded.is_none() && state.refresh_keys.reload_if_due(&state.db).await {
        decoded = decode();
    }
    let challenge = decoded.ok_or_else(|| "the proof answers no challenge this server issued".to_owned())?;
    if challenge.session_id != session_id {
        return Err("the proof answers another session's challenge".into());
    }
    Ok(challenge)
}

/// `403 binding_proof_required` with a challenge for the live generation.
fn challenge(state: &AppState, session_id: Uuid, generation: i64) -> ApiError {
    state.metrics.binding(BindingOutcome::Challenged);
    ApiError::BindingProofRequired { challenge: binding::challenge_header(state, session_id, generation) }
}
