//! C headers from a spec: the structs of one version (the newest unless
//! asked), macros for every version's size and feature size, feature bits,
//! flag sets and constants, and static assertions of every size and offset
//! the layout engine computed.
//!
//! Two styles: [`Style::Uapi`] writes what Linux keeps in
//! `include/uapi/linux/` (`<linux/types.h>`, `__u32`, `__aligned_u64`), and
//! with the spec's C names (`c_prefix`, `c_name`, `size_macro`, flag
//! prefixes) a header that can stand in for Linux's own; [`Style::Stdint`]
//! writes portable C (`<stdint.h>`, `uint32_t`). Every macro name comes
//! from [`super::cnames`].
//!
//! Every number in the header comes from [`crate::layout`]. When the spec's
//! targets lay a struct out in more than one way, the header picks the
//! right numbers with the compiler's predefined target macros (see
//! [`target_condition`]); on a target that is none of the spec's, it stops
//! with `#error` rather than guess.
//!
//! What the spec says in C's own terms is written as Linux writes it:
//! bitfields (`__u64 disabled:1;`, unnamed `__u32 :3;` and `__u32 :0;`),
//! anonymous structs and unions inline (their members are the enclosing
//! struct's), `char`, zero-length arrays and empty structs (GNU C, marked
//! `__extension__`). Implicit padding becomes explicit members (`__pad0`,
//! ...; padding bits between bitfields become unnamed bitfields), so the
//! header compiles under `-Wpadded -Werror` and the bytes can be zeroed by
//! name; the one place C cannot name padding (after a flexible array
//! member) is wrapped in a `#pragma` that silences `-Wpadded` for that
//! struct alone. `body.rs` writes the structs.
//!
//! Spec text only ever lands inside block comments, through
//! [`comment_text`], which makes it unable to end the comment, to splice
//! lines through trigraphs, or to start a nested comment. Names were
//! validated by the model as C identifiers that are no C or C++ keyword.

mod body;

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use super::cnames::CNames;
use crate::layout::{self, BitPlace, Hole, Layout, Sizes};
use crate::model::{FlagKind, Spec, StructDef, Type, EXTENSION_BIT_POSITION};
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
    /// An anonymous member with its own `align` whose type's size is no
    /// multiple of it: C can only align the member's (unnamed) type, which
    /// would also grow it.
    AnonymousAlign {
        /// The struct that holds the member.
        structure: String,
        /// The member, as the spec names it.
        member: String,
        /// Its `align`.
        align: u64,
    },
    /// A version outside the spec's history was asked for.
    UnknownVersion {
        /// The version asked for.
        version: u32,
        /// The spec's first version.
        first: u32,
        /// The spec's newest version.
        newest: u32,
    },
}

// By hand, as the crate's other errors: abi-spec keeps its dependencies to
// what the proc-macro must compile.
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
            CodegenError::AnonymousAlign {
                structure,
                member,
                align,
            } => write!(
                f,
                "member `{member}` of `{structure}` is an anonymous struct or union with align = {align}, which C can only give its type, and that would change its size; align the struct instead"
            ),
            CodegenError::UnknownVersion {
                version,
                first,
                newest,
            } => write!(
                f,
                "version {version} is not in the spec's history, which runs from {first} to {newest}"
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
/// what the header states (sizes, offsets, bits, padding, struct
/// alignment).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shape {
    sizes: Sizes,
    fields: Vec<(usize, u64, u64, Option<BitPlace>)>,
    holes: Vec<Hole>,
}

impl Shape {
    fn of(layout: &Layout) -> Shape {
        Shape {
            sizes: layout.sizes(),
            fields: layout
                .fields
                .iter()
                .map(|f| (f.index, f.offset, f.size, f.bits))
                .collect(),
            holes: layout.holes.clone(),
        }
    }
}

/// Targets that lay out every struct of the spec identically, in every
/// version up to the one written: the header states one set of numbers
/// per class.
struct Class {
    targets: Vec<Target>,
    /// The target whose layouts stand for the class.
    rep: Target,
    /// Indexed by version offset from the first version, then by struct:
    /// the numbers the size macros state.
    sizes: Vec<Vec<Option<Sizes>>>,
}

