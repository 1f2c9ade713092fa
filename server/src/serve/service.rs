//! The hyper service of one connection: the app's [`Router`], with the connection's bookkeeping.
//!
//! Besides calling the router, it
//! - gives handlers the client address as `ConnectInfo<SocketAddr>`, as
//!   `into_make_service_with_connect_info` did under `axum::serve` (the rate limits need it);
//! - marks the connection busy from the moment hyper hands over a request until hyper has taken
//!   the whole answer (the guard travels in the answer's body), so the connection is never
//!   evicted or cut short by shutdown in between (`activity.rs`);
//! - refuses to start a request on a connection already closing (evicted or shutting down).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::response::IntoResponse as _;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use tower::ServiceExt as _;

use super::activity::{Activity, RequestGuard};
use crate::error::ApiError;

/// The service hyper calls for each request of one connection.
#[derive(Clone)]
pub(super) struct ConnectionService {
    router: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

impl ConnectionService {
    /// The service of the connection from `peer` that `activity` follows.
    pub(super) fn new(router: Router, peer: SocketAddr, activity: Arc<Activity>) -> Self {
        Self { router, peer, activity }
    }
}

impl hyper::service::Service<Request<Incoming>> for ConnectionService {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let Some(guard) = self.activity.begin_request() else {
            // The connection was closed between the head's arrival and this call; it is being
            // dropped, so this answer is seldom seen, but it is the true one.
            let response = ApiError::Unavailable(None).into_response();
            return Box::pin(std::future::ready(Ok(response.map(|body| TrackedBody { body, _guard: None }))));
        };
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let router = self.router.clone();
        Box::pin(async move {
            let response = match router.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok(response.map(|body| TrackedBody { body, _guard: Some(guard) }))
        })
    }
}

/// An answer's body that keeps its connection busy until hyper drops it, which it does once it has
/// taken the last frame.
pub(super) struct TrackedBody {
    body: Body,
    _guard: Option<RequestGuard>,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    /// Passed through, so hyper still sends `content-length` for a body of known size.
    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
