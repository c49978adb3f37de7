//! Negotiation, as the contract's model states it, for both kinds of ABI.
//!
//! * **Registration** (a thread-local area, rseq style): the C library
//!   announces where its area is, its length and its feature words; the
//!   kernel refuses what it must, answers with its own words and its
//!   feature size, and both sides compute the same [`Agreement`] with
//!   [`agree`].
//! * **Copy-in** (`copy_struct_from_user`: clone3, openat2, sched_setattr):
//!   [`copy_in`] zero-fills a shorter caller's struct and refuses a longer
//!   one whose unknown tail is not zero; [`copy_out`] truncates.
//!
//! Every number comes from an [`AbiTable`]: plain slices of per-version and
//! per-field numbers for one struct on one target, so generated code (as
//! constants) and `abi-check matrix` (from the layout engine) feed this code
//! the same way.
//!
//! The agreed length is not simply the smaller of the two lengths: it is the
//! largest feature size of a version at most that long (each side computes
//! it from its own table, [`AbiTable::agreed_length`]). A length switches on
//! exactly the fields of the versions it covers (the contract's model), and
//! [`Agreement::is_on`] needs only a field's bound (its version's feature
//! size, [`FieldSpan::bound`]) to honour that.
//!
//! **Required bits.** A caller may mark some of the bits it offers as
//! *required*: it would rather not register at all than run without them
//! (a second word chain beside the offered one; empty by default). The
//! kernel refuses a registration with a required bit it does not offer.
//! Bits offered but not required that the kernel does not know are simply
//! not agreed.

use core::fmt;

use super::feature_words::{FeatureSet, FeatureWordsError, DEFAULT_WORDS};
use super::Agreement;

/// Linux's `E2BIG`: a longer caller's unknown tail is not zero.
pub const E2BIG: i32 = 7;
/// Linux's `EINVAL`: too short, misaligned, or an unknown required bit.
pub const EINVAL: i32 = 22;

/// One version's numbers for one struct on one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionSizes {
    /// The version.
    pub version: u32,
    /// `sizeof` in that version.
    pub size: usize,
    /// The end of the last field: the length a caller of this version announces.
    pub feature_size: usize,
    /// `_Alignof` in that version.
    pub align: usize,
}

/// One field's numbers for one struct on one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpan {
    /// Byte offset.
    pub offset: usize,
    /// Offset plus size.
    pub end: usize,
    /// The version that introduced it.
    pub since: u32,
    /// The feature size of version `since`: an agreed length switches the
    /// field on when it is at least this ([`Agreement::is_on`]).
    pub bound: usize,
    /// Its feature's global bit, if it has one.
    pub feature: Option<u32>,
}

/// One feature bit of the ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureBit {
    /// Global bit number (never a position-63 bit).
    pub bit: u32,
    /// The version that introduced it.
    pub since: u32,
    /// A retired bit is never offered again.
    pub retired: bool,
}

/// Everything negotiation needs about one struct on one target.
#[derive(Clone, Copy, Debug)]
pub struct AbiTable<'a> {
    /// Every version, oldest first.
    pub versions: &'a [VersionSizes],
    /// The fields, in memory order.
    pub fields: &'a [FieldSpan],
    /// The ABI's feature bits; empty for an ABI that negotiates by size alone.
    pub features: &'a [FeatureBit],
}

/// Why a registration or a copy-in was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegotiationError {
    /// The side's own version is not in its table.
    UnknownVersion {
        /// The version asked for.
        version: u32,
    },
    /// The length is below the first version's feature size.
    TooShort {
        /// The length announced.
        length: usize,
        /// The first version's feature size.
        minimum: usize,
    },
    /// The area's address is not a multiple of the alignment required.
    Misaligned {
        /// The address announced.
        address: usize,
        /// The alignment required.
        align: usize,
    },
    /// A required bit that the kernel does not offer.
    UnknownRequiredBit {
        /// The lowest such bit.
        bit: u32,
    },
    /// A longer caller's bytes beyond what the kernel knows are not zero.
    TooBig {
        /// The first non-zero byte beyond the kernel's struct.
        offset: usize,
    },
    /// Copy-in: a byte of a reserved (must-be-zero) field is not zero.
    ReservedNotZero {
        /// The first such byte.
        offset: usize,
    },
    /// The feature words could not be built.
    Words(FeatureWordsError),
}

impl NegotiationError {
    /// The Linux errno a kernel returns for this refusal.
    pub const fn errno(&self) -> i32 {
        match self {
            NegotiationError::TooBig { .. } => E2BIG,
            _ => EINVAL,
        }
    }
}

