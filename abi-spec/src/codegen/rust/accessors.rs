//! The methods of generated structs that reach a value: `read_<name>` (the
//! value when the negotiation says it is on) for every field, and `<name>`
//! and `set_<name>` where a plain field access cannot do: bitfields (which
//! have no Rust field), the members of anonymous structs and unions (which
//! are fields of a named member in Rust, reached by their C names from the
//! enclosing struct), and the fields of unions (whose reads need `unsafe`).
//!
//! Union reads are made safe only for *uniform* unions: every member free
//! of padding and exactly as large as the union, on every target. Any value
//! of such a union has every byte initialized however it was made (a Rust
//! union expression writes one member, which covers all the bytes), and
//! every spec type is plain old data (any bytes are a valid value), so
//! reading any member is sound. Another union keeps its fields for
//! `unsafe` reads, and no accessor reaches through it.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::codegen::cnames::CNames;
use crate::diagnostic::{Diagnostic, SpecError};
use crate::layout;
use crate::model::{Field, Spec, StructDef, StructKind, Type, Writer};
use crate::names::rust_ident;
use crate::target::Target;

use super::bits::{self, StructBits};
use super::{doc, rust_type, scalar_type, Alignment};

/// What the accessors need to know of the whole spec.
pub(super) struct Ctx<'s> {
    pub spec: &'s Spec,
    pub plan: &'s Alignment,
    pub bits: &'s [StructBits],
    /// Per struct: a union whose members may be read safely (see the
    /// module docs); false for structs.
    pub uniform: Vec<bool>,
    /// Per struct: the type of anonymous members only (C has no name for
    /// it, nor size macros): never negotiated on its own, so it has no
    /// size constants and no `read_*` of its own; the enclosing struct
    /// reads its members.
    pub member_only: Vec<bool>,
    /// Per struct: how many members it reaches through anonymous members.
    reach: Vec<u64>,
    /// Per struct and field: the struct the field's type names, by index.
    inner: Vec<Vec<Option<usize>>>,
    /// How many fields the spec's structs have together: no struct can
    /// reach more members without reaching one twice.
    fields_in_spec: u64,
    /// The names of the spec's constants: one that spells a feature-size
    /// constant replaces it, with the spec's type.
    declared: HashSet<String>,
}

