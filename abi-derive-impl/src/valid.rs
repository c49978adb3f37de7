//! Checks a hand-written struct against the spec's view of one version:
//! `repr(C)`, field names, order and types. Every problem is recorded, each
//! at the token it concerns; nothing stops at the first.

use abi_spec::codegen::rust::{bitfield_runs, rust_ident, FieldBinding};
use abi_spec::model::{Field, StructKind, Type};
use abi_spec::{Scalar, Spec};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, GenericArgument, Lit, PathArguments};

use crate::attr::{self, AbiAttr, BitsAttr};
use crate::ctxt::Ctxt;

/// What the assertions need once the struct passed.
pub struct Checked {
    /// Index of the spec struct.
    pub struct_index: usize,
    /// The version mirrored.
    pub version: u32,
    /// Each Rust field with the spec field it holds.
    pub bindings: Vec<FieldBinding>,
}

/// Checks `input` against `spec`; `None` when anything is wrong (the
/// reasons are in `cx`).
pub fn check(cx: &mut Ctxt, input: &DeriveInput, spec: &Spec, attr: &AbiAttr) -> Option<Checked> {
    check_repr(cx, input);
    if !input.generics.params.is_empty() {
        cx.error(
            input.generics.span(),
            "AbiLayout cannot check a generic struct: its layout depends on the parameters",
        );
    }
    let (named, is_union) = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => (named, false),
            _ => {
                cx.error(
                    input.ident.span(),
                    "AbiLayout needs named fields, to compare them with the spec's",
                );
                return None;
            }
        },
        Data::Union(u) => (&u.fields, true),
        Data::Enum(_) => {
            cx.error(
                input.ident.span(),
                "AbiLayout applies to a struct or a union",
            );
            return None;
        }
    };

    let (name, name_span) = match &attr.name {
        Some(lit) => (lit.value(), lit.span()),
        None => (input.ident.unraw().to_string(), input.ident.span()),
    };
    let Some(struct_index) = spec.struct_index(&name) else {
        let mut known = String::new();
        for (i, s) in spec.structs.iter().enumerate() {
            if i > 0 {
                known.push_str(", ");
            }
            known.push('`');
            known.push_str(&s.name);
            known.push('`');
        }
        cx.error(
            name_span,
            format!(
                "spec `{}` has no struct `{name}`; it has {known}",
                spec.source.name(),
            ),
        );
        return None;
    };
    let def = &spec.structs[struct_index];

    let version = match &attr.version {
        None => spec.abi.version,
        Some(lit) => match lit.base10_parse::<u32>() {
            Ok(v) if spec.versions().contains(&v) => v,
            _ => {
                cx.error(
                    lit.span(),
                    format!(
                        "version {} is out of range: spec `{}` describes versions {} to {}",
                        lit.base10_digits(),
                        spec.source.name(),
                        spec.abi.first_version,
                        spec.abi.version
                    ),
                );
                return None;
            }
        },
    };
    let version_span = attr.version.as_ref().map_or(name_span, |v| v.span());

    if is_union != (def.kind == StructKind::Union) {
        cx.error(
            input.ident.span(),
            format!("`{}` is a {} in the spec", def.name, def.kind.keyword()),
        );
    }

    let view: Vec<(usize, &Field, bool)> = def.view(version).collect();
    if view.is_empty() {
        cx.error(
            version_span,
            format!(
                "`{}` has no field in version {version}: it first appears in version {}",
                def.name,
                def.since()
            ),
        );
        return None;
    }

    let mut user: Vec<&syn::Field> = Vec::with_capacity(named.named.len());
    let mut user_bits: Vec<Option<BitsAttr>> = Vec::with_capacity(named.named.len());
    for f in &named.named {
        user.push(f);
        user_bits.push(attr::field(cx, &f.attrs));
    }
    let slots = slots_of(spec, struct_index, version, &view);
    let context = format!("`{}` version {version}", def.name);
    let mut user_to_slot: Vec<Option<usize>> = Vec::with_capacity(user.len());
    for (f, bits) in user.iter().zip(&user_bits) {
        let found = match bits {
            Some(b) => {
                let mut found = None;
                for n in &b.names {
                    found = view_position(&view, &n.unraw().to_string())
                        .and_then(|p| run_slot_of(&slots, p));
                    if found.is_some() {
                        break;
                    }
                }
                found
            }
            None => {
                let pos = match &f.ident {
                    Some(i) => ident_position(&view, i),
                    None => None,
                };
                match pos {
                    Some(p) => match run_slot_of(&slots, p) {
                        Some(slot) => {
                            cx.error(
                                f.ident.span(),
                                format!(
                                    "field `{}` is a bitfield of {context}: declare the field that stores its run, `#[abi(bits({}))]`",
                                    view[p].1.name,
                                    bitfield_names(&slots[slot], &view)
                                ),
                            );
                            Some(slot)
                        }
                        None => field_slot_of(&slots, p),
                    },
                    None => None,
                }
            }
        };
        user_to_slot.push(found);
    }
    // A placeholder (bytes a later version claims) may carry any name: it
    // is matched by position.
    for i in 0..user.len() {
        if user_to_slot[i].is_none()
            && user_bits[i].is_none()
            && matches!(slots.get(i), Some(Slot::Field(p)) if view[*p].2)
            && !user_to_slot.contains(&Some(i))
        {
            user_to_slot[i] = Some(i);
        }
    }

    for (i, f) in user.iter().enumerate() {
        if user_to_slot[i].is_some() {
            continue;
        }
        if let Some(b) = &user_bits[i] {
            cx.error(b.at, format!("`bits(...)` names no bitfield of {context}"));
            continue;
        }
        let mut message = format!("extra field `{}`: {context} has no such field", ident(f));
        if let Some(slot) = slots.get(i).filter(|_| !user_to_slot.contains(&Some(i))) {
            message.push_str(&format!("; at this place it has {}", describe(slot, &view)));
        }
        cx.error(f.ident.span(), message);
    }
    for (pos, slot) in slots.iter().enumerate() {
        if user_to_slot.contains(&Some(pos)) {
            continue;
        }
        let place = place_of(&slots, pos, &view);
        let message = match slot {
            Slot::Field(p) => {
                let (_, sf, placeholder) = view[*p];
                if placeholder {
                    format!(
                        "missing reserved bytes of type `{}` (claimed later by `{}`): {context} has them {place}",
                        sf.ty, sf.name
                    )
                } else {
                    format!(
                        "missing field `{}: {}`: {context} has it {place}",
                        sf.name, sf.ty
                    )
                }
            }
            Slot::Run(_) => {
                format!(
                    "missing {}: {context} has them {place}, one run stored by one field; declare it with `#[abi(bits({}))]`",
                    describe(slot, &view),
                    bitfield_names(slot, &view)
                )
            }
        };
        cx.error(input.ident.span(), message);
    }
    let mut matched: Vec<(usize, usize)> = Vec::with_capacity(user.len());
    for (i, p) in user_to_slot.iter().enumerate() {
        if let Some(p) = *p {
            matched.push((i, p));
        }
    }
    // The slots matched, in order: counted per slot rather than sorted
    // (slots are few, and a sort would be one more instance in the macro).
    let mut count = vec![0usize; slots.len()];
    for &(_, p) in &matched {
        count[p] += 1;
    }
    let mut sorted: Vec<usize> = Vec::with_capacity(matched.len());
    for (p, &n) in count.iter().enumerate() {
        for _ in 0..n {
            sorted.push(p);
        }
    }
    for (k, &(i, pos)) in matched.iter().enumerate() {
        if sorted[k] != pos {
            cx.error(
                user[i].ident.span(),
                format!(
                    "field `{}` is out of order: {context} has {} {}",
                    ident(user[i]),
                    match &slots[pos] {
                        Slot::Field(_) => "it".to_string(),
                        Slot::Run(_) => "its bitfields".to_string(),
                    },
                    place_of(&slots, pos, &view)
                ),
            );
        }
    }
    for &(i, pos) in &matched {
        match (&slots[pos], &user_bits[i]) {
            (Slot::Field(p), None) => {
                let (_, sf, placeholder) = view[*p];
                if placeholder {
                    continue;
                }
                if let Err(message) = check_type(spec, sf, &user[i].ty) {
                    cx.error(
                        user[i].ty.span(),
                        format!("field `{}`: {message} ({context})", sf.name),
                    );
                }
            }
            (Slot::Run(members), Some(b)) => {
                check_bits(cx, b, members, &view, &context);
                if let Err(found) = check_storage(&user[i].ty) {
                    cx.error(
                        user[i].ty.span(),
                        format!(
                            "field `{}` stores bitfields: its type is an unsigned integer (`u8` to `u64`) or a byte array `[u8; N]` covering their bytes, found `{found}`",
                            ident(user[i])
                        ),
                    );
                }
            }
            // Reported above: a bitfield without `bits`, or `bits` on no run.
            _ => {}
        }
    }

    if !cx.is_ok() {
        return None;
    }
    let mut bindings = Vec::with_capacity(matched.len());
    for &(i, pos) in &matched {
        let (first, bits) = match &slots[pos] {
            Slot::Field(p) => (view[*p].0, Vec::new()),
            Slot::Run(members) => {
                let mut bits = Vec::with_capacity(members.len());
                for &m in members {
                    bits.push(view[m].0);
                }
                (view[members[0]].0, bits)
            }
        };
        bindings.push(FieldBinding {
            index: first,
            rust_name: match &user[i].ident {
                Some(i) => i.to_string(),
                None => String::new(),
            },
            rust_type: user[i].ty.to_token_stream().to_string(),
            bits,
        });
    }
    Some(Checked {
        struct_index,
        version,
        bindings,
    })
}

