//! `abi-check layout`: print struct layouts.

use abi_spec::{suggest, Layout, Spec, Target};
use serde_json::json;

use crate::cli::{LayoutArgs, LayoutFormat};
use crate::output::{self, Failure, Outcome, EXIT_OK};
use crate::render;

/// The (struct, target, version) triples asked for, laid out.
pub fn select(spec: &Spec, args: &LayoutArgs) -> Result<Vec<Layout>, Failure> {
    let file = args.spec.display();
    let structs: Vec<usize> = if args.structs.is_empty() {
        (0..spec.structs.len()).collect()
    } else {
        args.structs
            .iter()
            .map(|name| {
                spec.struct_index(name).ok_or_else(|| {
                    Failure::msg(format!(
                        "{file}: no struct `{}`; {}",
                        name.escape_debug(),
                        output::known_structs(spec, name)
                    ))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let versions: Vec<u32> = match args.version.as_deref() {
        None => vec![spec.abi.version],
        Some("all") => spec.versions().collect(),
        Some(text) => {
            let v: u32 = text.parse().map_err(|_| {
                Failure::msg(format!(
                    "--version `{}` is not a version number or `all`",
                    text.escape_debug()
                ))
            })?;
            if !spec.versions().contains(&v) {
                return Err(Failure::msg(format!(
                    "{file}: version {v} is outside {}..={}",
                    spec.versions().start(),
                    spec.versions().end()
                )));
            }
            vec![v]
        }
    };
    let targets: Vec<Target> = if args.target == "all" {
        spec.abi.targets.clone()
    } else {
        vec![Target::from_name(&args.target).ok_or_else(|| {
            Failure::msg(format!(
                "unknown target `{}`; {}",
                args.target.escape_debug(),
                match suggest::did_you_mean(&args.target, Target::ALL.map(Target::name)) {
                    Some(hint) => hint,
                    None => format!(
                        "built-in targets: {}, or `all`",
                        Target::ALL.map(Target::name).join(", ")
                    ),
                }
            ))
        })?]
    };
    let mut layouts = Vec::new();
    for &index in &structs {
        for &version in &versions {
            for &target in &targets {
                match spec.layout(index, target, version) {
                    // One layout per class: say which target this one is.
                    Some(l) => layouts.push(Layout {
                        target,
                        ..l.clone()
                    }),
                    None if !args.structs.is_empty() && versions.len() == 1 => {
                        return Err(Failure::msg(format!(
                            "{file}: struct `{}` does not exist in version {version} (it first appears in version {})",
                            spec.structs[index].name,
                            spec.structs[index].since()
                        )))
                    }
                    None => {}
                }
            }
        }
    }
    Ok(layouts)
}

/// Groups consecutive layouts of one (struct, version) whose placement is
/// identical on several targets, so people read each distinct layout once.
fn grouped(layouts: &[Layout]) -> Vec<(&Layout, String)> {
    let mut groups: Vec<(&Layout, Vec<Target>)> = Vec::new();
    for l in layouts {
        let same = groups.iter_mut().find(|(g, _)| {
            g.struct_index == l.struct_index
                && g.version == l.version
                && g.size == l.size
                && g.feature_size == l.feature_size
                && g.align == l.align
                && g.fields == l.fields
        });
        match same {
            Some((_, targets)) => targets.push(l.target),
            None => groups.push((l, vec![l.target])),
        }
    }
    groups
        .into_iter()
        .map(|(l, ts)| {
            (
                l,
                ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "),
            )
        })
        .collect()
}

/// Runs the command.
pub fn run(args: &LayoutArgs) -> Outcome {
    let spec = output::load_spec(&args.spec)?;
    let layouts = select(&spec, args)?;
    match args.format {
        LayoutFormat::Json => {
            let value = json!({
                "abi": spec.abi.name,
                "version": spec.abi.version,
                "layouts": layouts.iter().map(|l| render::json::layout_json(&spec, l)).collect::<Vec<_>>(),
            });
            output::print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            ));
        }
        LayoutFormat::Text => {
            let text: Vec<String> = grouped(&layouts)
                .into_iter()
                .map(|(l, targets)| render::pahole::layout_text(&spec, l, &targets))
                .collect();
            output::print(&text.join("\n"));
        }
        LayoutFormat::Markdown => {
            let mut out = format!("# {} version {}\n\n", spec.abi.name, spec.abi.version);
            if let Some(doc) = &spec.abi.doc {
                out.push_str(doc.trim());
                out.push_str("\n\n");
            }
            for (l, targets) in grouped(&layouts) {
                out.push_str(&render::markdown::layout_markdown(&spec, l, &targets));
            }
            output::print(&out);
        }
        LayoutFormat::Svg => output::print(&render::svg::layouts_svg(&spec, &layouts)),
    }
    Ok(EXIT_OK)
}