impl<'s> Ctx<'s> {
    pub fn new(spec: &'s Spec, plan: &'s Alignment, bits: &'s [StructBits]) -> Ctx<'s> {
        let mut inner: Vec<Vec<Option<usize>>> = Vec::with_capacity(spec.structs.len());
        for d in &spec.structs {
            let mut fields = Vec::with_capacity(d.fields.len());
            for f in &d.fields {
                fields.push(f.ty.struct_name().and_then(|n| spec.struct_index(n)));
            }
            inner.push(fields);
        }
        let uniform = uniform_unions(spec, bits, &inner);
        let mut anonymous = vec![false; spec.structs.len()];
        let mut named = vec![false; spec.structs.len()];
        for (si, d) in spec.structs.iter().enumerate() {
            for (fi, field) in d.fields.iter().enumerate() {
                if let Some(i) = inner[si][fi] {
                    if field.is_anonymous_member() {
                        anonymous[i] = true;
                    } else {
                        named[i] = true;
                    }
                }
            }
        }
        let mut member_only = Vec::with_capacity(spec.structs.len());
        for (i, &a) in anonymous.iter().enumerate() {
            member_only.push(a && !named[i]);
        }
        // How many members each struct reaches through its anonymous ones,
        // counted before they are listed: each (struct, field) reached twice
        // is a name C sees twice, and a struct holding the next one twice,
        // 32 deep, would reach 2^32 of them.
        let mut reach = vec![0u64; spec.structs.len()];
        for &si in &spec.dependency_order {
            let mut total = 0u64;
            for (fi, field) in spec.structs[si].fields.iter().enumerate() {
                if !field.is_anonymous_member() {
                    continue;
                }
                if let Some(inner) = inner[si][fi] {
                    if spec.structs[inner].kind == StructKind::Struct || uniform[inner] {
                        total = total
                            .saturating_add(spec.structs[inner].fields.len() as u64)
                            .saturating_add(reach[inner]);
                    }
                }
            }
            reach[si] = total;
        }
        let mut fields_in_spec = 0u64;
        for d in &spec.structs {
            fields_in_spec += d.fields.len() as u64;
        }
        Ctx {
            spec,
            plan,
            bits,
            uniform,
            member_only,
            reach,
            inner,
            fields_in_spec,
            declared: super::declared_names(spec),
        }
    }
}

/// Per struct: true for a union every member of which is free of padding
/// and exactly as large as the union on every target. Computed in
/// dependency order, with whether each struct's Rust type is free of
/// padding (no hole on any target, every field free of padding).
fn uniform_unions(spec: &Spec, bits: &[StructBits], inner: &[Vec<Option<usize>>]) -> Vec<bool> {
    let newest = spec.abi.version;
    let classes = layout::classes(&Target::ALL);
    let count = spec.structs.len();
    let mut dense = vec![false; count];
    let mut uniform = vec![false; count];
    'structs: for &si in &spec.dependency_order {
        let def = &spec.structs[si];
        let mut layouts = Vec::with_capacity(classes.len());
        for c in &classes {
            let Some(l) = spec.layout(si, c.rep, newest) else {
                continue 'structs;
            };
            layouts.push(l);
        }
        let mut fields_dense = true;
        for (fi, f) in def.fields.iter().enumerate() {
            fields_dense &= f.is_bitfield()
                || f.ty.struct_name().is_none()
                || inner[si][fi].is_some_and(|i| dense[i]);
        }
        match def.kind {
            StructKind::Struct => {
                let mut no_holes = true;
                for l in &layouts {
                    no_holes &= l.holes.is_empty();
                }
                dense[si] = fields_dense && no_holes;
            }
            StructKind::Union => {
                // Each Rust member's bytes: a run's storage, or a field.
                let mut full = true;
                for l in &layouts {
                    let mut members: Vec<(u64, u64)> = Vec::new();
                    for placed in &l.fields {
                        let field = &def.fields[placed.index];
                        if field.bits == Some(0) {
                            continue;
                        }
                        match bits[si].run_of(placed.index) {
                            Some((ri, _)) => {
                                let key = u64::MAX - ri as u64;
                                let mut seen = false;
                                for m in &mut members {
                                    if m.0 == key {
                                        m.1 = m.1.max(placed.end());
                                        seen = true;
                                        break;
                                    }
                                }
                                if !seen {
                                    members.push((key, placed.end()));
                                }
                            }
                            None => members.push((placed.index as u64, placed.end())),
                        }
                    }
                    full &= !members.is_empty();
                    for &(_, end) in &members {
                        full &= end == l.size;
                    }
                }
                uniform[si] = fields_dense && full;
                dense[si] = uniform[si];
            }
        }
    }
    uniform
}

/// A value reachable from a struct: a field of its own, or of an
/// anonymous member, however deep.
#[derive(Clone)]
struct Member {
    /// The anonymous members on the way, each (struct, field) index.
    path: Vec<(usize, usize)>,
    /// The value's struct and field index.
    leaf: (usize, usize),
}

impl Member {
    fn field<'s>(&self, spec: &'s Spec) -> &'s Field {
        &spec.structs[self.leaf.0].fields[self.leaf.1]
    }

    /// The (struct, field) indices on the way, the value's last.
    fn steps(&self) -> Vec<(usize, usize)> {
        let mut steps = Vec::with_capacity(self.path.len() + 1);
        steps.extend_from_slice(&self.path);
        steps.push(self.leaf);
        steps
    }

    /// The fields on the way, the value's last.
    fn fields<'s>(&self, spec: &'s Spec) -> Vec<&'s Field> {
        let mut fields = Vec::with_capacity(self.path.len() + 1);
        for (s, f) in self.steps() {
            fields.push(&spec.structs[s].fields[f]);
        }
        fields
    }
}

