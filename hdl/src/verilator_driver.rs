//! The generated Verilog of [`ForwardStep`](crate::forward::ForwardStep) in Verilator, as a
//! [`UnitPort`]: the design and a small C++ harness (`verilator_harness.cpp`) are compiled
//! into one program that takes pin-level commands on its stdin and answers on its stdout.
//! Verilator runs a many-lane unit thousands of times faster than rust-hdl's simulator, fast
//! enough to train on the generated Verilog ([`verilator_driver`]).

use crate::forward_sim::{forward_verilog, Command, ForwardDriver, Host, UnitPort};
use fptt_sim::model::Shape;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command as Process, Stdio};

/// The harness source.
const HARNESS: &str = include_str!("verilator_harness.cpp");

/// The compiled program's name (in `obj_dir`).
const PROGRAM: &str = "vunit";

/// Compiles `verilog` (module `top`) with the C++ `harness` into `dir/obj_dir/program`, unless
/// `dir` already holds a build of the same sources; returns the program's path.
pub fn build_program(verilog: &str, harness: &str, program: &str, dir: &Path) -> Result<std::path::PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let path = dir.join("obj_dir").join(program);
    let same = |name: &str, text: &str| std::fs::read_to_string(dir.join(name)).is_ok_and(|t| t == text);
    if !(path.exists() && same("dut.v", verilog) && same("harness.cpp", harness)) {
        let _ = std::fs::remove_file(&path);
        for (name, text) in [("dut.v", verilog), ("harness.cpp", harness)] {
            std::fs::write(dir.join(name), text).map_err(|e| format!("write {name}: {e}"))?;
        }
        let out = Process::new("verilator")
            .current_dir(dir)
            .args([
                "--cc",
                "--exe",
                "--build",
                "-j",
                "2",
                // lint is hdl/tests/lint.rs's job
                "-Wno-fatal",
                "-Wno-lint",
                "-Wno-style",
                "--top-module",
                "top",
                "-o",
                program,
                "-MAKEFLAGS",
                "OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1",
                "dut.v",
                "harness.cpp",
            ])
            .output()
            .map_err(|e| {
                format!("run verilator: {e}; install it (apt-get install -y verilator) to simulate the Verilog")
            })?;
        if !out.status.success() || !path.exists() {
            return Err(format!(
                "verilator failed in {}:\n{}{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(path)
}

/// A running Verilated unit.
pub struct VerilatorPort {
    child: Child,
    to: BufWriter<ChildStdin>,
    from: BufReader<ChildStdout>,
}

impl VerilatorPort {
    /// Compiles `verilog` (module `top`, a `ForwardStep`) with the harness in `dir` (reused
    /// when `dir` already holds a build of the same sources) and starts it.
    pub fn build(verilog: &str, dir: &Path) -> Result<Self, String> {
        let program = build_program(verilog, HARNESS, PROGRAM, dir)?;
        let mut child = Process::new(&program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("run {}: {e}", program.display()))?;
        let to = BufWriter::with_capacity(1 << 16, child.stdin.take().expect("piped stdin"));
        let from = BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(Self { child, to, from })
    }

    fn send(&mut self, bytes: &[u8]) {
        self.to.write_all(bytes).unwrap_or_else(|e| panic!("the Verilated unit stopped: {e}"));
    }

    /// Flushes the commands and reads one 32-bit answer.
    fn answer(&mut self) -> u32 {
        self.send(b"F");
        self.to.flush().unwrap_or_else(|e| panic!("the Verilated unit stopped: {e}"));
        let mut word = [0u8; 4];
        if let Err(e) = self.from.read_exact(&mut word) {
            let status = self.child.try_wait().ok().flatten();
            panic!("the Verilated unit stopped ({e}, exit status {status:?})");
        }
        u32::from_le_bytes(word)
    }
}

// verilator_harness.cpp's 'R' clocks the unit's read-back latency, written there as a literal.
const _: () = assert!(crate::forward::READ_LATENCY == 2, "update the harness's 'R' command");

impl UnitPort for VerilatorPort {
    fn write(&mut self, sel: u64, lane: usize, addr: usize, data: i64) {
        let mut cmd = vec![b'W', sel as u8, lane as u8];
        cmd.extend((addr as u16).to_le_bytes());
        cmd.extend((data as i32).to_le_bytes());
        self.send(&cmd);
    }

    fn start(&mut self, last_stream: usize, command: Command, limit: usize) -> Option<usize> {
        let (learn, commit, reset, classify) = command.flags();
        let flags = learn as u8 | (commit as u8) << 1 | (reset as u8) << 2 | (classify as u8) << 3;
        let mut cmd = vec![b'L'];
        cmd.extend((limit as u32).to_le_bytes());
        cmd.extend([b'S', last_stream as u8, flags]);
        self.send(&cmd);
        match self.answer() {
            u32::MAX => None,
            n => Some(n as usize),
        }
    }

    fn read(&mut self, vec: u64, lane: usize, addr: usize) -> i64 {
        let mut cmd = vec![b'R', vec as u8, lane as u8];
        cmd.extend((addr as u16).to_le_bytes());
        self.send(&cmd);
        self.answer() as i32 as i64
    }
}

impl Drop for VerilatorPort {
    fn drop(&mut self) {
        let _ = self.to.write_all(b"Q");
        let _ = self.to.flush();
        let _ = self.child.wait();
    }
}

/// A driver of the generated Verilog of the unit [`crate::forward_sim::forward_driver`]
/// builds for `shape`, `lanes` lanes and batches of up to `streams`, compiled by Verilator in
/// `dir` (a cache: an unchanged design is not rebuilt). Generating the Verilog needs a large
/// stack, which this function provides ([`crate::verify::on_big_stack`]).
pub fn verilator_driver(
    shape: Shape,
    lanes: usize,
    streams: usize,
    dir: &Path,
) -> Result<Box<dyn ForwardDriver + Send>, String> {
    let (verilog, b) = crate::verify::on_big_stack(|| forward_verilog(shape, lanes, streams))?;
    Ok(Box::new(Host::new(VerilatorPort::build(&verilog, dir)?, shape, lanes, b)))
}
