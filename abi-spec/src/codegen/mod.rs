//! Generators: code derived from a spec for other languages. Each one asks
//! [`crate::layout`] for every number it prints and computes none itself.

pub mod c;
pub mod cnames;
pub mod rust;
