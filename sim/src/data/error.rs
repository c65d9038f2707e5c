//! The one error type of the loaders.

use super::Source;
use std::path::{Path, PathBuf};

/// Why a dataset could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file (or its directory) is not there: fetch the dataset first.
    #[error(
        "{} not found: fetch {} with `{}` in the repository (it writes data/{}/; \
         FPTT_DATA=DIR writes DIR/{} instead)",
        .path.display(), .dataset.title(), .dataset.fetch_command(), .dataset.dir_name(), .dataset.dir_name()
    )]
    Missing {
        /// The file looked for.
        path: PathBuf,
        /// The dataset it belongs to.
        dataset: Source,
    },
    /// The file is there but could not be read.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not in the expected format.
    #[error("{}: {reason}", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, and where.
        reason: String,
    },
}

impl DataError {
    /// An [`DataError::Invalid`] for `path`.
    pub fn invalid(path: &Path, reason: impl Into<String>) -> Self {
        DataError::Invalid { path: path.to_path_buf(), reason: reason.into() }
    }

    /// An I/O error on `path`; a file that is not found is [`DataError::Missing`].
    pub fn io(path: &Path, dataset: Source, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            DataError::Missing { path: path.to_path_buf(), dataset }
        } else {
            DataError::Io { path: path.to_path_buf(), source }
        }
    }
}

/// Every file in `names` under `dir`, or [`DataError::Missing`] for the first one that is not a
/// file (checked before any is read, so a half-fetched set fails at once).
pub(crate) fn require_files(dir: &Path, names: &[&str], dataset: Source) -> Result<Vec<PathBuf>, DataError> {
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(DataError::Missing { path, dataset })
            }
        })
        .collect()
}

/// The bytes of `path`.
pub(crate) fn read(path: &Path, dataset: Source) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|e| DataError::io(path, dataset, e))
}
