//! End-to-end: the `fptt` program as a user runs it.

use std::process::Command;

fn fptt(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fptt")).args(args).output().expect("run fptt")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "fptt failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

#[test]
fn train_float_reports_json_and_learns() {
    let out = fptt(&[
        "train",
        "--task",
        "add",
        "--seq-len",
        "50",
        "--backend",
        "float",
        "--hidden",
        "64",
        "--batch",
        "32",
        "--sequences",
        "8192",
        "--lr",
        "3e-2",
        "--eval-sequences",
        "256",
        "--seed",
        "1",
        "--json",
    ]);
    let v = json(&out);
    for key in ["task", "backend", "seq_len", "hidden", "batch", "sequences", "eval_mse", "steps_per_sec"] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["task"], "add");
    assert_eq!(v["backend"], "float");
    assert_eq!(v["seq_len"], 50);
    assert_eq!(v["batch"], 32);
    assert_eq!(v["sequences"], 8192);
    let mse = v["eval_mse"].as_f64().unwrap();
    assert!(mse < 0.05, "held-out MSE {mse}");
    assert!(v["steps_per_sec"].as_f64().unwrap() > 0.0);
}

#[test]
fn bench_reports_steps_per_second() {
    let v = json(&fptt(&[
        "bench",
        "--backend",
        "float",
        "--mode",
        "train",
        "--hidden",
        "16",
        "--batch",
        "4",
        "--seconds",
        "0.2",
        "--json",
    ]));
    assert!(v["steps_per_sec"].as_f64().unwrap() > 0.0);
    let (steps, samples) = (v["steps_per_sec"].as_f64().unwrap(), v["sample_steps_per_sec"].as_f64().unwrap());
    assert!((samples - 4.0 * steps).abs() <= 1e-9 * samples, "{samples} sample-steps/s is not 4 x {steps} steps/s");
    let v = json(&fptt(&["bench", "--mode", "infer", "--hidden", "16", "--seconds", "0.2", "--json"]));
    assert_eq!(v["mode"], "infer");
}

