//! `GET /` and `HEAD /` (§7): the node, cluster and version banner.

use super::render::{Body, Reply};
use crate::json::obj;
use crate::state::Core;

pub(super) fn root(core: &Core, head: bool) -> Reply {
    let f = core.flavor;
    let (hash, date) = f.build();
    let (wire, index) = f.min_compat();
    let version = if f.is_opensearch() {
        obj()
            .f("distribution", "opensearch")
            .f("number", f.version())
            .f("build_type", "tar")
            .f("build_hash", hash)
            .f("build_date", date)
            .f("build_snapshot", false)
            .f("lucene_version", f.lucene_version())
            .f("minimum_wire_compatibility_version", wire)
            .f("minimum_index_compatibility_version", index)
    } else {
        obj()
            .f("number", f.version())
            .f("build_flavor", "default")
            .f("build_type", "docker")
            .f("build_hash", hash)
            .f("build_date", date)
            .f("build_snapshot", false)
            .f("lucene_version", f.lucene_version())
            .f("minimum_wire_compatibility_version", wire)
            .f("minimum_index_compatibility_version", index)
    };
    let tagline = if f.is_opensearch() {
        "The OpenSearch Project: https://opensearch.org/"
    } else {
        "You Know, for Search"
    };
    let body = obj()
        .f("name", core.node_name.as_str())
        .f("cluster_name", "testkit-cluster")
        .f("cluster_uuid", core.cluster_uuid.as_str())
        .f("version", version)
        .f("tagline", tagline);
    if head {
        return Reply {
            status: 200,
            body: Body::Empty,
            headers: Vec::new(),
            default_pretty: false,
        };
    }
    // RestMainAction pretty-prints unless `pretty` is given.
    Reply {
        status: 200,
        body: Body::Json(body),
        headers: Vec::new(),
        default_pretty: true,
    }
}
