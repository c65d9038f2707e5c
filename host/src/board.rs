//! The host driver of the board link: [`Board`] sends requests over a serial port (a board's
//! USB UART, or `fptt emulate`'s pseudo-terminal) with up to [`WINDOW`] frames in flight, and
//! takes their replies in order; a frame or reply damaged on the line is sent again (the
//! device's sequence rules make that safe: nothing runs twice or out of order).
//! [`BoardLearner`] puts a board behind the training loop's `Learner` interface, quantising
//! at the boundary as the golden model does, so that training on a board is training on the
//! golden model, bit for bit.

use anyhow::{anyhow, bail, Context, Result};
use fptt_hdl::forward::{update_const_writes, Banking};
use fptt_hdl::messages::{array, DeviceInfo, Reply, Request, RunConfig, StepIn, STEP_BATCH_HEAD};
use fptt_hdl::protocol::{encode, next_seq, Command, Decoder, ErrorCode, Frame, MAX_BODY, WINDOW};
use fptt_sim::fixed::update::{FixedParams, UpdateConsts};
use fptt_sim::fixed::Numerics;
use fptt_sim::fptt::FpttConfig;
use fptt_sim::learner::{Learner, Steps};
use fptt_sim::loss::{step_loss, Target};
use fptt_sim::model::{Layout, Shape};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Longest silence while a reply is due.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Words per LOAD or READ frame (4 bytes each, within the largest body).
pub const CHUNK_WORDS: usize = 1000;
/// Times the frames in flight are sent again after damage before giving up.
pub const ATTEMPTS: usize = 5;
/// Silence that ends the draining of the line after damage.
const QUIET: Duration = Duration::from_millis(50);
/// Silence after which the frames in flight are sent again (a lost delimiter leaves a frame
/// or reply waiting for the next one).
const NUDGE: Duration = Duration::from_millis(500);

/// A frame sent and not yet answered.
struct Sent {
    seq: u8,
    command: Command,
    bytes: Vec<u8>,
}

/// Bytes moved and frames sent again, for the link benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Bytes written, delimiters included.
    pub bytes_out: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Frames sent again after damage.
    pub resent: u64,
}

/// A board (or an emulator) on a serial port.
pub struct Board {
    port: Box<dyn serialport::SerialPort>,
    decoder: Decoder,
    /// Decoded frames not yet taken.
    pending: VecDeque<Result<Frame, ErrorCode>>,
    in_flight: VecDeque<Sent>,
    seq: u8,
    path: String,
    timeout: Duration,
    /// When the last byte arrived (or the last reply was taken).
    silent_since: Instant,
    info: DeviceInfo,
    stats: LinkStats,
}

impl Board {
    /// Opens the serial port `path` at `baud` and asks the device for its INFO (which also
    /// starts the sequence count).
    pub fn open(path: &str, baud: u32) -> Result<Self> {
        Self::open_with_timeout(path, baud, REPLY_TIMEOUT)
    }

    /// [`Board::open`] with another reply timeout.
    pub fn open_with_timeout(path: &str, baud: u32, timeout: Duration) -> Result<Self> {
        let port = serialport::new(path, baud).timeout(Duration::from_millis(20)).open().with_context(|| {
            format!("open serial port {path} (is the board connected? `fptt ports` lists the ports)")
        })?;
        let mut board = Self {
            port,
            decoder: Decoder::new(),
            pending: VecDeque::new(),
            in_flight: VecDeque::new(),
            seq: 0,
            path: path.to_string(),
            timeout,
            silent_since: Instant::now(),
            info: placeholder_info(),
            stats: LinkStats::default(),
        };
        match board.call(&Request::Info)? {
            Reply::Info(info) => board.info = info,
            other => bail!("INFO answered with {other:?}"),
        }
        Ok(board)
    }

    /// The device's description (INFO).
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The port's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Bytes moved so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// Frames sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Sends `req` and returns its reply; no other frame may be in flight (streaming uses
    /// [`Board::send`] and [`Board::receive`]).
    pub fn call(&mut self, req: &Request) -> Result<Reply> {
        assert!(self.in_flight.is_empty(), "call with frames in flight: receive their replies first");
        self.send(req)?;
        self.receive()
    }

