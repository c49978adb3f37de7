//! Engine against compiler: lay a spec struct out with `abi_spec::layout`
//! and ask a real compiler for the same numbers about a C declaration that
//! the caller wrote independently (by hand, or from a real header).
//!
//! Many structs go into one probe file per target, so one compiler
//! invocation checks them all; each mismatch is reported with the struct,
//! the target, the quantity, and both values.

use abi_spec::layout::layout;
use abi_spec::model::StructKind;
use abi_spec::{Spec, Target};

use crate::oracle;

/// One struct of a spec to check against one C type on one target.
#[derive(Clone, Debug)]
pub struct ProbeStruct<'a> {
    /// A name for messages (the test case).
    pub label: String,
    /// The spec the struct comes from.
    pub spec: &'a Spec,
    /// The struct, by name.
    pub struct_name: String,
    /// The version whose layout is checked.
    pub version: u32,
    /// The C type to probe, such as `struct clone_args`.
    pub c_type: String,
    /// Spec fields that are no C member under their own name: their
    /// offsets are not asked. Bitfields (no `offsetof`) and padding bits
    /// never are; an anonymous member's members are asked by name.
    pub skip_fields: Vec<String>,
}

/// What a batch of comparisons found.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// (struct, target) pairs compared.
    pub comparisons: usize,
    /// Individual quantities (size, alignment, feature size, offsets)
    /// compared.
    pub values: usize,
    /// One line per quantity on which engine and compiler disagree.
    pub mismatches: Vec<String>,
}

impl Outcome {
    /// Adds another outcome to this one.
    pub fn merge(&mut self, other: Outcome) {
        self.comparisons += other.comparisons;
        self.values += other.values;
        self.mismatches.extend(other.mismatches);
    }
}

/// One quantity: what it is, the C expression, the engine's value.
struct Quantity {
    struct_slot: usize,
    what: String,
    c_expr: String,
    engine: u64,
}

/// The C spelling of "one past the last byte of member `m` of `ty`".
fn member_end(ty: &str, member: &str) -> String {
    format!("(offsetof({ty}, {member}) + sizeof(((({ty} *)0)->{member})))")
}

/// The quantities to compare for one struct on one target, from the
/// engine's layout. Errors when the engine refuses the struct.
fn quantities(
    item: &ProbeStruct<'_>,
    slot: usize,
    target: Target,
) -> Result<Vec<Quantity>, String> {
    let spec = item.spec;
    let index = spec.struct_index(&item.struct_name).ok_or_else(|| {
        format!(
            "{}: no struct `{}` in the spec",
            item.label, item.struct_name
        )
    })?;
    let def = &spec.structs[index];
    let lay = layout(spec, index, target, item.version)
        .map_err(|e| format!("{}: engine error on {target}: {}", item.label, e.message))?
        .ok_or_else(|| {
            format!(
                "{}: `{}` has no field in version {}",
                item.label, item.struct_name, item.version
            )
        })?;
    let ty = &item.c_type;
    let quantity = |what: String, c_expr: String, engine: u64| Quantity {
        struct_slot: slot,
        what,
        c_expr,
        engine,
    };
    let mut out = vec![
        quantity("sizeof".into(), format!("sizeof({ty})"), lay.size),
        quantity("_Alignof".into(), format!("_Alignof({ty})"), lay.align),
    ];
    let mut live_names = Vec::new();
    let mut every_field_is_a_member = true;
    for field_layout in &lay.fields {
        let field = &def.fields[field_layout.index];
        if field_layout.placeholder || item.skip_fields.contains(&field.name) {
            every_field_is_a_member = false;
            continue;
        }
        // A bitfield has no offsetof; an anonymous member's members are
        // the struct's, asked by name; padding bits have no name.
        if field.is_anonymous_member() {
            anonymous_members(
                item,
                target,
                field,
                field_layout.offset,
                ty,
                &mut out,
                slot,
                0,
            )?;
            every_field_is_a_member = false;
            continue;
        }
        if field.bits.is_some() || field.unnamed {
            every_field_is_a_member = false;
            continue;
        }
        live_names.push((field.name.as_str(), field.ty.is_flexible()));
        out.push(quantity(
            format!("offsetof(.{})", field.name),
            format!("offsetof({ty}, {})", field.name),
            field_layout.offset,
        ));
    }
    // The feature size in C terms: the end of the last member of a struct
    // (the offset of a flexible array), the largest member of a union. Only
    // asked when every field of the view is a C member under its own name.
    if every_field_is_a_member {
        let expr = match def.kind {
            StructKind::Struct => live_names.last().map(|&(name, flexible)| {
                if flexible {
                    format!("offsetof({ty}, {name})")
                } else {
                    member_end(ty, name)
                }
            }),
            StructKind::Union => {
                live_names
                    .iter()
                    .try_fold(String::from("0"), |acc, &(name, flexible)| {
                        (!flexible).then(|| {
                            let end = member_end(ty, name);
                            format!("(({acc}) > {end} ? ({acc}) : {end})")
                        })
                    })
            }
        };
        if let Some(expr) = expr {
            out.push(quantity("feature_size".into(), expr, lay.feature_size));
        }
    }
    Ok(out)
}

