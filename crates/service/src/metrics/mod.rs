//! Prometheus metrics (SPEC §11), behind the `metrics` cargo feature.
//!
//! [`BackupMetrics`] holds every metric and serves `GET {base}/prometheus`.
//! It is fed from two places, as tower-http's `trace` is: each answer
//! (requests by route and status, latency) through [`MetricsHook`], and
//! everything the engine does (store calls, backups read, parts lost) as
//! an engine [`Observer`](backup_actuator_engine::Observer). A scheduler
//! feeds it through the same public handle.
//!
//! Without the feature, [`MetricsHook`] is an empty type whose methods do
//! nothing, so the service's hooks cost nothing.

use std::time::Duration;

use http::{Method, Response, StatusCode};

use crate::response::BackupBody;

#[cfg(feature = "metrics")]
mod observer;
#[cfg(feature = "metrics")]
mod prometheus;
#[cfg(feature = "metrics")]
mod record;

#[cfg(feature = "metrics")]
pub use prometheus::{
    BackupMetrics, ScheduledRun, VerifyOutcome, OPENMETRICS_CONTENT_TYPE,
    PROMETHEUS_TEXT_CONTENT_TYPE,
};

/// What the service calls for each answer; holds the metrics when they are on.
#[derive(Clone, Debug, Default)]
pub(crate) struct MetricsHook {
    #[cfg(feature = "metrics")]
    metrics: Option<BackupMetrics>,
}

#[cfg(feature = "metrics")]
impl MetricsHook {
    pub(crate) fn new(metrics: Option<BackupMetrics>) -> MetricsHook {
        MetricsHook { metrics }
    }

    pub(crate) fn metrics(&self) -> Option<&BackupMetrics> {
        self.metrics.as_ref()
    }
}

impl MetricsHook {
    /// One answered request.
    #[inline]
    pub(crate) fn request(
        &self,
        route: &'static str,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            metrics.observe_request(route, method, status, elapsed);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (route, method, status, elapsed);
    }

    /// The newest passed restore drill: backup id and end, if metrics
    /// are on and one passed.
    #[inline]
    pub(crate) fn last_verified(&self) -> Option<(u64, std::time::SystemTime)> {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            return metrics.last_verified();
        }
        None
    }

    /// The answer of `GET {base}/prometheus`; `None` when metrics are off
    /// (the route does not exist then). OpenMetrics when the client's
    /// `Accept` asks for it (Prometheus does), else the classic Prometheus
    /// text format (curl, older scrapers and parsers).
    pub(crate) fn prometheus(&self, headers: &http::HeaderMap) -> Option<Response<BackupBody>> {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            let openmetrics = headers
                .get_all(http::header::ACCEPT)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains("application/openmetrics-text"));
            let (body, content_type) = if openmetrics {
                (metrics.encode(), OPENMETRICS_CONTENT_TYPE)
            } else {
                (
                    metrics.encode_prometheus_text(),
                    PROMETHEUS_TEXT_CONTENT_TYPE,
                )
            };
            let mut response = Response::new(BackupBody::from(body));
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(content_type),
            );
            return Some(response);
        }
        let _ = headers;
        None
    }
}

/// A bounded label for a request method: a client's invented method must
/// not create a new time series each.
#[cfg(feature = "metrics")]
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}