    /// Sends `req` without waiting for its reply; at most [`WINDOW`] frames may be in flight.
    pub fn send(&mut self, req: &Request) -> Result<()> {
        assert!(self.in_flight.len() < WINDOW, "at most {WINDOW} frames in flight");
        self.seq = next_seq(self.seq);
        let bytes = encode(&req.frame(self.seq));
        self.write(&bytes)?;
        if self.in_flight.is_empty() {
            self.silent_since = Instant::now();
        }
        self.in_flight.push_back(Sent { seq: self.seq, command: req.command(), bytes });
        Ok(())
    }

    /// The reply to the oldest frame in flight. Damage on the line in either direction sends
    /// the frames in flight again; a refusal is an error that says why.
    pub fn receive(&mut self) -> Result<Reply> {
        let mut attempts = 0;
        loop {
            let (seq, command) = match self.in_flight.front() {
                Some(s) => (s.seq, s.command),
                None => bail!("no frame in flight"),
            };
            let damaged = match self.next_frame()? {
                None => {
                    // silence: a frame or reply lost its delimiter (or the device is slow)
                    self.resend()?;
                    continue;
                }
                Some(Ok(f)) if f.seq == seq => match Reply::parse(&f, command) {
                    Ok(Reply::Error(e, _)) if is_line_damage(e) => true,
                    Ok(Reply::Error(e, _)) => {
                        bail!("the device refused {command:?}: {} ({e:?})", e.meaning())
                    }
                    Ok(reply) => {
                        self.in_flight.pop_front();
                        self.silent_since = Instant::now();
                        return Ok(reply);
                    }
                    Err(_) => true,
                },
                // an error about a frame damaged on its way to the device (seq unknown)
                Some(Ok(f)) if f.seq == 0 => true,
                // a stale reply, from before frames were sent again
                Some(Ok(_)) => false,
                Some(Err(_)) => true,
            };
            if damaged {
                attempts += 1;
                if attempts > ATTEMPTS {
                    bail!("{command:?} failed {ATTEMPTS} times on {}: the line is damaging frames", self.path);
                }
                self.resend()?;
            }
        }
    }

    /// Lets the line fall quiet (dropping what arrives; bytes still count as signs of life),
    /// then sends every frame in flight again, in order, with its seq.
    fn resend(&mut self) -> Result<()> {
        let deadline = Instant::now() + self.timeout;
        let mut last = Instant::now();
        let mut buf = [0u8; 4096];
        while last.elapsed() < QUIET && Instant::now() < deadline {
            if self.read_some(&mut buf)? > 0 {
                last = Instant::now();
                self.silent_since = last;
            }
        }
        self.pending.clear();
        self.decoder = Decoder::new();
        // a delimiter first ends whatever damaged frame the device may be holding
        self.write(&[fptt_hdl::protocol::DELIMITER])?;
        let frames: Vec<Vec<u8>> = self.in_flight.iter().map(|s| s.bytes.clone()).collect();
        self.stats.resent += frames.len() as u64;
        for bytes in frames {
            self.write(&bytes)?;
        }
        Ok(())
    }

    /// The next frame off the line (or why it was unreadable); None after [`NUDGE`] of silence.
    /// No byte for the timeout is an error.
    fn next_frame(&mut self) -> Result<Option<Result<Frame, ErrorCode>>> {
        let waiting = Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(f) = self.pending.pop_front() {
                return Ok(Some(f));
            }
            if self.silent_since.elapsed() > self.timeout {
                bail!(
                    "no reply from {} within {:?}: is the board powered and running the fptt bitstream?",
                    self.path,
                    self.timeout
                );
            }
            if waiting.elapsed() > NUDGE {
                return Ok(None);
            }
            let n = self.read_some(&mut buf)?;
            if n > 0 {
                self.silent_since = Instant::now();
                let frames = self.decoder.push(&buf[..n]);
                self.pending.extend(frames);
            }
        }
    }

    /// Bytes available now (0 after the port's short read timeout).
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        match self.port.read(buf) {
            Ok(0) => bail!("{} closed: the board or emulator went away", self.path),
            Ok(n) => {
                self.stats.bytes_in += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(0),
            Err(e) => Err(anyhow!(e).context(format!("read from {}: the board or emulator went away", self.path))),
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.port
            .write_all(bytes)
            .with_context(|| format!("write to {}: the board or emulator went away", self.path))?;
        self.stats.bytes_out += bytes.len() as u64;
        Ok(())
    }
}