/// A Rust field's name, without `r#`.
fn ident(f: &syn::Field) -> String {
    match &f.ident {
        Some(i) => i.unraw().to_string(),
        None => String::new(),
    }
}

/// The slot of the run that holds the bitfield at view position `pos`.
fn run_slot_of(slots: &[Slot], pos: usize) -> Option<usize> {
    for (k, s) in slots.iter().enumerate() {
        if matches!(s, Slot::Run(members) if members.contains(&pos)) {
            return Some(k);
        }
    }
    None
}

/// The slot of the field at view position `pos`.
fn field_slot_of(slots: &[Slot], pos: usize) -> Option<usize> {
    for (k, s) in slots.iter().enumerate() {
        if matches!(s, Slot::Field(q) if *q == pos) {
            return Some(k);
        }
    }
    None
}

/// The view position of the field a Rust field name names.
fn ident_position(view: &[(usize, &Field, bool)], i: &syn::Ident) -> Option<usize> {
    let unraw = i.unraw();
    for (p, (_, sf, _)) in view.iter().enumerate() {
        if unraw == sf.name || *i == rust_ident(&sf.name) {
            return Some(p);
        }
    }
    None
}

/// `a, b, c`: the bitfields of a run; empty for a field.
fn bitfield_names(slot: &Slot, view: &[(usize, &Field, bool)]) -> String {
    let mut names = String::new();
    if let Slot::Run(members) = slot {
        for (k, &m) in members.iter().enumerate() {
            if k > 0 {
                names.push_str(", ");
            }
            names.push_str(&view[m].1.name);
        }
    }
    names
}