impl From<FeatureWordsError> for NegotiationError {
    fn from(e: FeatureWordsError) -> Self {
        NegotiationError::Words(e)
    }
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NegotiationError::UnknownVersion { version } => {
                write!(f, "version {version} is not in the table")
            }
            NegotiationError::TooShort { length, minimum } => write!(
                f,
                "length {length} is below the first version's feature size {minimum}"
            ),
            NegotiationError::Misaligned { address, align } => {
                write!(f, "address {address:#x} is not {align}-aligned")
            }
            NegotiationError::UnknownRequiredBit { bit } => {
                write!(f, "required feature bit {bit} is unknown to the kernel")
            }
            NegotiationError::TooBig { offset } => {
                write!(f, "byte {offset} beyond the known struct is not zero")
            }
            NegotiationError::ReservedNotZero { offset } => {
                write!(f, "reserved byte {offset} is not zero")
            }
            NegotiationError::Words(e) => write!(f, "{e}"),
        }
    }
}

impl AbiTable<'_> {
    /// The numbers of `version`.
    pub fn version(&self, version: u32) -> Result<&VersionSizes, NegotiationError> {
        self.versions
            .iter()
            .find(|v| v.version == version)
            .ok_or(NegotiationError::UnknownVersion { version })
    }

    /// The shortest length anyone may announce: the first version's feature size.
    pub fn minimum_length(&self) -> usize {
        self.versions.first().map_or(0, |v| v.feature_size)
    }

    /// True when the ABI negotiates feature bits as well as size.
    pub fn has_features(&self) -> bool {
        !self.features.is_empty()
    }

    /// The bits a side speaking `version` offers: every live feature
    /// introduced by then.
    pub fn words<const N: usize>(&self, version: u32) -> Result<FeatureSet<N>, NegotiationError> {
        let mut set = FeatureSet::new();
        for feature in self.features {
            if feature.since <= version && !feature.retired {
                set.insert(feature.bit)?;
            }
        }
        Ok(set)
    }

    /// The agreed length for a side speaking `version` when the shorter of
    /// the two announced lengths is `limit`: the largest feature size, among
    /// the versions up to `version`, that fits in `limit`. `None` when even
    /// the first version does not fit.
    pub fn agreed_length(&self, version: u32, limit: usize) -> Option<usize> {
        self.versions
            .iter()
            .filter(|v| v.version <= version && v.feature_size <= limit)
            .map(|v| v.feature_size)
            .max()
    }

    /// The fields a side speaking `version` knows.
    pub fn known_fields(&self, version: u32) -> impl Iterator<Item = &FieldSpan> + '_ {
        self.fields.iter().filter(move |f| f.since <= version)
    }
}

/// What one side agreed: the length and the feature bits, owned, so an
/// [`Agreement`] can borrow them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated<const N: usize = DEFAULT_WORDS> {
    /// Bytes from the start of the struct that either side may touch.
    pub length: usize,
    /// The agreed bits: the AND of both sides' words.
    pub features: FeatureSet<N>,
    /// The agreed bits, encoded (extension bits included).
    words: [u64; N],
    /// How many of `words` count: 0 for an ABI without features.
    word_count: usize,
}

impl<const N: usize> Negotiated<N> {
    /// An agreement on `length` and `features`; `with_words` is false for
    /// an ABI that negotiates by size alone.
    pub fn new(length: usize, features: FeatureSet<N>, with_words: bool) -> Self {
        let (words, count) = features.encode();
        Negotiated {
            length,
            features,
            words,
            word_count: if with_words { count } else { 0 },
        }
    }

    /// The agreement that generated accessors consult.
    pub fn agreement(&self) -> Agreement<'_> {
        Agreement {
            length: self.length,
            features: &self.words[..self.word_count],
        }
    }
}

/// The agreement of a side speaking `version`, which announced
/// `own_length` and `own_words`, with a side that announced `other_length`
/// and `other_words`. Both sides call this with the roles swapped and get
/// the same answer as long as their tables tell the same history.
pub fn agree<const N: usize>(
    table: &AbiTable<'_>,
    version: u32,
    own_length: usize,
    own_words: &FeatureSet<N>,
    other_length: usize,
    other_words: &FeatureSet<N>,
) -> Result<Negotiated<N>, NegotiationError> {
    table.version(version)?;
    let limit = own_length.min(other_length);
    let length = table
        .agreed_length(version, limit)
        .ok_or(NegotiationError::TooShort {
            length: limit,
            minimum: table.minimum_length(),
        })?;
    Ok(Negotiated::new(
        length,
        own_words.intersect(other_words),
        table.has_features(),
    ))
}

