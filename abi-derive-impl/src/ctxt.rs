//! Errors are collected, not returned one at a time, so that a user sees
//! every mistake in one build.

use std::fmt::Display;

use proc_macro2::Span;

/// A collector of errors.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an existing error.
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// True when nothing went wrong so far.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every error recorded, combined into one, or `Ok` when there is none.
    pub fn finish(self) -> Result<(), syn::Error> {
        let mut errors = self.errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                first.extend(errors);
                Err(first)
            }
        }
    }
}