/// A slot for a message: `` `x` `` or `` the bitfields `a`, `b` ``.
fn describe(slot: &Slot, view: &[(usize, &Field, bool)]) -> String {
    match slot {
        Slot::Field(p) => format!("`{}`", view[*p].1.name),
        Slot::Run(members) => {
            let mut text = String::from("the bitfields ");
            for (k, &m) in members.iter().enumerate() {
                if k > 0 {
                    text.push_str(", ");
                }
                text.push('`');
                text.push_str(&view[m].1.name);
                text.push('`');
            }
            text
        }
    }
}

/// Where slot `pos` lies, for a message: `first`, `` after `x` ``.
fn place_of(slots: &[Slot], pos: usize, view: &[(usize, &Field, bool)]) -> String {
    match pos.checked_sub(1).and_then(|p| slots.get(p)) {
        Some(Slot::Field(p)) => format!("after `{}`", view[*p].1.name),
        Some(Slot::Run(members)) => format!(
            "after the bitfield `{}`",
            match members.last() {
                Some(&m) => view[m].1.name.as_str(),
                None => "",
            }
        ),
        None => "first".to_string(),
    }
}

/// A place of the Rust struct as the spec's view asks for it: a field, or
/// one field storing a run of bitfields (positions in the view).
enum Slot {
    Field(usize),
    Run(Vec<usize>),
}

