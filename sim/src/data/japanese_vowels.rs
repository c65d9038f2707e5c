//! JapaneseVowels (Kudo, Toyama & Shimbo 1999; UCI, CC BY 4.0): nine male speakers saying
//! "ae", as 12 LPC cepstrum coefficients per frame, 7 to 29 frames; 270 train and 370 test
//! utterances; the class is the speaker. Read from the UEA archive's `.ts` files.
//!
//! Inputs: each of the 12 channels is standardised with the mean and the (population)
//! standard deviation of that channel over every frame of the train set, the test set with the
//! train set's statistics, then clipped to the accelerator's input range (see [`super::scale`]).
//! One utterance is T steps x 12 channels, T its number of frames.

use super::error::{read, require_files};
use super::scale::{channel_stats, input_range, standardise, Scaling};
use super::{ts, DataError, Dataset, Example, Source};
use std::path::Path;

/// The train file.
pub const TRAIN_FILE: &str = "JapaneseVowels_TRAIN.ts";
/// The test file.
pub const TEST_FILE: &str = "JapaneseVowels_TEST.ts";
/// Channels per frame.
pub const CHANNELS: usize = 12;

/// Load JapaneseVowels from `dir` (the fetch script's `data/japanese-vowels`). Labels are the
/// positions of the class labels in the train file's `@classLabel` header (speaker "1" is 0).
pub fn japanese_vowels(dir: &Path) -> Result<Dataset, DataError> {
    let files = require_files(dir, &[TRAIN_FILE, TEST_FILE], Source::JapaneseVowels)?;
    let train_ts = read_ts(&files[0])?;
    let test_ts = read_ts(&files[1])?;
    if test_ts.class_labels != train_ts.class_labels {
        return Err(DataError::invalid(
            &files[1],
            format!(
                "@classLabel {} differs from the train file's {}",
                test_ts.class_labels.join(" "),
                train_ts.class_labels.join(" ")
            ),
        ));
    }
    let mut train = examples(&train_ts, &train_ts, &files[0])?;
    let mut test = examples(&test_ts, &train_ts, &files[1])?;
    let (mean, std) = channel_stats(&train, CHANNELS);
    let clipped = standardise(&mut train, &mean, &std) + standardise(&mut test, &mean, &std);
    let (lo, hi) = input_range();
    Ok(Dataset {
        name: "JapaneseVowels",
        train,
        test,
        classes: train_ts.class_labels.len(),
        channels: CHANNELS,
        scaling: Scaling::Standardised { mean, std, lo, hi, clipped },
    })
}

fn read_ts(path: &Path) -> Result<ts::TsFile, DataError> {
    let bytes = read(path, Source::JapaneseVowels)?;
    let text = String::from_utf8(bytes).map_err(|_| DataError::invalid(path, "not UTF-8 text"))?;
    ts::parse(&text).map_err(|reason| DataError::invalid(path, reason))
}

/// The raw (unscaled) instances of `file` as T x 12 examples, labelled by `classes`' header.
fn examples(file: &ts::TsFile, classes: &ts::TsFile, path: &Path) -> Result<Vec<Example>, DataError> {
    file.instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            if inst.channels.len() != CHANNELS || inst.is_empty() {
                return Err(DataError::invalid(
                    path,
                    format!(
                        "instance {i} has {} channels of {} frames, expected {CHANNELS} channels",
                        inst.channels.len(),
                        inst.len()
                    ),
                ));
            }
            let steps = inst.len();
            let inputs = (0..steps).flat_map(|t| inst.channels.iter().map(move |ch| ch[t])).collect();
            let label = classes.class_index(&inst.label).expect("labels checked by the parser against the same header");
            Ok(Example { inputs, steps, label })
        })
        .collect()
}
