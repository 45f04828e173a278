//! The two parameters of the list routes (SPEC §1): `verbose` and
//! `pattern`, as Camunda's Operate and Tasklist take them.
//!
//! The query string is decoded by the host (it is HTTP); what arrives here
//! are decoded `(name, value)` pairs, checked once, so that no unchecked
//! text reaches a snapshot name.

use std::fmt;

use crate::plan::BackupPlan;

/// The longest `pattern` taken: room for a 19-digit id with wildcards
/// around it, and short enough that no answer echoes much.
pub const MAX_ID_PATTERN_LEN: usize = 64;

/// A wildcard over backup ids: 1 to [`MAX_ID_PATTERN_LEN`] characters, each
/// an ASCII digit or `*`.
///
/// It can carry no `,`, no `_` and no other character a cluster reads
/// specially, so `{prefix}_{pattern}` is a pattern over this plan's names
/// and nothing else.
///
/// ```
/// use backup_actuator_core::IdPattern;
///
/// assert_eq!(IdPattern::parse("20250401*").unwrap().as_str(), "20250401*");
/// assert!(IdPattern::parse("1,*").is_err());
/// assert!(IdPattern::parse("").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdPattern(String);

impl IdPattern {
    /// Checks `pattern` as sent (after the query string's own decoding).
    pub fn parse(pattern: &str) -> Result<IdPattern, InvalidListQuery> {
        let fits = (1..=MAX_ID_PATTERN_LEN).contains(&pattern.len())
            && pattern.bytes().all(|b| b.is_ascii_digit() || b == b'*');
        if fits {
            Ok(IdPattern(pattern.to_owned()))
        } else {
            Err(InvalidListQuery::Pattern {
                pattern: pattern.to_owned(),
            })
        }
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a list read asks for: the default is every backup, in full.
///
/// ```
/// use backup_actuator_core::{BackupPlan, ListQuery};
///
/// let plan = BackupPlan::optimize("8.6.0").unwrap();
/// let query = ListQuery::from_params([("verbose", "false"), ("pattern", "2025*")]).unwrap();
/// assert!(!query.verbose);
/// assert_eq!(query.lookup_pattern(&plan), "camunda_optimize_2025*");
/// assert!(!query.is_full());
///
/// let all = ListQuery::from_params([("size", "10")]).unwrap();
/// assert_eq!(all, ListQuery::default());
/// assert_eq!(all.lookup_pattern(&plan), "camunda_optimize_*");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// `false`: names and states only (`verbose=false`): no start times,
    /// no shard failures, no per-snapshot metadata read by the cluster.
    pub verbose: bool,
    /// Only the backups whose ids match (`pattern=P`); `None`: all.
    pub pattern: Option<IdPattern>,
}

impl Default for ListQuery {
    fn default() -> ListQuery {
        ListQuery {
            verbose: true,
            pattern: None,
        }
    }
}

impl ListQuery {
    /// Reads the decoded query parameters of a list request. Parameters
    /// other than `verbose` and `pattern` are ignored; a repeated one
    /// counts by its last value, as a repeated `backupId` key does (§2).
    ///
    /// `verbose` is `true` or `false` (any case); `pattern` follows
    /// [`IdPattern::parse`].
    pub fn from_params<I, K, V>(params: I) -> Result<ListQuery, InvalidListQuery>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut verbose = None;
        let mut pattern = None;
        for (name, value) in params {
            match name.as_ref() {
                "verbose" => verbose = Some(value.as_ref().to_owned()),
                "pattern" => pattern = Some(value.as_ref().to_owned()),
                _ => {}
            }
        }
        let verbose = match verbose {
            None => true,
            Some(value) if value.eq_ignore_ascii_case("true") => true,
            Some(value) if value.eq_ignore_ascii_case("false") => false,
            Some(value) => return Err(InvalidListQuery::Verbose { value }),
        };
        let pattern = pattern.as_deref().map(IdPattern::parse).transpose()?;
        Ok(ListQuery { verbose, pattern })
    }

