//! One module per command.

pub mod changed;
pub mod check;
pub mod compat;
pub mod completions;
pub mod diff;
pub mod dump;
pub mod explain;
pub mod header;
pub mod history;
pub mod import;
pub mod layout;
pub mod man;
pub mod matrix;
pub mod rust;
pub mod verify;
