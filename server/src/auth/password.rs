//! Password hashing with Argon2id at OWASP's parameters (19 MiB, 2 passes,
//! 1 lane). Hashing runs on the blocking pool, at most a few at a time so a
//! login flood cannot eat the memory, and at most `AUTH_PASSWORD_QUEUE`
//! more wait for a turn: past that a request is answered at once with `503`
//! and `Retry-After` instead of queueing without bound. An unknown email is
//! checked against a dummy hash so its timing matches a wrong password.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
    password_hash::SaltString,
};
use tokio::sync::Semaphore;

use crate::error::ApiError;

#[derive(Clone)]
pub struct Passwords {
    argon: Argon2<'static>,
    dummy_hash: Arc<str>,
    permits: Arc<Semaphore>,
    /// Requests waiting for a permit, and how many may.
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

/// Counts one waiting request for as long as it lives, so a client that
/// hangs up while waiting frees its place too.
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passwords")
    }
}

impl Passwords {
    /// `max_waiting`: how many hashes may wait for a turn (`AUTH_PASSWORD_QUEUE`).
    pub fn new(max_waiting: usize) -> anyhow::Result<Self> {
        let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let dummy_hash =
            argon.hash_password(b"not a real password", &salt).map_err(|e| anyhow::anyhow!("argon2: {e}"))?.to_string();
        let permits = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) * 2;
        Ok(Self {
            argon,
            dummy_hash: dummy_hash.into(),
            permits: Arc::new(Semaphore::new(permits)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let argon = self.argon.clone();
        self.blocking(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("argon2: {e}")))
        })
        .await
    }

    /// Checks a password against a stored hash, or against the dummy hash
    /// when there is none (unknown email); false in that case.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        let argon = self.argon.clone();
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        self.blocking(move || {
            let parsed =
                PasswordHash::new(&hash).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored hash: {e}")))?;
            Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok() && known)
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        // The permit moves into the blocking task: a client that hangs up
        // drops this future, but the hash runs on, and must keep its slot.
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let place = Waiting(self.waiting.clone());
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
                    return Err(ApiError::Busy { retry_after_secs: 1 });
                }
                let permit = self.permits.clone().acquire_owned().await.map_err(|_| ApiError::Unavailable)?;
                drop(place);
                permit
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
    }
}
