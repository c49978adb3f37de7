//! C headers from a spec: the structs at the newest version, constants for
//! every version's size and feature size, feature bits, and static
//! assertions of every size and offset the layout engine computed.
//!
//! Two styles: [`Style::Uapi`] writes what Linux keeps in
//! `include/uapi/linux/` (`<linux/types.h>`, `__u32`, `__aligned_u64`);
//! [`Style::Stdint`] writes portable C (`<stdint.h>`, `uint32_t`).
//!
//! Every number in the header comes from [`crate::layout`]. When the spec's
//! targets lay a struct out in more than one way, the header picks the
//! right numbers with the compiler's predefined target macros (see
//! [`target_condition`]); on a target that is none of the spec's, it stops
//! with `#error` rather than guess.
//!
//! Implicit padding becomes explicit members (`__pad0`, ...), so the header
//! compiles under `-Wpadded -Werror` and the bytes can be zeroed by name;
//! the one place C cannot name padding (after a flexible array member) is
//! wrapped in a `#pragma` that silences `-Wpadded` for that struct alone.
//!
//! Spec text only ever lands inside block comments, through
//! [`comment_text`], which makes it unable to end the comment, to splice
//! lines through trigraphs, or to start a nested comment. Names were
//! validated by the model as C identifiers that are no C or C++ keyword.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use crate::layout::{self, Hole, Layout};
use crate::model::{Spec, StructDef, StructKind, Type, EXTENSION_BIT_POSITION};
use crate::names::{GeneratedNames, NameOwner};
use crate::target::Target;
use crate::types::Scalar;

/// The flavour of C a header is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Style {
    /// As Linux writes `include/uapi/linux/*.h`: `<linux/types.h>`,
    /// `__u32`, `__aligned_u64`, `__builtin_offsetof`.
    Uapi,
    /// Portable C: `<stdint.h>`, `<stddef.h>`, `uint32_t`, `offsetof`.
    Stdint,
}

/// What a header says about where it came from.
#[derive(Clone, Copy, Debug)]
pub struct HeaderOptions<'a> {
    /// The flavour of C.
    pub style: Style,
    /// The spec file's name, for the banner (a file name rather than a
    /// path, so the header does not change with the directory it is
    /// generated from).
    pub spec_name: &'a str,
}

/// Why a header cannot be generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodegenError {
    /// Two things the header defines would get the same C name.
    NameClash {
        /// The name.
        name: String,
        /// The first thing that wanted it.
        first: String,
        /// The second thing that wanted it.
        second: String,
    },
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::NameClash {
                name,
                first,
                second,
            } => write!(
                f,
                "the header would define `{name}` twice: for {first} and for {second}; rename one of them"
            ),
        }
    }
}

impl std::error::Error for CodegenError {}

/// The C preprocessor condition that is true exactly when compiling for
/// `target` with GCC or Clang on Linux.
pub fn target_condition(target: Target) -> &'static str {
    match target {
        Target::X86_64 => "(defined(__x86_64__) && defined(__LP64__))",
        Target::X32 => "(defined(__x86_64__) && defined(__ILP32__))",
        Target::I386 => "defined(__i386__)",
        Target::Aarch64 => "(defined(__aarch64__) && defined(__LP64__))",
        Target::Riscv64 => "(defined(__riscv) && __riscv_xlen == 64)",
        Target::Riscv32 => "(defined(__riscv) && __riscv_xlen == 32)",
        Target::Powerpc64 => "(defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)",
        Target::Powerpc64le => {
            "(defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)"
        }
        Target::Powerpc => "(defined(__powerpc__) && !defined(__powerpc64__))",
        Target::Mips64 => "(defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64)",
        Target::Mips => {
            "(defined(__mips__) && defined(_ABIO32) && _MIPS_SIM == _ABIO32 && defined(__MIPSEB__))"
        }
        Target::Mipsel => {
            "(defined(__mips__) && defined(_ABIO32) && _MIPS_SIM == _ABIO32 && defined(__MIPSEL__))"
        }
        Target::Sparc64 => "(defined(__sparc__) && defined(__arch64__))",
        Target::Sparc => "(defined(__sparc__) && !defined(__arch64__))",
        Target::Loongarch64 => "(defined(__loongarch__) && __loongarch_grlen == 64)",
        Target::S390x => "defined(__s390x__)",
        Target::Sh4 => "defined(__sh__)",
        Target::Arm => "(defined(__arm__) && defined(__ARM_EABI__) && !defined(__ARMEB__))",
        Target::Armeb => "(defined(__arm__) && defined(__ARM_EABI__) && defined(__ARMEB__))",
        Target::M68k => "defined(__m68k__)",
    }
}