/// The slots of a view: each field but the bitfields, and each run of
/// bitfields ([`bitfield_runs`]) at the place of its first; zero-width
/// bitfields hold nothing and have none.
fn slots_of(
    spec: &Spec,
    struct_index: usize,
    version: u32,
    view: &[(usize, &Field, bool)],
) -> Vec<Slot> {
    let runs = bitfield_runs(spec, struct_index, version);
    let mut slots = Vec::new();
    for (pos, (index, field, _)) in view.iter().enumerate() {
        let mut run = None;
        for r in &runs {
            if r.contains(index) {
                run = Some(r);
                break;
            }
        }
        match run {
            Some(run) if run[0] == *index => {
                let mut members = Vec::with_capacity(run.len());
                for &i in run {
                    for (p, (vi, ..)) in view.iter().enumerate() {
                        if *vi == i {
                            members.push(p);
                            break;
                        }
                    }
                }
                slots.push(Slot::Run(members));
            }
            Some(_) => {}
            None if field.is_bitfield() => {}
            None => slots.push(Slot::Field(pos)),
        }
    }
    slots
}

/// The position in the view of the field a name (as written in Rust)
/// names.
fn view_position(view: &[(usize, &Field, bool)], name: &str) -> Option<usize> {
    for (p, (_, sf, _)) in view.iter().enumerate() {
        if sf.name == name || rust_ident(&sf.name) == name {
            return Some(p);
        }
    }
    None
}

/// Checks `#[abi(bits(...))]` against the run of bitfields its field
/// stores: every bitfield of the run, in order, nothing else. A
/// placeholder (bits a later version claims) may carry any name at its
/// place.
fn check_bits(
    cx: &mut Ctxt,
    attr: &BitsAttr,
    members: &[usize],
    view: &[(usize, &Field, bool)],
    context: &str,
) {
    let first = members.first().map_or("", |&m| view[m].1.name.as_str());
    // Per listed name, the run member it names.
    let mut named: Vec<Option<usize>> = Vec::with_capacity(attr.names.len());
    for (k, name) in attr.names.iter().enumerate() {
        let text = name.unraw().to_string();
        let mut member = None;
        for (j, &m) in members.iter().enumerate() {
            if view[m].1.name == text || rust_ident(&view[m].1.name) == text {
                member = Some(j);
                break;
            }
        }
        if let Some(j) = member {
            if named.contains(&Some(j)) {
                cx.error(name.span(), format!("bitfield `{text}` is listed twice"));
                named.push(None);
            } else {
                named.push(Some(j));
            }
            continue;
        }
        let placeholder = match members.get(k) {
            Some(&m) => view[m].2 && !attr.names.iter().any(|n| n.unraw() == view[m].1.name),
            None => false,
        };
        let message = match view_position(view, &text) {
            Some(p) if view[p].1.bits == Some(0) => {
                format!("`{text}` is a zero-width bitfield: it holds no bits, leave it out")
            }
            Some(p) if view[p].1.is_bitfield() => format!(
                "bitfield `{text}` is not in the run of `{first}` (it shares neither a byte nor a unit of its type with it on any target): it needs a field of its own"
            ),
            Some(_) => format!("`{text}` is not a bitfield of {context}: it is a field of its own"),
            None if placeholder => {
                named.push(members.get(k).map(|_| k));
                continue;
            }
            None => format!("{context} has no bitfield `{text}`"),
        };
        cx.error(name.span(), message);
        named.push(None);
    }
    let mut highest: Option<usize> = None;
    for (name, j) in attr.names.iter().zip(&named) {
        let Some(j) = *j else { continue };
        if highest.is_some_and(|h| j < h) {
            let place = match j.checked_sub(1) {
                Some(prev) => format!("after `{}`", view[members[prev]].1.name),
                None => "first".to_string(),
            };
            cx.error(
                name.span(),
                format!(
                    "bitfield `{}` is out of order: {context} has it {place}",
                    view[members[j]].1.name
                ),
            );
        }
        highest = Some(highest.map_or(j, |h| h.max(j)));
    }
    let mut missing = 0;
    let mut missing_names = String::new();
    let mut all = String::new();
    for (j, &m) in members.iter().enumerate() {
        let quoted = format!("`{}`", view[m].1.name);
        if !named.contains(&Some(j)) {
            if missing > 0 {
                missing_names.push_str(", ");
            }
            missing += 1;
            missing_names.push_str(&quoted);
        }
        if j > 0 {
            all.push_str(", ");
        }
        all.push_str(&quoted);
    }
    if missing > 0 {
        cx.error(
            attr.at,
            format!(
                "missing bitfield{} {missing_names} in `bits(...)`: in {context}, {all} are one run (they share bytes or a unit of their type), stored by one field, listed in that order",
                if missing == 1 { "" } else { "s" },
            ),
        );
    }
}