/// True when one of the fields is reserved.
fn any_reserved(fields: &[&Field]) -> bool {
    for f in fields {
        if f.reserved {
            return true;
        }
    }
    false
}

/// Where a member's value (or its bitfield storage) lives, as a Rust place.
struct Place {
    /// `self.u1.sample_period`.
    expr: String,
    /// The place is inside a union: reading it needs `unsafe`.
    in_union: bool,
    /// The place is inside a packed struct: read by copy, never by
    /// reference (volatile reads need alignment).
    packed: bool,
}

/// The members of struct `si` reached through its anonymous members (not
/// its own fields).
fn members_inside(cx: &Ctx, si: usize, path: &mut Vec<(usize, usize)>, out: &mut Vec<Member>) {
    let def = &cx.spec.structs[si];
    for (fi, field) in def.fields.iter().enumerate() {
        if !field.is_anonymous_member() {
            continue;
        }
        let Some(inner) = cx.inner[si][fi] else {
            continue;
        };
        let inner_def = &cx.spec.structs[inner];
        if inner_def.kind == StructKind::Union && !cx.uniform[inner] {
            continue;
        }
        path.push((si, fi));
        for (ifi, f) in inner_def.fields.iter().enumerate() {
            if !(f.unnamed && f.is_bitfield()) {
                out.push(Member {
                    path: path.clone(),
                    leaf: (inner, ifi),
                });
            }
        }
        members_inside(cx, inner, path, out);
        path.pop();
    }
}

fn place(cx: &Ctx, member: &Member) -> Place {
    let mut expr = String::from("self");
    let mut in_union = false;
    let mut packed = false;
    for (s, f) in member.steps() {
        let def = &cx.spec.structs[s];
        in_union |= def.kind == StructKind::Union;
        packed |= def.packed;
        let field = &def.fields[f];
        match cx.bits[s].run_of(f) {
            Some((_, run)) => {
                let _ = write!(expr, ".{}", rust_ident(&run.name));
            }
            None => {
                let _ = write!(expr, ".{}", rust_ident(&field.name));
                if cx.plan.wrap(s, f).is_some() {
                    expr.push_str(".0");
                }
            }
        }
    }
    Place {
        expr,
        in_union,
        packed,
    }
}

/// The value of a place: plain, or under `unsafe` inside a union.
fn read(place: &Place) -> String {
    if place.in_union {
        format!("unsafe {{ {} }}", place.expr)
    } else {
        place.expr.clone()
    }
}

const UNION_SAFETY: &str =
    "// SAFETY: every union on the way is uniform: all its bytes are initialized and any bytes are a valid value of this plain-data type.\n";
const VOLATILE_SAFETY: &str =
    "// SAFETY: `self` is a valid, aligned reference; the field is plain data.\n";