#[test]
fn impossible_settings_are_clear_errors() {
    for (args, says) in [
        (vec!["train", "--hidden", "0"], "impossible network size"),
        (vec!["train", "--batch", "0"], "--batch"),
        (vec!["train", "--seq-len", "1"], "--seq-len"),
        (vec!["train", "--lr=-1"], "--lr"),
        (vec!["bench", "--hidden", "100000"], "impossible network size"),
    ] {
        let out = fptt(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: stderr was {err}");
    }
}

#[test]
fn fixed_backend_budget_and_numerics() {
    let v = json(&fptt(&[
        "train",
        "--backend",
        "fixed",
        "--seq-len",
        "20",
        "--hidden",
        "16",
        "--batch",
        "4",
        "--sequences",
        "64",
        "--eval-sequences",
        "16",
        "--json",
    ]));
    assert_eq!(v["backend"], "fixed");
    assert!(v["eval_mse"].as_f64().unwrap().is_finite());
    let b = json(&fptt(&["budget", "--inputs", "2", "--hidden", "64", "--outputs", "1", "--batch", "32", "--json"]));
    assert_eq!(b["params"], 20_868);
    assert_eq!(b["fits"], serde_json::json!(["LFE5U-85F"]));
    let out = fptt(&["budget", "--inputs", "2", "--hidden", "4096", "--outputs", "1"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no ECP5 part"));
    let out = fptt(&["numerics"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("| W (every tensor), stored | Q5.21"), "{text}");
}

/// `fptt bench --backend rtl --mode MODE` on shape (i, h, c), l lanes, b streams, as JSON.
fn bench_rtl(mode: &str, (i, h, c): (usize, usize, usize), l: usize, b: usize, more: &[&str]) -> serde_json::Value {
    let dims = [i, h, c, l, b].map(|v| v.to_string());
    let mut args = vec!["bench", "--backend", "rtl", "--mode", mode, "--inputs", &dims[0], "--hidden", &dims[1]];
    args.extend(["--outputs", &dims[2], "--lanes", &dims[3], "--batch", &dims[4], "--json"]);
    args.extend(more);
    json(&fptt(&args))
}

#[test]
fn bench_rtl_counts_cycles_against_the_ideal() {
    let (i, h, c, l, b) = (3usize, 12usize, 2usize, 4usize, 3usize);
    let v = bench_rtl("infer", (i, h, c), l, b, &[]);
    let shape = fptt_sim::model::Shape::new(i, h, c).unwrap();
    // the simulated count is the unit's cycle model, and the ideal is words x streams / lanes
    assert_eq!(v["cycles_per_step"], fptt_hdl::forward::step_cycles(shape, l, b));
    let words = fptt_sim::model::Layout::new(shape).len();
    assert_eq!(v["ideal_cycles_per_step"].as_f64().unwrap(), (words * b) as f64 / l as f64);
    assert_eq!(v["lanes"], l);
}

#[test]
fn bench_rtl_refuses_what_does_not_fit() {
    let out = fptt(&["bench", "--backend", "rtl", "--mode", "infer", "--hidden", "64", "--lanes", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("weight words per lane") && err.contains("use more lanes"), "{err}");
    let out = fptt(&["bench", "--backend", "rtl", "--mode", "train", "--hidden", "8", "--batch", "65"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 64 streams"));
}

#[test]
fn bench_rtl_trains_bit_exact_and_counts_cycles() {
    // the benchmark itself fails unless every stream's state and every word's W and W-bar
    // equal the golden model's
    let (i, h, c, l, b) = (2usize, 6usize, 1usize, 2usize, 2usize);
    let v = bench_rtl("train", (i, h, c), l, b, &["--rtl-steps", "3"]);
    let shape = fptt_sim::model::Shape::new(i, h, c).unwrap();
    assert_eq!(v["mode"], "train");
    assert_eq!(v["cycles_per_step"], fptt_hdl::forward::train_step_cycles(shape, l, b));
    assert_eq!(v["ideal_cycles_per_step"].as_f64().unwrap(), fptt_hdl::forward::ideal_train_step_cycles(shape, l, b));
}

#[test]
fn train_on_the_rtl_equals_the_golden_model() {
    // `--backend rtl` trains the generated Verilog in Verilator, the way a host drives a board;
    // its held-out MSE (and learning curve) must be the golden model's to the last bit
    if !fptt_hdl::lint::verilator_available("train_on_the_rtl_equals_the_golden_model") {
        return;
    }
    let run = |backend: &str| {
        let args = ["train", "--backend", backend, "--seq-len", "12", "--hidden", "8", "--batch", "3"];
        let more = ["--lanes", "2", "--sequences", "24", "--eval-sequences", "9", "--curve-points", "2", "--json"];
        json(&fptt(&[&args[..], &more[..]].concat()))
    };
    let (rtl, fixed) = (run("rtl"), run("fixed"));
    assert_eq!(rtl["backend"], "rtl");
    assert_eq!(rtl["updates"], 8 * 12);
    assert_eq!(rtl["eval_mse"], fixed["eval_mse"], "rtl {rtl}\nfixed {fixed}");
    assert_eq!(rtl["curve"], fixed["curve"]);
    let out = fptt(&["train", "--backend", "rtl", "--batch", "65", "--hidden", "8"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 64 streams"));
}

#[test]
fn ports_lists_every_serial_port_and_usb_board_as_json() {
    // no board here: the lists may be empty or hold the machine's own UARTs, never an error;
    // without a USB bus (CI) usb_error says why
    let v = json(&fptt(&["ports", "--json"]));
    for p in v["ports"].as_array().expect("a ports array") {
        assert!(p["path"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
        assert!(["usb", "pci", "bluetooth", "unknown"].contains(&p["kind"].as_str().unwrap()), "{p}");
    }
    for b in v["boards"].as_array().expect("a boards array") {
        assert!(["0403:6015", "0403:6010"].contains(&b["usb_id"].as_str().unwrap()), "{b}");
    }
    if let Some(e) = v.get("usb_error") {
        assert!(e.as_str().unwrap().starts_with("no USB bus to search for boards: "), "{e}");
    }
    let out = fptt(&["ports"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("USB not searched: ") || text.contains("on USB"), "{text}");
    assert!(out.stderr.is_empty(), "nothing on stderr: {}", String::from_utf8_lossy(&out.stderr));
}
