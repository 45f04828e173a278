//! `*` wildcards as in Elasticsearch's `Regex.simpleMatch`.

/// Does `pattern` (with `*` matching any run of characters) match `text`?
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Does the name contain a wildcard (`Regex.isSimpleMatchPattern`)?
pub(crate) fn is_pattern(s: &str) -> bool {
    s.contains('*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards() {
        assert!(matches(
            "camunda_*_part_1_of_2",
            "camunda_optimize_1_8.6.0_part_1_of_2"
        ));
        assert!(!matches(
            "camunda_*_part_1_of_2",
            "camunda_optimize_1_8.6.0_part_2_of_2"
        ));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("abc", "abcd"));
    }
}
