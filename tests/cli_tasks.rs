//! End-to-end: `fptt train` on the classification tasks (small subsets of the real datasets;
//! skipped with a note when scripts/fetch-data.sh has not fetched them), the BPTT baseline,
//! the learning-curve plot and the JSON fields.

use fptt_sim::data::{data_root, Source};
use std::path::PathBuf;
use std::process::Command;

fn fptt(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fptt")).args(args).output().expect("run fptt")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "fptt failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

/// True when `source` is fetched; else prints why the test is skipped.
fn fetched(source: Source, test: &str) -> bool {
    let dir = data_root().join(source.dir_name());
    let there = dir.is_dir() && std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(false);
    if !there {
        eprintln!("note: {test}: {source} not fetched ({}): skipped; run `{}`", dir.display(), source.fetch_command());
    }
    there
}

fn temp_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("fptt-cli-tasks-{}-{name}", std::process::id()))
}

/// A small classification run: fields, curve and the accuracy's range.
fn class_run(task: &str, backend: &str, more: &[&str]) -> serde_json::Value {
    let mut args = vec!["train", "--task", task, "--backend", backend, "--hidden", "16", "--batch", "8", "--json"];
    args.extend(more);
    let v = json(&fptt(&args));
    for key in [
        "task",
        "backend",
        "hidden",
        "passes",
        "test_accuracy",
        "train_sequences",
        "test_sequences",
        "batch",
        "curve",
        "memory",
        "wall_seconds",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["task"], task);
    assert_eq!(v["backend"], backend);
    assert_eq!(v["hidden"], 16);
    let passes = v["passes"].as_u64().unwrap() as usize;
    let curve = v["curve"].as_array().unwrap();
    assert_eq!(curve.len(), passes, "one curve point per pass");
    for p in curve {
        for key in ["pass", "train_accuracy", "test_accuracy", "test_loss"] {
            assert!(p.get(key).is_some(), "missing {key} in the curve point {p}");
        }
    }
    let acc = v["test_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc), "{acc}");
    assert_eq!(v["test_accuracy"], curve[passes - 1]["test_accuracy"]);
    v
}

#[test]
fn jvowels_float_learns_and_fixed_runs() {
    if !fetched(Source::JapaneseVowels, "jvowels_float_learns_and_fixed_runs") {
        return;
    }
    // the whole set, 4 passes: well above chance (1/9)
    let v = class_run("jvowels", "float", &["--passes", "4", "--lr", "1e-2"]);
    assert_eq!((v["train_sequences"].as_u64(), v["test_sequences"].as_u64()), (Some(270), Some(370)));
    assert_eq!(v["inputs"], 12);
    assert_eq!(v["classes"], 9);
    assert!(v["test_accuracy"].as_f64().unwrap() > 0.6, "{v}");
    // variable lengths: some padding, and BPTT keeps T (= 29) traces where FPTT keeps one
    assert!(v["padding"].as_f64().unwrap() > 0.0);
    assert_eq!(v["memory"]["steps"], 29);
    assert!(v["memory"]["bptt_bytes"].as_u64().unwrap() > 20 * v["memory"]["fptt_bytes"].as_u64().unwrap());
    let f = class_run("jvowels", "fixed", &["--passes", "1", "--train-limit", "48", "--test-limit", "40"]);
    assert_eq!((f["train_sequences"].as_u64(), f["test_sequences"].as_u64()), (Some(48), Some(40)));
    assert!(f["updates"].as_u64().unwrap() > 0);
}

#[test]
fn fmnist_rows_subset_and_learning_curve_plots() {
    if !fetched(Source::FashionMnist, "fmnist_rows_subset_and_learning_curve_plots") {
        return;
    }
    let (svg, png) = (temp_file("curve.svg"), temp_file("curve.png"));
    let common = ["--passes", "2", "--train-limit", "256", "--test-limit", "128"];
    let v = class_run("fmnist-rows", "float", &[&common[..], &["--plot", svg.to_str().unwrap()]].concat());
    assert_eq!(v["inputs"], 28);
    assert_eq!(v["memory"]["steps"], 28);
    // 256 sequences, 8 streams: 32 rounds of 28 steps, one update per step, per pass
    assert_eq!(v["updates"], 2 * 32 * 28);
    assert_eq!(v["padding"], 0.0);
    let text = std::fs::read_to_string(&svg).expect("the SVG plot is written");
    assert!(text.contains("<svg") && text.contains("test accuracy"), "{}", &text[..text.len().min(300)]);
    class_run("fmnist-rows", "fixed", &[&common[..], &["--plot", png.to_str().unwrap()]].concat());
    let bytes = std::fs::read(&png).expect("the PNG plot is written");
    assert!(bytes.len() > 1000 && bytes.starts_with(b"\x89PNG"), "{} bytes", bytes.len());
    // BPTT: one update per sequence batch
    let b = class_run("fmnist-rows", "bptt", &["--passes", "1", "--train-limit", "64", "--test-limit", "32"]);
    assert_eq!(b["updates"], 8);
    let _ = std::fs::remove_file(&svg);
    let _ = std::fs::remove_file(&png);
}

#[test]
fn smnist_subset_runs_784_steps() {
    if !fetched(Source::MnistNpm, "smnist_subset_runs_784_steps") {
        return;
    }
    let v = class_run("smnist", "float", &["--passes", "1", "--train-limit", "16", "--test-limit", "16"]);
    assert_eq!(v["inputs"], 1);
    assert_eq!(v["memory"]["steps"], 784);
    assert_eq!(v["updates"], 2 * 784);
}

#[test]
fn a_missing_dataset_says_how_to_fetch_it() {
    let dir = temp_file("no-data");
    let out = fptt(&["train", "--task", "jvowels", "--data-dir", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("scripts/fetch-data.sh jvowels") && err.contains("not found"), "{err}");
    let out =
        fptt(&["train", "--task", "add", "--plot", "curve.txt", "--sequences", "4", "--batch", "4", "--hidden", "4"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".svg or .png"));
}

#[test]
fn bptt_add_task_counts_one_update_per_sequence_and_its_memory() {
    let v = json(&fptt(&[
        "train",
        "--task",
        "add",
        "--backend",
        "bptt",
        "--seq-len",
        "30",
        "--hidden",
        "8",
        "--batch",
        "4",
        "--sequences",
        "32",
        "--eval-sequences",
        "8",
        "--json",
    ]));
    assert_eq!(v["backend"], "bptt");
    assert_eq!(v["updates"], 8);
    assert!(v["eval_mse"].as_f64().unwrap().is_finite());
    // I = 2, H = 8, C = 1: a trace is 2 + 64 + 3 = 69 values, a state 25
    assert_eq!(v["memory"]["fptt_bytes"], 8 * (25 + 69));
    assert_eq!(v["memory"]["bptt_bytes"], 8 * (25 + 30 * 69));
}
