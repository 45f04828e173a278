//! [`BackupLayer`]: the backup routes in front of another service, and
//! [`BackupServiceBuilder::build_layer`] that makes one.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use crate::builder::BackupServiceBuilder;
use crate::response::{BackupBody, LayerBody};
use crate::service::{BackupService, ResponseFuture};

/// A [`tower_layer::Layer`] that answers the backup routes under the
/// service's base path and passes every other request — including unknown
/// deeper paths such as `/actuator/backups/1/extra` — to the inner service
/// untouched.
///
/// ```
/// use std::sync::Arc;
/// use axum::{routing::get, Router};
/// use backup_actuator_core::BackupPlan;
/// use backup_actuator_service::BackupService;
/// use backup_actuator_store::MemoryStore;
/// use http::Request;
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let backups = BackupService::builder(
///     Arc::new(MemoryStore::new()),
///     BackupPlan::optimize("8.6.0").unwrap(),
/// )
/// .repository("backups")
/// .build_layer();
///
/// let app = Router::new()
///     .route("/actuator/health", get(|| async { "UP" }))
///     .layer(backups);
///
/// let health = Request::get("/actuator/health").body(axum::body::Body::empty()).unwrap();
/// assert_eq!(app.clone().oneshot(health).await.unwrap().status(), 200);
/// let list = Request::get("/actuator/backups").body(axum::body::Body::empty()).unwrap();
/// assert_eq!(app.oneshot(list).await.unwrap().status(), 200);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct BackupLayer {
    service: BackupService,
}

impl BackupLayer {
    /// A layer serving this backup service's routes.
    pub fn new(service: BackupService) -> BackupLayer {
        BackupLayer { service }
    }
}

impl BackupServiceBuilder {
    /// Builds a [`BackupLayer`] that serves the backup routes in front of
    /// another service.
    pub fn build_layer(self) -> BackupLayer {
        BackupLayer::new(self.build())
    }
}

impl<S> tower_layer::Layer<S> for BackupLayer {
    type Service = WithBackupRoutes<S>;

    fn layer(&self, inner: S) -> WithBackupRoutes<S> {
        WithBackupRoutes {
            backups: self.service.clone(),
            inner,
        }
    }
}

/// The service [`BackupLayer`] makes: backup routes first, then `inner`.
///
/// Its response body is [`LayerBody`], its error the inner service's, and
/// it is ready when the inner service is.
///
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use backup_actuator_core::BackupPlan;
/// use backup_actuator_service::{BackupService, WithBackupRoutes};
/// use backup_actuator_store::MemoryStore;
/// use bytes::Bytes;
/// use http::{Request, Response};
/// use http_body_util::Full;
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let backups = BackupService::builder(
///     Arc::new(MemoryStore::new()),
///     BackupPlan::optimize("8.6.0").unwrap(),
/// )
/// .repository("backups")
/// .build();
/// let inner = tower::service_fn(|_req: Request<Full<Bytes>>| async {
///     Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("inner"))))
/// });
/// let app = WithBackupRoutes::new(backups, inner);
///
/// let other = Request::get("/actuator/backups/1/extra").body(Full::default()).unwrap();
/// assert_eq!(app.clone().oneshot(other).await.unwrap().status(), 200);
/// let list = Request::get("/actuator/backups").body(Full::default()).unwrap();
/// let response = app.oneshot(list).await.unwrap();
/// assert_eq!(response.headers()["content-type"], "application/json");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct WithBackupRoutes<S> {
    backups: BackupService,
    inner: S,
}

impl<S> WithBackupRoutes<S> {
    /// The backup routes in front of `inner`.
    pub fn new(backups: BackupService, inner: S) -> WithBackupRoutes<S> {
        WithBackupRoutes { backups, inner }
    }

    /// The wrapped service.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S, B, ResBody> Service<Request<B>> for WithBackupRoutes<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
    ResBody: Body<Data = Bytes>,
{
    type Response = Response<LayerBody<ResBody>>;
    type Error = S::Error;
    type Future = LayerFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        // The backup service is always ready; readiness is the inner one's.
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The one match of this request: the route goes down with it.
        let kind = match self.backups.route_of(request.uri().path()) {
            Some(route) => Kind::Backup {
                future: self.backups.call_route(Some(route), request),
            },
            None => Kind::Inner {
                future: self.inner.call(request),
            },
        };
        LayerFuture { kind }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`WithBackupRoutes`]: the backup service's answer or
    /// the inner service's, with the body wrapped in [`LayerBody`].
    #[derive(Debug)]
    pub struct LayerFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<F> {
        Backup { #[pin] future: ResponseFuture },
        Inner { #[pin] future: F },
    }
}

impl<F, ResBody, E> Future for LayerFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<LayerBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Backup { future } => future.poll(cx).map(|result| {
                let response: Response<BackupBody> = match result {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok(response.map(LayerBody::backup))
            }),
            KindProj::Inner { future } => future
                .poll(cx)
                .map(|result| result.map(|response| response.map(LayerBody::inner))),
        }
    }
}