/// Makes arbitrary text safe to put inside a C block comment, one string
/// per line. Nothing it returns can end the comment (`*/`), open a nested
/// one (`/*`, which `-Wcomment` rejects), or form a trigraph (`??/` would
/// be a backslash, `-Wtrigraphs`): a backslash goes between the two
/// characters of each such pair. Control characters become spaces, and
/// characters that reorder or hide text are written as `\u{202e}`; line
/// breaks (`\n`, `\r\n`, `\r`) separate lines; trailing spaces go, so a
/// final backslash is never followed by a space (GCC would splice and
/// warn). A line ending in a backslash is harmless: the splice joins it
/// with the next comment line, which starts with ` *`.
pub fn comment_text(text: &str) -> Vec<String> {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    normalized
        .split('\n')
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            let mut last = '\0';
            for c in line.chars() {
                if super::is_invisible(c) {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                    last = '}';
                    continue;
                }
                let c = if c.is_control() { ' ' } else { c };
                if (last == '*' && c == '/')
                    || (last == '/' && c == '*')
                    || (last == '?' && c == '?')
                {
                    out.push('\\');
                }
                out.push(c);
                last = c;
            }
            out.truncate(out.trim_end().len());
            out
        })
        .collect()
}

/// Writes a comment: `/** text */` on one line when it fits, else a block.
fn write_comment(out: &mut String, indent: &str, paragraphs: &[String]) {
    let mut lines: Vec<String> = Vec::new();
    for (i, paragraph) in paragraphs.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        for line in comment_text(paragraph.trim()) {
            lines.extend(wrap(&line, 76usize.saturating_sub(indent.len() * 8)));
        }
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    match lines.as_slice() {
        [] => {}
        [one] if indent.len() * 8 + one.len() + 7 <= 80 => {
            let _ = writeln!(out, "{indent}/** {one} */");
        }
        _ => {
            let _ = writeln!(out, "{indent}/**");
            for line in &lines {
                if line.is_empty() {
                    let _ = writeln!(out, "{indent} *");
                } else {
                    let _ = writeln!(out, "{indent} * {line}");
                }
            }
            let _ = writeln!(out, "{indent} */");
        }
    }
}

/// Splits a line at spaces so that each piece is at most `width` bytes
/// where possible (a longer word stays whole). Splitting at a space never
/// joins two characters that [`comment_text`] kept apart.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let width = width.max(40);
    let mut pieces = Vec::new();
    let mut current = String::new();
    for word in line.split(' ').filter(|w| !w.is_empty()) {
        if !current.is_empty() && current.len() + 1 + word.len() > width {
            pieces.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    pieces.push(current);
    pieces
}

/// A struct's placement with the target and field alignments left out:
/// what the header states (sizes, offsets, padding, struct alignment).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shape {
    size: u64,
    feature_size: u64,
    align: u64,
    fields: Vec<(usize, u64, u64)>,
    holes: Vec<Hole>,
}

impl Shape {
    fn of(layout: &Layout) -> Shape {
        Shape {
            size: layout.size,
            feature_size: layout.feature_size,
            align: layout.align,
            fields: layout
                .fields
                .iter()
                .map(|f| (f.index, f.offset, f.size))
                .collect(),
            holes: layout.holes.clone(),
        }
    }
}

/// Targets that lay out every struct of the spec identically, in every
/// version: the header states one set of numbers per class.
struct Class {
    targets: Vec<Target>,
    /// Indexed by version offset from the first version, then by struct.
    shapes: Vec<Vec<Option<Shape>>>,
}