/// What the C library announces when it registers its area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Announcement<const N: usize = DEFAULT_WORDS> {
    /// The area's address.
    pub address: usize,
    /// The length it knows: its version's feature size.
    pub length: usize,
    /// The bits it speaks.
    pub features: FeatureSet<N>,
    /// The bits it cannot do without (a subset of `features`).
    pub required: FeatureSet<N>,
}

impl<const N: usize> Announcement<N> {
    /// The announcement of a C library speaking `version`, for an area at
    /// `address`: its feature size, every bit it knows, none required.
    pub fn for_version(
        table: &AbiTable<'_>,
        version: u32,
        address: usize,
    ) -> Result<Self, NegotiationError> {
        Ok(Announcement {
            address,
            length: table.version(version)?.feature_size,
            features: table.words(version)?,
            required: FeatureSet::new(),
        })
    }
}

/// The kernel's answer to a registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer<const N: usize = DEFAULT_WORDS> {
    /// The kernel's feature size (Linux's AT_RSEQ_FEATURE_SIZE).
    pub feature_size: usize,
    /// The alignment the kernel requires (Linux's AT_RSEQ_ALIGN).
    pub align: usize,
    /// The kernel's own words.
    pub features: FeatureSet<N>,
}

/// The kernel side of a registration, the kernel speaking `version`:
/// refuses a length below the first version's feature size, an area not
/// aligned as the kernel's version of the struct is, and a required bit the
/// kernel does not offer; otherwise answers with its own words and computes
/// its agreement.
pub fn register<const N: usize>(
    table: &AbiTable<'_>,
    version: u32,
    announcement: &Announcement<N>,
) -> Result<(Answer<N>, Negotiated<N>), NegotiationError> {
    let own = table.version(version)?;
    let minimum = table.minimum_length();
    if announcement.length < minimum {
        return Err(NegotiationError::TooShort {
            length: announcement.length,
            minimum,
        });
    }
    if own.align == 0 || announcement.address % own.align != 0 {
        return Err(NegotiationError::Misaligned {
            address: announcement.address,
            align: own.align,
        });
    }
    let words: FeatureSet<N> = table.words(version)?;
    if let Some(bit) = announcement.required.difference(&words).first() {
        return Err(NegotiationError::UnknownRequiredBit { bit });
    }
    let negotiated = agree(
        table,
        version,
        own.feature_size,
        &words,
        announcement.length,
        &announcement.features,
    )?;
    Ok((
        Answer {
            feature_size: own.feature_size,
            align: own.align,
            features: words,
        },
        negotiated,
    ))
}

/// The C library's side once the kernel answered: its agreement.
pub fn accept<const N: usize>(
    table: &AbiTable<'_>,
    version: u32,
    announcement: &Announcement<N>,
    answer: &Answer<N>,
) -> Result<Negotiated<N>, NegotiationError> {
    agree(
        table,
        version,
        announcement.length,
        &announcement.features,
        answer.feature_size,
        &answer.features,
    )
}

/// `copy_struct_from_user`: copies the caller's `src` into the kernel's
/// struct `dst` (the kernel's size at `version`). A shorter caller is
/// zero-filled; a longer caller's bytes beyond `dst` must be zero, else
/// [`NegotiationError::TooBig`] (E2BIG); a caller below the first version's
/// feature size is refused (EINVAL). Returns the agreement: the fields the
/// caller's length covers.
pub fn copy_in(
    table: &AbiTable<'_>,
    version: u32,
    dst: &mut [u8],
    src: &[u8],
) -> Result<Agreement<'static>, NegotiationError> {
    table.version(version)?;
    let minimum = table.minimum_length();
    if src.len() < minimum {
        return Err(NegotiationError::TooShort {
            length: src.len(),
            minimum,
        });
    }
    let known = dst.len();
    if let Some(tail) = src.get(known..) {
        if let Some(i) = tail.iter().position(|&b| b != 0) {
            return Err(NegotiationError::TooBig { offset: known + i });
        }
    }
    let copied = src.len().min(known);
    dst[..copied].copy_from_slice(&src[..copied]);
    dst[copied..].fill(0);
    let length = table
        .agreed_length(version, copied)
        .ok_or(NegotiationError::TooShort {
            length: copied,
            minimum,
        })?;
    Ok(Agreement {
        length,
        features: &[],
    })
}

