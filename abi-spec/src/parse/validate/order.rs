//! Structs that contain structs: the order in which to lay them out, with
//! cycles, nesting too deep and nested flexible arrays refused; and the
//! versions of a nested struct against the field that holds it.

use std::collections::HashMap;

use crate::limits::MAX_NESTING_DEPTH;
use crate::model::{StructDef, StructKind, Type};
use crate::parse::ctxt::Ctxt;

/// C11 anonymous members (`unnamed = true` on a struct-typed field): the
/// struct is written inline, without a tag, so nothing else may name it;
/// and its members are members of the enclosing struct, so their names
/// must be unique there (through nested anonymous members too).
pub(super) fn anonymous_members(cx: &mut Ctxt, structs: &[StructDef]) {
    let index: HashMap<&str, usize> = structs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut uses: HashMap<&str, Vec<(&StructDef, &crate::model::Field)>> = HashMap::new();
    for def in structs {
        for field in &def.fields {
            if let Some(name) = field.ty.struct_name() {
                uses.entry(name).or_default().push((def, field));
            }
        }
    }
    for def in structs {
        for field in def.fields.iter().filter(|f| f.is_anonymous_member()) {
            let Some(name) = field.ty.struct_name() else {
                continue;
            };
            if !matches!(field.ty, Type::Struct(_)) {
                cx.error(
                    format!("an array of `{name}` cannot be an anonymous member"),
                    field.type_span,
                    "C11 anonymous members are a struct or a union, not an array",
                );
                continue;
            }
            let others = uses.get(name).map_or(0, Vec::len);
            if others > 1 {
                cx.error(
                    format!("struct `{name}` is an anonymous member here and is used elsewhere too"),
                    field.type_span,
                    "an anonymous struct or union is written inline, without a tag: give the other uses a struct of their own",
                );
            }
        }
        // Names visible in `def`: its own fields, and those of its anonymous
        // members, recursively.
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut stack: Vec<(usize, String, usize)> = Vec::new();
        if let Some(&i) = index.get(def.name.as_str()) {
            stack.push((i, String::new(), 0));
        }
        while let Some((i, path, depth)) = stack.pop() {
            if depth > MAX_NESTING_DEPTH {
                break;
            }
            for field in &structs[i].fields {
                if field.is_anonymous_member() {
                    if let Some(&c) = field.ty.struct_name().and_then(|n| index.get(n)) {
                        stack.push((c, format!("{path}{}.", field.name), depth + 1));
                    }
                    continue;
                }
                if field.unnamed {
                    continue;
                }
                if depth == 0 {
                    seen.insert(field.name.clone(), field.name.clone());
                    continue;
                }
                let here = format!("{path}{}", field.name);
                if let Some(first) = seen.insert(field.name.clone(), here.clone()) {
                    cx.error(
                        format!(
                            "`{}` names two members of struct `{}`: `{first}` and `{here}`",
                            field.name, def.name
                        ),
                        field.name_span,
                        "the members of an anonymous struct or union are members of the enclosing one: their names must differ",
                    );
                }
            }
        }
    }
}

/// Orders structs so that each comes after those it contains; refuses
/// cycles, too-deep nesting, and nesting a struct that ends in a
/// flexible array.
pub(super) fn dependency_order(cx: &mut Ctxt, structs: &[StructDef]) -> Option<Vec<usize>> {
    let index: HashMap<&str, usize> = structs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done(usize),
    }
    let flexible = crate::model::flexible_ends(structs);
    let mut marks = vec![Mark::New; structs.len()];
    let mut order = Vec::with_capacity(structs.len());
    let mut ok = true;
    for root in 0..structs.len() {
        if marks[root] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (struct, next field to visit).
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        marks[root] = Mark::Active;
        while let Some(&mut (s, ref mut next)) = stack.last_mut() {
            let fields = &structs[s].fields;
            if *next < fields.len() {
                let field = &fields[*next];
                *next += 1;
                let Some(&child) = field.ty.struct_name().and_then(|n| index.get(n)) else {
                    continue;
                };
                let last = *next == fields.len();
                let in_union = structs[s].kind == StructKind::Union;
                let through_array = !matches!(field.ty, Type::Struct(_));
                if flexible[child] && (through_array || !(last || in_union)) {
                    cx.error(
                        format!("struct `{}` ends in a flexible array and cannot be nested here", structs[child].name),
                        field.type_span,
                        "a struct that ends in a flexible array can only be the last field of a struct, or a member of a union (GNU C, as Linux's __DECLARE_FLEX_ARRAY does), never an array element",
                    );
                    ok = false;
                }
                match marks[child] {
                    Mark::Active => {
                        let start = stack.iter().position(|&(x, _)| x == child).unwrap_or(0);
                        let path: Vec<&str> = stack[start..]
                            .iter()
                            .map(|&(x, _)| structs[x].name.as_str())
                            .chain([structs[child].name.as_str()])
                            .collect();
                        cx.error(
                            format!("struct `{}` contains itself: {}", structs[child].name, path.join(" -> ")),
                            field.type_span,
                            "a struct cannot contain itself; use a pointer-sized field or break the cycle",
                        );
                        ok = false;
                    }
                    Mark::New => {
                        if stack.len() >= MAX_NESTING_DEPTH {
                            cx.error(
                                format!("structs are nested more than {MAX_NESTING_DEPTH} deep"),
                                field.type_span,
                                "flatten the nesting",
                            );
                            ok = false;
                            continue;
                        }
                        marks[child] = Mark::Active;
                        stack.push((child, 0));
                    }
                    Mark::Done(_) => {}
                }
            } else {
                marks[s] = Mark::Done(order.len());
                order.push(s);
                stack.pop();
            }
        }
    }
    ok.then_some(order)
}

/// A field that contains a struct must not exist before that struct.
pub(super) fn nested_versions(cx: &mut Ctxt, structs: &[StructDef]) {
    // By name, each with its first version: looked up per nested field,
    // where a search (and `since` over the inner struct's fields) made a
    // spec of many structs quadratic.
    let index: HashMap<&str, (&StructDef, u32)> = structs
        .iter()
        .rev()
        .map(|s| (s.name.as_str(), (s, s.since())))
        .collect();
    for def in structs {
        for field in &def.fields {
            let Some(&(inner, inner_since)) = field.ty.struct_name().and_then(|n| index.get(n))
            else {
                continue;
            };
            let from = field
                .was_reserved
                .map_or(field.since, |w| w.min(field.since));
            if from < inner_since {
                cx.error(
                    format!(
                        "field `{}` exists from version {from}, but struct `{}` only from version {}",
                        field.name, inner.name, inner_since
                    ),
                    field.type_span,
                    format!("set `since = {inner_since}` on the field, or give `{}` a field from version {from}", inner.name),
                );
            }
        }
    }
}
