//! The naming rules of what this library puts into a cluster request by
//! name: the snapshot prefix (SPEC §3) and the repository.
//!
//! Both follow Elasticsearch's own checks (wire reference §3.2), which also
//! keep wildcards and lists out of every request: a repository `*` or
//! `a,b` would widen every `_snapshot/{repository}/…` call to other
//! repositories, and a prefix with `*` would match other backups.

use std::fmt;

/// The characters Elasticsearch refuses in a snapshot or repository name,
/// besides whitespace.
const FORBIDDEN_CHARS: &[char] = &['\\', '/', '*', '?', '"', '<', '>', '|', ',', '#'];

/// The rules a snapshot name and a repository name share: not empty, no
/// leading `_`, no whitespace, none of [`FORBIDDEN_CHARS`]. The reason is
/// the first rule broken.
fn check_cluster_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        Err("must not be empty")
    } else if name.starts_with('_') {
        Err("must not start with '_'")
    } else if name.chars().any(char::is_whitespace) {
        Err("must not contain whitespace")
    } else if name.contains(FORBIDDEN_CHARS) {
        Err(r#"must not contain any of \ / * ? " < > | , #"#)
    } else {
        Ok(())
    }
}

/// The prefix rule of SPEC §3: a snapshot name's rules, and lowercase.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), &'static str> {
    check_cluster_name(prefix)?;
    if prefix.chars().any(char::is_uppercase) {
        return Err("must be lowercase");
    }
    Ok(())
}

/// The name of a snapshot repository, checked as Elasticsearch checks it:
/// not empty, no leading `_`, no whitespace, none of
/// `\ / * ? " < > | , #`. So `*`, `a,b` and `_all`, which would widen every
/// cluster request to other repositories, are refused.
///
/// ```
/// use backup_actuator_core::RepositoryName;
///
/// let name = RepositoryName::new("backups").unwrap();
/// assert_eq!(name.as_str(), "backups");
///
/// let err = RepositoryName::new("a,b").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"invalid repository name [a,b]: must not contain any of \ / * ? " < > | , #"#
/// );
/// assert!(RepositoryName::new("*").is_err());
/// assert!(RepositoryName::new("_all").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RepositoryName(String);

impl RepositoryName {
    /// Checks `name` against the rule.
    pub fn new(name: impl Into<String>) -> Result<RepositoryName, InvalidRepositoryName> {
        let name = name.into();
        match check_cluster_name(&name) {
            Ok(()) => Ok(RepositoryName(name)),
            Err(reason) => Err(InvalidRepositoryName { name, reason }),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RepositoryName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<RepositoryName> for String {
    fn from(name: RepositoryName) -> String {
        name.0
    }
}

impl fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A repository name that breaks the rule of [`RepositoryName`]; `Display`
/// is meant for the operator.
///
/// ```
/// use backup_actuator_core::RepositoryName;
///
/// let err = RepositoryName::new("_all").unwrap_err();
/// assert_eq!(err.name(), "_all");
/// assert_eq!(err.reason(), "must not start with '_'");
/// assert_eq!(err.to_string(), "invalid repository name [_all]: must not start with '_'");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid repository name [{name}]: {reason}")]
pub struct InvalidRepositoryName {
    name: String,
    reason: &'static str,
}

impl InvalidRepositoryName {
    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which rule it breaks.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_name_that_would_widen_cluster_requests_is_refused() {
        for name in [
            "*", "a*", "a,b", "_all", "a/b", "a\\b", "a?", "a\"", "a<", "a>", "a|", "a#",
        ] {
            assert!(RepositoryName::new(name).is_err(), "{name}");
        }
    }

    #[test]
    fn a_repository_name_is_refused_for_the_first_rule_it_breaks() {
        let reason = |name: &str| RepositoryName::new(name).unwrap_err().reason();
        assert_eq!(reason(""), "must not be empty");
        assert_eq!(reason("_x y"), "must not start with '_'");
        assert_eq!(reason("with space"), "must not contain whitespace");
        assert_eq!(reason("tab\there"), "must not contain whitespace");
        assert_eq!(
            reason("a,b"),
            r#"must not contain any of \ / * ? " < > | , #"#
        );
    }

    #[test]
    fn a_repository_name_may_have_uppercase_dots_and_dashes() {
        // Unlike a snapshot prefix, a repository name need not be lowercase.
        for name in ["backups", "Backups", "my-repo.v2", "a_b", "x"] {
            assert_eq!(RepositoryName::new(name).unwrap().as_str(), name);
        }
        assert!(check_prefix("Backups").is_err());
    }

    #[test]
    fn the_prefix_rule_is_the_repository_rule_and_lowercase() {
        for name in ["", "_x", "a b", "a*", "a,b"] {
            assert_eq!(
                check_prefix(name).unwrap_err(),
                RepositoryName::new(name).unwrap_err().reason()
            );
        }
        assert_eq!(check_prefix("Upper"), Err("must be lowercase"));
        assert_eq!(check_prefix("camunda_optimize"), Ok(()));
    }
}