    /// The snapshot lookup for this query: the plan's list pattern, or
    /// `{prefix}_{pattern}`.
    pub fn lookup_pattern(&self, plan: &BackupPlan) -> String {
        match &self.pattern {
            Some(pattern) => format!("{}_{}", plan.prefix(), pattern),
            None => plan.list_pattern(),
        }
    }

    /// Whether this is the whole list, in full: the read that can stand
    /// for the repository (in metrics, for example).
    pub fn is_full(&self) -> bool {
        self.verbose && self.pattern.is_none()
    }
}

/// A list query parameter that breaks its rule; its `Display` is the
/// `detailedMessage` of the 400 (SPEC §1).
///
/// ```
/// use backup_actuator_core::ListQuery;
///
/// let err = ListQuery::from_params([("pattern", "1_*")]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "Invalid backup ID pattern [1_*]: must be 1 to 64 characters, each a digit or *"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidListQuery {
    /// `pattern` is empty, too long, or holds a character other than a
    /// digit or `*`.
    #[error("Invalid backup ID pattern [{pattern}]: must be 1 to {MAX_ID_PATTERN_LEN} characters, each a digit or *")]
    Pattern {
        /// The pattern as sent.
        pattern: String,
    },
    /// `verbose` is neither `true` nor `false`.
    #[error("Invalid verbose [{value}]: must be true or false")]
    Verbose {
        /// The value as sent.
        value: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(params: &[(&str, &str)]) -> Result<ListQuery, InvalidListQuery> {
        ListQuery::from_params(params.iter().copied())
    }

    #[test]
    fn no_parameters_is_the_whole_list_in_full() {
        assert_eq!(query(&[]), Ok(ListQuery::default()));
        assert!(ListQuery::default().is_full());
    }

    #[test]
    fn verbose_is_true_or_false_in_any_case() {
        assert!(!query(&[("verbose", "false")]).unwrap().verbose);
        assert!(!query(&[("verbose", "FALSE")]).unwrap().verbose);
        assert!(query(&[("verbose", "true")]).unwrap().verbose);
        for bad in ["", "0", "no", "yes", "falsey"] {
            assert_eq!(
                query(&[("verbose", bad)]),
                Err(InvalidListQuery::Verbose { value: bad.into() }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn pattern_is_digits_and_stars_from_1_to_64_characters() {
        for good in ["1", "*", "2025*", "*1*", &"9".repeat(64)] {
            assert_eq!(
                query(&[("pattern", good)])
                    .unwrap()
                    .pattern
                    .unwrap()
                    .as_str(),
                good
            );
        }
        for bad in [
            "",
            "1,2",
            "1_*",
            "a",
            "-1",
            "1 ",
            "１",
            "?",
            &"9".repeat(65),
        ] {
            assert_eq!(
                query(&[("pattern", bad)]),
                Err(InvalidListQuery::Pattern {
                    pattern: bad.into()
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn other_parameters_are_ignored_and_the_last_repeat_counts() {
        let q = query(&[
            ("size", "x"),
            ("pattern", "a"),
            ("pattern", "7*"),
            ("verbose", "true"),
            ("verbose", "false"),
        ])
        .unwrap();
        assert_eq!(q.pattern.unwrap().as_str(), "7*");
        assert!(!q.verbose);
    }

    #[test]
    fn the_lookup_is_the_prefix_and_the_pattern() {
        let plan = BackupPlan::builder()
            .prefix("mine")
            .version("1.2.3")
            .part(["a"])
            .build()
            .unwrap();
        let q = query(&[("pattern", "12*")]).unwrap();
        assert_eq!(q.lookup_pattern(&plan), "mine_12*");
        assert_eq!(ListQuery::default().lookup_pattern(&plan), "mine_*");
    }
}
