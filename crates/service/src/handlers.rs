//! The route → engine operation → answer step: each action of a matched
//! route runs one engine operation; every error goes to `error_response`.

use std::error::Error as StdError;

use backup_actuator_core::{ApiError, BackupId, BackupRequest, ListQuery, TriggerAccepted};
use http::{Request, Response, StatusCode};
use http_body::Body;

use crate::body::read_body;
use crate::error::error_response;
use crate::response::{json_answer, json_response, no_content, BackupBody};
use crate::route::{Action, Route};
use crate::shared::ServiceState;
use crate::trace::record_backup_id;

impl ServiceState {
    /// The answer to a request on `route` (`None`: a path the API does not
    /// take), an error answer included.
    pub(crate) async fn respond<B>(
        &self,
        route: Option<Route>,
        request: Request<B>,
    ) -> Response<BackupBody>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        match self.dispatch(route, request).await {
            Ok(response) => response,
            Err(err) => {
                let compat = self.engine.compatibility();
                let response = error_response(&err, compat);
                if response.status().is_server_error() {
                    tracing::warn!(error = %err, "backup request failed");
                }
                response
            }
        }
    }

    /// Checks in SPEC §5's order — path, method, id or list parameters,
    /// body — and runs the operation asked for.
    async fn dispatch<B>(
        &self,
        route: Option<Route>,
        request: Request<B>,
    ) -> Result<Response<BackupBody>, ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let route = route.ok_or(ApiError::UnknownPath)?;
        let action = route
            .action(&parts.method)
            .ok_or_else(|| ApiError::MethodNotAllowed {
                method: parts.method.to_string(),
                allowed: route.allowed(),
            })?;
        let path = parts.uri.path();
        let engine = &self.engine;
        let compat = engine.compatibility();
        match action {
            Action::List => {
                let query = list_query(parts.uri.query())?;
                let list = engine
                    .list_with(&query)
                    .await
                    .map_err(crate::error::listing)?;
                Ok(json_response(StatusCode::OK, list))
            }
            Action::Get(segment) => {
                let id = path_id(segment.of(path))?;
                let backup = engine.get(id).await.map_err(crate::error::reading)?;
                json_answer(StatusCode::OK, &compat.backup(&backup))
            }
            Action::Delete(segment) => {
                let id = path_id(segment.of(path))?;
                engine
                    .delete(id)
                    .await
                    .map_err(|err| crate::error::deleting(err, id))?;
                Ok(no_content())
            }
            Action::Trigger => {
                let body = read_body(body, self.body_read_timeout).await?;
                let id = BackupRequest::from_json(&body)?.backup_id;
                record_backup_id(id);
                engine
                    .trigger(id, None)
                    .await
                    .map_err(|err| crate::error::triggering(err, id))?;
                let body = TriggerAccepted { backup_id: id }.to_json();
                Ok(json_response(StatusCode::ACCEPTED, body.into_bytes()))
            }
            Action::Health => Ok(crate::health::respond(
                engine,
                self.health_timeout,
                self.metrics.last_verified(),
            )
            .await),
            Action::Prometheus => self
                .metrics
                .prometheus(&parts.headers)
                .ok_or(ApiError::UnknownPath),
        }
    }
}

/// The list parameters of a query string (SPEC §1), decoded as a form
/// (`%2A` and `*` alike); no query is the whole list in full.
fn list_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    let params = form_urlencoded::parse(query.unwrap_or_default().as_bytes());
    Ok(ListQuery::from_params(params)?)
}

/// The backup id in a path segment, recorded on the request's span.
fn path_id(segment: &str) -> Result<BackupId, ApiError> {
    let id = BackupId::from_path_segment(segment)?;
    record_backup_id(id);
    Ok(id)
}
