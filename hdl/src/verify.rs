//! Test support: clock a block in rust-hdl's simulator, run its generated Verilog in Icarus
//! Verilog against the same vectors, and draw random and extreme test values.
//!
//! Both runs follow one convention: before clock edge `i` the inputs take row `i` of the
//! vectors; after edge `i` the outputs are read into row `i`. A block of latency L therefore
//! answers input row `i` in output row `i + L - 1`.

use rust_hdl::core::block::Block;
use rust_hdl::core::simulate::simulate;
use rust_hdl::prelude::Clock;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Longest a Verilog simulation may run: the largest here take a few minutes in Icarus when
/// they share two cores with other simulations; the bound only catches a hung simulator.
pub const VVP_TIMEOUT: Duration = Duration::from_secs(900);

/// Delta-cycle budget for one settle of the simulator.
const MAX_DELTAS: usize = 1000;

/// Let combinational logic settle; panics if the circuit does not converge.
pub fn settle<B: Block>(uut: &mut B) {
    assert!(simulate(uut, MAX_DELTAS), "rust-hdl simulation did not converge");
}

/// One clock cycle: a rising edge (registers take the current inputs), then a falling edge.
/// `set_clock` drives the block's clock input (e.g. `|u, c| u.clock.next = c`).
pub fn tick<B: Block>(uut: &mut B, set_clock: &impl Fn(&mut B, Clock)) {
    set_clock(uut, Clock { clk: true });
    settle(uut);
    set_clock(uut, Clock { clk: false });
    settle(uut);
}

/// Runs `rows` through a block in rust-hdl's simulator: for each row, `apply` sets the inputs,
/// they settle, one clock cycle passes, `read` collects the outputs. The block must be fresh
/// (unconnected). The outputs come in [`run_icarus`]'s form (a two-state simulator: all `Some`),
/// so one check serves both.
pub fn run_rust_hdl<B: Block>(
    uut: &mut B,
    set_clock: impl Fn(&mut B, Clock),
    apply: impl Fn(&mut B, &[i64]),
    read: impl Fn(&B) -> Vec<i64>,
    rows: &[Vec<i64>],
) -> Vec<Vec<Option<i64>>> {
    uut.connect_all();
    set_clock(uut, Clock { clk: false });
    settle(uut);
    rows.iter()
        .map(|row| {
            apply(uut, row);
            settle(uut); // inputs settle before the edge, as in the Verilog testbench
            tick(uut, &set_clock);
            read(uut).into_iter().map(Some).collect()
        })
        .collect()
}

/// Stack for [`on_big_stack`]: a unit of many lanes is a large value (every block and RAM
/// handle inline) and its construction, `connect_all` and Verilog generation recurse over it.
pub const BIG_STACK: usize = 512 << 20;

/// Runs `f` on a thread with a [`BIG_STACK`] stack (a 16-lane unit overflows the 2 MiB of a
/// test thread) and returns its result; a panic in `f` propagates.
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        let h =
            std::thread::Builder::new().stack_size(BIG_STACK).spawn_scoped(s, f).expect("spawn a simulation thread");
        h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// The Verilog of a fresh (unconnected) block, module `top`, for [`run_icarus`] and friends.
pub fn verilog_of<B: Block>(mut uut: B) -> String {
    uut.connect_all();
    rust_hdl::core::module_defines::generate_verilog(&uut)
}

/// Input rows for a pipeline that takes one vector per edge with an `in_valid` flag (the last
/// input): every vector with the flag set, then `latency - 1` zero rows to flush the results
/// out (vector i is answered in output row i + latency - 1).
pub fn pipeline_rows(ins: &[Vec<i64>], latency: usize) -> Vec<Vec<i64>> {
    let width = ins.first().map_or(0, Vec::len) + 1;
    let mut rows: Vec<Vec<i64>> = ins.iter().map(|x| x.iter().copied().chain([1]).collect()).collect();
    rows.extend(std::iter::repeat_n(vec![0; width], latency - 1));
    rows
}

/// A port of the device under test, as the testbench declares it.
#[derive(Clone, Copy, Debug)]
pub struct Port {
    /// Name (the rust-hdl field name).
    pub name: &'static str,
    /// Width in bits.
    pub bits: usize,
    /// Two's complement (printed and compared as signed).
    pub signed: bool,
}

impl Port {
    /// A signed port.
    pub const fn signed(name: &'static str, bits: usize) -> Self {
        Self { name, bits, signed: true }
    }

