use super::super::tests::{build, build_bytes, Spec};
use super::*;
use proptest::prelude::*;

fn walk_all(artifact: &Artifact, tariff: usize, at: Timestamp) -> Vec<(String, InForce)> {
    let mut all = Vec::new();
    for slice in Slice::all() {
        let mut prefixes = artifact.prefixes(tariff, slice, at);
        while let Some(row) = prefixes.next() {
            all.push((String::from_utf8(row.prefix().to_vec()).unwrap(), row.row));
        }
    }
    all
}

#[test]
fn slices_cover_the_key_space_in_order() {
    let slices = Slice::all();
    assert_eq!(slices.len(), SLICE_COUNT);
    assert_eq!(SLICE_COUNT, 11_110);
    let stems: Vec<&[u8]> = slices.iter().map(Slice::stem).collect();
    assert!(stems.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(&stems[..5], [&b"0"[..], b"00", b"000", b"0000", b"0001"]);
    assert!(!slices[2].is_whole() && slices[3].is_whole());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(64)))]

    /// Walking every slice yields exactly the prefixes with a row in force, in order,
    /// each with the row `exact_match` finds; a slice's ancestors are the stem's proper
    /// prefixes `exact_match` finds.
    #[test]
    fn the_walk_equals_a_lookup_of_every_prefix(
        rows in proptest::collection::vec(
            ("[0-9]{1,6}", proptest::option::of(0i64..4)),
            0..60,
        ),
        other in proptest::collection::vec("[0-9]{1,4}", 0..10),
        at in 0i64..5,
    ) {
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<Spec> = rows
            .into_iter()
            .filter(|(p, e)| seen.insert((p.clone(), *e)))
            .map(|(p, e)| (p, 1, e))
            .collect();
        let other: Vec<Spec> = other
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|p| (p, 1, None))
            .collect();
        let artifact = build(&[other, rows.clone()]);
        let at = Timestamp(at * 86_400);
        let got = walk_all(&artifact, 1, at);
        let mut expected: Vec<(String, InForce)> = rows
            .iter()
            .map(|(p, _, _)| p.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter_map(|p| {
                let found = artifact.exact_match(1, p.as_bytes(), at)?;
                // The newest version not after `at`, by hand.
                let since = rows
                    .iter()
                    .filter(|(q, _, e)| *q == p && e.is_none_or(|e| e * 86_400 <= at.0))
                    .map(|(_, _, e)| *e)
                    .max()
                    .flatten()
                    .map(|e| Timestamp(e * 86_400));
                Some((p, InForce { record: found.record, since }))
            })
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        prop_assert_eq!(&got, &expected);
        for slice in Slice::all().into_iter().step_by(7) {
            let stem = slice.stem();
            let ancestors: Vec<Vec<u8>> = artifact
                .ancestors(1, slice, at)
                .iter()
                .map(|row| row.prefix().to_vec())
                .collect();
            let by_hand: Vec<Vec<u8>> = (1..stem.len())
                .filter(|&len| artifact.exact_match(1, &stem[..len], at).is_some())
                .map(|len| stem[..len].to_vec())
                .collect();
            prop_assert_eq!(ancestors, by_hand);
        }
    }
}

/// A bit flipped in every byte of a small artifact, its checksum made to match again
/// (a forged file): walking every slice of every tariff ends, without a panic, either
/// sound or marked damaged.
#[test]
fn a_forged_index_never_panics_or_loops() {
    let rows: Vec<Spec> = [
        "0",
        "0000",
        "00000",
        "1",
        "12",
        "123",
        "1234",
        "12345",
        "9",
        "99999",
        "99999999999999999999",
    ]
    .iter()
    .enumerate()
    .map(|(i, p)| {
        (
            p.to_string(),
            i as i64 + 1,
            (i % 3 == 0).then_some(i as i64),
        )
    })
    .collect();
    let good = build_bytes(&[rows.clone(), rows]);
    let (mut loaded, mut damaged) = (0, 0);
    for byte in 0..good.len() {
        for bit in [byte % 8] {
            let mut bytes = good.clone();
            bytes[byte] ^= 1 << bit;
            bytes[24..28].copy_from_slice(&[0; 4]);
            let crc = crc32fast::hash(&bytes);
            bytes[24..28].copy_from_slice(&crc.to_le_bytes());
            let Ok(artifact) = Artifact::from_bytes(bytes) else {
                continue;
            };
            loaded += 1;
            // The second tariff is the first's twin: its walk reads the same nodes.
            for slice in Slice::all() {
                let mut prefixes = artifact.prefixes(0, slice, Timestamp(86_400 * 5));
                while prefixes.next().is_some() {}
                damaged += usize::from(prefixes.is_damaged());
            }
        }
    }
    // The forgeries reached the walk, and some were caught by it.
    assert!(
        loaded > 100 && damaged > 0,
        "{loaded} loaded, {damaged} damaged walks"
    );
}

#[test]
fn an_unknown_tariff_has_no_prefixes() {
    let artifact = build(&[vec![("1".into(), 1, None)]]);
    assert!(walk_all(&artifact, 0, Timestamp(0)).len() == 1);
    assert!(walk_all(&artifact, 1, Timestamp(0)).is_empty());
    assert!(walk_all(&artifact, 70_000, Timestamp(0)).is_empty());
}
