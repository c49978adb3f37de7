//! `[[waiver]]`: a known, waivable rule; a struct, field and target of this
//! spec; a reason; an expiry date.

use super::values::{target_help, with_suggestion};
use crate::model::{Date, StructDef, Waiver};
use crate::parse::ctxt::{shown, Ctxt};
use crate::parse::raw::{span, RawSpec};
use crate::rules::Rule;
use crate::target::Target;

/// Checks every `[[waiver]]`; the waivers returned are those that passed.
pub(super) fn validate(cx: &mut Ctxt, raw: &RawSpec, structs: &[StructDef]) -> Vec<Waiver> {
    let mut waivers = Vec::new();
    for w in &raw.waiver {
        let r = w.get_ref();
        let mut ok = true;
        let rule = r.rule.get_ref();
        // Stored by its ID as the catalog spells it: `implicit-padding`
        // must match the findings of IMPLICIT_PADDING.
        let id = match Rule::from_id(rule) {
            None => {
                cx.error(
                    format!("unknown rule `{}`", shown(rule)),
                    span(&r.rule),
                    with_suggestion(
                        &rule.to_ascii_uppercase().replace('-', "_"),
                        Rule::ALL.iter().map(|r| r.id()),
                        "`abi-check explain --list` lists the rules",
                    ),
                );
                ok = false;
                None
            }
            Some(rule) if !rule.waivable() => {
                cx.error(
                    format!("{} cannot be waived", rule.id()),
                    span(&r.rule),
                    match rule {
                        Rule::WAIVER_UNUSED | Rule::WAIVER_EXPIRED => {
                            "it reports a waiver: delete or correct that waiver instead"
                        }
                        _ => "removing a field or struct, or shrinking a struct, breaks every older caller: restore it instead",
                    },
                );
                ok = false;
                None
            }
            Some(rule) => Some(rule.id()),
        };
        let def = r.struct_name.as_ref().and_then(|s| {
            let def = structs.iter().find(|d| d.name == *s.get_ref());
            if def.is_none() {
                cx.error(
                    format!("waiver names unknown struct `{}`", shown(s.get_ref())),
                    span(s),
                    with_suggestion(
                        s.get_ref(),
                        structs.iter().map(|d| d.name.as_str()),
                        "name a struct of this spec",
                    ),
                );
                ok = false;
            }
            def
        });
        if let Some(field) = &r.field {
            match (&r.struct_name, def) {
                (None, _) => {
                    cx.error(
                        "a waiver that names a field must name its struct",
                        span(field),
                        "add `struct = \"...\"`",
                    );
                    ok = false;
                }
                (Some(_), Some(def)) if def.field(field.get_ref()).is_none() => {
                    cx.error(
                        format!(
                            "struct `{}` has no field `{}`",
                            def.name,
                            shown(field.get_ref())
                        ),
                        span(field),
                        with_suggestion(
                            field.get_ref(),
                            def.fields.iter().map(|f| f.name.as_str()),
                            "name a field of that struct",
                        ),
                    );
                    ok = false;
                }
                _ => {}
            }
        }
        let target = r.target.as_ref().and_then(|t| {
            let target = Target::from_name(t.get_ref());
            if target.is_none() {
                cx.error(
                    format!("unknown target `{}`", shown(t.get_ref())),
                    span(t),
                    target_help(t.get_ref()),
                );
                ok = false;
            }
            target
        });
        if r.reason.get_ref().trim().is_empty() {
            cx.error(
                "a waiver needs a reason",
                span(&r.reason),
                "say why the finding is accepted",
            );
            ok = false;
        }
        let expires = r.expires.as_ref().and_then(|e| {
            let date = Date::parse(e.get_ref());
            if date.is_none() {
                cx.error(
                    format!("`{}` is not a date", shown(e.get_ref())),
                    span(e),
                    "write the date as YYYY-MM-DD",
                );
                ok = false;
            }
            date
        });
        if let (true, Some(id)) = (ok, id) {
            waivers.push(Waiver {
                rule: id.to_string(),
                struct_name: r.struct_name.as_ref().map(|s| s.get_ref().clone()),
                field: r.field.as_ref().map(|f| f.get_ref().clone()),
                target,
                reason: r.reason.get_ref().clone(),
                expires,
                span: span(w),
            });
        }
    }
    waivers
}
