//! The query parameters of a get, as each flavor reads and validates them
//! (`RestGetSnapshotsAction.prepareRequest` and `GetSnapshotsRequest.validate`, §4.1).
//!
//! The order of the reads is the engines' order: the first bad parameter is the one
//! reported, and the parameters a flavor does not read stay unknown (400).

use base64::Engine as _;

use super::page::{Paging, SortKey};
use super::select::Filters;
use crate::api::error::{illegal_arg, validation, R};
use crate::api::params::Params;
use crate::api::snapshot_info::RenderOpts;
use crate::model::EmulatedSnapshotState;
use crate::Flavor;

/// What a get asks for besides the repositories and names in its path.
pub(super) struct GetParams<'a> {
    pub(super) ignore_unavailable: bool,
    pub(super) verbose: bool,
    pub(super) paging: Paging<'a>,
    pub(super) filters: Filters<'a>,
    pub(super) render: RenderOpts,
}

impl<'a> GetParams<'a> {
    /// Reads every parameter the flavor knows, refuses unknown ones, then validates the
    /// combination.
    pub(super) fn parse(flavor: Flavor, p: &mut Params<'a>, path: &str) -> R<GetParams<'a>> {
        let ignore_unavailable = p.bool("ignore_unavailable", false)?;
        let verbose = p.bool("verbose", true)?;
        let paging_known = flavor.es_at_least(7, 14);
        let (paging, filters) = if paging_known {
            (read_paging(flavor, p)?, read_filters(flavor, p)?)
        } else {
            (Paging::default(), Filters::default())
        };
        p.master_timeout()?;
        let render = render_opts(flavor, p, verbose)?;
        p.finish(path)?;
        let params = GetParams {
            ignore_unavailable,
            verbose,
            paging,
            filters,
            render,
        };
        if paging_known {
            params.validate()?;
        }
        Ok(params)
    }

    /// `GetSnapshotsRequest.validate` (7.14+): every problem, in the engine's order.
    fn validate(&self) -> R<()> {
        let pg = &self.paging;
        let mut errors = Vec::new();
        if pg.size == 0 || pg.size < -1 {
            errors.push("size must be -1 or greater than 0".to_string());
        }
        if pg.offset < 0 {
            errors.push("offset must be greater than or equal to 0".to_string());
        }
        if !self.verbose {
            let refused = [
                (pg.sort != SortKey::StartTime, "non-default sort"),
                (pg.size > 0, "size limit"),
                (pg.offset > 0, "offset"),
                (pg.after.is_some(), "after"),
                (pg.desc, "non-default sort order"),
                (!self.filters.policies.is_empty(), "slm policy filter"),
                (pg.from_sort_value.is_some(), "from_sort_value"),
            ];
            for (given, what) in refused {
                if given {
                    errors.push(format!("can't use {what} with verbose=false"));
                }
            }
        } else {
            if pg.after.is_some() && pg.offset > 0 {
                errors.push("can't use after and offset simultaneously".to_string());
            }
            if pg.after.is_some() && pg.from_sort_value.is_some() {
                errors.push("can't use after and from_sort_value simultaneously".to_string());
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(validation(&errors))
        }
    }
}

/// `after`, `from_sort_value`, `sort`, `size`, `offset`, `order`, in that order.
fn read_paging<'a>(flavor: Flavor, p: &mut Params<'a>) -> R<Paging<'a>> {
    let mut paging = Paging::default();
    if let Some(a) = p.str("after") {
        paging.after = Some(decode_after(a)?);
    }
    if flavor.es_at_least(7, 16) {
        paging.from_sort_value = p.str("from_sort_value");
    }
    if let Some(s) = p.str("sort") {
        paging.sort = SortKey::parse(flavor, s)
            .ok_or_else(|| illegal_arg(format!("unknown sort key [{s}]")))?;
    }
    paging.size = p.int("size", -1)?;
    if flavor.es_at_least(7, 15) {
        paging.offset = p.int("offset", 0)?;
    }
    if let Some(o) = p.str("order") {
        paging.desc = match o.to_ascii_lowercase().as_str() {
            "asc" => false,
            "desc" => true,
            _ => return Err(illegal_arg(format!("Unknown SortOrder [{o}]"))),
        };
    }
    Ok(paging)
}

/// The `after` cursor: URL-safe base64 of `value,repository,name`.
fn decode_after(a: &str) -> R<(String, String, String)> {
    let decoded = base64::engine::general_purpose::URL_SAFE
        .decode(a)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    match decoded.split(',').collect::<Vec<_>>()[..] {
        [value, repo, name] => Ok((value.to_string(), repo.to_string(), name.to_string())),
        _ => Err(illegal_arg(format!("invalid ?after parameter [{a}]"))),
    }
}

/// `slm_policy_filter`, then `state`.
fn read_filters<'a>(flavor: Flavor, p: &mut Params<'a>) -> R<Filters<'a>> {
    let mut filters = Filters::default();
    if flavor.es_at_least(7, 16) {
        if let Some(f) = p.str("slm_policy_filter") {
            filters.policies = f.split(',').filter(|s| !s.is_empty()).collect();
        }
    }
    if flavor.es_at_least(9, 1) {
        if let Some(st) = p.str("state") {
            let mut list = Vec::new();
            for item in st.split(',').filter(|s| !s.is_empty()) {
                let state =
                    EmulatedSnapshotState::parse(&item.to_ascii_uppercase()).ok_or_else(|| {
                        illegal_arg(format!(
                            "No enum constant org.elasticsearch.snapshots.SnapshotState.{item}"
                        ))
                    })?;
                list.push(state);
            }
            filters.states = Some(list);
        }
    }
    Ok(filters)
}

/// How each snapshot is printed: `human` always, the rest from the release that added it.
fn render_opts(flavor: Flavor, p: &mut Params<'_>, verbose: bool) -> R<RenderOpts> {
    let mut opts = RenderOpts {
        verbose,
        human: p.bool("human", false)?,
        ..RenderOpts::default()
    };
    if flavor.es_at_least(7, 13) {
        opts.index_details = p.bool("index_details", false)?;
    }
    if flavor.es_at_least(7, 14) {
        opts.include_repository = p.bool("include_repository", true)?;
    }
    if flavor.es_at_least(8, 3) {
        opts.index_names = p.bool("index_names", true)?;
    }
    Ok(opts)
}