/// The layout classes of the spec's targets, merged where this spec's
/// structs happen to lay out alike on them.
fn classes(spec: &Spec) -> Vec<Class> {
    let mut classes: Vec<Class> = Vec::new();
    for class in layout::classes(&spec.abi.targets) {
        let shapes: Vec<Vec<Option<Shape>>> = spec
            .versions()
            .map(|version| {
                spec.layouts_at(class.rep, version)
                    .iter()
                    .map(|l| l.as_ref().map(Shape::of))
                    .collect()
            })
            .collect();
        match classes.iter_mut().find(|c| c.shapes == shapes) {
            Some(merged) => {
                merged.targets.extend(class.members);
                merged.targets.sort();
            }
            None => classes.push(Class {
                targets: class.members,
                shapes,
            }),
        }
    }
    classes
}

/// The C spelling of a scalar in a style.
fn scalar_c(style: Style, scalar: Scalar) -> &'static str {
    match (style, scalar) {
        (Style::Uapi, Scalar::U8) => "__u8",
        (Style::Uapi, Scalar::U16) => "__u16",
        (Style::Uapi, Scalar::U32) => "__u32",
        (Style::Uapi, Scalar::U64) => "__u64",
        (Style::Uapi, Scalar::I8) => "__s8",
        (Style::Uapi, Scalar::I16) => "__s16",
        (Style::Uapi, Scalar::I32) => "__s32",
        (Style::Uapi, Scalar::I64) => "__s64",
        (Style::Stdint, Scalar::U8) => "uint8_t",
        (Style::Stdint, Scalar::U16) => "uint16_t",
        (Style::Stdint, Scalar::U32) => "uint32_t",
        (Style::Stdint, Scalar::U64) => "uint64_t",
        (Style::Stdint, Scalar::I8) => "int8_t",
        (Style::Stdint, Scalar::I16) => "int16_t",
        (Style::Stdint, Scalar::I32) => "int32_t",
        (Style::Stdint, Scalar::I64) => "int64_t",
        (_, Scalar::F32) => "float",
        (_, Scalar::F64) => "double",
        (_, Scalar::Ptr) => "void",
        (_, Scalar::Long) => "long",
        (_, Scalar::ULong) => "unsigned long",
    }
}

/// A constant's value as a C literal of the constant's type.
fn literal(ty: Scalar, value: i64) -> String {
    let suffix = match ty {
        Scalar::U8 | Scalar::U16 | Scalar::U32 => "U",
        Scalar::U64 => "ULL",
        Scalar::I64 => "LL",
        _ => "",
    };
    if value == i64::MIN {
        // -9223372036854775808 is the negation of a literal too large for
        // any signed type; C spells the minimum as an expression.
        return "(-9223372036854775807LL - 1)".to_string();
    }
    if ty == Scalar::I32 && value == i64::from(i32::MIN) {
        return "(-2147483647 - 1)".to_string();
    }
    if value < 0 {
        format!("({value}{suffix})")
    } else {
        format!("{value}{suffix}")
    }
}

/// Upper-cased, for macro names.
fn upper(name: &str) -> String {
    name.to_ascii_uppercase()
}

/// Every macro name the header defines, duplicates refused
/// ([`GeneratedNames`], which the Rust generator shares), the standard
/// headers' own macros claimed first.
struct Names(GeneratedNames);

impl Default for Names {
    fn default() -> Self {
        let mut names = GeneratedNames::default();
        for name in crate::names::header_macros() {
            let _ = names.claim(
                name,
                NameOwner::generator(format!("the macro `{name}` of the standard headers")),
            );
        }
        Names(names)
    }
}

impl Names {
    fn claim(&mut self, name: &str, what: impl Into<String>) -> Result<(), CodegenError> {
        self.0
            .claim(name, NameOwner::generator(what))
            .map_err(|clash| CodegenError::NameClash {
                name: clash.name,
                first: clash.first.what,
                second: clash.second.what,
            })
    }
}

