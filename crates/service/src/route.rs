//! Which route of SPEC §1 a request path is.

use http::Method;

/// A known path under the base path, before the method and id are checked.
///
/// It borrows nothing from the path it was matched on, so it travels with
/// the request: the path is matched once, and the route passed down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// `{base}/backups`
    Collection,
    /// `{base}/backup`, the documented spelling of the list route.
    ListAlias,
    /// `{base}/backups/{segment}`, the segment raw (not percent-decoded).
    Item(Segment),
    /// `{base}/health`, when the health route is on (SPEC §11).
    Health,
    /// `{base}/prometheus`, when metrics are on (SPEC §11).
    Prometheus,
}

/// Where the `{segment}` of an item route sits in the path it was matched
/// on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    start: usize,
    end: usize,
}

impl Segment {
    /// The segment's text in `path`, the path the route was matched on.
    pub(crate) fn of(self, path: &str) -> &str {
        path.get(self.start..self.end).unwrap_or_default()
    }
}

/// The routes beyond the backup API that a service was built with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct OptionalRoutes {
    /// `{base}/health`
    pub(crate) health: bool,
    /// `{base}/prometheus`
    pub(crate) prometheus: bool,
}

impl Route {
    /// The route template for logs and metrics.
    pub(crate) fn template(self) -> &'static str {
        match self {
            Route::Collection => "/backups",
            Route::ListAlias => "/backup",
            Route::Item(_) => "/backups/{id}",
            Route::Health => "/health",
            Route::Prometheus => "/prometheus",
        }
    }

    /// The methods the route takes, for `Allow` and the 405 message.
    pub(crate) fn allowed(self) -> &'static str {
        match self {
            Route::Collection => "GET, POST",
            Route::ListAlias | Route::Health | Route::Prometheus => "GET",
            Route::Item(_) => "GET, DELETE",
        }
    }

    /// What the request asks for, or `None` if the method is not allowed.
    pub(crate) fn action(self, method: &Method) -> Option<Action> {
        match (self, method) {
            (Route::Collection | Route::ListAlias, &Method::GET) => Some(Action::List),
            (Route::Collection, &Method::POST) => Some(Action::Trigger),
            (Route::Item(segment), &Method::GET) => Some(Action::Get(segment)),
            (Route::Item(segment), &Method::DELETE) => Some(Action::Delete(segment)),
            (Route::Health, &Method::GET) => Some(Action::Health),
            (Route::Prometheus, &Method::GET) => Some(Action::Prometheus),
            _ => None,
        }
    }
}

/// What a request on a known route with an allowed method asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    List,
    Trigger,
    Get(Segment),
    Delete(Segment),
    Health,
    Prometheus,
}

impl Action {
    /// The operation's name for logs (the `operation` span field).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::List => "list",
            Action::Trigger => "trigger",
            Action::Get(_) => "get",
            Action::Delete(_) => "delete",
            Action::Health => "health",
            Action::Prometheus => "prometheus",
        }
    }
}

/// Matches a request path (no query) against the routes under `base`
/// (normalised: empty, or `/` followed by text with no trailing `/`).
///
/// A single trailing `/` is ignored. Anything else is `None`: an unknown
/// path, as are `health` and `prometheus` unless `routes` turns them on.
pub(crate) fn match_route(base: &str, path: &str, routes: OptionalRoutes) -> Option<Route> {
    let rest = path.strip_prefix(base)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let rest = rest.strip_prefix('/')?;
    // Where `rest` starts in `path`: after the base and its `/`.
    let offset = base.len() + 1;
    match rest.split_once('/') {
        None if rest == "backups" => Some(Route::Collection),
        None if rest == "backup" => Some(Route::ListAlias),
        None if rest == "health" && routes.health => Some(Route::Health),
        None if rest == "prometheus" && routes.prometheus => Some(Route::Prometheus),
        Some(("backups", segment)) if !segment.is_empty() && !segment.contains('/') => {
            Some(Route::Item(Segment {
                start: offset + "backups/".len(),
                end: offset + rest.len(),
            }))
        }
        _ => None,
    }
}

/// Normalises a configured base path: `""` and `"/"` mean the root; a
/// missing leading `/` is added; trailing `/` are dropped.
pub(crate) fn normalize_base(base: &str) -> String {
    let trimmed = base.trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn match_route(base: &str, path: &str) -> Option<Route> {
        super::match_route(base, path, OptionalRoutes::default())
    }

    /// The segment of an item route, read back from the path.
    fn item<'a>(base: &str, path: &'a str) -> Option<&'a str> {
        match match_route(base, path)? {
            Route::Item(segment) => Some(segment.of(path)),
            _ => None,
        }
    }

    #[test]
    fn health_and_prometheus_are_routes_only_when_turned_on() {
        let base = "/actuator";
        assert_eq!(match_route(base, "/actuator/health"), None);
        assert_eq!(match_route(base, "/actuator/prometheus"), None);
        let on = OptionalRoutes {
            health: true,
            prometheus: true,
        };
        assert_eq!(
            super::match_route(base, "/actuator/health", on),
            Some(Route::Health)
        );
        assert_eq!(
            super::match_route(base, "/actuator/health/", on),
            Some(Route::Health)
        );
        assert_eq!(
            super::match_route(base, "/actuator/prometheus", on),
            Some(Route::Prometheus)
        );
        assert_eq!(super::match_route(base, "/actuator/health/x", on), None);
        assert_eq!(Route::Health.action(&Method::POST), None);
        assert_eq!(Route::Prometheus.allowed(), "GET");
    }

    #[test]
    fn routes_under_base() {
        let base = "/actuator";
        assert_eq!(
            match_route(base, "/actuator/backups"),
            Some(Route::Collection)
        );
        assert_eq!(
            match_route(base, "/actuator/backups/"),
            Some(Route::Collection)
        );
        assert_eq!(
            match_route(base, "/actuator/backup"),
            Some(Route::ListAlias)
        );
        assert_eq!(
            match_route(base, "/actuator/backup/"),
            Some(Route::ListAlias)
        );
        assert_eq!(item(base, "/actuator/backups/12"), Some("12"));
        assert_eq!(item(base, "/actuator/backups/12/"), Some("12"));
        assert_eq!(item(base, "/actuator/backups/%31"), Some("%31"));
        assert_eq!(match_route(base, "/actuator/backups/1/extra"), None);
        assert_eq!(match_route(base, "/actuator/backups//"), None);
        assert_eq!(match_route(base, "/actuator/backups//1"), None);
        assert_eq!(match_route(base, "/actuatorx/backups"), None);
        assert_eq!(match_route(base, "/actuator"), None);
        assert_eq!(match_route(base, "/backups"), None);
        assert_eq!(item("", "/backups/7"), Some("7"));
        assert_eq!(match_route("", "/"), None);
    }

    #[test]
    fn base_paths_are_normalised() {
        assert_eq!(normalize_base(""), "");
        assert_eq!(normalize_base("/"), "");
        assert_eq!(normalize_base("/actuator/"), "/actuator");
        assert_eq!(normalize_base("manage"), "/manage");
        assert_eq!(normalize_base("/a/b"), "/a/b");
    }
}