/// Every accessor of struct `si`, in field order; an error when two of
/// them would have one name.
pub(super) fn write(cx: &Ctx, si: usize, out: &mut String) -> Result<(), SpecError> {
    let spec = cx.spec;
    let def = &spec.structs[si];
    let union = def.kind == StructKind::Union;
    if union && !cx.uniform[si] {
        return Ok(());
    }
    if cx.reach[si] > cx.fields_in_spec {
        return Err(SpecError {
            source: spec.source.clone(),
            diagnostics: vec![Diagnostic::error(
                format!(
                    "`{}` reaches the same members through more than one anonymous member: C would see their names twice",
                    def.name
                ),
                Some(def.name_span),
            )
            .with_help("an anonymous struct or union's members belong to the enclosing struct: each may appear once")],
        });
    }
    let mut names: Vec<(String, usize, usize)> = vec![("ZERO".into(), si, usize::MAX)];
    let mut claim = |name: String, leaf: (usize, usize)| names.push((name, leaf.0, leaf.1));
    let mut inside = Vec::new();
    members_inside(cx, si, &mut Vec::new(), &mut inside);
    let mut next = 0;
    for (fi, field) in def.fields.iter().enumerate() {
        if field.unnamed && field.is_bitfield() {
            continue;
        }
        let own = Member {
            path: Vec::new(),
            leaf: (si, fi),
        };
        let plain = union || field.is_bitfield();
        if plain && !field.ty.is_flexible() {
            claim(rust_ident(&field.name), own.leaf);
            claim(format!("set_{}", field.name), own.leaf);
            getter(cx, &own, out);
            setter(cx, &own, out);
        }
        if !field.reserved && !field.ty.is_flexible() && !cx.member_only[si] {
            claim(format!("read_{}", field.name), own.leaf);
            reader(cx, si, &own, out);
        }
        // `inside` is in field order of the first anonymous member on the
        // way: this field's members are the next ones.
        let mut end = next;
        while end < inside.len() && inside[end].path.first() == Some(&(si, fi)) {
            end += 1;
        }
        let members = &inside[next..end];
        next = end;
        for member in members {
            let f = member.field(spec);
            if f.ty.is_flexible() {
                continue;
            }
            claim(rust_ident(&f.name), member.leaf);
            claim(format!("set_{}", f.name), member.leaf);
            getter(cx, member, out);
            setter(cx, member, out);
            if !cx.member_only[si] && !any_reserved(&member.fields(spec)) {
                claim(format!("read_{}", f.name), member.leaf);
                reader(cx, si, member, out);
            }
        }
    }
    let mut diagnostics = Vec::new();
    // Each name with the index in `names` of its first claim.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, (name, s, f)) in names.iter().enumerate() {
        if let Some(&i0) = first.get(name.as_str()) {
            let (_, s0, f0) = names[i0];
            diagnostics.push(
                Diagnostic::error(
                    format!(
                        "`{}`: the Rust accessors of {} and {} would both be named `{name}`",
                        def.name,
                        claimant(spec, s0, f0),
                        claimant(spec, *s, *f)
                    ),
                    spec.structs[*s].fields.get(*f).map(|x| x.name_span),
                )
                .with_help("rename one of the fields"),
            );
        } else {
            first.insert(name, i);
        }
    }
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(SpecError {
            source: spec.source.clone(),
            diagnostics,
        })
    }
}

/// What claimed an accessor name, for a message: field `f` of struct `s`,
/// or the all-zero constant (a field index past the end).
fn claimant(spec: &Spec, s: usize, f: usize) -> String {
    match spec.structs[s].fields.get(f) {
        Some(x) => format!("`{}`", x.name),
        None => "the all-zero constant".to_string(),
    }
}

/// The Rust type of a member's value.
fn value_type(cx: &Ctx, member: &Member) -> String {
    let f = member.field(cx.spec);
    match (f.bits, f.ty.scalar()) {
        (Some(_), Some(s)) => scalar_type(s).to_string(),
        _ => rust_type(&f.ty),
    }
}

/// What a member is, for its doc comment: `disabled` (a bitfield of 1 bit
/// of `u64`), in `flags_bits`; through `u1`.
fn describe(cx: &Ctx, member: &Member) -> String {
    let f = member.field(cx.spec);
    let mut notes = Vec::new();
    if let Some(width) = f.bits {
        notes.push(format!(
            "bitfield: {width} bit{} of `{}`",
            if width == 1 { "" } else { "s" },
            f.ty
        ));
    }
    for &(s, fi) in member.path.iter().rev() {
        let d = &cx.spec.structs[s].fields[fi];
        let kind = cx.inner[s][fi].map_or("struct", |i| cx.spec.structs[i].kind.keyword());
        notes.push(format!("in the anonymous {kind} `{}`", d.name));
    }
    if notes.is_empty() {
        format!("`{}`", f.name)
    } else {
        format!("`{}` ({})", f.name, notes.join(", "))
    }
}