/// The copy-out direction (sched_getattr style): copies as much of the
/// kernel's struct `src` as the caller's `dst` holds; returns how many
/// bytes were copied. Bytes of `dst` beyond that are left alone.
pub fn copy_out(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    dst[..n].copy_from_slice(&src[..n]);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three versions: 8 bytes, then a u32 at 8 gated by bit 0, then a u64
    /// at 16 gated by bit 64 (a second word).
    const VERSIONS: [VersionSizes; 3] = [
        VersionSizes {
            version: 1,
            size: 8,
            feature_size: 8,
            align: 8,
        },
        VersionSizes {
            version: 2,
            size: 16,
            feature_size: 12,
            align: 8,
        },
        VersionSizes {
            version: 3,
            size: 24,
            feature_size: 24,
            align: 8,
        },
    ];
    const FIELDS: [FieldSpan; 3] = [
        FieldSpan {
            offset: 0,
            end: 8,
            since: 1,
            bound: 8,
            feature: None,
        },
        FieldSpan {
            offset: 8,
            end: 12,
            since: 2,
            bound: 12,
            feature: Some(0),
        },
        FieldSpan {
            offset: 16,
            end: 24,
            since: 3,
            bound: 24,
            feature: Some(64),
        },
    ];
    const FEATURES: [FeatureBit; 2] = [
        FeatureBit {
            bit: 0,
            since: 2,
            retired: false,
        },
        FeatureBit {
            bit: 64,
            since: 3,
            retired: false,
        },
    ];
    const TABLE: AbiTable<'static> = AbiTable {
        versions: &VERSIONS,
        fields: &FIELDS,
        features: &FEATURES,
    };

    fn both(kernel: u32, libc: u32) -> (Negotiated<2>, Negotiated<2>) {
        let ann = Announcement::<2>::for_version(&TABLE, libc, 64).unwrap();
        let (answer, k) = register(&TABLE, kernel, &ann).unwrap();
        let l = accept(&TABLE, libc, &ann, &answer).unwrap();
        (k, l)
    }

    #[test]
    fn both_sides_agree_at_every_pair() {
        for kernel in 1..=3 {
            for libc in 1..=3 {
                let (k, l) = both(kernel, libc);
                assert_eq!(k, l, "kernel {kernel} libc {libc}");
                let on = |f: &FieldSpan| k.agreement().is_on(f.bound, f.feature);
                assert_eq!(on(&FIELDS[1]), kernel.min(libc) >= 2);
                assert_eq!(on(&FIELDS[2]), kernel.min(libc) >= 3);
            }
        }
    }

    #[test]
    fn registration_refusals() {
        let mut ann = Announcement::<2>::for_version(&TABLE, 3, 64).unwrap();
        ann.address = 68;
        assert_eq!(
            register(&TABLE, 3, &ann).map(|_| ()),
            Err(NegotiationError::Misaligned {
                address: 68,
                align: 8
            })
        );
        ann.address = 64;
        ann.length = 4;
        assert_eq!(
            register(&TABLE, 3, &ann).map(|_| ()).map_err(|e| e.errno()),
            Err(EINVAL)
        );
        ann.length = 24;
        ann.required = FeatureSet::from_bits(&[64]).unwrap();
        assert_eq!(
            register(&TABLE, 2, &ann).map(|_| ()),
            Err(NegotiationError::UnknownRequiredBit { bit: 64 })
        );
        assert!(register(&TABLE, 3, &ann).is_ok());
    }

    #[test]
    fn copy_in_zero_fills_and_refuses_a_dirty_tail() {
        let mut kernel = [0xffu8; 12];
        let agreement = copy_in(&TABLE, 2, &mut kernel, &[1; 8]).unwrap();
        assert_eq!(kernel, [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
        assert_eq!(agreement.length, 8);
        let mut long = [0u8; 24];
        assert!(copy_in(&TABLE, 2, &mut kernel, &long).is_ok());
        long[20] = 1;
        let err = copy_in(&TABLE, 2, &mut kernel, &long).unwrap_err();
        assert_eq!(
            (err, err.errno()),
            (NegotiationError::TooBig { offset: 20 }, E2BIG)
        );
        assert_eq!(
            copy_in(&TABLE, 2, &mut kernel, &[0; 4]),
            Err(NegotiationError::TooShort {
                length: 4,
                minimum: 8
            })
        );
        let mut user = [0u8; 4];
        assert_eq!(copy_out(&mut user, &kernel), 4);
    }
}
