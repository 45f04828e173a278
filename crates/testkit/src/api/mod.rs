//! Routing and the snapshot API handlers. Everything here runs under the state lock and
//! never awaits.
//!
//! This module only routes; each section of the API has a module of its own, and the
//! helpers they share ([`Req`], errors, parameters, rendering) sit in leaves they import.

mod auth;
mod create;
mod delete;
mod error;
mod get;
mod indices;
mod params;
mod render;
mod repositories;
mod request;
mod root;
mod snapshot_info;
mod status;

use http::Method;

pub(crate) use render::Rendered;
pub(crate) use request::Req;

use crate::state::{Core, State};
use crate::url;
use params::Params;
use render::{Body, Reply};

/// Handles one request against the emulated cluster.
pub(crate) fn handle(core: &Core, req: &Req<'_>) -> Rendered {
    let mut warnings = Vec::new();
    let reply = dispatch(core, req, &mut warnings).unwrap_or_else(Reply::error);
    render::render(core.flavor, req, reply, warnings)
}

/// Auth first, then the media type, then the route. The deprecation warnings of the
/// parameters a handler read go out with its answer, an error included.
fn dispatch(core: &Core, req: &Req<'_>, warnings: &mut Vec<String>) -> error::R<Reply> {
    let mut state = core.state.lock().unwrap_or_else(|p| p.into_inner());
    state.purge_vanished(core.clock.now_millis());
    if let Some(reply) = auth::check_auth(core.flavor, &state, req) {
        return Ok(reply);
    }
    if let Some(reply) = render::refuse_compat_media_type(core.flavor, req) {
        return Ok(reply);
    }
    let segments = url::path_segments(req.raw_path);
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let decoded_path = url::percent_decode(req.raw_path, false);
    if let ["_snapshot", repo, _, ..] = seg.as_slice() {
        if state.repo(repo).is_some_and(|r| r.corrupted) {
            return Err(error::repo_corrupted(repo));
        }
    }
    let mut p = Params::new(req.query, core.flavor);
    let result = route(core, &mut state, req, &seg, &mut p, &decoded_path)
        .unwrap_or_else(|| unrouted(core, &mut state, req, &seg));
    warnings.append(&mut p.warnings);
    result
}

/// The snapshot API's routes; `None` when the path and method are none of them.
fn route(
    core: &Core,
    state: &mut State,
    req: &Req<'_>,
    seg: &[&str],
    p: &mut Params<'_>,
    path: &str,
) -> Option<error::R<Reply>> {
    let flavor = core.flavor;
    Some(match (seg, req.method) {
        ([], &Method::GET) | ([], &Method::HEAD) => p
            .finish(path)
            .map(|()| root::root(core, req.method == Method::HEAD)),
        (["_snapshot"], &Method::GET) => {
            repositories::get_repositories(flavor, state, "_all", p, path)
        }
        (["_snapshot", "_status"], &Method::GET) => {
            status::status(core, state, None, None, p, path)
        }
        (["_snapshot", repo], &Method::GET) => {
            repositories::get_repositories(flavor, state, repo, p, path)
        }
        (["_snapshot", repo], &Method::PUT) | (["_snapshot", repo], &Method::POST) => {
            repositories::put_repository(flavor, state, repo, req.body, p, path)
        }
        (["_snapshot", repo], &Method::DELETE) => {
            repositories::delete_repository(state, repo, p, path, core.clock.now_millis())
        }
        (["_snapshot", repo, "_status"], &Method::GET) => {
            status::status(core, state, Some(repo), None, p, path)
        }
        // These two routes lost the deprecation Warning on an error (they returned early
        // before the warnings were collected); kept, so that this split changes no byte.
        (["_snapshot", repo, "_verify"], &Method::POST) => {
            repositories::verify_repository(core, state, repo, p, path)
                .inspect_err(|_| p.warnings.clear())
        }
        (["_snapshot", repo, "_cleanup"], &Method::POST) => {
            repositories::cleanup_repository(state, repo, p, path)
                .inspect_err(|_| p.warnings.clear())
        }
        (["_snapshot", repo, snaps], &Method::GET) => {
            get::get_snapshots(core, state, repo, snaps, p, path)
        }
        (["_snapshot", repo, snap], &Method::PUT) | (["_snapshot", repo, snap], &Method::POST) => {
            create::create_snapshot(core, state, repo, snap, req.body, p, path)
        }
        (["_snapshot", repo, snaps], &Method::DELETE) => {
            delete::delete_snapshots(core, state, repo, snaps, p, path)
        }
        (["_snapshot", repo, snaps, "_status"], &Method::GET) => {
            status::status(core, state, Some(repo), Some(snaps), p, path)
        }
        _ => return None,
    })
}

/// What the router does with a path the snapshot API has no route for: the restore
/// helpers of [`indices`], `OPTIONS`, then the real router's 405 or 400.
fn unrouted(core: &Core, state: &mut State, req: &Req<'_>, seg: &[&str]) -> error::R<Reply> {
    if indices::handles(seg, req.method) {
        return indices::handle(core, state, seg, req.method, req.query, req.body).map(
            |(status, body)| Reply {
                status,
                body: body.map_or(Body::Empty, Body::Json),
                headers: Vec::new(),
                default_pretty: false,
            },
        );
    }
    let allowed = allowed_methods(seg);
    if req.method == Method::OPTIONS {
        // RestController.handleOptionsRequest: 200, empty text body, Allow header.
        let mut headers = Vec::new();
        if !allowed.is_empty() {
            headers.push(("Allow".to_string(), allowed.join(",")));
        }
        return Ok(Reply {
            status: 200,
            body: Body::Text("text/plain; charset=UTF-8", String::new()),
            headers,
            default_pretty: false,
        });
    }
    if allowed.is_empty() {
        // RestController.handleBadRequest: a bare string error, no status field.
        let msg = format!(
            "no handler found for uri [{}] and method [{}]",
            req.uri(),
            req.method
        );
        return Ok(render::string_error(400, msg, false));
    }
    let msg = format!(
        "Incorrect HTTP method for uri [{}] and method [{}], allowed: [{}]",
        req.uri(),
        req.method,
        allowed.join(", ")
    );
    let mut r = render::string_error(405, msg, true);
    r.headers.push(("Allow".to_string(), allowed.join(",")));
    Ok(r)
}

/// Methods registered for a path shape (for 405 answers), in `RestRequest.Method` order.
fn allowed_methods(seg: &[&str]) -> Vec<&'static str> {
    let mut set: Vec<&'static str> = match seg {
        [] => vec!["GET", "HEAD"],
        ["_snapshot"] => vec!["GET"],
        ["_snapshot", "_status"] => vec!["GET", "POST", "PUT", "DELETE"],
        ["_snapshot", _] => vec!["GET", "POST", "PUT", "DELETE"],
        ["_snapshot", _, "_status"] => vec!["GET", "POST", "PUT", "DELETE"],
        ["_snapshot", _, "_verify"] | ["_snapshot", _, "_cleanup"] => {
            vec!["GET", "POST", "PUT", "DELETE"]
        }
        ["_snapshot", _, _] => vec!["GET", "POST", "PUT", "DELETE"],
        ["_snapshot", _, _, "_status"] => vec!["GET"],
        _ => vec![],
    };
    set.dedup();
    set
}
