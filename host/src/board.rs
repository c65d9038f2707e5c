//! The host driver of the board link: [`Board`] sends requests over a serial port (a board's
//! USB UART, or `fptt emulate`'s pseudo-terminal) and waits for the matching reply;
//! [`BoardLearner`] puts a board behind the training loop's `Learner` interface, quantising
//! at the boundary as the golden model does, so that training on a board is training on the
//! golden model, bit for bit.

use anyhow::{anyhow, bail, Context, Result};
use fptt_hdl::forward::update_const_writes;
use fptt_hdl::messages::{array, Reply, Request, RunConfig, StepIn};
use fptt_hdl::protocol::{encode, Command, Decoder, ErrorCode};
use fptt_sim::fixed::update::{FixedParams, UpdateConsts};
use fptt_sim::fixed::Numerics;
use fptt_sim::fptt::FpttConfig;
use fptt_sim::learner::Learner;
use fptt_sim::loss::{step_loss, Target};
use fptt_sim::model::{Layout, Shape};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Longest wait for a reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Words per LOAD or READ frame (4 bytes each, within the largest body).
pub const CHUNK_WORDS: usize = 1000;
/// Attempts of a request whose reply came back damaged or refused as damaged.
pub const ATTEMPTS: usize = 3;

/// A board (or an emulator) on a serial port.
pub struct Board {
    port: Box<dyn serialport::SerialPort>,
    decoder: Decoder,
    seq: u8,
    path: String,
}

impl Board {
    /// Opens the serial port `path` at `baud`.
    pub fn open(path: &str, baud: u32) -> Result<Self> {
        let port = serialport::new(path, baud).timeout(Duration::from_millis(100)).open().with_context(|| {
            format!("open serial port {path} (is the board connected? `fptt ports` lists the ports)")
        })?;
        Ok(Self { port, decoder: Decoder::new(), seq: 0, path: path.to_string() })
    }

    /// Sends `req` and returns its reply; a reply lost or damaged on the line is asked for
    /// again, a refusal is an error that says why.
    pub fn call(&mut self, req: &Request) -> Result<Reply> {
        let command = req.command();
        let frame = req.frame(0);
        for _ in 0..ATTEMPTS {
            self.seq = self.seq.wrapping_add(1);
            let bytes = encode(&fptt_hdl::protocol::Frame { seq: self.seq, ..frame.clone() });
            self.port.write_all(&bytes).with_context(|| format!("write to {}", self.path))?;
            match self.wait(command)? {
                Some(Reply::Error(e, _)) if is_line_damage(e) => continue,
                Some(Reply::Error(e, _)) => bail!("the device refused {command:?}: {} ({e:?})", e.meaning()),
                Some(reply) => return Ok(reply),
                None => continue,
            }
        }
        bail!("{command:?} failed {ATTEMPTS} times on {}: the line is damaging frames", self.path)
    }