/// The body that reads the member: the value expression, after any
/// statements it needs. `volatile`: one volatile load of the place.
fn value(cx: &Ctx, member: &Member, volatile: bool) -> (String, String) {
    let p = place(cx, member);
    let load = if volatile {
        format!(
            "unsafe {{ ::core::ptr::read_volatile(::core::ptr::addr_of!({})) }}",
            p.expr
        )
    } else {
        read(&p)
    };
    let safety = if volatile {
        VOLATILE_SAFETY
    } else if p.in_union {
        UNION_SAFETY
    } else {
        ""
    };
    let (s, f) = member.leaf;
    let field = member.field(cx.spec);
    let Some((_, run)) = cx.bits[s].run_of(f) else {
        return (indent(safety), load);
    };
    let at = bits::place_expr(&cx.spec.structs[s].name, field, run.storage);
    let mut stmts = indent(safety);
    match &at.window {
        None => {
            let _ = writeln!(stmts, "        let raw = {load};");
        }
        Some((first, len)) => {
            let _ = writeln!(stmts, "        let bytes = {load};");
            let _ = writeln!(
                stmts,
                "        let raw = abi_bits_load(&bytes, {first}, {len});"
            );
        }
    }
    (stmts, bits::extract(field, run.storage, "raw", &at.shift))
}

fn indent(comment: &str) -> String {
    if comment.is_empty() {
        String::new()
    } else {
        format!("        {comment}")
    }
}

fn getter(cx: &Ctx, member: &Member, out: &mut String) {
    let f = member.field(cx.spec);
    doc(
        out,
        "    ",
        &format!(
            "{}: its value, whatever the negotiation agreed.",
            describe(cx, member)
        ),
    );
    let (stmts, expr) = value(cx, member, false);
    let _ = writeln!(
        out,
        "    #[inline]\n    pub fn {}(&self) -> {} {{\n{stmts}        {expr}\n    }}",
        rust_ident(&f.name),
        value_type(cx, member)
    );
}

fn setter(cx: &Ctx, member: &Member, out: &mut String) {
    let f = member.field(cx.spec);
    let mut text = format!("Sets {}.", describe(cx, member));
    if let Some(width) = f.bits {
        let kept = if width == 1 {
            "Only the lowest bit of `value` is kept".to_string()
        } else {
            format!("Only the low {width} bits of `value` are kept")
        };
        let _ = write!(text, " {kept}, as C's assignment to a bitfield does.");
    }
    doc(out, "    ", &text);
    let _ = writeln!(
        out,
        "    #[inline]\n    pub fn set_{}(&mut self, value: {}) {{",
        f.name,
        value_type(cx, member)
    );
    let p = place(cx, member);
    let (s, fi) = member.leaf;
    match cx.bits[s].run_of(fi) {
        None => {
            let _ = writeln!(out, "        {} = value;", p.expr);
        }
        Some((_, run)) => {
            let at = bits::place_expr(&cx.spec.structs[s].name, f, run.storage);
            if p.in_union {
                out.push_str(&indent(UNION_SAFETY));
            }
            match &at.window {
                None => {
                    let _ = writeln!(out, "        let raw = {};", read(&p));
                    let _ = writeln!(
                        out,
                        "        {} = {};",
                        p.expr,
                        bits::insert(f, run.storage, "raw", "value", &at.shift)
                    );
                }
                Some((first, len)) => {
                    let _ = writeln!(out, "        let mut bytes = {};", read(&p));
                    let _ = writeln!(
                        out,
                        "        let window = abi_bits_load(&bytes, {first}, {len});"
                    );
                    let _ = writeln!(
                        out,
                        "        abi_bits_store(&mut bytes, {first}, {len}, {});",
                        bits::insert(f, run.storage, "window", "value", &at.shift)
                    );
                    let _ = writeln!(out, "        {} = bytes;", p.expr);
                }
            }
        }
    }
    out.push_str("    }\n");
}

