//! Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando; MIT): 28 x 28 grey images of 10 kinds
//! of clothing, 60,000 train and 10,000 test, in four gzip-compressed idx files.
//!
//! Inputs: pixel p -> p / 255 in [0, 1]; one image is 28 steps x 28 channels (rows) or
//! 784 steps x 1 channel (pixels), see [`Layout`].

use super::error::require_files;
use super::scale::Scaling;
use super::{idx, image_example, DataError, Dataset, Example, Layout, Source};
use std::path::Path;

/// The train images.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte.gz";
/// The train labels.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte.gz";
/// The test images.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte.gz";
/// The test labels.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte.gz";
/// Image side.
pub const SIDE: usize = 28;
/// Number of classes.
pub const CLASSES: usize = 10;
/// The class names, by label.
pub const CLASS_NAMES: [&str; CLASSES] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/// Load Fashion-MNIST from `dir` (the fetch script's `data/fashion-mnist`, see
/// [`Source::default_dir`]), each image as a sequence in `layout`.
pub fn fashion_mnist(dir: &Path, layout: Layout) -> Result<Dataset, DataError> {
    let files = require_files(dir, &[TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS], Source::FashionMnist)?;
    let train = load_split(&files[0], &files[1], layout)?;
    let test = load_split(&files[2], &files[3], layout)?;
    Ok(Dataset {
        name: "Fashion-MNIST",
        train,
        test,
        classes: CLASSES,
        channels: layout.channels(),
        scaling: Scaling::Pixels,
    })
}

/// Read one image/label file pair into raw images (784 bytes each) and labels, checking the
/// sizes: N x 28 x 28 images, N labels, every label below 10.
pub fn read_pair(images: &Path, labels: &Path) -> Result<(idx::Idx, Vec<u8>), DataError> {
    let imgs = idx::read_gz(images, 3, Source::FashionMnist)?;
    if imgs.dims[1..] != [SIDE, SIDE] {
        return Err(DataError::invalid(
            images,
            format!("images are {} x {}, expected 28 x 28", imgs.dims[1], imgs.dims[2]),
        ));
    }
    let labs = idx::read_gz(labels, 1, Source::FashionMnist)?;
    if labs.dims[0] != imgs.dims[0] {
        return Err(DataError::invalid(
            labels,
            format!("{} labels for the {} images of {}", labs.dims[0], imgs.dims[0], images.display()),
        ));
    }
    if let Some((i, &l)) = labs.data.iter().enumerate().find(|(_, &l)| usize::from(l) >= CLASSES) {
        return Err(DataError::invalid(labels, format!("label {l} of item {i} is not below {CLASSES}")));
    }
    Ok((imgs, labs.data))
}

fn load_split(images: &Path, labels: &Path, layout: Layout) -> Result<Vec<Example>, DataError> {
    let (imgs, labs) = read_pair(images, labels)?;
    Ok(imgs
        .data
        .chunks_exact(SIDE * SIDE)
        .zip(&labs)
        .map(|(pixels, &label)| image_example(pixels, usize::from(label), layout))
        .collect())
}