    /// The reply with the current seq, None if a damaged frame arrived instead.
    fn wait(&mut self, command: Command) -> Result<Option<Reply>> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        let mut buf = [0u8; 4096];
        loop {
            if Instant::now() > deadline {
                bail!(
                    "no reply from {} within {REPLY_TIMEOUT:?}: is the board powered and running the fptt bitstream?",
                    self.path
                );
            }
            let n = match self.port.read(&mut buf) {
                Ok(0) => bail!("{} closed: the board or emulator went away", self.path),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(e) => return Err(anyhow!(e).context(format!("read from {}: the board went away", self.path))),
            };
            for f in self.decoder.push(&buf[..n]) {
                match f {
                    Ok(f) if f.seq == self.seq => {
                        return Reply::parse(&f, command)
                            .map(Some)
                            .map_err(|e| anyhow!("malformed {command:?} reply: {}", e.meaning()));
                    }
                    // a stale reply (of an attempt given up on) or an error about a damaged frame
                    Ok(f) if f.seq == 0 => {
                        if let Ok(Reply::Error(e, _)) = Reply::parse(&f, command) {
                            if is_line_damage(e) {
                                return Ok(None);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return Ok(None),
                }
            }
        }
    }
}

/// Errors that mean the frame was damaged on the line (worth sending again).
fn is_line_damage(e: ErrorCode) -> bool {
    matches!(e, ErrorCode::Malformed | ErrorCode::Truncated | ErrorCode::BadCrc | ErrorCode::Overflow)
}

/// A board learning B streams in lockstep.
pub struct BoardLearner {
    board: Board,
    shape: Shape,
    batch: usize,
    n: Numerics,
    consts: UpdateConsts,
}

impl BoardLearner {
    /// Configures the board for `shape` and `batch` streams and loads `params` (as the golden
    /// model quantises them) under `cfg`.
    pub fn new(board: Board, shape: Shape, batch: usize, params: &[f64], cfg: FpttConfig) -> Result<Self> {
        let n = Numerics::DEFAULT;
        let consts = UpdateConsts::new(&n, &cfg, batch);
        let mut me = Self { board, shape, batch, n, consts };
        me.configure()?;
        let words = FixedParams::from_reals(&n, params);
        for (a, v) in [
            (array::W, &words.w),
            (array::W_BAR, &words.w_bar),
            (array::LAMBDA, &words.lambda),
            (array::M, &words.m),
            (array::U, &words.u),
        ] {
            for (k, chunk) in v.chunks(CHUNK_WORDS).enumerate() {
                let first = (k * CHUNK_WORDS) as u32;
                me.board.call(&Request::Load { array: a, first, words: chunk.to_vec() })?;
            }
        }
        Ok(me)
    }

    fn configure(&mut self) -> Result<()> {
        let mut consts = [0i32; fptt_hdl::forward::uconst::COUNT];
        for (i, v) in update_const_writes(&self.consts) {
            consts[i] = v as i32;
        }
        let (s, b) = (self.shape, self.batch);
        let cfg = RunConfig {
            inputs: s.inputs as u8,
            hidden: s.hidden as u8,
            outputs: s.outputs as u8,
            streams: b as u8,
            consts,
        };
        self.board.call(&Request::Config(cfg))?;
        Ok(())
    }

    /// Every word of parameter-state array `a` ([`array`]).
    pub fn read_array(&mut self, a: u8) -> Result<Vec<i32>> {
        let len = Layout::new(self.shape).len();
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let count = (len - out.len()).min(CHUNK_WORDS) as u16;
            match self.board.call(&Request::Read { array: a, first: out.len() as u32, count })? {
                Reply::Read(w) if w.len() == count as usize => out.extend(w),
                other => bail!("READ answered with {other:?}"),
            }
        }
        Ok(out)
    }

    fn expect(&mut self, req: Request) {
        if let Err(e) = self.board.call(&req) {
            panic!("board link: {e:#}");
        }
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
        self.expect(Request::ResetState);
    }

    fn step(&mut self, inputs: &[f64], targets: &[Target], weights: &[f64], learn: bool, outputs: &mut [f64]) -> f64 {
        let (n, c) = (self.n, self.shape.outputs);
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
        let step = StepIn {
            learn,
            classify,
            x: inputs.iter().map(|&v| n.input.quantize(v) as i32).collect(),
            target,
            weight: weights.iter().map(|&w| n.gain.quantize(w) as i32).collect(),
        };
        let o = match self.board.call(&Request::StepBatch { outputs: true, steps: vec![step] }) {
            Ok(Reply::StepBatch(o)) if o.len() == outputs.len() => o,
            Ok(other) => panic!("board link: STEP_BATCH answered with {other:?}"),
            Err(e) => panic!("board link: {e:#}"),
        };
        let mut loss = 0.0;
        let mut scratch = vec![];
        for (k, t) in targets.iter().enumerate() {
            for j in 0..c {
                outputs[k * c + j] = n.state.real(o[k * c + j] as i64);
            }
            if weights[k] != 0.0 {
                loss += step_loss(&outputs[k * c..(k + 1) * c], *t, weights[k], &mut scratch);
            }
        }
        loss / self.batch as f64
    }

    fn commit_average(&mut self) {
        self.expect(Request::CommitAverage);
    }

    fn params(&mut self) -> Vec<f64> {
        let w = self.read_array(array::W).unwrap_or_else(|e| panic!("board link: {e:#}"));
        w.iter().map(|&v| self.n.weight.real(v as i64)).collect()
    }

    fn set_lr(&mut self, lr: f64) {
        self.consts.lr = self.n.lr.quantize(lr);
        if let Err(e) = self.configure() {
            panic!("board link: {e:#}");
        }
    }
}
