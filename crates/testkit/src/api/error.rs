//! [`EsErr`], an engine exception as the error envelope prints it (§1.1), and the errors
//! several handlers raise.

use crate::json::{obj, J};
use crate::state::{Repo, Snap};

/// An Elasticsearch exception as printed by the error envelope (§1.1).
#[derive(Debug, Clone)]
pub(crate) struct EsErr {
    pub status: u16,
    pub ty: String,
    pub reason: String,
    pub extra: Vec<(String, J)>,
    pub cause: Option<Box<EsErr>>,
    pub headers: Vec<(String, String)>,
    /// A Java exception that is not the engine's own (`NoSuchFileException`):
    /// printed in `caused_by`, but never chosen as the `root_cause`, which
    /// is the innermost *engine* exception.
    pub foreign: bool,
}

impl EsErr {
    pub(super) fn new(status: u16, ty: &str, reason: impl Into<String>) -> EsErr {
        EsErr {
            status,
            ty: ty.to_string(),
            reason: reason.into(),
            extra: Vec::new(),
            cause: None,
            headers: Vec::new(),
            foreign: false,
        }
    }

    pub(super) fn caused_by(mut self, cause: EsErr) -> EsErr {
        self.cause = Some(Box::new(cause));
        self
    }

    pub(super) fn fields(&self, with_cause: bool) -> J {
        let mut o = obj()
            .f("type", self.ty.as_str())
            .f("reason", self.reason.as_str());
        for (k, v) in &self.extra {
            o.push(k, v.clone());
        }
        if with_cause {
            if let Some(c) = &self.cause {
                o.push("caused_by", c.fields(true));
            }
        }
        o
    }

    /// `{"error":{"root_cause":[…],"type":…,"reason":…,"caused_by"?:…},"status":N}`
    pub(super) fn envelope(&self) -> J {
        let mut root = self;
        while let Some(c) = root.cause.as_ref().filter(|c| !c.foreign) {
            root = c;
        }
        let mut error = obj().f("root_cause", J::Arr(vec![root.fields(false)]));
        if let J::Obj(fields) = self.fields(true) {
            for (k, v) in fields {
                error.push(&k, v);
            }
        }
        obj()
            .f("error", error)
            .f("status", J::Int(i64::from(self.status)))
    }
}

pub(super) type R<T> = Result<T, EsErr>;

pub(super) fn illegal_arg(reason: impl Into<String>) -> EsErr {
    EsErr::new(400, "illegal_argument_exception", reason)
}

pub(super) fn validation(errors: &[String]) -> EsErr {
    let mut reason = "Validation Failed: ".to_string();
    for (i, e) in errors.iter().enumerate() {
        reason.push_str(&format!("{}: {};", i + 1, e));
    }
    EsErr::new(400, "action_request_validation_exception", reason)
}

/// What every snapshot request answers once a repository's contents were
/// lost under the engine (its directory removed): the engines disable it
/// until it is removed and registered again (recorded by the server's
/// `live_faults` suite, `tests/fixtures/faults/*/directory_removed.json`).
pub(super) fn repo_corrupted(name: &str) -> EsErr {
    EsErr::new(
        500,
        "repository_exception",
        format!(
            "[{name}] Could not read repository data because the contents of the repository do \
             not match its expected state. This is likely the result of either concurrently \
             modifying the contents of the repository by a process other than this cluster or \
             an issue with the repository's underlying storage. The repository has been \
             disabled to prevent corrupting its contents. To re-enable it and continue using \
             it please remove the repository from the cluster and add it again to make the \
             cluster recover the known state of the repository from its physical contents."
        ),
    )
}

pub(super) fn repo_missing(name: &str) -> EsErr {
    EsErr::new(
        404,
        "repository_missing_exception",
        format!("[{name}] missing"),
    )
}

/// What a verbose read of a snapshot whose `snap-{uuid}.dat` is gone
/// answers: 404 `snapshot_missing_exception` `[repo:name/uuid] is missing`,
/// caused by `no_such_file_exception` naming the blob's path.
pub(super) fn missing_blob(repo: &Repo, snap: &Snap) -> EsErr {
    let location = repo
        .settings
        .iter()
        .find(|(k, _)| k == "location")
        .map_or("", |(_, v)| v.as_str());
    EsErr::new(
        404,
        "snapshot_missing_exception",
        format!("[{}:{}/{}] is missing", repo.name, snap.name, snap.uuid),
    )
    .caused_by(EsErr {
        foreign: true,
        ..EsErr::new(
            404,
            "no_such_file_exception",
            format!("{}/snap-{}.dat", location.trim_end_matches('/'), snap.uuid),
        )
    })
}

pub(super) fn snapshot_missing(repo: &str, name: &str) -> EsErr {
    EsErr::new(
        404,
        "snapshot_missing_exception",
        format!("[{repo}:{name}] is missing"),
    )
}

/// `index_not_found_exception` (§3.3), as a create naming an undeclared index and an index
/// deletion both print it.
pub(super) fn index_not_found(index: &str) -> EsErr {
    let mut e = EsErr::new(
        404,
        "index_not_found_exception",
        format!("no such index [{index}]"),
    );
    e.extra = vec![
        ("resource.type".to_string(), J::from("index_or_alias")),
        ("resource.id".to_string(), J::from(index)),
        ("index_uuid".to_string(), J::from("_na_")),
        ("index".to_string(), J::from(index)),
    ];
    e
}
