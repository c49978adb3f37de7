//! "Did you mean": the known name closest to one that is not known, for the
//! messages about unknown keys, types, features, structs, targets and rules
//! (in spec files and on the command line alike).
//!
//! Similarity is strsim's Jaro-Winkler, the measure clap uses for short
//! identifiers: it favours a shared beginning, which is how names in a spec
//! differ (`cpu_id` and `cpu_idx`, `versoin` and `version`). Case and
//! `-`/`_` are ignored first, so `X86-64` finds `x86_64` whatever the
//! scores say. Without the `std` feature (the proc-macro's build, kept
//! small) only that last kind of suggestion is made.

/// How similar two names must be for one to be suggested for the other.
const THRESHOLD: f64 = 0.8;

/// The candidate closest to `unknown`, when one is close enough.
pub fn closest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let fold = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let wanted = fold(unknown);
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        if candidate == unknown {
            continue;
        }
        let folded = fold(candidate);
        let score = if folded == wanted {
            // Equal but for case or dashes: always the best answer.
            2.0
        } else {
            similarity(&wanted, &folded)
        };
        if score >= THRESHOLD && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, name)| name)
}

#[cfg(feature = "std")]
fn similarity(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b)
}

#[cfg(not(feature = "std"))]
fn similarity(_: &str, _: &str) -> f64 {
    0.0
}

/// `did you mean `name`?`, when a candidate is close enough.
pub fn did_you_mean<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(unknown, candidates).map(|name| format!("did you mean `{name}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "std")]
    fn close_names_are_suggested_and_far_ones_not() {
        let names = ["version", "name", "first_version", "targets"];
        assert_eq!(closest("versoin", names), Some("version"));
        assert_eq!(closest("target", names), Some("targets"));
        assert_eq!(closest("VERSION", names), Some("version"));
        assert_eq!(closest("colour", names), None);
        assert_eq!(closest("x86-64", ["x86_64", "x32"]), Some("x86_64"));
        assert_eq!(closest("anything", []), None);
    }
}
