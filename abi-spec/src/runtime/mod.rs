//! The run-time half, `no_std`: what two sides agreed on at registration or
//! copy-in, and whether a field is on under that agreement. Generated
//! accessors ask [`Agreement::is_on`]; the negotiation that produces an
//! agreement lives beside it ([`negotiate`]), over the feature words of
//! [`feature_words`]. With `std`, [`simulate`] runs both sides of two specs
//! against each other: the compatibility matrix.

pub mod feature_words;
pub mod negotiate;
#[cfg(feature = "simulate")]
pub mod simulate;

pub use feature_words::{FeatureSet, FeatureWordsError, EXTENSION_BIT};
pub use negotiate::{
    accept, agree, copy_in, copy_out, register, AbiTable, Announcement, Answer, FeatureBit,
    FieldSpan, Negotiated, NegotiationError, VersionSizes,
};

/// What two sides agreed on: the length both may touch, and the AND of both
/// sides' feature words (empty for an ABI that negotiates by size alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Agreement<'a> {
    /// Bytes from the start of the struct that the other side may read and
    /// write: the smaller of the two sides' lengths.
    pub length: usize,
    /// The agreed feature words, extension bits included.
    pub features: &'a [u64],
}

impl Agreement<'_> {
    /// True when a field is on: `bound` is the feature size of the version
    /// that introduced it (the contract's model: a length switches on
    /// exactly the fields of the versions whose feature size it covers), and
    /// `feature` its global feature bit, which both sides must have agreed.
    ///
    /// The bound is the version's feature size, not the field's end: a
    /// field that claims bytes an older version reserved ends within that
    /// older version's length, yet is not on for a side of that version.
    /// This is the one definition of "on" in the project: the simulated
    /// matrix, `abi-check compat` and the generated `read_*` accessors
    /// (which compile it into constants; tests/nostd checks they agree)
    /// all use it.
    pub const fn is_on(&self, bound: usize, feature: Option<u32>) -> bool {
        if bound > self.length {
            return false;
        }
        match feature {
            None => true,
            Some(bit) => {
                let word = (bit / 64) as usize;
                word < self.features.len() && self.features[word] & (1u64 << (bit % 64)) != 0
            }
        }
    }
}
