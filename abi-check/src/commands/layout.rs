//! `abi-check layout`: print struct layouts.

use abi_spec::{suggest, Layout, Spec, Target};

use crate::cli::{LayoutArgs, LayoutFormat};
use crate::output::{self, Failure, Outcome, EXIT_OK};
use crate::render;

/// The structs, versions and targets asked for.
struct Selection {
    /// The spec's path, as messages show it.
    file: String,
    structs: Vec<usize>,
    versions: Vec<u32>,
    targets: Vec<Target>,
}

/// The structs, versions and targets asked for, checked.
fn select(spec: &Spec, args: &LayoutArgs) -> Result<Selection, Failure> {
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
    // A struct asked for by name must exist in the one version asked for.
    if !args.structs.is_empty() && versions.len() == 1 {
        for &index in &structs {
            if spec.sizes(index, Target::X86_64, versions[0]).is_none() {
                return Err(Failure::msg(format!(
                    "{file}: struct `{}` does not exist in version {} (it first appears in version {})",
                    spec.structs[index].name,
                    versions[0],
                    spec.structs[index].since()
                )));
            }
        }
    }
    Ok(Selection {
        file: output::shown_path(&args.spec),
        structs,
        versions,
        targets,
    })
}

impl Selection {
    /// Hands `each` the layouts of one (struct, version) at a time, on
    /// every target asked for (one layout per layout class, said for each
    /// target). A struct is laid out on its own, version by version, and
    /// nothing is kept: `--version all` of a 65,536-field struct over 256
    /// versions kept gigabytes of layouts in the spec's table.
    fn each(&self, spec: &Spec, mut each: impl FnMut(Vec<Layout>)) -> Result<(), Failure> {
        let classes = abi_spec::layout::classes(&self.targets);
        for &index in &self.structs {
            for &version in &self.versions {
                let mut per_class: Vec<(Target, Option<Layout>)> = Vec::new();
                for class in &classes {
                    let laid = if self.versions.len() == 1 {
                        // One version: the spec's table has it, and keeps
                        // it for the renderers' nested structs.
                        spec.layout(index, class.rep, version).cloned()
                    } else {
                        abi_spec::layout::layout(spec, index, class.rep, version).map_err(|e| {
                            Failure::msg(format!(
                                "{}: {} (a bug: a checked spec lays out)",
                                self.file, e.message
                            ))
                        })?
                    };
                    per_class.push((class.rep, laid));
                }
                let layouts: Vec<Layout> = self
                    .targets
                    .iter()
                    .filter_map(|&target| {
                        let (_, laid) = per_class
                            .iter()
                            .find(|(rep, _)| rep.layout_class() == target.layout_class())?;
                        laid.as_ref().map(|l| Layout {
                            target,
                            ..l.clone()
                        })
                    })
                    .collect();
                if !layouts.is_empty() {
                    each(layouts);
                }
                if output::stdout_failed() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
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

/// Runs the command. Text, Markdown and JSON are written as each (struct,
/// version) is laid out; the SVG picture needs every layout at once.
pub fn run(args: &LayoutArgs) -> Outcome {
    let spec = output::load_spec(&args.spec)?;
    let selection = select(&spec, args)?;
    let mut out = output::Streamed::default();
    match args.format {
        LayoutFormat::Json => {
            // The keys in the order `serde_json` sorts them, as it
            // pretty-prints them.
            out.push(&format!(
                "{{\n  \"abi\": {},\n  \"layouts\": [",
                serde_json::Value::String(spec.abi.name.clone())
            ));
            let mut first = true;
            selection.each(&spec, |layouts| {
                for l in &layouts {
                    out.json_element(&mut first, &render::json::layout_json(&spec, l));
                }
            })?;
            out.json_array_end(first);
            out.push(&format!(",\n  \"version\": {}\n}}\n", spec.abi.version));
            out.finish();
        }
        LayoutFormat::Text => {
            let mut first = true;
            selection.each(&spec, |layouts| {
                for (l, targets) in grouped(&layouts) {
                    if !std::mem::take(&mut first) {
                        out.push("\n");
                    }
                    out.push(&render::pahole::layout_text(&spec, l, &targets));
                }
            })?;
            out.finish();
        }
        LayoutFormat::Markdown => {
            out.push(&format!(
                "# {} version {}\n\n",
                spec.abi.name, spec.abi.version
            ));
            if let Some(doc) = &spec.abi.doc {
                out.push(doc.trim());
                out.push("\n\n");
            }
            selection.each(&spec, |layouts| {
                for (l, targets) in grouped(&layouts) {
                    out.push(&render::markdown::layout_markdown(&spec, l, &targets));
                }
            })?;
            out.finish();
        }
        LayoutFormat::Svg => {
            let mut all = Vec::new();
            selection.each(&spec, |layouts| all.extend(layouts))?;
            output::print(&render::svg::layouts_svg(&spec, &all));
        }
    }
    Ok(EXIT_OK)
}
