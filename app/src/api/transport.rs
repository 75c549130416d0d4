//! How the calls travel: `fetch` in the browser (`hydrate`), and stubs in
//! the server's build, which renders pages without calling its own API.

#[cfg(feature = "hydrate")]
mod imp {
    //! `fetch` through gloo-net. Same-origin requests carry the cookies by
    //! default (`credentials: same-origin`), so nothing here sets them.

    use gloo_net::http::{Request, Response};
    use serde::{Serialize, de::DeserializeOwned};

    use crate::api::ApiError;
    use crate::types::ErrorBody;

    pub(crate) async fn post_json<B, T>(url: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        // `.json()` serialises the body and sets `Content-Type: application/json`.
        // Status 0: nothing was sent because the body would not serialise.
        let request = Request::post(url).json(body).map_err(|_| ApiError::Unexpected { status: 0 })?;
        decode(answer(request.send()).await?).await
    }

    /// A POST with a JSON body that answers `204` (password change).
    pub(crate) async fn post_json_empty<B: Serialize>(url: &str, body: &B) -> Result<(), ApiError> {
        let request = Request::post(url).json(body).map_err(|_| ApiError::Unexpected { status: 0 })?;
        expect_no_content(answer(request.send()).await?).await
    }

    pub(crate) async fn put_json<B, T>(url: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        let request = Request::put(url).json(body).map_err(|_| ApiError::Unexpected { status: 0 })?;
        decode(answer(request.send()).await?).await
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
        decode(answer(Request::get(url).send()).await?).await
    }

    /// A POST without a body that answers JSON (refresh).
    pub(crate) async fn post_for_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
        decode(answer(Request::post(url).send()).await?).await
    }

    pub(crate) async fn post_empty(url: &str) -> Result<(), ApiError> {
        expect_no_content(answer(Request::post(url).send()).await?).await
    }

    pub(crate) async fn delete(url: &str) -> Result<(), ApiError> {
        expect_no_content(answer(Request::delete(url).send()).await?).await
    }

    async fn expect_no_content(response: Response) -> Result<(), ApiError> {
        if response.ok() { Ok(()) } else { Err(error_from(response).await) }
    }

    /// Waits for the response; getting none at all is a network error.
    async fn answer(request: impl Future<Output = Result<Response, gloo_net::Error>>) -> Result<Response, ApiError> {
        request.await.map_err(|error| {
            leptos::logging::warn!("request failed: {error}");
            ApiError::Network
        })
    }

    async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
        if response.ok() {
            let status = response.status();
            response.json::<T>().await.map_err(|_| ApiError::Unexpected { status })
        } else {
            Err(error_from(response).await)
        }
    }

    async fn error_from(response: Response) -> ApiError {
        let status = response.status();
        // Delta-seconds only; the server never sends an HTTP date.
        let retry_after = response.headers().get("retry-after").and_then(|value| value.trim().parse().ok());
        match response.json::<ErrorBody>().await {
            Ok(body) => ApiError::Server { status, body, retry_after },
            Err(_) => ApiError::Unexpected { status },
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    //! The server renders pages without calling its own API; see the module
    //! docs above for why these are never reached.

    use serde::{Serialize, de::DeserializeOwned};

    use crate::api::ApiError;

    pub(crate) async fn post_json<B, T>(_url: &str, _body: &B) -> Result<T, ApiError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        Err(ApiError::Unavailable)
    }

    pub(crate) async fn post_json_empty<B: Serialize>(_url: &str, _body: &B) -> Result<(), ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(crate) async fn put_json<B, T>(_url: &str, _body: &B) -> Result<T, ApiError>
    where
        B: Serialize,
        T: DeserializeOwned,
    {
        Err(ApiError::Unavailable)
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(_url: &str) -> Result<T, ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(crate) async fn post_for_json<T: DeserializeOwned>(_url: &str) -> Result<T, ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(crate) async fn post_empty(_url: &str) -> Result<(), ApiError> {
        Err(ApiError::Unavailable)
    }

    pub(crate) async fn delete(_url: &str) -> Result<(), ApiError> {
        Err(ApiError::Unavailable)
    }
}

pub(crate) use imp::*;