/// The layout classes of the spec's targets, merged where this spec's
/// structs happen to lay out alike on them (up to `version`). Compared
/// version by version, each version's layouts made and dropped: kept, every
/// struct in every version on every class was gigabytes for a 65,536-field
/// struct over 256 versions.
fn classes(spec: &Spec, version: u32) -> Vec<Class> {
    let all = layout::classes(&spec.abi.targets);
    let n = all.len();
    // alike[i][j], j < i: classes i and j laid out alike so far.
    let mut alike: Vec<Vec<bool>> = (0..n).map(|i| vec![true; i]).collect();
    let mut sizes: Vec<Vec<Vec<Option<Sizes>>>> = vec![Vec::new(); n];
    for v in spec.abi.first_version..=version {
        let shapes: Vec<Vec<Option<Shape>>> = all
            .iter()
            .map(|class| {
                layout::fresh(spec, class.rep, v)
                    .iter()
                    .map(|l| l.as_ref().map(Shape::of))
                    .collect()
            })
            .collect();
        for i in 0..n {
            for j in 0..i {
                alike[i][j] &= shapes[i] == shapes[j];
            }
            sizes[i].push(
                shapes[i]
                    .iter()
                    .map(|s| s.as_ref().map(|s| s.sizes))
                    .collect(),
            );
        }
    }
    let mut classes: Vec<(usize, Class)> = Vec::new();
    for (i, (class, sizes)) in all.into_iter().zip(sizes).enumerate() {
        match classes.iter_mut().find(|(j, _)| alike[i][*j]) {
            Some((_, merged)) => {
                merged.targets.extend(class.members);
                merged.targets.sort();
            }
            None => classes.push((
                i,
                Class {
                    targets: class.members,
                    rep: class.rep,
                    sizes,
                },
            )),
        }
    }
    classes.into_iter().map(|(_, c)| c).collect()
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
        (_, Scalar::Char) => "char",
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

/// A value of a flag set as a C literal of the set's type: hexadecimal
/// for bits that combine (as Linux writes `CLONE_VM 0x00000100`), decimal
/// for enumerated values and for signed types. `bits` holds the value in
/// the type's width (two's complement), as the model keeps it.
fn flag_literal(ty: Scalar, kind: FlagKind, bits: u64) -> String {
    let width = ty.fixed_bits().unwrap_or(64);
    if ty.is_signed() {
        // Sign-extend from the type's width.
        let shift = 64 - width;
        let value = ((bits << shift) as i64) >> shift;
        return match (kind, value >= 0, ty) {
            (FlagKind::Bits, true, Scalar::I64) => format!("0x{value:x}LL"),
            (FlagKind::Bits, true, _) => format!("0x{value:x}"),
            _ => literal(ty, value),
        };
    }
    let suffix = match ty {
        Scalar::U64 | Scalar::ULong => "ULL",
        _ => "U",
    };
    match kind {
        FlagKind::Bits => format!("0x{bits:x}{suffix}"),
        FlagKind::Enum => format!("{bits}{suffix}"),
    }
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
    // Classes with equal values share one branch; classes with nothing to
    // say get none.
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
        let text = lines(&values[i]);
        if text.is_empty() {
            continue;
        }
        let condition = same
            .iter()
            .map(|j| format!("{selector} == {}", j + 1))
            .collect::<Vec<_>>()
            .join(" || ");
        let _ = writeln!(out, "{keyword} {condition}");
        out.push_str(&text);
        keyword = "#elif";
    }
    if keyword == "#elif" {
        out.push_str("#endif\n");
    }
}

/// What the header generator knows while it writes one header.
struct Gen<'s> {
    spec: &'s Spec,
    names: CNames<'s>,
    style: Style,
    /// The version whose view the header describes.
    version: u32,
    classes: Vec<Class>,
    selector: String,
    /// Per struct: written only inline, as an anonymous member (every use
    /// of it is one), never as a definition of its own.
    inline_only: Vec<bool>,
    /// Per struct: it ends in a flexible array member
    /// ([`crate::model::flexible_ends`]).
    flexible: Vec<bool>,
}

