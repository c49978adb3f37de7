//! `[[feature]]`: names unique ignoring case, one bit each inside the
//! feature words, never reused once retired.

use std::collections::HashMap;

use super::values::{c_name, identifier, since};
use crate::limits::{MAX_FEATURES, MAX_FEATURE_WORDS};
use crate::model::{Abi, Feature};
use crate::parse::ctxt::Ctxt;
use crate::parse::raw::{span, RawSpec};
use crate::source::Span;

/// Checks every `[[feature]]`; the features returned are those that passed.
pub(super) fn validate(cx: &mut Ctxt, raw: &RawSpec, abi: Option<&Abi>) -> Vec<Feature> {
    if raw.feature.len() > MAX_FEATURES {
        cx.error(
            format!("{} features are defined", raw.feature.len()),
            span(&raw.feature[MAX_FEATURES]),
            format!("a spec may define at most {MAX_FEATURES} features"),
        );
        return Vec::new();
    }
    let words = abi.map_or(1, |a| a.feature_words);
    let mut features: Vec<Feature> = Vec::new();
    let mut names: HashMap<String, Span> = HashMap::new();
    let mut bits: HashMap<u32, usize> = HashMap::new();
    for f in &raw.feature {
        let r = f.get_ref();
        let name_ok = identifier(cx, "feature", &r.name);
        if name_ok {
            if let Some(_previous) =
                names.insert(r.name.get_ref().to_ascii_uppercase(), span(&r.name))
            {
                cx.error(
                    format!("feature `{}` is defined twice", r.name.get_ref()),
                    span(&r.name),
                    "feature names are unique (ignoring case: they become C macros)",
                );
            }
        }
        let (since, since_span) = since(cx, &r.since, span(&r.name), abi);
        let bit = *r.bit.get_ref();
        let bit = match u32::try_from(bit) {
            Ok(b) if b < words * 64 => Some(b),
            _ => {
                let help = if bit >= 0 && bit < i64::from(MAX_FEATURE_WORDS) * 64 {
                    format!(
                        "this ABI has {words} feature word{} (bits 0 to {}); raise [abi] feature_words to {}",
                        if words == 1 { "" } else { "s" },
                        words * 64 - 1,
                        bit / 64 + 1
                    )
                } else {
                    format!("bits run from 0 to {}", words * 64 - 1)
                };
                cx.error(
                    format!("bit {bit} is outside the feature words"),
                    span(&r.bit),
                    help,
                );
                None
            }
        };
        let Some(bit) = bit else { continue };
        // A feature on a position-63 bit is a finding of its own
        // (EXTENSION_BIT_ASSIGNED, from the lints), not unusable input:
        // the file is well-formed, its ABI is broken.
        if let Some(&other) = bits.get(&bit) {
            let other: &Feature = &features[other];
            let retired = if other.retired { " (retired)" } else { "" };
            cx.error(
                format!("bit {bit} already belongs to feature `{}`{retired}", other.name),
                span(&r.bit),
                "every feature has its own bit, and a retired bit is never reused: take an unused bit",
            );
            continue;
        }
        if !name_ok {
            continue;
        }
        bits.insert(bit, features.len());
        let c_name = r
            .c_name
            .as_ref()
            .filter(|n| c_name(cx, n))
            .map(|n| n.get_ref().clone());
        features.push(Feature {
            name: r.name.get_ref().clone(),
            bit,
            since,
            retired: r.retired,
            c_name,
            doc: r.doc.clone(),
            span: span(f),
            name_span: span(&r.name),
            bit_span: span(&r.bit),
            since_span,
        });
    }
    features
}