    /// An unsigned port (flags, addresses).
    pub const fn unsigned(name: &'static str, bits: usize) -> Self {
        Self { name, bits, signed: false }
    }

    fn decl(&self, kind: &str) -> String {
        let sign = if self.signed { " signed" } else { "" };
        if self.bits == 1 {
            format!("{kind}{sign} {};", self.name)
        } else {
            format!("{kind}{sign} [{}:0] {};", self.bits - 1, self.name)
        }
    }
}

/// A Verilog testbench (module `tb`) for the rust-hdl top module `top` with a `clock` input:
/// it reads `rows` input rows from `vectors.txt` (binary, inputs concatenated in order),
/// applies one per clock edge and prints the outputs after every edge as decimal numbers,
/// one line per row.
pub fn testbench(inputs: &[Port], outputs: &[Port], rows: usize) -> String {
    let width: usize = inputs.iter().map(|p| p.bits).sum();
    let mut s = String::new();
    s.push_str("`timescale 1ns/1ps\nmodule tb;\nreg clock = 0;\n");
    for p in inputs {
        writeln!(s, "{}", p.decl("reg")).unwrap();
    }
    for p in outputs {
        writeln!(s, "{}", p.decl("wire")).unwrap();
    }
    writeln!(s, "reg [{}:0] vectors [0:{}];\ninteger i;", width - 1, rows.max(1) - 1).unwrap();
    let conns = std::iter::once("clock")
        .chain(inputs.iter().chain(outputs).map(|p| p.name))
        .map(|n| format!(".{n}({n})"))
        .collect::<Vec<_>>()
        .join(", ");
    writeln!(s, "top dut({conns});").unwrap();
    let lhs = inputs.iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
    let fmt = vec!["%0d"; outputs.len()].join(" ");
    let args = outputs.iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
    writeln!(
        s,
        "initial begin\n  $readmemb(\"vectors.txt\", vectors);\n  for (i = 0; i < {rows}; i = i + 1) begin\n    \
         {{{lhs}}} = vectors[i];\n    #5 clock = 1;\n    #1 $display(\"{fmt}\", {args});\n    #4 clock = 0;\n  end\n  \
         $finish;\nend\nendmodule"
    )
    .unwrap();
    s
}

/// The `$readmemb` file of `rows` for `inputs` (one line per row, inputs concatenated).
pub fn vector_file(inputs: &[Port], rows: &[Vec<i64>]) -> String {
    let mut s = String::new();
    for row in rows {
        assert_eq!(row.len(), inputs.len(), "vector row width");
        for (p, &v) in inputs.iter().zip(row) {
            for bit in (0..p.bits).rev() {
                let one = if bit < 64 { (v >> bit) & 1 != 0 } else { v < 0 };
                s.push(if one { '1' } else { '0' });
            }
        }
        s.push('\n');
    }
    s
}

/// Environment variable that turns a missing Icarus Verilog into a test failure.
pub const REQUIRE_IVERILOG: &str = "FPTT_REQUIRE_IVERILOG";

/// Is Icarus Verilog (`iverilog` and `vvp`) on PATH? When it is not, prints why the caller's
/// test is skipped, or panics if [`REQUIRE_IVERILOG`] is set (CI installs it).
pub fn iverilog_available(test: &str) -> bool {
    let ok = |p: &str, arg: &str| Command::new(p).arg(arg).output().map(|o| o.status.success()).unwrap_or(false);
    // `iverilog -V` exits 0; `vvp -V` likewise.
    if ok("iverilog", "-V") && ok("vvp", "-V") {
        return true;
    }
    if std::env::var_os(REQUIRE_IVERILOG).is_some() {
        panic!("{test}: Icarus Verilog (iverilog, vvp) not found on PATH and {REQUIRE_IVERILOG} is set");
    }
    eprintln!(
        "SKIPPED {test}: Icarus Verilog (iverilog, vvp) not found on PATH; install it \
         (apt-get install -y iverilog) to cross-check the generated Verilog"
    );
    false
}

/// Simulates `dut` (Verilog with module `top`) in Icarus Verilog inside `dir` on `rows` and
/// returns the outputs after every clock edge (`None` where a bit was x or z). Panics when
/// compilation or simulation fails. Call [`iverilog_available`] first.
pub fn run_icarus(
    dir: &Path,
    dut: &str,
    inputs: &[Port],
    outputs: &[Port],
    rows: &[Vec<i64>],
) -> Vec<Vec<Option<i64>>> {
    prepare(dir, dut, inputs, outputs, rows);
    build(dir, "iverilog", &["-g2005", "-Wall", "-Wno-timescale", "-s", "tb", "-o", "sim.vvp", "tb.v", "dut.v"]);
    simulate_in(dir, "vvp", &["-n", "sim.vvp"], rows.len())
}