/// The description before INFO answered.
fn placeholder_info() -> DeviceInfo {
    DeviceInfo {
        version: 0,
        max_inputs: 0,
        max_hidden: 0,
        max_outputs: 0,
        lanes: 0,
        max_streams: 0,
        clock_hz: 0,
        formats: [fptt_hdl::messages::FormatInfo { bits: 0, frac: 0 }; 7],
        bank_words: 0,
        vector_words: 0,
    }
}

/// Errors that mean a frame was damaged on the line or lost (worth sending again).
fn is_line_damage(e: ErrorCode) -> bool {
    matches!(
        e,
        ErrorCode::Malformed | ErrorCode::Truncated | ErrorCode::BadCrc | ErrorCode::Overflow | ErrorCode::OutOfOrder
    )
}

/// Every parameter-state array, in [`array`](mod@array) order, with its name in files.
pub const ARRAYS: [(u8, &str); 5] =
    [(array::W, "w"), (array::W_BAR, "w_bar"), (array::LAMBDA, "lambda"), (array::M, "m"), (array::U, "u")];

/// The words of `a` in `p`.
pub fn array_of(p: &FixedParams, a: u8) -> &Vec<i32> {
    [&p.w, &p.w_bar, &p.lambda, &p.m, &p.u][a as usize]
}

/// The parameter state from its five arrays in [`ARRAYS`] order (the multiplier operands
/// derived from W).
pub fn from_arrays(arrays: Vec<Vec<i32>>) -> FixedParams {
    let [w, w_bar, lambda, m, u]: [Vec<i32>; 5] = arrays.try_into().expect("five arrays");
    let mut p = FixedParams { operand: vec![0; w.len()], w, w_bar, lambda, m, u };
    p.refresh_operands(&Numerics::DEFAULT);
    p
}

/// Why a `shape` network with `batch` streams does not fit the device `info` describes.
pub fn check_fits(info: &DeviceInfo, shape: Shape, batch: usize) -> Result<()> {
    let dims = [shape.inputs, shape.hidden, shape.outputs];
    let max = [info.max_inputs, info.max_hidden, info.max_outputs].map(usize::from);
    anyhow::ensure!(
        dims.iter().zip(max).all(|(&d, m)| d <= m),
        "the network (I, H, C) = {dims:?} is larger than the device's largest {max:?}"
    );
    anyhow::ensure!(
        (1..=info.max_streams as usize).contains(&batch),
        "{batch} streams: the device runs 1 to {} (--batch)",
        info.max_streams
    );
    let lanes = info.lanes as usize;
    anyhow::ensure!(lanes >= 1, "the device reports no weight lanes: not a protocol-{} device", info.version);
    let bank = Banking::new(shape, lanes);
    anyhow::ensure!(
        bank.weight_words() <= info.bank_words as usize,
        "the network needs {} weight words per lane on the device's {lanes} lanes, more than its {} \
         (a smaller --hidden)",
        bank.weight_words(),
        info.bank_words
    );
    let rows = bank.rows_per_lane();
    anyhow::ensure!(
        rows * batch <= info.vector_words as usize,
        "{batch} streams of {rows} vector rows per lane need {} vector words per lane, more than the \
         device's {} (fewer streams: --batch)",
        rows * batch,
        info.vector_words
    );
    Ok(())
}

/// One LOAD or READ of a `shape` network's words: a lane, its first bank address, and the
/// golden flat indices of the words at that address and the ones after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankRun {
    /// The lane.
    pub lane: u8,
    /// The first bank address.
    pub first: u16,
    /// The flat index of each word, address by address.
    pub indices: Vec<usize>,
}

/// The LOADs or READs that cover every parameter word of `shape` on `lanes` lanes
/// ([`Banking::weight`]): runs of contiguous bank addresses within one lane, at most
/// [`CHUNK_WORDS`] words each, in lane then address order.
pub fn bank_runs(shape: Shape, lanes: usize) -> Vec<BankRun> {
    let bank = Banking::new(shape, lanes);
    let mut per_lane: Vec<Vec<(usize, usize)>> = vec![vec![]; lanes];
    for k in 0..Layout::new(shape).len() {
        let (lane, addr) = bank.weight(k);
        per_lane[lane].push((addr, k));
    }
    let mut runs: Vec<BankRun> = vec![];
    for (lane, mut words) in per_lane.into_iter().enumerate() {
        words.sort_unstable();
        let mut last: Option<usize> = None;
        for (addr, k) in words {
            match runs.last_mut() {
                Some(r) if last == Some(addr.wrapping_sub(1)) && r.indices.len() < CHUNK_WORDS => r.indices.push(k),
                _ => runs.push(BankRun { lane: lane as u8, first: addr as u16, indices: vec![k] }),
            }
            last = Some(addr);
        }
    }
    runs
}

