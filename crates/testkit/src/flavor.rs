//! The emulated products and versions.

use std::fmt;

/// Which server (product and release) an [`EmulatedCluster`](crate::EmulatedCluster) answers as.
///
/// Every difference on the wire between these releases that the snapshot API exposes
/// is taken from the wire reference (`es-os-snapshot-wire.md`): headers, body shapes,
/// field order, error types and messages, known query parameters.
///
/// ```
/// use backup_actuator_testkit::Flavor;
///
/// assert_eq!(Flavor::Elasticsearch8_15.version(), "8.15.3");
/// assert_eq!(Flavor::Elasticsearch8_15.to_string(), "Elasticsearch 8.15.3");
/// assert!(Flavor::OpenSearch2.is_opensearch());
/// assert_eq!(Flavor::ALL.len(), 9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flavor {
    /// Elasticsearch 7.10.2, the last release before the OpenSearch fork.
    Elasticsearch7_10,
    /// Elasticsearch 7.17.22 (product header, paging, `total`/`remaining`).
    Elasticsearch7_17,
    /// Elasticsearch 8.3.3 (`index_names`; the release string as the snapshot `version`).
    Elasticsearch8_3,
    /// Elasticsearch 8.13.4 (last release where pattern-only GETs matching nothing give 404).
    Elasticsearch8_13,
    /// Elasticsearch 8.15.3 (empty 200 for unmatched patterns, DELETE `wait_for_completion`).
    Elasticsearch8_15,
    /// Elasticsearch 9.1.0 (no top-level `failures`, `state` filter).
    Elasticsearch9,
    /// OpenSearch 1.3.19 (7.10 formats, `master_timeout` only).
    OpenSearch1,
    /// OpenSearch 2.11.0 (`cluster_manager_timeout`, `remote_store_index_shallow_copy`).
    OpenSearch2,
    /// OpenSearch 3.1.0.
    OpenSearch3,
}

impl Flavor {
    /// All emulated flavors, oldest Elasticsearch first, then OpenSearch.
    pub const ALL: [Flavor; 9] = [
        Flavor::Elasticsearch7_10,
        Flavor::Elasticsearch7_17,
        Flavor::Elasticsearch8_3,
        Flavor::Elasticsearch8_13,
        Flavor::Elasticsearch8_15,
        Flavor::Elasticsearch9,
        Flavor::OpenSearch1,
        Flavor::OpenSearch2,
        Flavor::OpenSearch3,
    ];

