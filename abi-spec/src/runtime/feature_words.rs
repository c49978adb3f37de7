//! Feature words: a set of feature bits carried in u64 words chained by the
//! extension bit. Position 63 of every word says "another word follows", so
//! a reader knows where the chain ends without a separate count; it is never
//! a feature. Global bit `b` lives in word `b / 64` at position `b % 64`.
//!
//! `no_std`, no allocation: a [`FeatureSet`] holds up to `N` words inline
//! (`N` = [`DEFAULT_WORDS`] unless chosen), which bounds how long a chain a
//! reader accepts. A chain longer than that is refused, never truncated: a
//! truncated chain would silently drop bits the other side meant.

use core::fmt;

use crate::target::Endian;

/// Position 63 of every word: set when another word follows.
pub const EXTENSION_BIT: u64 = 1 << 63;

/// The feature bits of one word: every position but the extension bit.
pub const FEATURE_MASK: u64 = !EXTENSION_BIT;

/// How many words a [`FeatureSet`] holds unless told otherwise: 8 words,
/// 504 feature bits, far more than any ABI has defined.
pub const DEFAULT_WORDS: usize = 8;

/// Why feature words could not be read, written or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureWordsError {
    /// The buffer ended while the last word read still had its extension
    /// bit set: the chain runs past the buffer. `words` is how many whole
    /// words the buffer held.
    ChainPastBuffer {
        /// Whole words in the buffer.
        words: usize,
    },
    /// The chain is longer than the set's capacity.
    TooManyWords {
        /// The set's capacity in words.
        capacity: usize,
    },
    /// The bit is an extension bit (position 63 of its word): never a feature.
    ExtensionBit {
        /// The global bit number asked for.
        bit: u32,
    },
    /// The bit lies beyond the set's capacity.
    BitOutOfRange {
        /// The global bit number asked for.
        bit: u32,
        /// The set's capacity in words.
        capacity: usize,
    },
    /// The output buffer is too small for the encoded words.
    BufferTooSmall {
        /// Words the encoding needs.
        needed: usize,
    },
}

impl fmt::Display for FeatureWordsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FeatureWordsError::ChainPastBuffer { words } => write!(
                f,
                "the feature-word chain runs past the buffer: word {} still has the extension bit set",
                words.saturating_sub(1)
            ),
            FeatureWordsError::TooManyWords { capacity } => {
                write!(f, "the feature-word chain is longer than {capacity} words")
            }
            FeatureWordsError::ExtensionBit { bit } => write!(
                f,
                "bit {bit} is the extension bit of word {}, never a feature",
                bit / 64
            ),
            FeatureWordsError::BitOutOfRange { bit, capacity } => {
                write!(f, "bit {bit} lies beyond {capacity} feature words")
            }
            FeatureWordsError::BufferTooSmall { needed } => {
                write!(f, "the buffer is too small: the encoding needs {needed} words")
            }
        }
    }
}

/// A set of feature bits, held as up to `N` words without their extension
/// bits (those are added by [`FeatureSet::encode`] and removed by the
/// readers).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeatureSet<const N: usize = DEFAULT_WORDS> {
    /// Feature bits only: position 63 is always clear here.
    words: [u64; N],
}

impl<const N: usize> Default for FeatureSet<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for FeatureSet<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<const N: usize> FeatureSet<N> {
    /// The empty set.
    pub const fn new() -> Self {
        FeatureSet { words: [0; N] }
    }

    /// The capacity in words.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// True when `bit` can be a feature at all: not an extension bit, and
    /// within the capacity.
    const fn check_bit(bit: u32) -> Result<(), FeatureWordsError> {
        if bit % 64 == 63 {
            Err(FeatureWordsError::ExtensionBit { bit })
        } else if (bit / 64) as usize >= N {
            Err(FeatureWordsError::BitOutOfRange { bit, capacity: N })
        } else {
            Ok(())
        }
    }

    /// A set of the given bits; refuses an extension bit or one beyond the
    /// capacity.
    pub fn from_bits(bits: &[u32]) -> Result<Self, FeatureWordsError> {
        let mut set = Self::new();
        for &bit in bits {
            set.insert(bit)?;
        }
        Ok(set)
    }

