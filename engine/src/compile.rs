//! Compiling tariff CSV files into artifact bytes: the work behind `tariff-compile`.
//!
//! Every file is read in full even after errors, so one run reports every problem (up to the
//! error list's limit); bytes are produced only when there were none. Writing the file, the
//! progress display and exit codes belong to the tool.

use std::path::PathBuf;

use crate::artifact::{ArtifactBuilder, BuildStats};
use crate::input::ErrorList;
use crate::tariff::{read_tariff_with, DeckFormat};

/// One input: the tariff's name and currency, and the CSV file it is read from.
#[derive(Debug, Clone)]
pub struct TariffSource {
    pub name: String,
    pub currency: String,
    pub path: PathBuf,
}

/// A successful compile.
#[derive(Debug)]
pub struct Compiled {
    pub bytes: Vec<u8>,
    pub stats: BuildStats,
    /// Non-fatal remarks (unknown columns, empty tariffs), one per line.
    pub warnings: Vec<String>,
    /// Time spent reading and validating the CSV files.
    pub read_time: std::time::Duration,
}

/// A failed compile: every input error, and the warnings seen on the way.
#[derive(Debug)]
pub struct CompileFailure {
    pub errors: ErrorList,
    pub warnings: Vec<String>,
}

/// Reads every source in the default [`DeckFormat`] and builds the artifact: see
/// [`compile_with`].
pub fn compile(
    sources: &[TariffSource],
    on_progress: impl FnMut(u64),
) -> Result<Compiled, CompileFailure> {
    compile_with(sources, &DeckFormat::default(), on_progress)
}

