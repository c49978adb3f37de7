//! Properties of the run-time half: feature words survive encoding at every
//! word count up to 8, broken chains are refused, and registration between
//! any two versions of a random append-only history agrees on both sides and
//! switches on exactly the fields the contract's model says.

use abi_spec::runtime::{
    accept, register, AbiTable, Announcement, FeatureBit, FeatureSet, FeatureWordsError, FieldSpan,
    VersionSizes, EXTENSION_BIT,
};
use abi_spec::target::Endian;
use proptest::prelude::*;

/// Up to 8 words of feature bits, never an extension bit.
fn feature_bits() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(0u32..8 * 64, 0..40)
        .prop_map(|bits| bits.into_iter().filter(|b| b % 64 != 63).collect())
}

proptest! {
    #[test]
    fn words_round_trip(bits in feature_bits(), big in any::<bool>()) {
        let set: FeatureSet<8> = FeatureSet::from_bits(&bits).unwrap();
        let (words, len) = set.encode();
        let highest_word = bits.iter().map(|b| b / 64 + 1).max().unwrap_or(1) as usize;
        prop_assert_eq!(len, highest_word);
        for (i, w) in words[..len].iter().enumerate() {
            prop_assert_eq!(w & EXTENSION_BIT != 0, i + 1 < len);
        }
        prop_assert_eq!(FeatureSet::<8>::read(&words[..len]), Ok((set, len)));
        // Words after the chain belong to someone else and are not read.
        let mut longer = words.to_vec();
        longer.truncate(len);
        longer.push(u64::MAX);
        prop_assert_eq!(FeatureSet::<8>::read(&longer), Ok((set, len)));
        let endian = if big { Endian::Big } else { Endian::Little };
        let mut bytes = [0u8; 64];
        prop_assert_eq!(set.encode_bytes(&mut bytes, endian), Ok(len * 8));
        prop_assert_eq!(FeatureSet::<8>::read_bytes(&bytes[..len * 8], endian), Ok((set, len * 8)));
        let mut sorted = bits.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(set.iter().collect::<Vec<_>>(), sorted);
    }

    #[test]
    fn chains_running_past_the_buffer_are_refused(words in prop::collection::vec(any::<u64>(), 1..=8)) {
        let chained: Vec<u64> = words.iter().map(|w| w | EXTENSION_BIT).collect();
        for cut in 0..=chained.len() {
            prop_assert_eq!(
                FeatureSet::<8>::read(&chained[..cut]),
                Err(FeatureWordsError::ChainPastBuffer { words: cut })
            );
        }
        // Nine chained words never fit eight.
        let mut nine = chained.clone();
        nine.resize(9, EXTENSION_BIT);
        nine.push(0);
        prop_assert_eq!(FeatureSet::<8>::read(&nine), Err(FeatureWordsError::TooManyWords { capacity: 8 }));
    }

    #[test]
    fn intersection_is_and(a in feature_bits(), b in feature_bits()) {
        let (sa, sb) = (FeatureSet::<8>::from_bits(&a).unwrap(), FeatureSet::<8>::from_bits(&b).unwrap());
        let both = sa.intersect(&sb);
        for bit in 0..8 * 64 {
            prop_assert_eq!(both.contains(bit), sa.contains(bit) && sb.contains(bit));
        }
        prop_assert!(!both.contains(63) && !both.contains(511));
    }
}

/// A random append-only history: each version appends 0-2 fields of 1, 2,
/// 4 or 8 bytes (naturally aligned); with features, every field after the
/// first version gets its own bit, spread over several words.
#[derive(Debug, Clone)]
struct History {
    versions: Vec<VersionSizes>,
    fields: Vec<FieldSpan>,
    features: Vec<FeatureBit>,
}

fn history() -> impl Strategy<Value = History> {
    (
        any::<bool>(),
        prop::collection::vec(prop::collection::vec(0u32..4, 0..3), 1..6),
    )
        .prop_map(|(with_features, per_version)| {
            let mut fields = Vec::new();
            let mut features = Vec::new();
            let mut versions = Vec::new();
            let (mut end, mut align) = (0usize, 1usize);
            for (v, added) in per_version.iter().enumerate() {
                let v = v as u32;
                let added = if v == 0 && added.is_empty() {
                    &[2u32][..]
                } else {
                    &added[..]
                };
                for &k in added {
                    let size = 1usize << k;
                    let offset = end.next_multiple_of(size);
                    end = offset + size;
                    align = align.max(size);
                    let feature = (with_features && v > 0).then(|| {
                        let n = features.len() as u32;
                        let bit = n * 37 % 63 + 64 * (n % 3);
                        features.push(FeatureBit {
                            bit,
                            since: v,
                            retired: false,
                        });
                        bit
                    });
                    fields.push(FieldSpan {
                        offset,
                        end,
                        since: v,
                        bound: 0,
                        feature,
                    });
                }
                // A field is on from its version's feature size on.
                for f in fields.iter_mut().filter(|f| f.since == v) {
                    f.bound = end;
                }
                versions.push(VersionSizes {
                    version: v,
                    size: end.next_multiple_of(align),
                    feature_size: end,
                    align,
                });
            }
            History {
                versions,
                fields,
                features,
            }
        })
}

proptest! {
    #[test]
    fn registration_agrees_at_every_pair(h in history(), address_shift in 0usize..4) {
        let table = AbiTable { versions: &h.versions, fields: &h.fields, features: &h.features };
        let newest = h.versions.len() as u32 - 1;
        for kernel in 0..=newest {
            for libc in 0..=newest {
                let libc_align = h.versions[libc as usize].align;
                let ann = Announcement::<4>::for_version(&table, libc, 4096 * libc_align).unwrap();
                let (answer, k) = register(&table, kernel, &ann).unwrap();
                let l = accept(&table, libc, &ann, &answer).unwrap();
                prop_assert_eq!(k, l);
                let both = kernel.min(libc);
                prop_assert_eq!(k.length, h.versions[both as usize].feature_size);
                for f in &h.fields {
                    prop_assert_eq!(k.agreement().is_on(f.bound, f.feature), f.since <= both, "{:?}", f);
                }
                // An address off the kernel's alignment is refused.
                let kernel_align = h.versions[kernel as usize].align;
                if kernel_align > 1 && address_shift > 0 {
                    let shift = address_shift.min(kernel_align - 1);
                    let bad = Announcement { address: ann.address + shift, ..ann };
                    prop_assert!(register(&table, kernel, &bad).is_err());
                }
            }
        }
    }
}