/// A bitfield storage's type: a fixed-size unsigned integer or `[u8; N]`;
/// the assertions then check that it covers exactly the run's bytes.
fn check_storage(ty: &syn::Type) -> Result<(), String> {
    let unsigned = |ty: &syn::Type| {
        matches!(
            path_parts(ty),
            Some((name, None)) if matches!(
                scalar_alias(&name),
                Some(Scalar::U8 | Scalar::U16 | Scalar::U32 | Scalar::U64)
            )
        )
    };
    let ok = match strip(ty) {
        syn::Type::Array(array) => matches!(
            path_parts(&array.elem),
            Some((name, None)) if scalar_alias(&name) == Some(Scalar::U8)
        ),
        other => unsigned(other),
    };
    if ok {
        Ok(())
    } else {
        Err(shown(ty))
    }
}

/// `#[repr(C)]` is what makes Rust lay fields out in order, C style.
fn check_repr(cx: &mut Ctxt, input: &DeriveInput) {
    let mut has_c = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let _ = attr::nested(attr, &mut |meta| {
            if meta.path.is_ident("C") {
                has_c = true;
            }
            // Skip `align(N)`, `packed(N)`: only `C` matters here.
            if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                let _: proc_macro2::TokenStream = content.parse()?;
            }
            Ok(())
        });
    }
    if !has_c {
        cx.error(
            input.ident.span(),
            format!(
                "`{}` needs #[repr(C)]: without it Rust may reorder and pad fields as it likes",
                input.ident
            ),
        );
    }
}

/// Integer and float names abi-derive recognizes: Rust's, Linux uapi's
/// (`__u32`, `__s64`) and `core::ffi`'s (`c_uint`, `c_long`). Type aliases
/// of one's own cannot be resolved by a macro and are refused.
fn scalar_alias(name: &str) -> Option<Scalar> {
    Some(match name {
        "u8" | "__u8" | "c_uchar" => Scalar::U8,
        "u16" | "__u16" | "c_ushort" => Scalar::U16,
        "u32" | "__u32" | "c_uint" => Scalar::U32,
        "u64" | "__u64" | "c_ulonglong" => Scalar::U64,
        "i8" | "__s8" | "c_schar" => Scalar::I8,
        "i16" | "__s16" | "c_short" => Scalar::I16,
        "i32" | "__s32" | "c_int" => Scalar::I32,
        "i64" | "__s64" | "c_longlong" => Scalar::I64,
        "f32" | "c_float" => Scalar::F32,
        "f64" | "c_double" => Scalar::F64,
        "c_long" | "isize" => Scalar::Long,
        "c_ulong" | "usize" => Scalar::ULong,
        _ => return None,
    })
}

fn strip(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Group(g) => strip(&g.elem),
        syn::Type::Paren(p) => strip(&p.elem),
        other => other,
    }
}