/// Reads every source, written in `format`, and builds the artifact. `on_progress` receives
/// the bytes read so far across all inputs (for a progress bar sized by the inputs' total
/// length).
pub fn compile_with(
    sources: &[TariffSource],
    format: &DeckFormat,
    mut on_progress: impl FnMut(u64),
) -> Result<Compiled, CompileFailure> {
    let mut builder = ArtifactBuilder::new();
    let mut errors = ErrorList::new();
    let mut warnings = Vec::new();
    let mut done_bytes = 0u64;
    let started = std::time::Instant::now();
    for source in sources {
        let label = source.path.display().to_string();
        let Some(tariff) = builder.add_tariff(&source.name, &source.currency, &label, 1) else {
            errors.add(&label, 1, 1, "more than 65536 tariffs in one artifact");
            break;
        };
        let file = match std::fs::File::open(&source.path) {
            Ok(file) => file,
            Err(error) => {
                errors.add(&label, 1, 1, format!("cannot open file: {error}"));
                continue;
            }
        };
        // A tariff row takes at least ~16 bytes of CSV; a realistic one about 40.
        let length = file.metadata().map_or(0, |m| m.len());
        builder.reserve(usize::try_from(length / 40).unwrap_or(0));
        let summary = read_tariff_with(
            file,
            &label,
            format,
            &mut errors,
            |row| builder.add_row(tariff, row),
            |bytes| on_progress(done_bytes + bytes),
        );
        done_bytes += length;
        builder.set_prefix_column(tariff, summary.prefix_column);
        warnings.extend(summary.warnings);
        if summary.rows == 0 && errors.is_empty() {
            warnings.push(format!("{label}: tariff \"{}\" has no rows", source.name));
        }
    }
    let read_time = started.elapsed();
    // Built even after read errors: duplicate prefixes are found there, and one run should
    // list every problem.
    let built = builder.build(&mut errors);
    errors.sort();
    match built {
        Some((bytes, stats)) if errors.is_empty() => Ok(Compiled {
            bytes,
            stats,
            warnings,
            read_time,
        }),
        _ => Err(CompileFailure { errors, warnings }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::Artifact;
    use crate::time::Timestamp;
    use proptest::prelude::*;

    fn compile_text(dir: &std::path::Path, csv: &[u8]) -> Result<Compiled, CompileFailure> {
        let path = dir.join("t.csv");
        std::fs::write(&path, csv).unwrap();
        compile(
            &[TariffSource {
                name: "t".into(),
                currency: "USD".into(),
                path,
            }],
            |_| {},
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(64)))]
        #[test]
        fn csv_to_artifact_to_lookup_round_trips(
            rows in proptest::collection::btree_map(
                "[0-9]{1,12}",
                ("[0-9]{1,6}(\\.[0-9]{1,8})?", "[a-zA-Z &,\"'<>ąčę日本]{0,30}"),
                1..80,
            )
        ) {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(["destination", "rate", "prefix"]).unwrap();
            for (prefix, (rate, destination)) in &rows {
                writer.write_record([destination.as_str(), rate.as_str(), prefix.as_str()]).unwrap();
            }
            let csv = writer.into_inner().unwrap();
            let dir = tempfile::tempdir().unwrap();
            let compiled = compile_text(dir.path(), &csv).map_err(|f| f.errors.to_string()).unwrap();
            let artifact = Artifact::from_bytes(compiled.bytes).unwrap();
            for (prefix, (rate, destination)) in &rows {
                let found = artifact.exact_match(0, prefix.as_bytes(), Timestamp(0)).unwrap();
                let record = artifact.record(found.record).unwrap();
                prop_assert_eq!(record.rate, crate::money::Decimal::parse(rate, false).unwrap());
                // The reader trims surrounding spaces, as for every field.
                prop_assert_eq!(record.destination, destination.trim().as_bytes());
            }
        }
    }

    #[test]
    fn first_next_intervals_compile_price_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let csv = "prefix,rate,Billing Increment,First Interval,min_time_s\n\
                   1,0.6,60/60,,\n\
                   2,0.6,45/10,,\n\
                   3,0.6,6,30,\n\
                   4,0.6,30/6,30,90\n\
                   5,0.6,60,,\n";
        let compiled = compile_text(dir.path(), csv.as_bytes())
            .map_err(|f| f.errors.to_string())
            .unwrap();
        let artifact = Artifact::from_bytes(compiled.bytes).unwrap();
        assert!(artifact.has_first_intervals());
        let rate = crate::money::Decimal::parse("0.6", false).unwrap();
        // (prefix, first, next, minimum, seconds billed for a 50 s call)
        for (prefix, first, next, min, rated_50) in [
            ("1", 60, 60, 0, 60),
            ("2", 45, 10, 0, 55),
            ("3", 30, 6, 0, 54),
            ("4", 30, 6, 90, 90),
            ("5", 0, 60, 0, 60),
        ] {
            let found = artifact
                .exact_match(0, prefix.as_bytes(), Timestamp(0))
                .unwrap();
            let record = artifact.record(found.record).unwrap();
            assert_eq!(
                (
                    record.first_interval_s,
                    record.increment_s,
                    record.min_time_s
                ),
                (first, next, min),
                "{prefix}"
            );
            let terms = crate::cost::Terms {
                rate,
                connection_fee: record.connection_fee,
                increment_s: record.increment_s,
                min_time_s: record.min_time_s,
                first_interval_s: record.first_interval_s,
            };
            assert_eq!(terms.rated_seconds(50), rated_50, "{prefix}");
        }
    }

    #[test]
    fn a_deck_without_first_intervals_has_none() {
        let dir = tempfile::tempdir().unwrap();
        let compiled = compile_text(dir.path(), b"prefix,rate,increment_s\n1,0.6,60\n2,0.1,\n")
            .map_err(|f| f.errors.to_string())
            .unwrap();
        let artifact = Artifact::from_bytes(compiled.bytes).unwrap();
        assert!(!artifact.has_first_intervals());
    }

    #[test]
    fn errors_from_several_files_are_sorted_by_file_then_line() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        std::fs::write(&a, "prefix,rate\n1,1\n2,x\n1,2\n").unwrap();
        std::fs::write(&b, "prefix,rate\n3,y\n").unwrap();
        let sources = [("a", a), ("b", b)].map(|(name, path)| TariffSource {
            name: name.into(),
            currency: "USD".into(),
            path,
        });
        let failure = compile(&sources, |_| {}).unwrap_err();
        let lines: Vec<_> = failure
            .errors
            .kept()
            .iter()
            .map(|e| (e.file.rsplit('/').next().unwrap().to_owned(), e.line))
            .collect();
        // The duplicate at a.csv:4 is found after reading; it still reads in file order.
        assert_eq!(
            lines,
            [
                ("a.csv".to_owned(), 3),
                ("a.csv".to_owned(), 4),
                ("b.csv".to_owned(), 2)
            ]
        );
    }
}