/// Writes every parameter-state array of a `shape` network (golden flat order) to the banks
/// of the device's lanes.
pub fn load_words(board: &mut Board, shape: Shape, words: &FixedParams) -> Result<()> {
    let len = Layout::new(shape).len();
    anyhow::ensure!(words.w.len() == len, "{} parameter words for a network of {len}", words.w.len());
    let runs = bank_runs(shape, lanes_of(board)?);
    for (a, _) in ARRAYS {
        let arr = array_of(words, a);
        for r in &runs {
            let chunk = r.indices.iter().map(|&k| arr[k]).collect();
            match board.call(&Request::Load { array: a, lane: r.lane, first: r.first, words: chunk })? {
                Reply::Load(n) if n as usize == r.indices.len() => {}
                other => bail!("LOAD answered with {other:?}"),
            }
        }
    }
    Ok(())
}

/// The device's lanes (INFO), at least one.
fn lanes_of(board: &Board) -> Result<usize> {
    let lanes = board.info().lanes as usize;
    anyhow::ensure!(lanes >= 1, "the device reports no weight lanes");
    Ok(lanes)
}

/// Every word of parameter-state array `a` ([`array`](mod@array)) of a `shape` network, in
/// golden flat order, gathered from the banks of the device's lanes.
pub fn read_array(board: &mut Board, shape: Shape, a: u8) -> Result<Vec<i32>> {
    let mut out = vec![0; Layout::new(shape).len()];
    for r in bank_runs(shape, lanes_of(board)?) {
        let count = r.indices.len() as u16;
        match board.call(&Request::Read { array: a, lane: r.lane, first: r.first, count })? {
            Reply::Read(w) if w.len() == count as usize => {
                for (&k, v) in r.indices.iter().zip(w) {
                    out[k] = v;
                }
            }
            other => bail!("READ answered with {other:?}"),
        }
    }
    Ok(out)
}

/// Every parameter-state array of a `shape` network, read back.
pub fn read_words(board: &mut Board, shape: Shape) -> Result<FixedParams> {
    let mut arrays = vec![];
    for (a, _) in ARRAYS {
        arrays.push(read_array(board, shape, a)?);
    }
    Ok(from_arrays(arrays))
}

/// A board learning B streams in lockstep.
pub struct BoardLearner {
    board: Board,
    shape: Shape,
    batch: usize,
    n: Numerics,
    consts: UpdateConsts,
    /// The learning-rate code the device runs with.
    device_lr: i64,
    /// The first link failure: from then on nothing is sent ([`Learner::fault`]).
    fault: Option<String>,
}

impl BoardLearner {
    /// Configures the board for `shape` and `batch` streams and loads `params` (as the golden
    /// model quantises them) under `cfg`.
    pub fn new(board: Board, shape: Shape, batch: usize, params: &[f64], cfg: FpttConfig) -> Result<Self> {
        let n = Numerics::DEFAULT;
        let words = FixedParams::from_reals(&n, params);
        Self::with_words(board, shape, batch, &words, cfg)
    }

    /// [`BoardLearner::new`] from parameter-state words (every array).
    pub fn with_words(board: Board, shape: Shape, batch: usize, words: &FixedParams, cfg: FpttConfig) -> Result<Self> {
        let mut me = Self::attach(board, shape, batch, cfg)?;
        me.load(words)?;
        Ok(me)
    }

