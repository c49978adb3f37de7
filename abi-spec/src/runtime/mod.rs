//! The run-time half, `no_std`: what two sides agreed on at registration or
//! copy-in, and whether a field is on under that agreement. Generated
//! accessors ask [`Agreement::is_on`]; the negotiation that produces an
//! agreement lives beside it ([`negotiate`]), over the feature words of
//! [`feature_words`]. With `std`, [`simulate`] runs both sides of two specs
//! against each other: the compatibility matrix.

pub mod feature_words;
pub mod negotiate;
#[cfg(feature = "std")]
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
    /// True when a field that ends at byte `field_end` (offset plus size)
    /// and is gated by global feature bit `feature` (if any) is on: it lies
    /// within the agreed length and, where it has a feature, both sides
    /// set the feature's bit.
    pub const fn is_on(&self, field_end: usize, feature: Option<u32>) -> bool {
        if field_end > self.length {
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