/// One value per class, emitted once when every class agrees and under
/// `#if <LAYOUT> == n` otherwise.
fn per_class<T: PartialEq>(
    out: &mut String,
    selector: &str,
    values: &[T],
    mut lines: impl FnMut(&T) -> String,
) {
    let Some(first) = values.first() else {
        return;
    };
    if values.iter().all(|v| v == first) {
        out.push_str(&lines(first));
        return;
    }
    // Classes with equal values share one branch.
    let mut done = vec![false; values.len()];
    let mut keyword = "#if";
    for i in 0..values.len() {
        if done[i] {
            continue;
        }
        let same: Vec<usize> = (i..values.len())
            .filter(|&j| values[j] == values[i])
            .collect();
        for &j in &same {
            done[j] = true;
        }
        let condition = same
            .iter()
            .map(|j| format!("{selector} == {}", j + 1))
            .collect::<Vec<_>>()
            .join(" || ");
        let _ = writeln!(out, "{keyword} {condition}");
        out.push_str(&lines(&values[i]));
        keyword = "#elif";
    }
    out.push_str("#endif\n");
}

/// The declaration of a field (without the trailing `;`).
fn declaration(spec: &Spec, style: Style, name: &str, ty: &Type, align: Option<u64>) -> String {
    let mut dims = String::new();
    let mut element = ty;
    loop {
        match element {
            Type::Array {
                element: inner,
                len,
            } => {
                let _ = write!(dims, "[{len}]");
                element = inner;
            }
            Type::Flexible(inner) => {
                dims.push_str("[]");
                element = inner;
            }
            _ => break,
        }
    }
    let is_array = !dims.is_empty();
    let (base, star) = match element {
        Type::Scalar(Scalar::Ptr) => ("void".to_string(), "*"),
        Type::Scalar(s) => {
            // The kernel's own spelling of a u64 that is 8-aligned on every
            // architecture, when the spec asks for exactly that.
            let aligned = match (style, s, align, is_array) {
                (Style::Uapi, Scalar::U64, Some(8), false) => Some("__aligned_u64"),
                (Style::Uapi, Scalar::I64, Some(8), false) => Some("__aligned_s64"),
                _ => None,
            };
            if let Some(aligned) = aligned {
                return format!("{aligned} {name}");
            }
            (scalar_c(style, *s).to_string(), "")
        }
        Type::Struct(other) => {
            let keyword = spec
                .struct_def(other)
                .map_or("struct", |d| d.kind.keyword());
            (format!("{keyword} {other}"), "")
        }
        Type::Array { .. } | Type::Flexible(_) => (String::new(), ""),
    };
    let attribute = align
        .map(|a| format!(" __attribute__((aligned({a})))"))
        .unwrap_or_default();
    format!("{base} {star}{name}{dims}{attribute}")
}

/// The explicit padding of a struct in one class: bytes before each field
/// (by position in the newest view) and after the last one.
fn padding(def: &StructDef, shape: &Shape) -> (Vec<u64>, u64) {
    let mut before = vec![0; shape.fields.len()];
    let mut tail = 0;
    for hole in &shape.holes {
        if hole.tail {
            tail = hole.size;
        } else if let Some(pos) = shape
            .fields
            .iter()
            .position(|&(_, offset, _)| offset == hole.offset + hole.size)
        {
            before[pos] = hole.size;
        }
    }
    if def.kind == StructKind::Union {
        // A union's holes are all tail padding: a byte array as large as
        // the union names them.
        if tail > 0 {
            tail = shape.size;
        }
    }
    (before, tail)
}

