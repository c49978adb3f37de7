//! The properties the fuzz targets under `fuzz/` assert, shared with the
//! tests that replay the saved corpus (`tests/fuzz-corpus/`), so a crash
//! found once stays a test forever.

use abi_spec::{layout, lint, Target};

/// Spec text: parse, validate, lay out every struct on every target in
/// every version, lint, render errors. Panics on a violated property.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match abi_spec::parse("fuzz.toml", text) {
        Err(e) => {
            let rendered = e.render(false);
            assert!(
                rendered.contains("fuzz.toml"),
                "an error must name the file"
            );
        }
        Ok(spec) => {
            for version in spec.versions() {
                for target in Target::ALL {
                    let layouts = layout::layout_all(&spec, target, version)
                        .expect("a validated spec lays out on every target");
                    for l in layouts.into_iter().flatten() {
                        assert!(l.feature_size <= l.size);
                        assert_eq!(l.size % l.align, 0);
                        for f in &l.fields {
                            assert!(f.offset + f.size <= l.size);
                            assert_eq!(f.offset % f.align, 0);
                        }
                    }
                }
            }
            lint::lint(&spec).expect("lint of a validated spec");
        }
    }
}
