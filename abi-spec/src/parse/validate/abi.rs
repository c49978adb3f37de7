//! `[abi]`: the ABI's name, its versions, targets, feature words and
//! license.

use std::collections::HashSet;

use super::values::{c_prefix, identifier, target_help, version_value};
use crate::limits::{MAX_FEATURE_WORDS, MAX_VERSION_COUNT};
use crate::model::Abi;
use crate::parse::ctxt::{shown, Ctxt};
use crate::parse::raw::{span, RawSpec, WasReserved};
use crate::target::Target;

/// Checks `[abi]`. The first version, when not given, is 0 if a `since` or
/// `was_reserved` says 0 or the version is 0, else 1.
pub(super) fn validate(cx: &mut Ctxt, raw: &RawSpec) -> Option<Abi> {
    let a = raw.abi.get_ref();
    let name_ok = identifier(cx, "ABI", &a.name);
    let version = version_value(cx, "version", &a.version);
    let mut any_zero = raw
        .feature
        .iter()
        .filter_map(|f| f.get_ref().since.as_ref())
        .chain(
            raw.structs
                .iter()
                .flat_map(|s| s.get_ref().field.iter())
                .filter_map(|f| f.get_ref().since.as_ref()),
        )
        .any(|s| *s.get_ref() == 0);
    any_zero |= raw
        .structs
        .iter()
        .flat_map(|s| s.get_ref().field.iter())
        .any(|f| {
            matches!(
                f.get_ref().was_reserved.as_ref().map(|w| w.get_ref()),
                Some(WasReserved::Since(0))
            )
        });
    let first_version = match &a.first_version {
        Some(fv) => version_value(cx, "first_version", fv),
        None => Some(if any_zero {
            0
        } else {
            1.min(version.unwrap_or(1))
        }),
    };
    if let (Some(first), Some(version)) = (first_version, version) {
        if first > version {
            cx.error(
                format!("first_version {first} is newer than version {version}"),
                a.first_version.as_ref().map_or(span(&a.version), span),
                "the newest version must be at least the first",
            );
        } else if version - first >= MAX_VERSION_COUNT {
            cx.error(
                format!("{} versions are described", version - first + 1),
                span(&a.version),
                format!("a spec may describe at most {MAX_VERSION_COUNT} versions"),
            );
        }
    }
    let mut targets = Vec::new();
    if let Some(list) = &a.targets {
        let mut seen = HashSet::new();
        for t in list.get_ref() {
            match Target::from_name(t.get_ref()) {
                Some(target) if seen.insert(target) => targets.push(target),
                Some(target) => cx.error(
                    format!("target `{target}` is listed twice"),
                    span(t),
                    "list each target once",
                ),
                None => cx.error(
                    format!("unknown target `{}`", shown(t.get_ref())),
                    span(t),
                    target_help(t.get_ref()),
                ),
            }
        }
        if list.get_ref().is_empty() {
            cx.error(
                "`targets` is empty",
                span(list),
                "remove the key to mean every built-in target, or name at least one",
            );
        }
        targets.sort();
    } else {
        targets = Target::ALL.to_vec();
    }
    let feature_words = match &a.feature_words {
        None => Some(1),
        Some(w) => match u32::try_from(*w.get_ref()) {
            Ok(n @ 1..=MAX_FEATURE_WORDS) => Some(n),
            _ => {
                cx.error(
                    format!("feature_words {} is out of range", w.get_ref()),
                    span(w),
                    format!("an ABI has from 1 to {MAX_FEATURE_WORDS} feature words"),
                );
                None
            }
        },
    };
    if let Some(license) = &a.license {
        let ok = !license.get_ref().is_empty()
            && license
                .get_ref()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" .-+()".contains(&b));
        if !ok {
            cx.error(
                "license is not an SPDX expression",
                span(license),
                "write an SPDX expression such as `GPL-2.0 WITH Linux-syscall-note`",
            );
        }
    }
    let c_prefix = match &a.c_prefix {
        Some(p) if c_prefix(cx, "c_prefix", p) => p.get_ref().clone(),
        Some(_) => String::new(),
        None => format!("{}_", a.name.get_ref().to_ascii_uppercase()),
    };
    Some(Abi {
        name: name_ok.then(|| a.name.get_ref().clone())?,
        version: version?,
        first_version: first_version?,
        doc: a.doc.clone(),
        targets,
        feature_words: feature_words?,
        license: a.license.as_ref().map(|l| l.get_ref().clone()),
        c_prefix,
        unreleased: a.unreleased,
        span: span(&raw.abi),
        version_span: span(&a.version),
    })
}
