//! The C names a spec's generated code uses: macros of the C header and
//! the constants of the Rust code, which spell them alike. One place, so
//! the two generators (and anything that checks a header against them)
//! never disagree on a name. The spec controls them where Linux's own
//! names differ from the defaults: `[abi] c_prefix`, a feature's or a
//! constant's `c_name`, a struct's `size_macro`, a flag set's `prefix`.

use crate::model::{Constant, Feature, FlagSet, FlagValue, Spec, StructDef};
use crate::target::Target;

/// The names of one spec.
#[derive(Clone, Copy)]
pub struct CNames<'s> {
    spec: &'s Spec,
}

/// One Linux-style size macro (`PERF_ATTR_SIZE_VER5`): its name, the size
/// it stands for on a target, and the first version of that size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeMacro {
    /// The macro's name.
    pub name: String,
    /// The first version whose `sizeof` this is.
    pub version: u32,
}

impl<'s> CNames<'s> {
    /// The names of `spec`.
    pub fn new(spec: &'s Spec) -> Self {
        CNames { spec }
    }

    /// The ABI's prefix: `TLABI_`, or the spec's `c_prefix`.
    pub fn prefix(&self) -> &'s str {
        &self.spec.abi.c_prefix
    }

    fn prefixed(&self, what: &str) -> String {
        format!("{}{what}", self.prefix())
    }

    /// The newest version: `TLABI_VERSION`.
    pub fn version(&self) -> String {
        self.prefixed("VERSION")
    }

    /// The first version: `TLABI_FIRST_VERSION`.
    pub fn first_version(&self) -> String {
        self.prefixed("FIRST_VERSION")
    }

    /// How many feature words: `TLABI_FEATURE_WORDS`.
    pub fn feature_words(&self) -> String {
        self.prefixed("FEATURE_WORDS")
    }

    /// The extension bit: `TLABI_EXTENSION_BIT`.
    pub fn extension_bit(&self) -> String {
        self.prefixed("EXTENSION_BIT")
    }

    /// A feature's bit: its `c_name`, else `TLABI_FEATURE_CPU_ID`.
    pub fn feature(&self, feature: &Feature) -> String {
        feature.c_name.clone().unwrap_or_else(|| {
            self.prefixed(&format!("FEATURE_{}", feature.name.to_ascii_uppercase()))
        })
    }

    /// The word a feature's bit lives in: `TLABI_FEATURE_CPU_ID_WORD`.
    pub fn feature_word(&self, feature: &Feature) -> String {
        format!("{}_WORD", self.feature(feature))
    }

    /// A named constant: its `c_name`, else its name upper-cased with the
    /// ABI's prefix, unless it has it already (so specs can write the
    /// names Linux uses: `RSEQ_CPU_ID_UNINITIALIZED`).
    pub fn constant(&self, constant: &Constant) -> String {
        if let Some(name) = &constant.c_name {
            return name.clone();
        }
        let upper = constant.name.to_ascii_uppercase();
        if upper.starts_with(self.prefix()) {
            upper
        } else {
            self.prefixed(&upper)
        }
    }

    /// A value of a flag set: the set's prefix and the value's name
    /// (`CLONE_` and `VM`: `CLONE_VM`).
    pub fn flag_value(&self, set: &FlagSet, value: &FlagValue) -> String {
        format!("{}{}", set.prefix, value.name)
    }

    /// The include guard of the header in Linux's uapi style:
    /// `_UAPI_LINUX_TLABI_H`, from the ABI's name (not its prefix, which
    /// may end in `_`).
    pub fn include_guard_uapi(&self) -> String {
        format!("_UAPI_LINUX_{}_H", self.spec.abi.name.to_ascii_uppercase())
    }

    /// The include guard of the portable header: `TLABI_H`.
    pub fn include_guard_stdint(&self) -> String {
        format!("{}_H", self.spec.abi.name.to_ascii_uppercase())
    }

    /// The macro that says which layout class a compiler targets, when the
    /// spec's targets disagree: `__TLABI_LAYOUT`.
    pub fn layout_selector(&self) -> String {
        format!("__{}LAYOUT", self.prefix())
    }

    /// The static-assertion macro of the header: `__TLABI_STATIC_ASSERT`.
    pub fn static_assert(&self) -> String {
        format!("__{}STATIC_ASSERT", self.prefix())
    }

    /// The alignment-of macro of the header's assertions: `__TLABI_ALIGNOF`.
    pub fn alignof(&self) -> String {
        format!("__{}ALIGNOF", self.prefix())
    }

    /// One past the last byte of a member: `TLABI_OFFSETOFEND`.
    pub fn offsetofend(&self) -> String {
        self.prefixed("OFFSETOFEND")
    }

    /// Whether a length covers a member: `TLABI_FIELD_AVAILABLE`.
    pub fn field_available(&self) -> String {
        self.prefixed("FIELD_AVAILABLE")
    }

    /// The `n`th explicit padding member of a struct: `__pad0`. Numbered
    /// through the whole struct, anonymous members included, whose members
    /// share the struct's names.
    pub fn padding_member(n: usize) -> String {
        format!("__pad{n}")
    }

    /// The member that stands for a field's bytes in a version that only
    /// reserved them (a later version claims them as `field`):
    /// `__reserved_field`. Not the field's own name, which would invite
    /// code written against that version to use bytes it must leave zero.
    pub fn placeholder_member(field: &str) -> String {
        format!("__reserved_{field}")
    }

    /// A struct's macros start with its name upper-cased: `TLABI_AREA`.
    fn struct_prefix(def: &StructDef) -> String {
        def.name.to_ascii_uppercase()
    }

    /// The size of a struct in a version: `TLABI_AREA_SIZE_VER1`. Not
    /// emitted for a struct with a `size_macro` (see [`Self::size_macros`]):
    /// Linux numbers its size macros by size, not by version.
    pub fn size(&self, def: &StructDef, version: u32) -> String {
        format!("{}_SIZE_VER{version}", Self::struct_prefix(def))
    }

    /// The feature size of a struct in a version:
    /// `TLABI_AREA_FEATURE_SIZE_VER1`.
    pub fn feature_size(&self, def: &StructDef, version: u32) -> String {
        format!("{}_FEATURE_SIZE_VER{version}", Self::struct_prefix(def))
    }

    /// A struct's alignment: `TLABI_AREA_ALIGNMENT`.
    pub fn alignment(&self, def: &StructDef) -> String {
        format!("{}_ALIGNMENT", Self::struct_prefix(def))
    }

    /// A struct's Linux-style size macros, when it has a `size_macro`: one
    /// per distinct `sizeof`, in version order on `target`, numbered from 0
    /// (`PERF_ATTR_SIZE_VER0` for the first size, `..._VER1` for the next).
    /// Empty without `size_macro`.
    pub fn size_macros(&self, struct_index: usize, target: Target) -> Vec<SizeMacro> {
        self.size_macros_until(struct_index, target, self.spec.abi.version)
    }

    /// [`Self::size_macros`] of the versions up to `newest` only: the size
    /// macros of the spec's view at that version (`abi-check header
    /// --version`).
    pub fn size_macros_until(
        &self,
        struct_index: usize,
        target: Target,
        newest: u32,
    ) -> Vec<SizeMacro> {
        let def = &self.spec.structs[struct_index];
        let Some(prefix) = &def.size_macro else {
            return Vec::new();
        };
        let mut out: Vec<SizeMacro> = Vec::new();
        let mut last = None;
        for version in self.spec.abi.first_version..=newest.min(self.spec.abi.version) {
            let Some(sizes) = self.spec.sizes(struct_index, target, version) else {
                continue;
            };
            if last != Some(sizes.size) {
                last = Some(sizes.size);
                out.push(SizeMacro {
                    name: format!("{prefix}{}", out.len()),
                    version,
                });
            }
        }
        out
    }
}