/// The last path segment's name and its single generic type argument.
fn path_parts(ty: &syn::Type) -> Option<(String, Option<&syn::Type>)> {
    let syn::Type::Path(p) = strip(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    let arg = match &last.arguments {
        PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first() {
            Some(GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    };
    Some((last.ident.to_string(), arg))
}

fn shown(ty: &syn::Type) -> String {
    ty.span()
        .source_text()
        .unwrap_or_else(|| ty.to_token_stream().to_string())
}

/// Why a hand-written field's Rust type is not its spec type.
#[derive(Debug)]
enum TypeMismatch {
    /// Another type.
    Other { want: String, found: String },
    /// The spec says `ptr`, the field is no raw pointer.
    NotAPointer { want: String, found: String },
    /// The same size, the other signedness.
    Signedness { want: String, found: String },
    /// A name abi-derive cannot resolve to a scalar.
    UnknownAlias { want: String, found: String },
    /// An array of another length.
    Length { want: String, found: String },
    /// A flexible array not written `[T; 0]`.
    NotFlexible { want: String, found: String },
}

impl std::fmt::Display for TypeMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (want, found, why) = match self {
            TypeMismatch::Other { want, found } => (want, found, None),
            TypeMismatch::NotAPointer { want, found } => (want, found, Some("a raw pointer")),
            TypeMismatch::Signedness { want, found } => {
                (want, found, Some("signedness differs"))
            }
            TypeMismatch::UnknownAlias { want, found } => (
                want,
                found,
                Some("abi-derive knows Rust's integer and float types, `core::ffi`'s C names and Linux's `__u32`-style names, not other aliases"),
            ),
            TypeMismatch::Length { want, found } => (want, found, Some("the length differs")),
            TypeMismatch::NotFlexible { want, found } => {
                (want, found, Some("a flexible array is `[T; 0]` in Rust"))
            }
        };
        write!(f, "the spec says `{want}`, found `{found}`")?;
        match why {
            Some(why) => write!(f, ": {why}"),
            None => Ok(()),
        }
    }
}

/// Compares a field's Rust type with its spec type. A field with
/// `align = N` may be wrapped (`Aligned8<u64>` or a wrapper of one's own):
/// the offset assertions check what the wrapper does.
fn check_type(spec: &Spec, field: &Field, ty: &syn::Type) -> Result<(), TypeMismatch> {
    if field.align.is_some_and(|a| a > 1) {
        if let Some((name, Some(inner))) = path_parts(ty) {
            if scalar_alias(&name).is_none() && matches(spec, &field.ty, inner).is_ok() {
                return Ok(());
            }
        }
    }
    matches(spec, &field.ty, ty)
}

fn matches(spec: &Spec, want: &Type, ty: &syn::Type) -> Result<(), TypeMismatch> {
    let (want_text, found) = (want.to_string(), shown(ty));
    let pair = || (want_text.clone(), found.clone());
    let other = || {
        let (want, found) = pair();
        TypeMismatch::Other { want, found }
    };
    match want {
        Type::Scalar(Scalar::Ptr) => match strip(ty) {
            syn::Type::Ptr(_) => Ok(()),
            _ => {
                let (want, found) = pair();
                Err(TypeMismatch::NotAPointer { want, found })
            }
        },
        Type::Scalar(s) => {
            let Some((name, None)) = path_parts(ty) else {
                return Err(other());
            };
            let (want, found) = pair();
            match scalar_alias(&name) {
                Some(got) if got == *s => Ok(()),
                Some(got)
                    if got.is_integer()
                        && s.is_integer()
                        && got.fixed_size() == s.fixed_size()
                        && got.is_signed() != s.is_signed() =>
                {
                    Err(TypeMismatch::Signedness { want, found })
                }
                Some(_) => Err(other()),
                None => Err(TypeMismatch::UnknownAlias { want, found }),
            }
        }
        Type::Array { element, len } => {
            let syn::Type::Array(array) = strip(ty) else {
                return Err(other());
            };
            if let Expr::Lit(lit) = &array.len {
                if let Lit::Int(n) = &lit.lit {
                    if n.base10_parse::<u64>().ok() != Some(*len) {
                        let (want, found) = pair();
                        return Err(TypeMismatch::Length { want, found });
                    }
                }
            }
            matches(spec, element, &array.elem).map_err(|_| other())
        }
        Type::Flexible(element) => {
            let not_flexible = || {
                let (want, found) = pair();
                TypeMismatch::NotFlexible { want, found }
            };
            match strip(ty) {
                syn::Type::Array(array) => {
                    let zero = matches!(&array.len, Expr::Lit(l) if matches!(&l.lit, Lit::Int(n) if n.base10_digits() == "0"));
                    if !zero {
                        return Err(not_flexible());
                    }
                    matches(spec, element, &array.elem).map_err(|_| other())
                }
                _ => match path_parts(ty) {
                    Some((_, Some(inner))) => matches(spec, element, inner).map_err(|_| other()),
                    _ => Err(not_flexible()),
                },
            }
        }
        Type::Struct(name) => {
            let Some((got, _)) = path_parts(ty) else {
                return Err(other());
            };
            let other_struct = spec.struct_def(&got).is_some() && got != *name;
            if scalar_alias(&got).is_some() || other_struct {
                Err(other())
            } else {
                Ok(())
            }
        }
    }
}
