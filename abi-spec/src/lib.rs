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
//!
//! # Features
//!
//! `std` (the default) is all of the following; each can be had alone,
//! so that a proc-macro compiles no more than it uses:
//!
//! - `model`: the spec model, the parser, the layout engine, the rule
//!   catalog and the spec's diagnostics;
//! - `codegen-rust`: the Rust generator (all `abi-derive` needs, with `model`);
//! - `codegen-c`: the C header generator;
//! - `compat`: the compatibility engine, the lints and their findings;
//! - `simulate`: the simulation of registration behind `abi-check matrix`.
#![cfg_attr(not(feature = "model"), no_std)]
#![warn(missing_docs)]

pub mod runtime;
pub mod target;
pub mod types;

#[cfg(feature = "model")]
pub mod codegen;
#[cfg(feature = "compat")]
pub mod compat;
#[cfg(feature = "model")]
pub mod diagnostic;
#[cfg(feature = "compat")]
pub mod finding;
#[cfg(feature = "compat")]
pub mod identity;
#[cfg(feature = "model")]
pub mod layout;
#[cfg(feature = "model")]
pub mod limits;
#[cfg(feature = "compat")]
pub mod lint;
#[cfg(feature = "model")]
pub mod model;
#[cfg(feature = "model")]
pub mod names;
#[cfg(feature = "compat")]
pub(crate) mod parallel;
#[cfg(feature = "model")]
pub mod parse;
#[cfg(feature = "compat")]
pub mod protocol;
#[cfg(feature = "model")]
pub mod rules;
#[cfg(feature = "model")]
pub mod source;
#[cfg(feature = "model")]
pub mod suggest;

#[cfg(feature = "model")]
pub use diagnostic::{Diagnostic, SpecError};
#[cfg(feature = "compat")]
pub use finding::Finding;
#[cfg(feature = "model")]
pub use layout::Layout;
#[cfg(feature = "model")]
pub use model::{Feature, Field, Spec, StructDef, Type, Writer};
#[cfg(feature = "model")]
pub use parse::{load, parse};
#[cfg(feature = "model")]
pub use rules::{Rule, Severity};
pub use target::Target;
pub use types::Scalar;