/// Generates the header.
pub fn header(spec: &Spec, options: &HeaderOptions<'_>) -> Result<String, CodegenError> {
    let style = options.style;
    let classes = classes(spec);
    let abi = &spec.abi;
    let prefix = upper(&abi.name);
    let selector = format!("__{prefix}_LAYOUT");
    let newest = (abi.version - abi.first_version) as usize;
    let mut names = Names::default();
    let mut out = String::new();

    if let Some(license) = &abi.license {
        let text = comment_text(license).join(" ");
        let _ = writeln!(out, "/* SPDX-License-Identifier: {text} */");
    }
    let mut banner = vec![format!("{}: version {}.", abi.name, abi.version)];
    if let Some(doc) = &abi.doc {
        banner.push(doc.clone());
    }
    let style_name = match style {
        Style::Uapi => "uapi",
        Style::Stdint => "stdint",
    };
    banner.push(format!(
        "Generated by abi-check from {}. Do not edit: change the spec and run `abi-check header --style {style_name} {}`.",
        options.spec_name, options.spec_name
    ));
    write_comment(&mut out, "", &banner);
    let guard = match style {
        Style::Uapi => format!("_UAPI_LINUX_{prefix}_H"),
        Style::Stdint => format!("{prefix}_H"),
    };
    names.claim(&guard, "the include guard")?;
    let _ = writeln!(out, "#ifndef {guard}\n#define {guard}\n");
    match style {
        Style::Uapi => out.push_str("#include <linux/types.h>\n\n"),
        Style::Stdint => out.push_str("#include <stddef.h>\n#include <stdint.h>\n\n"),
    }

    // Versions.
    let version_macro = format!("{prefix}_VERSION");
    let first_macro = format!("{prefix}_FIRST_VERSION");
    names.claim(&version_macro, "the newest version")?;
    names.claim(&first_macro, "the first version")?;
    out.push_str("/** The newest version this header describes, and the first. */\n");
    let _ = writeln!(out, "#define {version_macro} {}", abi.version);
    let _ = writeln!(out, "#define {first_macro} {}\n", abi.first_version);

    // Feature bits.
    if spec.has_features() {
        let words_macro = format!("{prefix}_FEATURE_WORDS");
        let extension_macro = format!("{prefix}_EXTENSION_BIT");
        names.claim(&words_macro, "the number of feature words")?;
        names.claim(&extension_macro, "the extension bit")?;
        out.push_str(
            "/*\n * Feature bits. Each lives in a u64 word (the _WORD macro is its index);\n * bit 63 of every word is the extension bit: set, another word follows.\n */\n",
        );
        let _ = writeln!(out, "#define {words_macro} {}", abi.feature_words);
        let _ = writeln!(
            out,
            "#define {extension_macro} (1ULL << {EXTENSION_BIT_POSITION})\n"
        );
        for feature in &spec.features {
            let name = format!("{prefix}_FEATURE_{}", upper(&feature.name));
            let word = format!("{name}_WORD");
            names.claim(&name, format!("feature `{}`", feature.name))?;
            names.claim(&word, format!("feature `{}`'s word", feature.name))?;
            let mut doc = Vec::new();
            if let Some(text) = &feature.doc {
                doc.push(text.clone());
            }
            let mut note = format!("Since version {}.", feature.since);
            if feature.retired {
                note.push_str(" Retired: never set, and the bit is never reused.");
            }
            doc.push(note);
            write_comment(&mut out, "", &doc);
            let _ = writeln!(out, "#define {word} {}", feature.word());
            let _ = writeln!(out, "#define {name} (1ULL << {})\n", feature.position());
        }
    }

    // What the size macros will say, so that a named constant spelling the
    // same macro (clone_args's CLONE_ARGS_SIZE_VER0) is checked against the
    // layout and written once.
    let mut size_macros: BTreeMap<String, Vec<Option<u64>>> = BTreeMap::new();
    for (index, def) in spec.structs.iter().enumerate() {
        for (v, version) in spec.versions().enumerate() {
            let struct_prefix = upper(&def.name);
            for (what, pick) in [("SIZE", true), ("FEATURE_SIZE", false)] {
                let values = classes
                    .iter()
                    .map(|c| {
                        c.shapes[v][index]
                            .as_ref()
                            .map(|s| if pick { s.size } else { s.feature_size })
                    })
                    .collect();
                size_macros.insert(format!("{struct_prefix}_{what}_VER{version}"), values);
            }
        }
    }

    // Named constants.
    for constant in &spec.constants {
        let upper_name = upper(&constant.name);
        // A constant that already carries the ABI's prefix keeps its name,
        // so specs can use the names Linux uses (RSEQ_CPU_ID_...).
        let name = if upper_name.starts_with(&format!("{prefix}_")) {
            upper_name
        } else {
            format!("{prefix}_{upper_name}")
        };
        if let Some(values) = size_macros.get(&name) {
            let agrees = u64::try_from(constant.value)
                .is_ok_and(|value| values.iter().all(|v| *v == Some(value)));
            if agrees {
                continue;
            }
            return Err(CodegenError::NameClash {
                name,
                first: format!("constant `{}` = {}", constant.name, constant.value),
                second: format!(
                    "the size the layout gives ({})",
                    values
                        .iter()
                        .map(|v| v.map_or("none".to_string(), |v| v.to_string()))
                        .collect::<Vec<_>>()
                        .join(" / ")
                ),
            });
        }
        names.claim(&name, format!("constant `{}`", constant.name))?;
        if let Some(doc) = &constant.doc {
            write_comment(&mut out, "", std::slice::from_ref(doc));
        }
        let _ = writeln!(
            out,
            "#define {name} {}",
            literal(constant.ty, constant.value)
        );
    }
    if !spec.constants.is_empty() {
        out.push('\n');
    }

    // Which layout the compiler targets, when the spec's targets disagree.
    if classes.len() > 1 {
        names.claim(&selector, "the layout selector")?;
        let _ = writeln!(
            out,
            "/*\n * The spec's targets lay these structs out in {} ways; {selector}\n * says which one this compiler targets:",
            classes.len()
        );
        for (i, class) in classes.iter().enumerate() {
            let list = class
                .targets
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ");
            for (j, piece) in wrap(&list, 66).iter().enumerate() {
                if j == 0 {
                    let _ = writeln!(out, " *   {}: {piece}", i + 1);
                } else {
                    let _ = writeln!(out, " *      {piece}");
                }
            }
        }
        out.push_str(" */\n");
        for (i, class) in classes.iter().enumerate() {
            let keyword = if i == 0 { "#if" } else { "#elif" };
            let condition = class
                .targets
                .iter()
                .map(|&t| target_condition(t))
                .collect::<Vec<_>>()
                .join(" \\\n    || ");
            let _ = writeln!(out, "{keyword} {condition}\n#define {selector} {}", i + 1);
        }
        let all = abi
            .targets
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "#else\n#error \"{}: no layout is known for this target; the spec describes {all}\"\n#endif\n",
            abi.name
        );
    }

    // Sizes per version, and alignment.
    for (index, def) in spec.structs.iter().enumerate() {
        let struct_prefix = upper(&def.name);
        let _ = writeln!(
            out,
            "/* {} {}: size and feature size (the length a caller of that version\n * announces) in each version, and alignment. */",
            def.kind.keyword(),
            def.name
        );
        for (v, version) in spec.versions().enumerate() {
            let values: Vec<Option<(u64, u64)>> = classes
                .iter()
                .map(|c| {
                    c.shapes[v][index]
                        .as_ref()
                        .map(|s| (s.size, s.feature_size))
                })
                .collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let size_name = format!("{struct_prefix}_SIZE_VER{version}");
            let feature_name = format!("{struct_prefix}_FEATURE_SIZE_VER{version}");
            names.claim(&size_name, format!("struct `{}`", def.name))?;
            names.claim(&feature_name, format!("struct `{}`", def.name))?;
            per_class(&mut out, &selector, &values, |value| match value {
                Some((size, feature_size)) => {
                    format!("#define {size_name} {size}\n#define {feature_name} {feature_size}\n")
                }
                None => String::new(),
            });
        }
        let align_name = format!("{struct_prefix}_ALIGNMENT");
        names.claim(&align_name, format!("struct `{}`", def.name))?;
        let aligns: Vec<Option<u64>> = classes
            .iter()
            .map(|c| c.shapes[newest][index].as_ref().map(|s| s.align))
            .collect();
        per_class(&mut out, &selector, &aligns, |value| match value {
            Some(align) => format!("#define {align_name} {align}\n"),
            None => String::new(),
        });
        out.push('\n');
    }

    // The "is this field within the length" test.
    let offsetof = match style {
        Style::Uapi => "__builtin_offsetof",
        Style::Stdint => "offsetof",
    };
    let end_macro = format!("{prefix}_OFFSETOFEND");
    let available_macro = format!("{prefix}_FIELD_AVAILABLE");
    names.claim(&end_macro, "the offsetofend macro")?;
    names.claim(&available_macro, "the field-available macro")?;
    let _ = writeln!(
        out,
        "/*\n * The end of a field, and whether a length (a caller's size, a version's\n * _FEATURE_SIZE) covers it: {available_macro}(struct {}, field, len).\n * Not for flexible array members, which have no size.\n */",
        spec.structs.first().map_or("name", |s| s.name.as_str())
    );
    let _ = writeln!(
        out,
        "#define {end_macro}(type, field) \\\n\t({offsetof}(type, field) + sizeof(((type *)0)->field))"
    );
    let _ = writeln!(
        out,
        "#define {available_macro}(type, field, len) \\\n\t((len) >= {end_macro}(type, field))\n"
    );

    // The structs, contained ones first.
    for &index in &spec.dependency_order {
        let def = &spec.structs[index];
        let shapes: Vec<Option<&Shape>> = classes
            .iter()
            .map(|c| c.shapes[newest][index].as_ref())
            .collect();
        write_struct(&mut out, spec, style, def, &shapes, &selector)?;
    }

    // Static assertions.
    let assert_macro = format!("__{prefix}_STATIC_ASSERT");
    let alignof_macro = format!("__{prefix}_ALIGNOF");
    names.claim(&assert_macro, "the static-assertion macro")?;
    names.claim(&alignof_macro, "the alignof macro")?;
    let _ = writeln!(
        out,
        "/*\n * The layout the spec promises, checked by the compiler where it can\n * (C11, C++11); older C and C++ include the header without the checks.\n */\n\
#if defined(__cplusplus) && __cplusplus >= 201103L\n\
#define {assert_macro}(expr, msg) static_assert(expr, msg)\n\
#define {alignof_macro}(type) alignof(type)\n\
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L\n\
#define {assert_macro}(expr, msg) _Static_assert(expr, msg)\n\
#define {alignof_macro}(type) _Alignof(type)\n\
#endif\n\
#ifdef {assert_macro}"
    );
    for &index in &spec.dependency_order {
        let def = &spec.structs[index];
        let shapes: Vec<Option<&Shape>> = classes
            .iter()
            .map(|c| c.shapes[newest][index].as_ref())
            .collect();
        let ty = format!("{} {}", def.kind.keyword(), def.name);
        // One assertion per fact, conditional only where targets disagree.
        let mut facts: Vec<(String, String, Vec<Option<u64>>)> = vec![
            (
                format!("sizeof({ty})"),
                format!("sizeof({ty})"),
                shapes.iter().map(|s| s.map(|s| s.size)).collect(),
            ),
            (
                format!("{alignof_macro}({ty})"),
                format!("alignof({ty})"),
                shapes.iter().map(|s| s.map(|s| s.align)).collect(),
            ),
        ];
        for (field_index, field) in def.fields.iter().enumerate() {
            let offsets = shapes
                .iter()
                .map(|s| s.and_then(|s| s.fields.iter().find(|f| f.0 == field_index).map(|f| f.1)))
                .collect();
            let expr = format!("{offsetof}({ty}, {})", field.name);
            facts.push((expr.clone(), expr.replace(offsetof, "offsetof"), offsets));
        }
        for (expr, message, values) in &facts {
            per_class(&mut out, &selector, values, |value| match value {
                Some(v) => format!("{assert_macro}({expr} == {v}, \"{message}\");\n"),
                None => String::new(),
            });
        }
    }
    let _ = writeln!(out, "#endif /* {assert_macro} */\n\n#endif /* {guard} */");
    Ok(out)
}

