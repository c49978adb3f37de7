//! Structs that contain structs: the order in which to lay them out, with
//! cycles, nesting too deep and nested flexible arrays refused; and the
//! versions of a nested struct against the field that holds it.

use std::collections::HashMap;

use crate::limits::MAX_NESTING_DEPTH;
use crate::model::StructDef;
use crate::parse::ctxt::Ctxt;

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
                if structs[child]
                    .fields
                    .last()
                    .is_some_and(|f| f.ty.is_flexible())
                {
                    cx.error(
                        format!("struct `{}` ends in a flexible array and cannot be nested", structs[child].name),
                        field.type_span,
                        "ISO C forbids it: make the flexible array a fixed-size array, or do not nest the struct",
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