/// `read_<name>(&self, length[, features]) -> Option<T>`: the value when
/// it is on under the agreement (the contract's negotiation model: the
/// version that introduced it, and every anonymous member on the way, fits
/// in `length`, and their features, if any, are agreed), read with one
/// volatile load when the kernel may write it.
fn reader(cx: &Ctx, si: usize, member: &Member, out: &mut String) {
    let spec = cx.spec;
    let def: &StructDef = &spec.structs[si];
    let f = member.field(spec);
    let on_the_way = member.fields(spec);
    let mut since = f.since;
    let mut kernel = false;
    let mut features: Vec<&crate::model::Feature> = Vec::new();
    for (n, x) in on_the_way.iter().enumerate() {
        if n == 0 || x.since > since {
            since = x.since;
        }
        kernel |= x.writer != Writer::User;
        let Some(feat) = x.feature.as_deref().and_then(|n| spec.feature(n)) else {
            continue;
        };
        let mut known = false;
        for g in &features {
            known |= g.name == feat.name;
        }
        if !known {
            features.push(feat);
        }
    }
    let mut text = format!(
        "{} when it is on: version {since}'s feature_size is within the agreed `length`",
        describe(cx, member)
    );
    for feat in &features {
        let _ = write!(
            text,
            ", and feature `{}` is set in the agreed `features` (both sides' words ANDed)",
            feat.name
        );
    }
    text.push_str(". `None` when it is off: its bytes then hold nothing the other side wrote.");
    let p = place(cx, member);
    let volatile = kernel && !p.packed;
    if p.packed {
        text.push_str(" A packed field: read by copy, without single-copy atomicity.");
    } else if kernel {
        let bitfield = f.is_bitfield();
        text.push_str(if bitfield || matches!(f.ty, Type::Scalar(_)) {
            " The kernel may write it: read with one volatile load, single-copy atomic for a naturally aligned scalar no wider than the target's word."
        } else {
            " The kernel may write it: read with volatile loads (an aggregate is not read atomically as a whole)."
        });
    }
    doc(out, "    ", &text);
    out.push_str("    #[inline]\n");
    let params = if spec.has_features() {
        "length: usize, features: &[u64]"
    } else {
        "length: usize"
    };
    let _ = writeln!(
        out,
        "    pub fn read_{}(&self, {params}) -> ::core::option::Option<{}> {{",
        f.name,
        value_type(cx, member)
    );
    let names = CNames::new(spec);
    let bound = names.feature_size(def, since);
    // A constant the spec declares itself has the spec's type.
    let bound = if cx.declared.contains(&bound) {
        format!("{bound} as usize")
    } else {
        bound
    };
    // A bound of 0 everywhere (a field of no bytes at the start) holds for
    // any length, and `length < 0` is a comparison clippy refuses.
    let mut zero = true;
    for t in super::rust_targets() {
        zero &= spec
            .sizes(si, t, since)
            .is_some_and(|l| l.feature_size == 0);
    }
    if zero {
        out.push_str("        let _ = length;\n");
    } else {
        let _ = writeln!(
            out,
            "        if length < {bound} {{\n            return ::core::option::Option::None;\n        }}"
        );
    }
    for feat in &features {
        // `first()` for word 0: what clippy asks of code that includes this.
        let word = match feat.word() {
            0 => "features.first()".to_string(),
            n => format!("features.get({n})"),
        };
        let _ = writeln!(
            out,
            "        match {word} {{\n            ::core::option::Option::Some(word) if word & {:#x} != 0 => {{}}\n            _ => return ::core::option::Option::None,\n        }}",
            1u64 << feat.position()
        );
    }
    if features.is_empty() && spec.has_features() {
        out.push_str("        let _ = features;\n");
    }
    let (stmts, expr) = value(cx, member, volatile);
    out.push_str(&stmts);
    if p.packed && !f.is_bitfield() {
        // A copy into a local: a reference to a packed field is an error,
        // and `{ self.x }` would draw `unused_braces`.
        let _ = writeln!(
            out,
            "        let value = {expr};\n        ::core::option::Option::Some(value)\n    }}"
        );
    } else {
        let _ = writeln!(out, "        ::core::option::Option::Some({expr})\n    }}");
    }
}
