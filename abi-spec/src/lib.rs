//! The model of an extensible kernel/user-space ABI.
//!
//! A spec file (TOML) describes one ABI: its version history, its feature
//! bits, and the structs both sides share. This crate reads and validates it
//! ([`load`], [`parse()`]), lays every struct out on every built-in target in
//! every version ([`layout`]), and judges it against the rules of the game
//! ([`lint`], [`rules`]).
//!
//! With default features off, the crate is `no_std` with no dependencies:
//! only [`runtime`], [`target`] and [`types`] remain, for code generated from a spec.
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

pub mod runtime;
pub mod target;
pub mod types;

#[cfg(feature = "std")]
pub mod codegen;
#[cfg(feature = "std")]
pub mod compat;
#[cfg(feature = "std")]
pub mod diagnostic;
#[cfg(feature = "std")]
pub mod finding;
#[cfg(feature = "std")]
pub mod identity;
#[cfg(feature = "std")]
pub mod layout;
#[cfg(feature = "std")]
pub mod limits;
#[cfg(feature = "std")]
pub mod lint;
#[cfg(feature = "std")]
pub mod model;
#[cfg(feature = "std")]
pub mod names;
#[cfg(feature = "std")]
pub(crate) mod parallel;
#[cfg(feature = "std")]
pub mod parse;
#[cfg(feature = "std")]
pub mod protocol;
#[cfg(feature = "std")]
pub mod rules;
#[cfg(feature = "std")]
pub mod source;

#[cfg(feature = "std")]
pub use diagnostic::{Diagnostic, SpecError};
#[cfg(feature = "std")]
pub use finding::Finding;
#[cfg(feature = "std")]
pub use layout::Layout;
#[cfg(feature = "std")]
pub use model::{Feature, Field, Spec, StructDef, Type, Writer};
#[cfg(feature = "std")]
pub use parse::{load, parse};
#[cfg(feature = "std")]
pub use rules::{Rule, Severity};
pub use target::Target;
pub use types::Scalar;