    /// The release number reported in `GET /` (`version.number`), e.g. `"8.15.3"`.
    pub fn version(self) -> &'static str {
        match self {
            Flavor::Elasticsearch7_10 => "7.10.2",
            Flavor::Elasticsearch7_17 => "7.17.22",
            Flavor::Elasticsearch8_3 => "8.3.3",
            Flavor::Elasticsearch8_13 => "8.13.4",
            Flavor::Elasticsearch8_15 => "8.15.3",
            Flavor::Elasticsearch9 => "9.1.0",
            Flavor::OpenSearch1 => "1.3.19",
            Flavor::OpenSearch2 => "2.11.0",
            Flavor::OpenSearch3 => "3.1.0",
        }
    }

    /// `true` for the OpenSearch flavors.
    pub fn is_opensearch(self) -> bool {
        matches!(
            self,
            Flavor::OpenSearch1 | Flavor::OpenSearch2 | Flavor::OpenSearch3
        )
    }

    /// The product name: `"Elasticsearch"` or `"OpenSearch"`.
    pub fn product(self) -> &'static str {
        if self.is_opensearch() {
            "OpenSearch"
        } else {
            "Elasticsearch"
        }
    }

    fn major_minor(self) -> (u32, u32) {
        let mut it = self
            .version()
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    }

    /// Elasticsearch at or above `major.minor` (always false for OpenSearch).
    pub(crate) fn es_at_least(self, major: u32, minor: u32) -> bool {
        !self.is_opensearch() && self.major_minor() >= (major, minor)
    }

    /// OpenSearch at or above `major.minor` (always false for Elasticsearch).
    pub(crate) fn os_at_least(self, major: u32, minor: u32) -> bool {
        self.is_opensearch() && self.major_minor() >= (major, minor)
    }

    /// `version_id` of snapshots taken by this server (§4.4 table).
    pub(crate) fn snapshot_version_id(self) -> i64 {
        match self {
            Flavor::Elasticsearch7_10 => 7_10_02_99,
            Flavor::Elasticsearch7_17 => 7_17_22_99,
            Flavor::Elasticsearch8_3 => 8_03_03_99,
            // ES 8.10+: the index-version id (§0, §10.2).
            Flavor::Elasticsearch8_13 => 8_503_000,
            Flavor::Elasticsearch8_15 => 8_512_000,
            // [INFER] 9.1 index versions are `9_0xx_0_00`; the exact 9.1.0 id is not in the reference.
            Flavor::Elasticsearch9 => 9_033_000,
            // OpenSearch: MMmmrr99 with bit 27 set (§10.3).
            Flavor::OpenSearch1 => 1_03_19_99 ^ 0x0800_0000,
            Flavor::OpenSearch2 => 2_11_00_99 ^ 0x0800_0000,
            Flavor::OpenSearch3 => 3_01_00_99 ^ 0x0800_0000,
        }
    }

    /// `version` string of snapshots taken by this server (§4.4: index-version id on ES 8.10+).
    pub(crate) fn snapshot_version(self) -> String {
        if self.es_at_least(8, 10) {
            self.snapshot_version_id().to_string()
        } else {
            self.version().to_string()
        }
    }

    pub(crate) fn lucene_version(self) -> &'static str {
        match self {
            Flavor::Elasticsearch7_10 => "8.7.0",
            Flavor::Elasticsearch7_17 => "8.11.3",
            Flavor::Elasticsearch8_3 => "9.2.0",
            Flavor::Elasticsearch8_13 => "9.10.0",
            Flavor::Elasticsearch8_15 => "9.11.1",
            Flavor::Elasticsearch9 => "10.2.2",
            Flavor::OpenSearch1 => "8.10.1",
            Flavor::OpenSearch2 => "9.7.0",
            Flavor::OpenSearch3 => "10.2.1",
        }
    }

    /// (minimum wire, minimum index) compatibility versions (§7 table).
    pub(crate) fn min_compat(self) -> (&'static str, &'static str) {
        match self {
            Flavor::Elasticsearch7_10 | Flavor::Elasticsearch7_17 => ("6.8.0", "6.0.0-beta1"),
            Flavor::Elasticsearch8_3 | Flavor::Elasticsearch8_13 | Flavor::Elasticsearch8_15 => {
                ("7.17.0", "7.0.0")
            }
            Flavor::Elasticsearch9 => ("8.19.0", "8.0.0"),
            Flavor::OpenSearch1 => ("6.8.0", "6.0.0-beta1"),
            Flavor::OpenSearch2 => ("7.10.0", "7.0.0"),
            Flavor::OpenSearch3 => ("2.19.0", "2.0.0"),
        }
    }

    /// A plausible (not authoritative) build hash and build date.
    pub(crate) fn build(self) -> (&'static str, &'static str) {
        match self {
            Flavor::Elasticsearch7_10 => (
                "747e1cc71def077253878a59143c1f785afa92b9",
                "2021-01-13T00:42:12.435326Z",
            ),
            Flavor::Elasticsearch7_17 => (
                "38e9ca2e81304a821c50862dafab089ca863944b",
                "2024-06-06T07:35:17.876121680Z",
            ),
            // The reference's `GET /` of 8.3.3 (§6).
            Flavor::Elasticsearch8_3 => (
                "801fed82df74dbe537f89b71b098ccaff88d2c56",
                "2022-07-23T19:30:09.227964828Z",
            ),
            Flavor::Elasticsearch8_13 => (
                "da95df118650b55a500dcc181889ac35c6d8da7c",
                "2024-05-06T22:04:45.107454559Z",
            ),
            Flavor::Elasticsearch8_15 => (
                "f97532e680b555c3a05e73a74c28afb666923018",
                "2024-10-09T22:08:00.328917561Z",
            ),
            Flavor::Elasticsearch9 => (
                "cc7302afc8499e83262ba2ceaa96451681f0609d",
                "2025-07-17T22:09:45.472069740Z",
            ),
            Flavor::OpenSearch1 => (
                "9bf8b1b1d7d7a4c0a0f0a5a8e2dfd6c4e0b3f1a2",
                "2024-04-30T15:08:15.427406Z",
            ),
            Flavor::OpenSearch2 => (
                "4dcad6dd1fd45b6bd91f041a041829c8687278fa",
                "2023-10-13T02:55:55.511945994Z",
            ),
            Flavor::OpenSearch3 => (
                "21c6a5f7a5b0b3a9e2c4e7b6f9d0c1a2b3c4d5e6",
                "2025-06-20T03:24:55.391215Z",
            ),
        }
    }

    /// ES ≥ 7.14 sends `X-elastic-product: Elasticsearch` on every response (§7).
    pub(crate) fn sends_product_header(self) -> bool {
        self.es_at_least(7, 14)
    }

    /// `application/json; charset=UTF-8` on ES 7.x and OpenSearch, `application/json` on ES 8/9 (§1.3).
    pub(crate) fn json_content_type(self) -> &'static str {
        if self.es_at_least(8, 0) {
            "application/json"
        } else {
            "application/json; charset=UTF-8"
        }
    }

    /// The set printed by rule 7 of §3.2 (HashSet order on ES 7.x/OpenSearch, sorted and quoted on newer ES).
    pub(crate) fn invalid_filename_chars(self) -> &'static str {
        if self.es_at_least(8, 0) {
            r#"[' ','"','*',',','/','<','>','?','\','|']"#
        } else {
            r#"[ , ", *, \, <, |, ,, >, /, ?]"#
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.product(), self.version())
    }
}