impl<'s> Gen<'s> {
    /// The layouts of a struct at the header's version, one per class;
    /// `None` when the struct does not exist in that version.
    fn layouts(&self, index: usize) -> Option<Vec<&'s Layout>> {
        self.classes
            .iter()
            .map(|c| self.spec.layout(index, c.rep, self.version))
            .collect()
    }

    /// The structs the header defines, contained ones first.
    fn defined(&self) -> impl Iterator<Item = (usize, &'s StructDef)> + '_ {
        self.spec
            .dependency_order
            .iter()
            .map(|&i| (i, &self.spec.structs[i]))
            .filter(|&(i, _)| !self.inline_only[i] && self.layouts(i).is_some())
    }

    /// True when a struct of the header has a bitfield.
    fn has_bitfields(&self) -> bool {
        self.spec
            .structs
            .iter()
            .any(|d| d.fields.iter().any(|f| f.is_bitfield()))
    }

    /// `offsetof` in the header's style.
    fn offsetof(&self) -> &'static str {
        match self.style {
            Style::Uapi => "__builtin_offsetof",
            Style::Stdint => "offsetof",
        }
    }
}

/// Per struct: true when every use of it is an anonymous member (and there
/// is one): C11 writes those inline and untagged, so the struct has no
/// definition (or macros) of its own. A struct that is also a named member
/// somewhere keeps its tagged definition, and each anonymous use is an
/// untagged copy of it, laid out alike.
fn inline_only(spec: &Spec) -> Vec<bool> {
    let mut anonymous = vec![false; spec.structs.len()];
    let mut named = vec![false; spec.structs.len()];
    for def in &spec.structs {
        for field in &def.fields {
            let Some(index) = field.ty.struct_name().and_then(|n| spec.struct_index(n)) else {
                continue;
            };
            if field.is_anonymous_member() && matches!(field.ty, Type::Struct(_)) {
                anonymous[index] = true;
            } else {
                named[index] = true;
            }
        }
    }
    anonymous
        .iter()
        .zip(&named)
        .map(|(&a, &n)| a && !n)
        .collect()
}

/// Generates the header of the spec's newest version.
pub fn header(spec: &Spec, options: &HeaderOptions<'_>) -> Result<String, CodegenError> {
    header_at(spec, options, spec.abi.version)
}

/// Generates the header of the spec's view at `version`: the fields, flag
/// values, features and size macros that exist in that version, as a
/// header written then would have had them (bytes reserved then and
/// claimed later appear as `__reserved_<field>` members of their type).
pub fn header_at(
    spec: &Spec,
    options: &HeaderOptions<'_>,
    version: u32,
) -> Result<String, CodegenError> {
    if !spec.versions().contains(&version) {
        return Err(CodegenError::UnknownVersion {
            version,
            first: spec.abi.first_version,
            newest: spec.abi.version,
        });
    }
    let names = CNames::new(spec);
    let gen = Gen {
        spec,
        names,
        style: options.style,
        version,
        classes: classes(spec, version),
        selector: names.layout_selector(),
        inline_only: inline_only(spec),
        flexible: crate::model::flexible_ends(&spec.structs),
    };
    gen.write(options)
}

/// What the size section defines that a named constant may spell too: per
/// macro name, its value in each class, and the constant's doc once one
/// matched.
type FixedMacros = BTreeMap<String, Vec<Option<u64>>>;

