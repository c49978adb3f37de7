//! Generators: code derived from a spec for other languages. Each one asks
//! [`crate::layout`] for every number it prints and computes none itself.

#[cfg(feature = "codegen-c")]
pub mod c;
pub mod cnames;
#[cfg(feature = "codegen-rust")]
pub mod rust;
