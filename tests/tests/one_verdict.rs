//! The property that keeps the commands to one verdict, on random
//! evolutions of random specs: a base with a history (kernel-written,
//! user-written or both, some fields' writers overridden), changed by a
//! pull request of two or three changes (renames, new gates, claims of reserved
//! bytes gated by an old, a new or no feature, live fields retired, writers
//! changed, growth, and every breaking mutation), checked with `diff`,
//! `compat` and the simulated matrix both ways round, the library announcing
//! its feature size (the contract's model) or its `sizeof` (glibc's rseq):
//!
//! * when the matrix fails either way, or `compat` rejects the pair, `diff`
//!   calls the change breaking;
//! * so a change `diff` accepts simulates cleanly both ways, and `compat`
//!   accepts it.
//!
//! `diff` may be stricter than the simulation (a regated field whose two
//! bits every side offers at once, FIELD_UNGATED, lints); never looser.

use std::sync::Mutex;

use abi_tests::spec_gen::{based_model, change, evolve, Change, Model};
use abi_tests::verdict::{verdicts, DiffVerdict};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{TestCaseError, TestRunner};

fn pull_request(base: &Model, changes: &[(Change, Index)]) -> Option<Model> {
    let version = base.version + 1;
    let mut new = base.clone();
    for &(c, at) in changes {
        new = evolve(&new, c, version, at)?;
    }
    Some(new)
}

/// Evolutions the property judges in one run (rejected inputs, a change
/// that does not apply or a spec the format refuses, do not count);
/// `ONE_VERDICT_CASES` asks for more (a longer search, not for CI).
const EVOLUTIONS: u32 = 1000;

fn evolutions() -> u32 {
    std::env::var("ONE_VERDICT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(EVOLUTIONS)
        .max(EVOLUTIONS)
}

#[test]
fn every_command_gives_one_verdict() {
    let mut runner = TestRunner::new(ProptestConfig {
        cases: evolutions(),
        max_global_rejects: 1_000_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    // (judged, breaking for diff, api, accepted, failing the simulation,
    // rejected by compat)
    let counts = Mutex::new([0usize; 6]);
    let result = runner.run(
        &(
            based_model(),
            prop::collection::vec((change(), any::<Index>()), 2..4),
        ),
        |(base, changes)| {
            let Some(new) = pull_request(&base, &changes) else {
                return Err(TestCaseError::reject("the change does not apply"));
            };
            let (Ok(old_spec), Ok(new_spec)) = (
                abi_spec::parse("old.toml", &base.toml()),
                abi_spec::parse("new.toml", &new.toml()),
            ) else {
                // A change the spec format refuses (a gate newer than its
                // field, a name taken twice) is no evolution to judge.
                return Err(TestCaseError::reject("not a valid spec"));
            };
            // The base is a published spec: its own history passes `check`.
            // (A fault OLD already has is not the change's, and diff leaves
            // it to OLD's own check.)
            let own = abi_spec::compat::history(&old_spec)
                .into_iter()
                .chain(abi_spec::lint::lint(&old_spec));
            if own.into_iter().any(|f| f.is_breaking()) {
                return Err(TestCaseError::reject("the base fails its own check"));
            }
            let v = verdicts(&old_spec, &new_spec);
            let simulated_ok = v.simulated_ok();
            {
                let mut c = counts.lock().expect("counts");
                c[0] += 1;
                c[match v.diff {
                    DiffVerdict::Breaking => 1,
                    DiffVerdict::Api => 2,
                    DiffVerdict::Compatible => 3,
                }] += 1;
                c[4] += usize::from(!simulated_ok);
                c[5] += usize::from(!v.compat_ok);
            }
            if !simulated_ok || !v.compat_ok {
                prop_assert_eq!(
                    v.diff,
                    DiffVerdict::Breaking,
                    "{:?}: the simulation or compat rejects what diff accepts\n\
                     matrix: {:?}\ncompat: {:#?}\nOLD:\n{}\nNEW:\n{}",
                    changes.iter().map(|c| c.0).collect::<Vec<_>>(),
                    v.any_failure(),
                    v.compat_findings
                        .iter()
                        .map(|f| &f.message)
                        .collect::<Vec<_>>(),
                    base.toml(),
                    new.toml()
                );
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    let [judged, breaking, api, accepted, failed, compat_rejected] =
        *counts.lock().expect("counts");
    eprintln!(
        "one verdict: {judged} evolutions: diff {breaking} breaking, {api} api, {accepted} compatible; \
         {failed} fail the simulation, {compat_rejected} rejected by compat"
    );
    // The generator reaches every verdict, or the property would hold
    // vacuously.
    assert!(judged >= evolutions() as usize, "{judged}");
    assert!(
        breaking * 10 >= judged,
        "too few breaking evolutions: {breaking} of {judged}"
    );
    assert!(api + accepted >= judged / 10, "too few accepted evolutions");
    assert!(api > 0, "no rename only");
    assert!(
        failed * 10 >= judged,
        "too few simulated failures: {failed} of {judged}"
    );
}
