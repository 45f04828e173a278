//! `*` wildcards as the cluster applies them to snapshot names.

/// Whether `name` matches `pattern`, where `*` stands for any run of
/// characters (including none) and everything else is literal.
pub(crate) fn glob_matches(pattern: &str, name: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn a_star_matches_any_run_and_the_rest_is_literal() {
        assert!(glob_matches(
            "camunda_optimize_1_*",
            "camunda_optimize_1_8.6.0_part_1_of_2"
        ));
        assert!(!glob_matches(
            "camunda_optimize_1_*",
            "camunda_optimize_10_8.6.0_part_1_of_2"
        ));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("*_part_2_of_2", "x_part_2_of_2"));
        assert!(glob_matches("a*b*c", "abc"));
        assert!(!glob_matches("a*b*c", "acb"));
        assert!(glob_matches("exact", "exact"));
        assert!(!glob_matches("exact", "exactly"));
        // The last piece may not reuse what a middle piece matched.
        assert!(!glob_matches("*ab*ab", "ab"));
    }
}