/// Like [`run_icarus`], in Verilator (`--binary --timing`, the same test bench, the C++ built
/// unoptimised: it builds in seconds where a many-lane design takes minutes in Icarus). Two
/// states: an x reads as 0, so the 4-state check stays with Icarus. Call
/// [`crate::lint::verilator_available`] first.
pub fn run_verilator(
    dir: &Path,
    dut: &str,
    inputs: &[Port],
    outputs: &[Port],
    rows: &[Vec<i64>],
) -> Vec<Vec<Option<i64>>> {
    prepare(dir, dut, inputs, outputs, rows);
    let _ = std::fs::remove_dir_all(dir.join("obj_dir"));
    build(
        dir,
        "verilator",
        &[
            "--binary",
            "--timing",
            "-j",
            "2",
            // lint is hdl/tests/lint.rs's job; here only the simulation counts
            "-Wno-fatal",
            "-Wno-lint",
            "-Wno-style",
            "--top-module",
            "tb",
            "-o",
            "vsim",
            "-MAKEFLAGS",
            "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0",
            "tb.v",
            "dut.v",
        ],
    );
    let vsim = dir.join("obj_dir").join("vsim");
    simulate_in(dir, vsim.to_str().expect("UTF-8 work directory"), &[], rows.len())
}

/// Writes the design, the test bench and the vectors into `dir`.
fn prepare(dir: &Path, dut: &str, inputs: &[Port], outputs: &[Port], rows: &[Vec<i64>]) {
    std::fs::create_dir_all(dir).expect("create simulation work directory");
    std::fs::write(dir.join("dut.v"), dut).expect("write dut.v");
    std::fs::write(dir.join("tb.v"), testbench(inputs, outputs, rows.len())).expect("write tb.v");
    std::fs::write(dir.join("vectors.txt"), vector_file(inputs, rows)).expect("write vectors.txt");
}

/// Runs a simulator's build step in `dir`; panics with its output when it fails.
fn build(dir: &Path, tool: &str, args: &[&str]) {
    let out = Command::new(tool).current_dir(dir).args(args).output().unwrap_or_else(|e| panic!("run {tool}: {e}"));
    assert!(
        out.status.success(),
        "{tool} failed in {}:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a built simulation in `dir` and parses one output row per vector row.
fn simulate_in(dir: &Path, program: &str, args: &[&str], rows: usize) -> Vec<Vec<Option<i64>>> {
    // The simulator writes to files and is polled: a zero-delay loop in the design hangs it at
    // one time step, which must fail the test instead of blocking it forever.
    let file = |name: &str| std::fs::File::create(dir.join(name)).expect("create simulation output file");
    let mut child = Command::new(program)
        .current_dir(dir)
        .args(args)
        .stdout(file("sim.out"))
        .stderr(file("sim.err"))
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let deadline = Instant::now() + VVP_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the simulation") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{program} did not finish within {VVP_TIMEOUT:?} in {} (a combinational loop that never settles?)",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("read simulation output");
    assert!(status.success(), "{program} failed in {}:\n{}", dir.display(), read("sim.err"));
    let text = read("sim.out");
    let lines: Vec<Vec<Option<i64>>> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.contains("$finish") && !l.starts_with("VCD"))
        .map(|l| l.split_whitespace().map(|w| w.parse().ok()).collect())
        .collect();
    assert_eq!(lines.len(), rows, "{program} printed {} rows for {rows} vectors:\n{text}", lines.len());
    lines
}

/// A small deterministic generator (SplitMix64) for test vectors.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi);
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.next_u64() as u128 % span) as i128) as i64
    }

    /// A signed `bits`-bit code: uniform most of the time, otherwise an extreme (min, max,
    /// 0, +-1, min + 1) or a value with a random number of significant bits.
    pub fn code(&mut self, bits: u32) -> i64 {
        let (min, max) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
        match self.next_u64() % 8 {
            0 => [min, max, 0, 1, -1, min + 1][(self.next_u64() % 6) as usize],
            1 | 2 => {
                let m = self.range(1, bits as i64 - 1) as u32;
                self.range(-(1i64 << m), (1i64 << m) - 1).clamp(min, max)
            }
            _ => self.range(min, max),
        }
    }
}