    /// Adds a bit; returns whether it was new. An extension bit (position
    /// 63 of any word) is refused: setting one would splice words together.
    pub fn insert(&mut self, bit: u32) -> Result<bool, FeatureWordsError> {
        Self::check_bit(bit)?;
        let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
        let new = self.words[word] & mask == 0;
        self.words[word] |= mask;
        Ok(new)
    }

    /// Removes a bit; returns whether it was there.
    pub fn remove(&mut self, bit: u32) -> bool {
        if Self::check_bit(bit).is_err() {
            return false;
        }
        let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
        let was = self.words[word] & mask != 0;
        self.words[word] &= !mask;
        was
    }

    /// True when the set holds `bit` (never for an extension bit).
    pub const fn contains(&self, bit: u32) -> bool {
        if bit % 64 == 63 || (bit / 64) as usize >= N {
            return false;
        }
        self.words[(bit / 64) as usize] & (1u64 << (bit % 64)) != 0
    }

    /// The bits in both sets: what two sides agree on.
    pub fn intersect(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.words.iter_mut().zip(other.words.iter()) {
            *a &= *b;
        }
        out
    }

    /// The bits in either set.
    pub fn union(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.words.iter_mut().zip(other.words.iter()) {
            *a |= *b;
        }
        out
    }

    /// The bits of `self` that `other` lacks.
    pub fn difference(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.words.iter_mut().zip(other.words.iter()) {
            *a &= !*b;
        }
        out
    }

    /// True when no bit is set.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The number of bits set.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The lowest bit set, if any.
    pub fn first(&self) -> Option<u32> {
        self.iter().next()
    }

    /// Every bit set, lowest first.
    pub fn iter(&self) -> Bits<'_> {
        Bits {
            words: &self.words,
            word: 0,
            rest: self.words.first().copied().unwrap_or(0),
        }
    }

    /// The words without extension bits (feature bits only).
    pub const fn raw_words(&self) -> &[u64; N] {
        &self.words
    }

    /// How many words the encoding takes: up to the last non-empty word,
    /// and at least one (when `N` is at least 1), so an empty set still
    /// sends a zero word.
    pub fn encoded_len(&self) -> usize {
        self.words
            .iter()
            .rposition(|&w| w != 0)
            .map_or(1, |last| last + 1)
            .min(N)
    }

    /// The encoded words in an array, with how many of them count: the
    /// extension bit set on every word but the last.
    pub fn encode(&self) -> ([u64; N], usize) {
        let mut out = [0u64; N];
        let len = self.encoded_len();
        for (i, word) in out.iter_mut().enumerate().take(len) {
            *word = self.words[i] | if i + 1 < len { EXTENSION_BIT } else { 0 };
        }
        (out, len)
    }

    /// Writes the encoded words into `out`; returns how many were written.
    pub fn encode_into(&self, out: &mut [u64]) -> Result<usize, FeatureWordsError> {
        let (words, len) = self.encode();
        let dst = out
            .get_mut(..len)
            .ok_or(FeatureWordsError::BufferTooSmall { needed: len })?;
        dst.copy_from_slice(&words[..len]);
        Ok(len)
    }

    /// Writes the encoded words into `out` as bytes in `endian` order;
    /// returns how many bytes were written.
    pub fn encode_bytes(&self, out: &mut [u8], endian: Endian) -> Result<usize, FeatureWordsError> {
        let (words, len) = self.encode();
        let dst = out
            .get_mut(..len * 8)
            .ok_or(FeatureWordsError::BufferTooSmall { needed: len })?;
        for (chunk, word) in dst.chunks_exact_mut(8).zip(words.iter()) {
            chunk.copy_from_slice(&match endian {
                Endian::Little => word.to_le_bytes(),
                Endian::Big => word.to_be_bytes(),
            });
        }
        Ok(len * 8)
    }

    /// Reads a chain from `words`, stopping after the first word without
    /// the extension bit; returns the set and how many words it used. Words
    /// after the chain's end are not looked at: they belong to whatever
    /// follows in memory.
    pub fn read(words: &[u64]) -> Result<(Self, usize), FeatureWordsError> {
        Self::read_with(words.len(), |i| words[i])
    }

    /// Reads a chain from bytes in `endian` order (e.g. a struct's flexible
    /// array in another target's memory); returns the set and how many
    /// bytes it used. Trailing bytes short of a whole word count as the end
    /// of the buffer.
    pub fn read_bytes(bytes: &[u8], endian: Endian) -> Result<(Self, usize), FeatureWordsError> {
        let (set, words) = Self::read_with(bytes.len() / 8, |i| {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            match endian {
                Endian::Little => u64::from_le_bytes(raw),
                Endian::Big => u64::from_be_bytes(raw),
            }
        })?;
        Ok((set, words * 8))
    }

    fn read_with(
        available: usize,
        word: impl Fn(usize) -> u64,
    ) -> Result<(Self, usize), FeatureWordsError> {
        let mut set = Self::new();
        for i in 0..available {
            let w = word(i);
            if i >= N {
                return Err(FeatureWordsError::TooManyWords { capacity: N });
            }
            set.words[i] = w & FEATURE_MASK;
            if w & EXTENSION_BIT == 0 {
                return Ok((set, i + 1));
            }
        }
        Err(FeatureWordsError::ChainPastBuffer { words: available })
    }
}