fn write_struct(
    out: &mut String,
    spec: &Spec,
    style: Style,
    def: &StructDef,
    shapes: &[Option<&Shape>],
    selector: &str,
) -> Result<(), CodegenError> {
    let paddings: Vec<Option<(Vec<u64>, u64)>> =
        shapes.iter().map(|s| s.map(|s| padding(def, s))).collect();
    let flexible_tail = def.fields.last().is_some_and(|f| f.ty.is_flexible())
        && paddings.iter().flatten().any(|(_, tail)| *tail > 0);
    // Padding members are `__pad0`, `__pad1`, ...: the next number no
    // field of the struct has taken (Linux names fields `__pad1` too).
    let mut pad_number = 0;
    let mut next_pad = || loop {
        let name = format!("__pad{pad_number}");
        pad_number += 1;
        if def.field(&name).is_none() {
            break name;
        }
    };
    let mut body = String::new();
    let pad_type = match style {
        Style::Uapi => "__u8",
        Style::Stdint => "uint8_t",
    };
    for (pos, field) in def.fields.iter().enumerate() {
        let before: Vec<u64> = paddings
            .iter()
            .map(|p| {
                p.as_ref()
                    .map_or(0, |(b, _)| b.get(pos).copied().unwrap_or(0))
            })
            .collect();
        if before.iter().any(|&b| b > 0) {
            let pad = next_pad();
            per_class(&mut body, selector, &before, |&bytes| {
                if bytes == 0 {
                    String::new()
                } else {
                    format!("\t{pad_type} {pad}[{bytes}]; /* implicit padding */\n")
                }
            });
        }
        let mut doc = Vec::new();
        if let Some(text) = &field.doc {
            doc.push(text.clone());
        }
        let mut notes = Vec::new();
        if field.since > spec.abi.first_version {
            notes.push(format!("Since version {}.", field.since));
        }
        if let Some(w) = field.was_reserved {
            notes.push(format!("Reserved (must be zero) from version {w}."));
        }
        if field.reserved {
            notes.push("Reserved: must be zero.".to_string());
        }
        if let Some(feature) = &field.feature {
            notes.push(format!(
                "Filled when {}_FEATURE_{} is agreed.",
                upper(&spec.abi.name),
                upper(feature)
            ));
        }
        if !notes.is_empty() {
            doc.push(notes.join(" "));
        }
        write_comment(&mut body, "\t", &doc);
        let _ = writeln!(
            body,
            "\t{};",
            declaration(spec, style, &field.name, &field.ty, field.align)
        );
    }
    if !flexible_tail {
        let tails: Vec<u64> = paddings
            .iter()
            .map(|p| p.as_ref().map_or(0, |(_, t)| *t))
            .collect();
        if tails.iter().any(|&t| t > 0) {
            let pad = next_pad();
            let what = if def.kind == StructKind::Union {
                "names every byte of the union"
            } else {
                "tail padding"
            };
            per_class(&mut body, selector, &tails, |&bytes| {
                if bytes == 0 {
                    String::new()
                } else {
                    format!("\t{pad_type} {pad}[{bytes}]; /* {what} */\n")
                }
            });
        }
    }
    if let Some(doc) = &def.doc {
        write_comment(out, "", std::slice::from_ref(doc));
    }
    if flexible_tail {
        out.push_str(
            "/* C cannot name padding after a flexible array member. */\n\
#pragma GCC diagnostic push\n#pragma GCC diagnostic ignored \"-Wpadded\"\n",
        );
    }
    let _ = writeln!(out, "{} {} {{", def.kind.keyword(), def.name);
    out.push_str(&body);
    let mut attributes = Vec::new();
    if def.packed {
        attributes.push("packed".to_string());
    }
    if let Some(align) = def.align {
        attributes.push(format!("aligned({align})"));
    }
    if attributes.is_empty() {
        out.push_str("};\n");
    } else {
        let _ = writeln!(out, "}} __attribute__(({}));", attributes.join(", "));
    }
    if flexible_tail {
        out.push_str("#pragma GCC diagnostic pop\n");
    }
    out.push('\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_text_cannot_end_or_nest_a_comment() {
        let hostile = "a */ b /* c *//*/ d ??/\n e ??? ?\r\n#define X 1\\";
        for line in comment_text(hostile) {
            assert!(!line.contains("*/"), "{line}");
            assert!(!line.contains("/*"), "{line}");
            assert!(!line.contains("??"), "{line}");
            assert!(!line.chars().any(char::is_control), "{line}");
        }
        assert_eq!(comment_text("x\r\ny\rz").len(), 3);
    }

    #[test]
    fn literals_have_the_type_of_the_constant() {
        assert_eq!(literal(Scalar::I32, -1), "(-1)");
        assert_eq!(literal(Scalar::U32, 32), "32U");
        assert_eq!(literal(Scalar::U64, 1 << 40), "1099511627776ULL");
        assert_eq!(
            literal(Scalar::I64, i64::MIN),
            "(-9223372036854775807LL - 1)"
        );
        assert_eq!(
            literal(Scalar::I32, i64::from(i32::MIN)),
            "(-2147483647 - 1)"
        );
        assert_eq!(literal(Scalar::U8, 7), "7U");
    }
}
