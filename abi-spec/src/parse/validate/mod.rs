//! Raw tables into a [`Spec`]. Each table kind is checked in its own file,
//! in the order the tables depend on each other: the ABI's versions bound
//! every `since`, fields name features and structs, waivers name structs
//! and fields. Then come the checks across structs (nesting order, versions
//! of nested structs) and, on a spec that passed all of them, its sizes.

mod abi;
mod constants;
mod features;
mod fields;
mod flags;
mod order;
mod sizes;
mod structs;
mod values;
mod waivers;

use std::sync::Arc;

use crate::model::Spec;
use crate::parse::ctxt::Ctxt;
use crate::parse::raw::RawSpec;
use crate::source::Source;

/// Validates every table of `raw`; `None` when anything is wrong (the
/// reasons are in `cx`).
pub(super) fn spec(cx: &mut Ctxt, source: Arc<Source>, raw: RawSpec) -> Option<Spec> {
    let abi = abi::validate(cx, &raw);
    let features = features::validate(cx, &raw, abi.as_ref());
    let constants = constants::validate(cx, &raw, &features);
    let structs = structs::validate(cx, &raw, abi.as_ref(), &features);
    let flags = flags::validate(cx, &raw, abi.as_ref(), &structs);
    let dependency_order = order::dependency_order(cx, &structs);
    order::nested_versions(cx, &structs);
    order::anonymous_members(cx, &structs);
    let waivers = waivers::validate(cx, &raw, &structs);
    let abi = abi?;
    if !cx.is_ok() {
        return None;
    }
    let spec = Spec {
        source,
        abi,
        features,
        constants,
        structs,
        flags,
        waivers,
        dependency_order: dependency_order?,
        layouts: Default::default(),
    };
    sizes::layouts(cx, &spec);
    if cx.is_ok() {
        sizes::size_constants(cx, &spec);
    }
    if !cx.is_ok() {
        return None;
    }
    Some(spec)
}