impl<'a, const N: usize> IntoIterator for &'a FeatureSet<N> {
    type Item = u32;
    type IntoIter = Bits<'a>;
    fn into_iter(self) -> Bits<'a> {
        self.iter()
    }
}

/// The bits of a [`FeatureSet`], lowest first.
#[derive(Clone, Debug)]
pub struct Bits<'a> {
    words: &'a [u64],
    word: usize,
    rest: u64,
}

impl Iterator for Bits<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        loop {
            if self.rest != 0 {
                let position = self.rest.trailing_zeros();
                self.rest &= self.rest - 1;
                return Some(self.word as u32 * 64 + position);
            }
            self.word += 1;
            self.rest = *self.words.get(self.word)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_set_encodes_one_zero_word() {
        let set: FeatureSet<4> = FeatureSet::new();
        assert_eq!(set.encode(), ([0; 4], 1));
    }

    #[test]
    fn extension_bits_on_all_but_last_word() {
        let set: FeatureSet<4> = FeatureSet::from_bits(&[0, 130]).unwrap();
        let (words, len) = set.encode();
        assert_eq!(len, 3);
        assert_eq!(words[..3], [1 | EXTENSION_BIT, EXTENSION_BIT, 1 << 2]);
        assert_eq!(FeatureSet::<4>::read(&words[..3]), Ok((set, 3)));
    }

    #[test]
    fn extension_bit_is_never_a_feature() {
        let mut set: FeatureSet<2> = FeatureSet::new();
        assert_eq!(
            set.insert(63),
            Err(FeatureWordsError::ExtensionBit { bit: 63 })
        );
        assert_eq!(
            set.insert(127),
            Err(FeatureWordsError::ExtensionBit { bit: 127 })
        );
        assert_eq!(
            set.insert(128),
            Err(FeatureWordsError::BitOutOfRange {
                bit: 128,
                capacity: 2
            })
        );
        assert!(!set.contains(63));
    }

    #[test]
    fn chain_past_buffer_is_an_error() {
        let words = [EXTENSION_BIT | 1, EXTENSION_BIT];
        assert_eq!(
            FeatureSet::<4>::read(&words),
            Err(FeatureWordsError::ChainPastBuffer { words: 2 })
        );
        assert_eq!(
            FeatureSet::<4>::read(&[]),
            Err(FeatureWordsError::ChainPastBuffer { words: 0 })
        );
    }

    #[test]
    fn reading_stops_at_the_first_word_without_the_bit() {
        let words = [5, u64::MAX];
        let (set, used) = FeatureSet::<2>::read(&words).unwrap();
        assert_eq!(used, 1);
        let mut bits = set.iter();
        assert_eq!(
            (bits.next(), bits.next(), bits.next()),
            (Some(0), Some(2), None)
        );
    }

    #[test]
    fn big_endian_bytes_round_trip() {
        let set: FeatureSet<2> = FeatureSet::from_bits(&[1, 64]).unwrap();
        let mut bytes = [0u8; 16];
        assert_eq!(set.encode_bytes(&mut bytes, Endian::Big), Ok(16));
        assert_eq!(bytes[0], 0x80);
        assert_eq!(bytes[7], 2);
        assert_eq!(
            FeatureSet::<2>::read_bytes(&bytes, Endian::Big),
            Ok((set, 16))
        );
        assert_ne!(
            FeatureSet::<2>::read_bytes(&bytes, Endian::Little),
            Ok((set, 16))
        );
    }
}
