//! What the cluster is, read once from `GET /`, and which parameters that
//! product and version understand.

use backup_actuator_core::Product;

/// The product and version of a cluster, as `GET /` reported them.
///
/// The product is decided by `version.distribution == "opensearch"`, never
/// by the number (OpenSearch 1.x can be configured to report `7.10.2`).
///
/// ```
/// use backup_actuator_core::Product;
/// use backup_actuator_search::ClusterInfo;
///
/// let info = ClusterInfo::new(Product::Elasticsearch, "8.15.3-SNAPSHOT").unwrap();
/// assert_eq!((info.major, info.minor, info.patch), (8, 15, 3));
/// assert!(ClusterInfo::new(Product::OpenSearch, "two").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterInfo {
    /// Elasticsearch or OpenSearch.
    pub product: Product,
    /// `version.number` as reported, e.g. `8.15.3` or `2.11.0`.
    pub number: String,
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
    /// The patch version (0 when not given).
    pub patch: u32,
}

impl ClusterInfo {
    /// Reads a version number such as `8.15.3`, `9.0.0-beta1` or `8.6`;
    /// `None` when it does not start with `major.minor`.
    pub fn new(product: Product, number: &str) -> Option<ClusterInfo> {
        let mut parts = number.split('.').map(leading_number);
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(ClusterInfo {
            product,
            number: number.to_owned(),
            major,
            minor,
            patch,
        })
    }

    fn es_at_least(&self, major: u32, minor: u32) -> bool {
        self.product == Product::Elasticsearch && (self.major, self.minor) >= (major, minor)
    }

    /// ES ≥ 8.3 knows `index_names=false` (drops the index lists).
    pub(crate) fn knows_index_names(&self) -> bool {
        self.es_at_least(8, 3)
    }

    /// ES ≥ 7.14 pages GET snapshots with `size` and `after`/`next`.
    pub(crate) fn pages_snapshots(&self) -> bool {
        self.es_at_least(7, 14)
    }
}

fn leading_number(part: &str) -> Option<u32> {
    let end = part
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(part.len());
    part[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es(number: &str) -> ClusterInfo {
        ClusterInfo::new(Product::Elasticsearch, number).unwrap()
    }

    #[test]
    fn index_names_only_on_elasticsearch_8_3_and_later() {
        assert!(!es("7.17.22").knows_index_names());
        assert!(!es("8.2.3").knows_index_names());
        assert!(es("8.3.0").knows_index_names());
        assert!(es("9.1.0").knows_index_names());
        assert!(!ClusterInfo::new(Product::OpenSearch, "3.1.0")
            .unwrap()
            .knows_index_names());
    }

    #[test]
    fn paging_only_on_elasticsearch_7_14_and_later() {
        assert!(!es("7.10.2").pages_snapshots());
        assert!(!es("7.13.4").pages_snapshots());
        assert!(es("7.14.0").pages_snapshots());
        assert!(es("8.15.3").pages_snapshots());
        assert!(!ClusterInfo::new(Product::OpenSearch, "2.11.0")
            .unwrap()
            .pages_snapshots());
        // OpenSearch 1.x in compatibility mode reports 7.10.2 and is still OpenSearch.
        assert!(!ClusterInfo::new(Product::OpenSearch, "7.10.2")
            .unwrap()
            .pages_snapshots());
    }

    #[test]
    fn odd_version_numbers() {
        assert_eq!(es("9.0.0-beta1").patch, 0);
        assert_eq!(es("8.6").patch, 0);
        assert_eq!(es("8.13.5-snapshot").patch, 5);
        assert!(ClusterInfo::new(Product::Elasticsearch, "").is_none());
        assert!(ClusterInfo::new(Product::Elasticsearch, "8").is_none());
        assert!(ClusterInfo::new(Product::Elasticsearch, "v8.1").is_none());
    }
}
