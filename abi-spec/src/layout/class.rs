//! Layout classes: targets that lay out every struct identically. What
//! layout depends on is the size and alignment of each scalar and the
//! bitfield rules ([`Target::layout_class`]); byte order changes no offset.
//! The twenty built-in targets fall into six classes (LP64; aarch64, LP64
//! with Arm's bitfield rules; i386 and sh4, whose 8-byte scalars are
//! 4-aligned; the other ILP32 targets and x32; arm and armeb, ILP32 with
//! Arm's bitfield rules; m68k), so every comparison computes one layout per
//! class and reports the member targets.

use crate::target::Target;

/// Targets that lay out identically: one representative and every member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutClass {
    /// The target whose layout stands for the class: its first member.
    pub rep: Target,
    /// Every target of the class, in [`Target::ALL`] order.
    pub members: Vec<Target>,
}

/// Groups `targets` by layout class, classes in the order of their first
/// member, members in [`Target::ALL`] order.
pub fn classes(targets: &[Target]) -> Vec<LayoutClass> {
    let mut sorted = targets.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut classes: Vec<LayoutClass> = Vec::new();
    for t in sorted {
        match classes
            .iter_mut()
            .find(|c| c.rep.layout_class() == t.layout_class())
        {
            Some(c) => c.members.push(t),
            None => classes.push(LayoutClass {
                rep: t,
                members: vec![t],
            }),
        }
    }
    classes
}

/// The targets of the classes selected by `hit`, or none when every class
/// is hit (a finding that holds everywhere names no target).
pub fn targets_of(classes: &[LayoutClass], hit: &[bool]) -> Vec<Target> {
    if hit.iter().all(|&h| h) {
        return Vec::new();
    }
    let mut targets: Vec<Target> = classes
        .iter()
        .zip(hit)
        .filter(|(_, &h)| h)
        .flat_map(|(c, _)| c.members.iter().copied())
        .collect();
    targets.sort();
    targets
}

/// ` on t1, t2` when a finding holds on some targets only.
pub fn on_targets(targets: &[Target]) -> String {
    if targets.is_empty() {
        String::new()
    } else {
        format!(
            " on {}",
            targets
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The targets the two sides of a comparison both promise, or, when they
/// share none, the newer side's.
pub fn common_targets(older: &[Target], newer: &[Target]) -> Vec<Target> {
    let shared: Vec<Target> = newer
        .iter()
        .copied()
        .filter(|t| older.contains(t))
        .collect();
    if shared.is_empty() {
        newer.to_vec()
    } else {
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_classes_among_the_built_in_targets() {
        let all = classes(&Target::ALL);
        assert_eq!(all.len(), 6);
        assert_eq!(
            all.iter().map(|c| c.members.len()).sum::<usize>(),
            Target::ALL.len()
        );
        let of = |t: Target| all.iter().position(|c| c.members.contains(&t));
        assert_eq!(of(Target::I386), of(Target::Sh4));
        assert_eq!(of(Target::X32), of(Target::Riscv32));
        assert_eq!(of(Target::Arm), of(Target::Armeb));
        assert_ne!(of(Target::X32), of(Target::Arm));
        assert_ne!(of(Target::I386), of(Target::Arm));
        assert_ne!(of(Target::M68k), of(Target::Arm));
    }
}