    /// A learner on the parameters the board holds: CONFIG for `shape` and `batch` streams
    /// (fresh stream state; the parameter words stay in the lanes' banks, read through the
    /// banking of `shape`: the same shape keeps its parameters, another one reinterprets the
    /// words, so load it after). Refused when the network does not fit the device.
    pub fn attach(board: Board, shape: Shape, batch: usize, cfg: FpttConfig) -> Result<Self> {
        let n = Numerics::DEFAULT;
        let consts = UpdateConsts::new(&n, &cfg, batch);
        check_fits(board.info(), shape, batch)?;
        let mut me = Self { board, shape, batch, n, consts, device_lr: consts.lr, fault: None };
        let step = StepIn::body_bytes(shape.inputs, shape.outputs, batch, true);
        anyhow::ensure!(
            STEP_BATCH_HEAD + step <= MAX_BODY && batch * shape.outputs * 4 <= MAX_BODY,
            "one time step of {batch} streams of (I, C) = ({}, {}) needs {step} bytes, more than a frame's \
             {MAX_BODY}: use fewer streams (--batch)",
            shape.inputs,
            shape.outputs
        );
        me.configure()?;
        Ok(me)
    }

    /// The board behind the learner.
    pub fn board(&mut self) -> &mut Board {
        &mut self.board
    }

    fn configure(&mut self) -> Result<()> {
        let mut consts = [0i32; fptt_hdl::forward::uconst::COUNT];
        for (i, v) in update_const_writes(&self.consts) {
            consts[i] = v as i32;
        }
        let cfg = RunConfig::new(self.shape, self.batch, consts, lanes_of(&self.board)?);
        self.board.call(&Request::Config(cfg))?;
        self.device_lr = self.consts.lr;
        Ok(())
    }

    /// Writes every parameter-state array.
    pub fn load(&mut self, words: &FixedParams) -> Result<()> {
        load_words(&mut self.board, self.shape, words)
    }

    /// Every parameter-state array, read back.
    pub fn read_words(&mut self) -> Result<FixedParams> {
        read_words(&mut self.board, self.shape)
    }

    /// Runs `f` unless the link has failed; records its failure.
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Option<T> {
        if self.fault.is_some() {
            return None;
        }
        match f(self) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fault = Some(format!("board link: {e:#}"));
                None
            }
        }
    }

    /// STEP_BATCH frames for `steps`, each as many steps as fit a body (and its reply).
    fn frames(&mut self, steps: &Steps) -> Vec<(Request, usize)> {
        let (n, b, c) = (self.n, self.batch, self.shape.outputs);
        let len = steps.len(b);
        let worst = StepIn::body_bytes(self.shape.inputs, c, b, true);
        let per_frame = ((MAX_BODY - STEP_BATCH_HEAD) / worst).min(MAX_BODY / (b * c * 4)).max(1);
        let mut frames = vec![];
        let mut batch = vec![];
        for t in 0..len {
            if let Some(lr) = steps.lrs.get(t).copied().flatten() {
                self.consts.lr = n.lr.quantize(lr);
            }
            // a new learning rate (from the schedule or set_lr) travels with its step
            let lr = Some(self.consts.lr).filter(|&code| code != self.device_lr);
            if let Some(code) = lr {
                self.device_lr = code;
            }
            batch.push(step_in(
                &n,
                c,
                &steps.inputs[t * b * self.shape.inputs..(t + 1) * b * self.shape.inputs],
                &steps.targets[t * b..(t + 1) * b],
                &steps.weights[t * b..(t + 1) * b],
                steps.learn,
                lr,
            ));
            if batch.len() == per_frame || t + 1 == len {
                let k = batch.len();
                frames.push((Request::StepBatch { outputs: true, steps: std::mem::take(&mut batch) }, k));
            }
        }
        frames
    }

    /// Streams `frames` with up to [`WINDOW`] in flight; the readouts in order.
    fn stream(&mut self, frames: Vec<(Request, usize)>) -> Result<Vec<i32>> {
        let per_step = self.batch * self.shape.outputs;
        let mut out = Vec::new();
        let mut sizes = VecDeque::new();
        for (req, k) in frames {
            if self.board.in_flight() == WINDOW {
                take_outputs(&mut self.board, &mut sizes, per_step, &mut out)?;
            }
            self.board.send(&req)?;
            sizes.push_back(k);
        }
        while !sizes.is_empty() {
            take_outputs(&mut self.board, &mut sizes, per_step, &mut out)?;
        }
        Ok(out)
    }
}

