//! End-to-end over the board link: the `fptt` program against `fptt emulate` on a
//! pseudo-terminal, a clean line and a damaging one, a device that dies mid-stream or never
//! answers. Training through the link must end with exactly the golden model's parameters.

use fptt_host::board::Board;
use fptt_host::emulate::Emulator;
use fptt_host::params;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn fptt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fptt")).args(args).output().expect("run fptt")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "fptt failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

fn emulator(args: &[&str]) -> Emulator {
    Emulator::spawn(Path::new(env!("CARGO_BIN_EXE_fptt")), args).expect("start fptt emulate")
}

/// A scratch directory of this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fptt-link-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TRAIN: [&str; 9] = ["train", "--seq-len", "12", "--hidden", "8", "--batch", "3", "--sequences", "24"];
const MORE: [&str; 6] = ["--eval-sequences", "9", "--curve-points", "2", "--commit-average", "--json"];

/// `fptt train` with TRAIN, MORE, `extra` and `--save FILE`: its JSON and saved state.
fn train(extra: &[&str], file: &Path) -> (serde_json::Value, fptt_sim::fixed::update::FixedParams) {
    let v = json(&fptt(&[&TRAIN[..], &MORE[..], extra, &["--save", file.to_str().unwrap()]].concat()));
    (v, params::load(file).expect("the saved parameters").1)
}

#[test]
fn training_through_the_link_ends_with_the_golden_models_parameters() {
    let dir = scratch("train");
    let (fixed, want) = train(&["--backend", "fixed"], &dir.join("fixed.safetensors"));
    // the whole link (frames in flight, CONFIG, LOAD, STEP_BATCH with the schedule's learning
    // rates, RESET_STATE, COMMIT_AVERAGE, READ) at the emulator's 3 Mbaud pacing
    let emu = emulator(&[]);
    let (board, got) = train(&["--port", emu.path()], &dir.join("board.safetensors"));
    assert_eq!(board["backend"], "device");
    assert_eq!(board["updates"], 8 * 12);
    assert_eq!(board["eval_mse"], fixed["eval_mse"], "board {board}\nfixed {fixed}");
    assert_eq!(board["curve"], fixed["curve"]);
    assert_eq!(got, want, "every word of W, W-bar, lambda, m, u");
    // what the board holds afterwards: the same parameters, the same held-out error
    let saved = dir.join("saved.safetensors");
    let out = fptt(&["params", "save", "--port", emu.path(), saved.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(params::load(&saved).unwrap().1, want);
    let eval = ["eval", "--seq-len", "12", "--batch", "3", "--eval-sequences", "9", "--json"];
    let v = json(&fptt(&[&eval[..], &["--port", emu.path()]].concat()));
    assert_eq!(v["eval_mse"], fixed["eval_mse"]);
    let info = json(&fptt(&["info", "--port", emu.path(), "--json"]));
    assert_eq!(info["config"], serde_json::json!([2, 8, 1, 3]));
    assert_eq!(info["frames_refused"], 0);
    drop(emu);
    // with no port and no board: an emulator started for the run, the same numbers; and a
    // parameter file evaluated on one
    let (auto, got) = train(&["--backend", "device"], &dir.join("auto.safetensors"));
    assert!(auto["device"].as_str().unwrap().starts_with("emulator"), "{auto}");
    assert_eq!((auto["eval_mse"].clone(), got), (fixed["eval_mse"].clone(), want));
    let v = json(&fptt(&[&eval[..], &["--params", dir.join("fixed.safetensors").to_str().unwrap()]].concat()));
    assert_eq!(v["eval_mse"], fixed["eval_mse"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn training_through_the_rtl_device_ends_with_the_golden_models_parameters() {
    // the device's generated Verilog behind the pty, its UART pins driven bit by bit
    if !fptt_hdl::lint::verilator_available("training_through_the_rtl_device_ends_with_the_golden_models_parameters") {
        return;
    }
    let dir = scratch("rtl");
    let (fixed, want) = train(&["--backend", "fixed"], &dir.join("fixed.safetensors"));
    let emu = emulator(&["--backend", "rtl", "--no-pacing"]);
    let (board, got) = train(&["--port", emu.path()], &dir.join("rtl.safetensors"));
    assert_eq!(board["eval_mse"], fixed["eval_mse"], "rtl {board}\nfixed {fixed}");
    assert_eq!(board["curve"], fixed["curve"]);
    assert_eq!(got, want, "every word of W, W-bar, lambda, m, u");
    let info = json(&fptt(&["info", "--port", emu.path(), "--json"]));
    assert_eq!(info["lanes"], 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_damaging_line_costs_retries_not_bits() {
    // every 4th frame each way is damaged (bit flips, truncations, garbage, lost delimiters):
    // the driver sends again, the device never runs a frame twice or out of order
    let dir = scratch("damage");
    let (fixed, want) = train(&["--backend", "fixed"], &dir.join("fixed.safetensors"));
    let emu = emulator(&["--no-pacing", "--damage-every", "4"]);
    let (board, got) = train(&["--port", emu.path()], &dir.join("board.safetensors"));
    assert_eq!(board["eval_mse"], fixed["eval_mse"]);
    assert_eq!(board["curve"], fixed["curve"]);
    assert_eq!(got, want);
    let info = json(&fptt(&["info", "--port", emu.path(), "--json"]));
    assert!(info["frames_refused"].as_u64().unwrap() > 10, "the line did damage frames: {info}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_device_that_dies_or_never_answers_is_a_clear_error() {
    // killed mid-stream
    let mut emu = emulator(&[]);
    let child = Command::new(env!("CARGO_BIN_EXE_fptt"))
        .args([&TRAIN[..7], &["--sequences", "100000", "--port", emu.path()]].concat())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    emu.kill();
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("went away") || err.contains("no reply"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?} to notice", start.elapsed());
    // a port where nothing answers: a pty nobody serves
    let pty = nix::pty::openpty(None, None).unwrap();
    let path = nix::unistd::ttyname(pty.slave).unwrap();
    let e = Board::open_with_timeout(path.to_str().unwrap(), 3_000_000, Duration::from_secs(1)).err().unwrap();
    assert!(format!("{e:#}").contains("no reply"), "{e:#}");
    // no such port
    let out = fptt(&["train", "--port", "/dev/fptt-no-such-port", "--hidden", "8", "--batch", "3"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("open serial port /dev/fptt-no-such-port"));
}

#[test]
fn the_link_benchmark_reports_its_load() {
    let v =
        json(&fptt(&["bench", "--backend", "device", "--hidden", "8", "--batch", "4", "--seconds", "0.3", "--json"]));
    assert_eq!(v["backend"], "device");
    let link = &v["link"];
    assert!(link["bytes_out"].as_u64().unwrap() > 0 && link["bytes_in"].as_u64().unwrap() > 0, "{v}");
    let busy = link["busy"].as_f64().unwrap();
    assert!(busy > 0.0 && busy <= 1.05, "busy {busy}");
    assert_eq!(link["resent"], 0);
}
