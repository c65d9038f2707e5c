//! Lint of the generated Verilog with Verilator (`verilator --lint-only -Wall`).
//!
//! Every warning class is on except the few in [`LINT_WAIVERS`], each of which rust-hdl's
//! generated glue raises by construction. Hand-written Verilog (the `Verilog::Custom` leaf
//! blocks) is fixed instead of waived: the tests lint those blocks with no waivers at all
//! ([`verilator_lint_with`] and an empty list), so a waiver never hides a warning in our own
//! code.

use std::path::Path;
use std::process::Command;

/// Environment variable that turns a missing Verilator into a test failure.
pub const REQUIRE_VERILATOR: &str = "FPTT_REQUIRE_VERILATOR";

/// The warnings waived in rust-hdl's generated Verilog: (Verilator `-Wno-` flag, why the
/// warning is inherent in the generated code and harmless).
pub const LINT_WAIVERS: &[(&str, &str)] = &[
    (
        "-Wno-DECLFILENAME",
        "rust-hdl writes the whole hierarchy into one source (`top` and one module per child \
         instance, e.g. `top$mul`), so only `top` can match the file name `top.v`; the \
         warning is about file organisation, not the design.",
    ),
    (
        "-Wno-WIDTH",
        "rust-hdl emits every integer literal of the Rust source as a 32-bit constant \
         (`r = 32'h0`, `r + 32'h1`, `phase == 32'h6`) and `bit_cast` as an AND with a wider \
         mask (`frac & 18'h3ffff`), relying on Verilog's context-determined widths: the \
         literals fit their operands, the casts zero-extend and a sum truncated to its \
         target wraps exactly as rust-hdl's simulator wraps it. (Newer Verilator splits the \
         class into WIDTHEXPAND and WIDTHTRUNC; -Wno-WIDTH still covers both.)",
    ),
    (
        "-Wno-UNUSEDSIGNAL",
        "rust-hdl declares a wire for every port of every child block and every local signal \
         in full, so outputs a parent does not read (the neuron pipeline's `theta`; the valid \
         flags of every lane but lane 0 in ForwardStep, whose flags time them all) and signals \
         read only in part (the sign bit of a difference, the spare bits of a ROM word) are \
         declared but partly or wholly unused; synthesis removes them.",
    ),
    (
        "-Wno-UNUSEDPARAM",
        "rust-hdl declares every name of a state enum (`LogicState`: the command engine's \
         states) as a localparam in each module that holds a register of that type, the \
         plain DFF modules included, which never compare against them.",
    ),
];

/// Is Verilator on PATH? When it is not, prints why the caller's test is skipped, or panics
/// if [`REQUIRE_VERILATOR`] is set (CI installs it).
pub fn verilator_available(test: &str) -> bool {
    let ok = Command::new("verilator").arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    if ok {
        return true;
    }
    if std::env::var_os(REQUIRE_VERILATOR).is_some() {
        panic!("{test}: Verilator not found on PATH and {REQUIRE_VERILATOR} is set");
    }
    eprintln!(
        "SKIPPED {test}: Verilator not found on PATH; install it (apt-get install -y verilator) \
         to lint the generated Verilog"
    );
    false
}

/// The version Verilator reports (e.g. `Verilator 5.006 2023-01-22 rev (Debian 5.006-3)`).
pub fn verilator_version() -> Option<String> {
    let out = Command::new("verilator").arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Lints `verilog` (top module `top`) with `verilator --lint-only -Wall` and the
/// [`LINT_WAIVERS`], in `dir` (created; the source is written to `dir/top.v`, the name
/// Verilator expects for module `top`). `Err` holds Verilator's report when it warns or fails.
pub fn verilator_lint(dir: &Path, verilog: &str) -> Result<(), String> {
    verilator_lint_with(dir, verilog, LINT_WAIVERS)
}

/// [`verilator_lint`] with an explicit waiver list (e.g. none, for hand-written leaf blocks).
pub fn verilator_lint_with(dir: &Path, verilog: &str, waivers: &[(&str, &str)]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let file = dir.join("top.v");
    std::fs::write(&file, verilog).map_err(|e| format!("write {}: {e}", file.display()))?;
    let out = Command::new("verilator")
        .current_dir(dir)
        .args(["--lint-only", "-Wall", "--top-module", "top"])
        .args(waivers.iter().map(|(flag, _)| *flag))
        .arg("top.v")
        .output()
        .map_err(|e| format!("run verilator: {e}"))?;
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() && !report.contains("%Warning") && !report.contains("%Error") {
        Ok(())
    } else {
        Err(format!("verilator lint of {} failed:\n{report}", file.display()))
    }
}
