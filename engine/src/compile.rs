//! Compiling tariff CSV files into artifact bytes: the work behind `tariff-compile`.
//!
//! Every file is read in full even after errors, so one run reports every problem (up to the
//! error list's limit); bytes are produced only when there were none. Writing the file, the
//! progress display and exit codes belong to the tool.

use std::path::PathBuf;

use crate::artifact::{ArtifactBuilder, BuildStats};
use crate::input::ErrorList;
use crate::tariff::read_tariff;

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

/// Reads every source and builds the artifact. `on_progress` receives the bytes read so far
/// across all inputs (for a progress bar sized by the inputs' total length).
pub fn compile(
    sources: &[TariffSource],
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
        let summary = read_tariff(
            file,
            &label,
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
    if !errors.is_empty() {
        errors.sort();
        return Err(CompileFailure { errors, warnings });
    }
    match builder.build(&mut errors) {
        Some((bytes, stats)) => Ok(Compiled {
            bytes,
            stats,
            warnings,
            read_time,
        }),
        None => {
            errors.sort();
            Err(CompileFailure { errors, warnings })
        }
    }
}