/// The `offsetof` quantities of the members of an anonymous member of
/// `item`'s struct at `base`, through nested anonymous members: C code
/// names them as the struct's own.
#[allow(clippy::too_many_arguments)]
fn anonymous_members(
    item: &ProbeStruct<'_>,
    target: Target,
    field: &abi_spec::model::Field,
    base: u64,
    ty: &str,
    out: &mut Vec<Quantity>,
    slot: usize,
    depth: usize,
) -> Result<(), String> {
    let spec = item.spec;
    let Some(index) = field.ty.struct_name().and_then(|n| spec.struct_index(n)) else {
        return Ok(());
    };
    if depth > abi_spec::limits::MAX_NESTING_DEPTH {
        return Ok(());
    }
    let def = &spec.structs[index];
    let Some(lay) = layout(spec, index, target, item.version)
        .map_err(|e| format!("{}: engine error on {target}: {}", item.label, e.message))?
    else {
        return Ok(());
    };
    for fl in &lay.fields {
        let inner = &def.fields[fl.index];
        if fl.placeholder || item.skip_fields.contains(&inner.name) {
            continue;
        }
        if inner.is_anonymous_member() {
            anonymous_members(
                item,
                target,
                inner,
                base + fl.offset,
                ty,
                out,
                slot,
                depth + 1,
            )?;
            continue;
        }
        if inner.bits.is_some() || inner.unnamed {
            continue;
        }
        out.push(Quantity {
            struct_slot: slot,
            what: format!("offsetof(.{})", inner.name),
            c_expr: format!("offsetof({ty}, {})", inner.name),
            engine: base + fl.offset,
        });
    }
    Ok(())
}

/// Compiles one probe for `target` with `prelude` (includes and the C
/// declarations) and every item, and compares each quantity with the
/// engine. `Err` only when the probe cannot be built or read (a compiler
/// error, an engine refusal): a disagreement is a mismatch in the outcome.
pub fn compare(
    target: Target,
    prelude: &str,
    items: &[ProbeStruct<'_>],
    flags: &[&str],
) -> Result<Outcome, String> {
    let mut all = Vec::new();
    for (slot, item) in items.iter().enumerate() {
        all.extend(quantities(item, slot, target)?);
    }
    let exprs: Vec<String> = all.iter().map(|q| q.c_expr.clone()).collect();
    let source = format!(
        "#include <stddef.h>\n{prelude}\n{}",
        oracle::probe_array(&exprs)
    );
    let values = oracle::run_probe(target, &source, flags)?;
    if values.len() != all.len() {
        return Err(format!(
            "{target}: the probe holds {} values, {} were asked",
            values.len(),
            all.len()
        ));
    }
    let mut outcome = Outcome {
        comparisons: items.len(),
        values: all.len(),
        mismatches: Vec::new(),
    };
    for (q, compiler) in all.iter().zip(values) {
        if q.engine != compiler {
            let item = &items[q.struct_slot];
            outcome.mismatches.push(format!(
                "{} `{}` version {} on {target}: {} is {compiler} for the compiler, {} for the engine",
                item.label, item.c_type, item.version, q.what, q.engine
            ));
        }
    }
    Ok(outcome)
}