/// Takes the reply to the oldest STEP_BATCH in flight (`sizes` holds each one's steps).
fn take_outputs(board: &mut Board, sizes: &mut VecDeque<usize>, per_step: usize, out: &mut Vec<i32>) -> Result<()> {
    let k = sizes.pop_front().expect("a frame in flight");
    match board.receive()? {
        Reply::StepBatch(o) if o.len() == k * per_step => out.extend(o),
        other => bail!("STEP_BATCH of {k} steps answered with {other:?}"),
    }
    Ok(())
}

/// One time step in the link's codes.
fn step_in(
    n: &Numerics,
    c: usize,
    inputs: &[f64],
    targets: &[Target],
    weights: &[f64],
    learn: bool,
    lr: Option<i64>,
) -> StepIn {
    let classify = matches!(targets.first(), Some(Target::Class(_)));
    let target: Vec<i32> = targets
        .iter()
        .flat_map(|t| match *t {
            Target::Value(v) => v.iter().map(|&y| n.state.quantize(y) as i32).collect::<Vec<_>>(),
            Target::Class(k) => {
                let mut w = vec![0; c];
                w[0] = k as i32;
                w
            }
        })
        .collect();
    StepIn {
        learn,
        classify,
        x: inputs.iter().map(|&v| n.input.quantize(v) as i32).collect(),
        target,
        weight: weights.iter().map(|&w| n.gain.quantize(w) as i32).collect(),
        lr: lr.map(|v| v as i32),
    }
}

impl Learner for BoardLearner {
    fn shape(&self) -> Shape {
        self.shape
    }

    fn batch(&self) -> usize {
        self.batch
    }

    fn reset_state(&mut self) {
        self.guard(|me| me.board.call(&Request::ResetState));
    }

    fn step(&mut self, inputs: &[f64], targets: &[Target], weights: &[f64], learn: bool, outputs: &mut [f64]) -> f64 {
        let lrs = [None];
        let steps = Steps { inputs, targets, weights, lrs: &lrs, learn };
        self.run_steps(&steps, outputs)
    }

    fn run_steps(&mut self, steps: &Steps, outputs: &mut [f64]) -> f64 {
        let (n, b, c) = (self.n, self.batch, self.shape.outputs);
        let frames = self.frames(steps);
        let Some(o) = self.guard(|me| me.stream(frames)) else {
            outputs.fill(0.0);
            return 0.0;
        };
        let mut loss = 0.0;
        let mut scratch = vec![];
        for (i, (t, &w)) in steps.targets.iter().zip(steps.weights).enumerate() {
            for j in 0..c {
                outputs[i * c + j] = n.state.real(o[i * c + j] as i64);
            }
            if w != 0.0 {
                loss += step_loss(&outputs[i * c..(i + 1) * c], *t, w, &mut scratch);
            }
        }
        loss / b as f64
    }

    fn commit_average(&mut self) {
        self.guard(|me| me.board.call(&Request::CommitAverage));
    }

    fn params(&mut self) -> Vec<f64> {
        let n = self.n;
        match self.guard(|me| read_array(&mut me.board, me.shape, array::W)) {
            Some(w) => w.iter().map(|&v| n.weight.real(v as i64)).collect(),
            None => vec![0.0; Layout::new(self.shape).len()],
        }
    }

    fn set_lr(&mut self, lr: f64) {
        self.consts.lr = self.n.lr.quantize(lr);
    }

    fn param_words(&mut self) -> Option<FixedParams> {
        self.guard(|me| me.read_words())
    }

    fn fault(&self) -> Option<String> {
        self.fault.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_runs_cover_every_word_once_at_its_banking_place() {
        for (dims, lanes) in [((2, 8, 1), 16), ((2, 5, 3), 3), ((64, 64, 64), 16), ((7, 33, 5), 1)] {
            let shape = Shape::new(dims.0, dims.1, dims.2).unwrap();
            let bank = Banking::new(shape, lanes);
            let runs = bank_runs(shape, lanes);
            let mut seen = vec![false; Layout::new(shape).len()];
            for r in &runs {
                assert!(!r.indices.is_empty() && r.indices.len() <= CHUNK_WORDS);
                for (j, &k) in r.indices.iter().enumerate() {
                    assert_eq!(bank.weight(k), (r.lane as usize, r.first as usize + j), "{dims:?} on {lanes}");
                    assert!(!std::mem::replace(&mut seen[k], true), "word {k} twice");
                }
            }
            assert!(seen.iter().all(|&s| s), "every word");
        }
    }
}
