//! Which route of SPEC §1 a request path is.

use http::Method;

/// A known path under the base path, before the method and id are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// `{base}/backups`
    Collection,
    /// `{base}/backup`, the documented spelling of the list route.
    ListAlias,
    /// `{base}/backups/{segment}`, the segment raw (not percent-decoded).
    Item(&'a str),
    /// `{base}/health`, when the health route is on (SPEC §11).
    Health,
    /// `{base}/prometheus`, when metrics are on (SPEC §11).
    Prometheus,
}

/// The routes beyond the backup API that a service was built with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Extras {
    /// `{base}/health`
    pub(crate) health: bool,
    /// `{base}/prometheus`
    pub(crate) prometheus: bool,
}

impl<'a> Route<'a> {
    /// The route template for logs.
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
    pub(crate) fn action(self, method: &Method) -> Option<Action<'a>> {
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
pub(crate) enum Action<'a> {
    List,
    Trigger,
    Get(&'a str),
    Delete(&'a str),
    Health,
    Prometheus,
}

impl Action<'_> {
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
/// path, as are `health` and `prometheus` unless `extras` turns them on.
pub(crate) fn match_route<'a>(base: &str, path: &'a str, extras: Extras) -> Option<Route<'a>> {
    let rest = path.strip_prefix(base)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let rest = rest.strip_prefix('/')?;
    match rest.split_once('/') {
        None if rest == "backups" => Some(Route::Collection),
        None if rest == "backup" => Some(Route::ListAlias),
        None if rest == "health" && extras.health => Some(Route::Health),
        None if rest == "prometheus" && extras.prometheus => Some(Route::Prometheus),
        Some(("backups", segment)) if !segment.is_empty() && !segment.contains('/') => {
            Some(Route::Item(segment))
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

    fn match_route<'a>(base: &str, path: &'a str) -> Option<Route<'a>> {
        super::match_route(base, path, Extras::default())
    }

    #[test]
    fn health_and_prometheus_are_routes_only_when_turned_on() {
        let base = "/actuator";
        assert_eq!(match_route(base, "/actuator/health"), None);
        assert_eq!(match_route(base, "/actuator/prometheus"), None);
        let on = Extras {
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
        assert_eq!(
            match_route(base, "/actuator/backups/12"),
            Some(Route::Item("12"))
        );
        assert_eq!(
            match_route(base, "/actuator/backups/12/"),
            Some(Route::Item("12"))
        );
        assert_eq!(
            match_route(base, "/actuator/backups/%31"),
            Some(Route::Item("%31"))
        );
        assert_eq!(match_route(base, "/actuator/backups/1/extra"), None);
        assert_eq!(match_route(base, "/actuator/backups//"), None);
        assert_eq!(match_route(base, "/actuator/backups//1"), None);
        assert_eq!(match_route(base, "/actuatorx/backups"), None);
        assert_eq!(match_route(base, "/actuator"), None);
        assert_eq!(match_route(base, "/backups"), None);
        assert_eq!(match_route("", "/backups/7"), Some(Route::Item("7")));
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
