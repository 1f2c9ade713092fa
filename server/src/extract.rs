//! Extractors that answer malformed input in the spec's JSON error format.
//!
//! axum's own `Json`, `Path` and `Query` reject with plain-text bodies; these wrappers turn the
//! rejection into an [`ApiError`]: 413 `too_large` for an oversized body, 415 for a missing JSON
//! content type, and 400 `bad_request` with serde's description of the problem otherwise.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// Maps an axum rejection, by its status, to an [`ApiError`].
fn rejection(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge("request body exceeds the server's limit".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        status if status.is_client_error() => ApiError::BadRequest(text.into()),
        // axum reports its own misconfiguration (say, a handler's path parameters not matching
        // its route) as 500; that is a bug here, not a client error.
        _ => ApiError::internal(text),
    }
}

/// A JSON request body.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(err) => Err(rejection(err.status(), err.body_text())),
        }
    }
}

/// Path parameters.
#[derive(Debug)]
pub(crate) struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(err) => Err(rejection(err.status(), err.body_text())),
        }
    }
}

/// The query string.
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(err) => Err(rejection(err.status(), err.body_text())),
        }
    }
}

/// The client's address, for rate limiting and logs.
///
/// The TCP peer (from `ConnectInfo`), or with `trust_forwarded_for` the last entry of
/// `X-Forwarded-For`: the one the nearest proxy appended, the only one a client cannot forge.
/// Without either (an in-process test) it is `0.0.0.0`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let forwarded = state.config.trust_forwarded_for.then(|| last_forwarded_for(parts)).flatten();
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        Ok(Self(forwarded.or(peer).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

fn last_forwarded_for(parts: &Parts) -> Option<IpAddr> {
    let header = parts.headers.get_all("x-forwarded-for").iter().next_back()?;
    header.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    #[test]
    fn last_forwarded_for_takes_the_proxy_entry() {
        let (parts, ()) = Request::builder()
            .header("x-forwarded-for", "198.51.100.7")
            .header("x-forwarded-for", "203.0.113.9, 192.0.2.4")
            .body(())
            .expect("valid request")
            .into_parts();
        assert_eq!(last_forwarded_for(&parts), "192.0.2.4".parse().ok());
        let (parts, ()) = Request::builder()
            .header("x-forwarded-for", "garbage")
            .body(())
            .expect("valid request")
            .into_parts();
        assert_eq!(last_forwarded_for(&parts), None);
    }
}