impl Gen<'_> {
    fn write(&self, options: &HeaderOptions<'_>) -> Result<String, CodegenError> {
        let spec = self.spec;
        let abi = &spec.abi;
        let style = self.style;
        let names = &self.names;
        let mut claimed = Names::default();
        let mut out = String::new();

        if let Some(license) = &abi.license {
            let text = comment_text(license).join(" ");
            let _ = writeln!(out, "/* SPDX-License-Identifier: {text} */");
        }
        let mut banner = vec![if self.version == abi.version {
            format!("{}: version {}.", abi.name, abi.version)
        } else {
            format!(
                "{}: version {}, as a header of that version had it (the newest is {}).",
                abi.name, self.version, abi.version
            )
        }];
        if let Some(doc) = &abi.doc {
            banner.push(doc.clone());
        }
        let style_name = match style {
            Style::Uapi => "uapi",
            Style::Stdint => "stdint",
        };
        let version_arg = if self.version == abi.version {
            String::new()
        } else {
            format!(" --version {}", self.version)
        };
        banner.push(format!(
            "Generated by abi-check from {}. Do not edit: change the spec and run `abi-check header --style {style_name}{version_arg} {}`.",
            options.spec_name, options.spec_name
        ));
        write_comment(&mut out, "", &banner);
        let guard = match style {
            Style::Uapi => names.include_guard_uapi(),
            Style::Stdint => names.include_guard_stdint(),
        };
        claimed.claim(&guard, "the include guard")?;
        let _ = writeln!(out, "#ifndef {guard}\n#define {guard}\n");
        match style {
            Style::Uapi => out.push_str("#include <linux/types.h>\n\n"),
            Style::Stdint => out.push_str("#include <stddef.h>\n#include <stdint.h>\n\n"),
        }

        // Versions.
        let version_macro = names.version();
        let first_macro = names.first_version();
        claimed.claim(&version_macro, "the newest version")?;
        claimed.claim(&first_macro, "the first version")?;
        out.push_str("/** The newest version this header describes, and the first. */\n");
        let _ = writeln!(out, "#define {version_macro} {}", self.version);
        let _ = writeln!(out, "#define {first_macro} {}\n", abi.first_version);

        self.write_features(&mut out, &mut claimed)?;
        self.write_flags(&mut out, &mut claimed)?;

        // What the size macros will say, so that a named constant spelling
        // the same macro (clone_args's CLONE_ARGS_SIZE_VER0) is checked
        // against the layout and written once, with its doc.
        let fixed = self.fixed_macros();
        let later = self.later_size_macros();
        let mut adopted: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut constants = String::new();
        for constant in &spec.constants {
            let name = names.constant(constant);
            if later.contains(&name) && !fixed.contains_key(&name) {
                // The size of a version after this one: no header of this
                // version could have it.
                continue;
            }
            if let Some(values) = fixed.get(&name) {
                let agrees = u64::try_from(constant.value)
                    .is_ok_and(|value| values.iter().all(|v| v.is_none_or(|v| v == value)));
                if agrees && !adopted.contains_key(&name) {
                    adopted.insert(name, constant.doc.clone());
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
            claimed.claim(&name, format!("constant `{}`", constant.name))?;
            if let Some(doc) = &constant.doc {
                write_comment(&mut constants, "", std::slice::from_ref(doc));
            }
            let _ = writeln!(
                constants,
                "#define {name} {}",
                literal(constant.ty, constant.value)
            );
        }
        if !constants.is_empty() {
            out.push_str(&constants);
            out.push('\n');
        }

        self.write_selector(&mut out, &mut claimed)?;
        self.write_sizes(&mut out, &mut claimed, &adopted)?;

        // The "is this field within the length" test.
        let offsetof = self.offsetof();
        let end_macro = names.offsetofend();
        let available_macro = names.field_available();
        claimed.claim(&end_macro, "the offsetofend macro")?;
        claimed.claim(&available_macro, "the field-available macro")?;
        let _ = writeln!(
            out,
            "/*\n * The end of a field, and whether a length (a caller's size, a version's\n * _FEATURE_SIZE) covers it: {available_macro}(struct {}, field, len).\n * Not for flexible array members, which have no size{}.\n */",
            self.defined()
                .find(|(_, s)| !s.fields.is_empty())
                .map_or("name", |(_, s)| s.name.as_str()),
            if self.has_bitfields() { ", nor bitfields" } else { "" }
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
        let mut facts = Vec::new();
        for (index, def) in self.defined() {
            let written = body::write_struct(self, index)?;
            out.push_str(&written.text);
            facts.push((def, written.facts));
        }

        self.write_assertions(&mut out, &mut claimed, &facts)?;
        let _ = writeln!(out, "\n#endif /* {guard} */");
        Ok(out)
    }

    fn write_features(&self, out: &mut String, claimed: &mut Names) -> Result<(), CodegenError> {
        let spec = self.spec;
        let names = &self.names;
        if !spec.has_features() {
            return Ok(());
        }
        let words_macro = names.feature_words();
        let extension_macro = names.extension_bit();
        claimed.claim(&words_macro, "the number of feature words")?;
        claimed.claim(&extension_macro, "the extension bit")?;
        out.push_str(
            "/*\n * Feature bits. Each lives in a u64 word (the _WORD macro is its index);\n * bit 63 of every word is the extension bit: set, another word follows.\n */\n",
        );
        let _ = writeln!(out, "#define {words_macro} {}", spec.abi.feature_words);
        let _ = writeln!(
            out,
            "#define {extension_macro} (1ULL << {EXTENSION_BIT_POSITION})\n"
        );
        for feature in spec.features.iter().filter(|f| f.since <= self.version) {
            let name = names.feature(feature);
            let word = names.feature_word(feature);
            claimed.claim(&name, format!("feature `{}`", feature.name))?;
            claimed.claim(&word, format!("feature `{}`'s word", feature.name))?;
            let mut doc = Vec::new();
            if let Some(text) = &feature.doc {
                doc.push(text.clone());
            }
            let mut note = format!("Since version {}.", feature.since);
            if feature.retired {
                note.push_str(" Retired: never set, and the bit is never reused.");
            }
            doc.push(note);
            write_comment(out, "", &doc);
            let _ = writeln!(out, "#define {word} {}", feature.word());
            let _ = writeln!(out, "#define {name} (1ULL << {})\n", feature.position());
        }
        Ok(())
    }

    fn write_flags(&self, out: &mut String, claimed: &mut Names) -> Result<(), CodegenError> {
        for set in &self.spec.flags {
            let values: Vec<_> = set
                .values
                .iter()
                .filter(|v| v.since <= self.version)
                .collect();
            if values.is_empty() {
                continue;
            }
            let mut doc = Vec::new();
            if let Some(text) = &set.doc {
                doc.push(text.clone());
            }
            doc.push(match set.kind {
                FlagKind::Bits => format!("{}: bits that combine ({}).", set.name, set.ty),
                FlagKind::Enum => format!("{}: one value at a time ({}).", set.name, set.ty),
            });
            write_comment(out, "", &doc);
            for value in values {
                let name = self.names.flag_value(set, value);
                claimed.claim(
                    &name,
                    format!("value `{}` of flags `{}`", value.name, set.name),
                )?;
                let mut notes = Vec::new();
                if let Some(text) = &value.doc {
                    notes.push(text.clone());
                }
                if value.since > self.spec.abi.first_version {
                    notes.push(format!("Since version {}.", value.since));
                }
                if value.retired {
                    notes.push("Retired: kept so that it is never given again.".to_string());
                }
                if !notes.is_empty() {
                    write_comment(out, "", &[notes.join(" ")]);
                }
                let _ = writeln!(
                    out,
                    "#define {name} {}",
                    flag_literal(set.ty, set.kind, value.value)
                );
            }
            out.push('\n');
        }
        Ok(())
    }

    /// Every size macro the header defines, with its value per class.
    fn fixed_macros(&self) -> FixedMacros {
        let mut fixed = FixedMacros::new();
        for (index, def) in self.defined() {
            for (name, values, _) in self.size_macros(index, def) {
                fixed.insert(name, values);
            }
        }
        fixed
    }

    /// The names of the size macros of versions after the header's, which
    /// a header of this version does not define.
    fn later_size_macros(&self) -> std::collections::BTreeSet<String> {
        let spec = self.spec;
        let mut later = std::collections::BTreeSet::new();
        for (index, def) in spec.structs.iter().enumerate() {
            for version in self.version + 1..=spec.abi.version {
                later.insert(self.names.size(def, version));
                later.insert(self.names.feature_size(def, version));
            }
            for target in &spec.abi.targets {
                later.extend(
                    self.names
                        .size_macros(index, *target)
                        .into_iter()
                        .filter(|m| m.version > self.version)
                        .map(|m| m.name),
                );
            }
        }
        later
    }

    /// The size macros of a struct, in order: each name, its value per
    /// class (`None` where the class has no such macro), and whether it is
    /// a `sizeof` (rather than a feature size). With `size_macro`, Linux's
    /// names (one per distinct size) and the feature size per version;
    /// without, the size and feature size per version.
    fn size_macros(&self, index: usize, def: &StructDef) -> Vec<(String, Vec<Option<u64>>, bool)> {
        let names = &self.names;
        let mut out: Vec<(String, Vec<Option<u64>>, bool)> = Vec::new();
        let first = self.spec.abi.first_version;
        let value = |class: &Class, version: u32, size: bool| {
            class.sizes[(version - first) as usize][index]
                .as_ref()
                .map(|s| if size { s.size } else { s.feature_size })
        };
        if def.size_macro.is_some() {
            for (c, class) in self.classes.iter().enumerate() {
                for m in names.size_macros_until(index, class.rep, self.version) {
                    let size = value(class, m.version, true);
                    match out.iter_mut().find(|(n, _, _)| *n == m.name) {
                        Some((_, values, _)) => values[c] = size,
                        None => {
                            let mut values = vec![None; self.classes.len()];
                            values[c] = size;
                            out.push((m.name, values, true));
                        }
                    }
                }
            }
        }
        for version in first..=self.version {
            let sizes: Vec<Option<u64>> = self
                .classes
                .iter()
                .map(|c| value(c, version, true))
                .collect();
            if sizes.iter().all(Option::is_none) {
                continue;
            }
            if def.size_macro.is_none() {
                out.push((names.size(def, version), sizes, true));
            }
            let feature_sizes = self
                .classes
                .iter()
                .map(|c| value(c, version, false))
                .collect();
            out.push((names.feature_size(def, version), feature_sizes, false));
        }
        out
    }

    fn write_selector(&self, out: &mut String, claimed: &mut Names) -> Result<(), CodegenError> {
        let classes = &self.classes;
        if classes.len() <= 1 {
            return Ok(());
        }
        let selector = &self.selector;
        claimed.claim(selector, "the layout selector")?;
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
        let all = self
            .spec
            .abi
            .targets
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "#else\n#error \"{}: no layout is known for this target; the spec describes {all}\"\n#endif\n",
            self.spec.abi.name
        );
        Ok(())
    }

    /// Sizes per version (or Linux's size macros) and alignment.
    fn write_sizes(
        &self,
        out: &mut String,
        claimed: &mut Names,
        adopted: &BTreeMap<String, Option<String>>,
    ) -> Result<(), CodegenError> {
        let newest = (self.version - self.spec.abi.first_version) as usize;
        for (index, def) in self.defined() {
            if def.size_macro.is_some() {
                let _ = writeln!(
                    out,
                    "/*\n * {} {}: the sizes Linux publishes (one macro per distinct size,\n * numbered from 0), the feature size (the length a caller of that\n * version announces) in each version of the spec, and alignment.\n */",
                    def.kind.keyword(),
                    def.name
                );
            } else {
                let _ = writeln!(
                    out,
                    "/* {} {}: size and feature size (the length a caller of that version\n * announces) in each version, and alignment. */",
                    def.kind.keyword(),
                    def.name
                );
            }
            for (name, values, _) in self.size_macros(index, def) {
                claimed.claim(&name, format!("struct `{}`", def.name))?;
                if let Some(Some(doc)) = adopted.get(&name) {
                    write_comment(out, "", std::slice::from_ref(doc));
                }
                per_class(out, &self.selector, &values, |value| match value {
                    Some(v) => format!("#define {name} {v}\n"),
                    None => String::new(),
                });
            }
            let align_name = self.names.alignment(def);
            claimed.claim(&align_name, format!("struct `{}`", def.name))?;
            let aligns: Vec<Option<u64>> = self
                .classes
                .iter()
                .map(|c| c.sizes[newest][index].as_ref().map(|s| s.align))
                .collect();
            per_class(out, &self.selector, &aligns, |value| match value {
                Some(align) => format!("#define {align_name} {align}\n"),
                None => String::new(),
            });
            out.push('\n');
        }
        Ok(())
    }

    fn write_assertions(
        &self,
        out: &mut String,
        claimed: &mut Names,
        facts: &[(&StructDef, Vec<body::Fact>)],
    ) -> Result<(), CodegenError> {
        let assert_macro = self.names.static_assert();
        let alignof_macro = self.names.alignof();
        claimed.claim(&assert_macro, "the static-assertion macro")?;
        claimed.claim(&alignof_macro, "the alignof macro")?;
        let bitfields = if self.has_bitfields() {
            "\n * C has no constant expression for where a bitfield lies: the offsets\n * of the members around each run of bitfields and the struct's size\n * bound its bytes."
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "/*\n * The layout the spec promises, checked by the compiler where it can\n * (C11, C++11); older C and C++ include the header without the checks.{bitfields}\n */\n\
#if defined(__cplusplus) && __cplusplus >= 201103L\n\
#define {assert_macro}(expr, msg) static_assert(expr, msg)\n\
#define {alignof_macro}(type) alignof(type)\n\
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L\n\
#define {assert_macro}(expr, msg) _Static_assert(expr, msg)\n\
#define {alignof_macro}(type) _Alignof(type)\n\
#endif\n\
#ifdef {assert_macro}"
        );
        let offsetof = self.offsetof();
        for (def, members) in facts {
            let index = self.spec.struct_index(&def.name).unwrap_or_default();
            let Some(layouts) = self.layouts(index) else {
                continue;
            };
            let ty = format!("{} {}", def.kind.keyword(), def.name);
            let sizes: Vec<u64> = layouts.iter().map(|l| l.size).collect();
            let aligns: Vec<u64> = layouts.iter().map(|l| l.align).collect();
            // C++ gives an empty struct size 1 (its members of that type
            // are zero-length arrays there, so nothing else moves).
            let empty = def.fields.is_empty();
            if empty {
                out.push_str("#ifndef __cplusplus\n");
            }
            per_class(out, &self.selector, &sizes, |v| {
                format!("{assert_macro}(sizeof({ty}) == {v}, \"sizeof({ty})\");\n")
            });
            if empty {
                out.push_str("#endif\n");
            }
            per_class(out, &self.selector, &aligns, |v| {
                format!("{assert_macro}({alignof_macro}({ty}) == {v}, \"alignof({ty})\");\n")
            });
            for fact in members {
                per_class(out, &self.selector, &fact.offsets, |v| {
                    format!(
                        "{assert_macro}({offsetof}({ty}, {member}) == {v}, \"offsetof({ty}, {member})\");\n",
                        member = fact.member
                    )
                });
            }
        }
        let _ = writeln!(out, "#endif /* {assert_macro} */");
        Ok(())
    }
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

    #[test]
    fn flag_values_have_the_type_of_their_set() {
        assert_eq!(flag_literal(Scalar::U64, FlagKind::Bits, 0x100), "0x100ULL");
        assert_eq!(flag_literal(Scalar::U32, FlagKind::Bits, 0x80), "0x80U");
        assert_eq!(flag_literal(Scalar::U32, FlagKind::Enum, 7), "7U");
        // Signed sets: as Linux's int macros and enumerators.
        assert_eq!(
            flag_literal(Scalar::I32, FlagKind::Bits, 0x40000),
            "0x40000"
        );
        assert_eq!(flag_literal(Scalar::I32, FlagKind::Enum, 6), "6");
        assert_eq!(
            flag_literal(Scalar::I32, FlagKind::Enum, 0xffff_ffff),
            "(-1)"
        );
        assert_eq!(flag_literal(Scalar::I8, FlagKind::Bits, 0x80), "(-128)");
        assert_eq!(
            flag_literal(Scalar::I64, FlagKind::Bits, 1 << 40),
            "0x10000000000LL"
        );
        assert_eq!(
            flag_literal(Scalar::U64, FlagKind::Enum, u64::MAX),
            "18446744073709551615ULL"
        );
    }
}
