//! `*` wildcards as the cluster applies them to snapshot names.

/// Whether `name` matches `pattern`, where `*` stands for any run of
/// characters (including none) and everything else is literal.
///
/// ```
/// use backup_actuator_store::glob_matches;
///
/// assert!(glob_matches("camunda_optimize_1_*", "camunda_optimize_1_8.6.0_part_1_of_2"));
/// assert!(!glob_matches("camunda_optimize_1_*", "camunda_optimize_10_8.6.0_part_1_of_2"));
/// ```
pub fn glob_matches(pattern: &str, name: &str) -> bool {
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
