//! The board link's command bodies ([`crate::protocol::BODIES`] in types): one encoder and one
//! decoder of every request and reply, shared by the device side (the emulator's engine, the
//! UART front end to come) and the host driver. Little-endian; words are `i32` codes of the
//! formats in NUMERICS.md. A body that does not parse is refused with
//! [`ErrorCode::BadLength`] or [`ErrorCode::OutOfRange`]: nothing it carried is used.

use crate::forward::{cfg, config_writes, phase, uconst, Banking};
use crate::protocol::{Command, ErrorCode, Frame, ERROR_REPLY, MAX_BODY, REPLY_BIT};
use fptt_sim::model::{Readout, Shape};

/// The parameter-state arrays of LOAD and READ.
pub mod array {
    /// W (weight format).
    pub const W: u8 = 0;
    /// W-bar.
    pub const W_BAR: u8 = 1;
    /// lambda.
    pub const LAMBDA: u8 = 2;
    /// Adamax m.
    pub const M: u8 = 3;
    /// Adamax u.
    pub const U: u8 = 4;
    /// Number of arrays.
    pub const COUNT: u8 = 5;
}

/// The widths (two's complement bits) every code of a request must fit: the one place the
/// device's value checks (the golden device, the hardware command engine) take them from.
pub mod code_bits {
    use fptt_sim::fixed::Numerics;

    const N: Numerics = Numerics::DEFAULT;
    /// An x code (input format; the lanes' x banks).
    pub const INPUT: u32 = N.input.bits;
    /// A regression target code (state format; the y banks).
    pub const TARGET: u32 = N.state.bits;
    /// A step weight (gain format; the unit's step-weight RAM).
    pub const STEP_WEIGHT: u32 = N.gain.bits;
    /// A learning-rate code (lr format; the lr register).
    pub const LR: u32 = N.lr.bits;
    /// An update constant (the unit's `Signed<18>` constant registers).
    pub const CONST: u32 = 18;
    /// A configuration-table word (the unit's `Signed<27>` host data port).
    pub const TABLE: u32 = 27;
    /// The words of each parameter array, in [`array`](mod@super::array) order: W and W-bar
    /// (`Signed<27>` banks), lambda, m, u (`Signed<18>` banks).
    pub const ARRAY: [u32; 5] = [N.weight.bits, N.weight_avg.bits, N.lambda.bits, N.grad.bits, N.grad.bits];

    // the unit's widths (hdl/src/lane.rs's banks, hdl/src/forward.rs's registers and ports)
    const _: () = assert!(INPUT == 18 && TARGET == 18 && STEP_WEIGHT == 18 && LR == 18, "the unit's 18-bit RAMs");
    const _: () = assert!(ARRAY[0] == 27 && ARRAY[1] == 27, "the W and W-bar banks are Signed<27>");
    const _: () = assert!(ARRAY[2] == 18 && ARRAY[3] == 18 && ARRAY[4] == 18, "the lambda, m, u banks are Signed<18>");
    const _: () = assert!(N.coef.bits <= CONST && N.gain.bits <= CONST && N.lr.bits <= CONST, "constants fit");
    const _: () = assert!(ARRAY[0] <= TABLE && CONST <= TABLE, "the host data port carries every word");
}

/// Whether `code` fits `bits` bits two's complement.
pub fn fits(code: i32, bits: u32) -> bool {
    if bits >= 32 {
        return true;
    }
    if bits == 0 {
        return false;
    }
    let half = 1i64 << (bits - 1);
    (-half..half).contains(&(code as i64))
}

/// Words of CONFIG's configuration table: [`cfg::FIELDS`] x [`phase::ENTRIES`], field-major.
pub const TABLE_WORDS: usize = cfg::FIELDS * phase::ENTRIES;
/// Bytes of CONFIG's body: I, H, C, B, the constants, R, the readout, the table.
pub const CONFIG_BODY: usize = 4 + 4 * uconst::COUNT + 2 + 4 * TABLE_WORDS;

/// The readout's code in CONFIG and STATUS: 0 spikes, 1 membrane.
pub fn readout_code(r: Readout) -> u8 {
    match r {
        Readout::Spikes => 0,
        Readout::Membrane => 1,
    }
}

/// The readout of a CONFIG or STATUS code (None: not a readout).
pub fn readout_of(code: u8) -> Option<Readout> {
    [Readout::Spikes, Readout::Membrane].into_iter().find(|&r| readout_code(r) == code)
}
/// Bytes of READ's body.
pub const READ_BODY: usize = 6;
/// Bytes of LOAD's body before its words.
pub const LOAD_HEAD: usize = 4;

/// A format as INFO reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatInfo {
    /// Total bits.
    pub bits: u8,
    /// Fraction bits.
    pub frac: u8,
}

/// INFO's reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Protocol version.
    pub version: u8,
    /// Largest I, H, C.
    pub max_inputs: u8,
    /// Largest H.
    pub max_hidden: u8,
    /// Largest C.
    pub max_outputs: u8,
    /// Weight lanes.
    pub lanes: u8,
    /// Largest B.
    pub max_streams: u8,
    /// Clock in Hz (0: an emulator without a clock).
    pub clock_hz: u32,
    /// Formats of input, state, gate, weight, weight_avg, lambda, grad.
    pub formats: [FormatInfo; 7],
    /// Words of each lane's weight (parameter) banks: the bank addresses of LOAD and READ.
    pub bank_words: u16,
    /// Words of each lane's vector banks (R x B at most).
    pub vector_words: u16,
}

/// CONFIG's body: the run-time network, batch, update constants and the unit's configuration
/// (computed by the host: [`RunConfig::new`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunConfig {
    /// Inputs I.
    pub inputs: u8,
    /// Hidden H.
    pub hidden: u8,
    /// Outputs C.
    pub outputs: u8,
    /// Streams B.
    pub streams: u8,
    /// The update constants' register codes, in [`crate::forward::uconst`] order (the unit's
    /// registers: [`crate::forward::update_const_writes`], [`crate::forward::update_consts_of`]).
    pub consts: [i32; uconst::COUNT],
    /// R: vector-bank rows per lane ([`Banking::rows_per_lane`]).
    pub rows: u8,
    /// What the readout reads ([`readout_code`]); the table's sources say the same to the unit.
    pub readout: u8,
    /// The unit's configuration table, [`TABLE_WORDS`] words: word k is
    /// `config_writes(shape, lanes)[k].1` (field k / 32 of phase k % 32).
    pub table: Vec<i32>,
}

impl RunConfig {
    /// The CONFIG of `shape` with `streams` streams and update constants `consts` for a unit of
    /// `lanes` lanes: R and the table computed from the shape. The dimensions must fit a byte.
    pub fn new(shape: Shape, streams: usize, consts: [i32; uconst::COUNT], lanes: usize) -> Self {
        let dim = |d: usize| u8::try_from(d).expect("a dimension of at most 255");
        Self {
            inputs: dim(shape.inputs),
            hidden: dim(shape.hidden),
            outputs: dim(shape.outputs),
            streams: dim(streams),
            consts,
            rows: dim(Banking::new(shape, lanes).rows_per_lane()),
            readout: readout_code(shape.readout),
            table: config_table_words(shape, lanes),
        }
    }
}

/// CONFIG's table words for `shape` on `lanes` lanes ([`config_writes`]'s values, in order).
pub fn config_table_words(shape: Shape, lanes: usize) -> Vec<i32> {
    let t: Vec<i32> = config_writes(shape, lanes)
        .into_iter()
        .map(|(_, v)| i32::try_from(v).expect("a table word fits an i32"))
        .collect();
    debug_assert_eq!(t.len(), TABLE_WORDS);
    t
}

/// One time step of STEP_BATCH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepIn {
    /// Learn at this step.
    pub learn: bool,
    /// The targets are classes (target word 0 of each stream), not values.
    pub classify: bool,
    /// x codes, B x I.
    pub x: Vec<i32>,
    /// Target codes, B x C (state format), or B classes in word 0 of each stream's C.
    pub target: Vec<i32>,
    /// Step weights (gain format), B.
    pub weight: Vec<i32>,
    /// A new learning rate (lr format code) from this step on.
    pub lr: Option<i32>,
}

impl StepIn {
    /// Bytes of one step in a STEP_BATCH body for (I, C, B), with or without a new lr.
    pub fn body_bytes(inputs: usize, outputs: usize, streams: usize, lr: bool) -> usize {
        1 + if lr { 4 } else { 0 } + streams * (inputs + outputs + 1) * 4
    }
}

/// Bytes of a STEP_BATCH body before its steps: steps u16, outputs wanted u8.
pub const STEP_BATCH_HEAD: usize = 3;

/// STATUS's reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StatusInfo {
    /// Frames accepted.
    pub frames_ok: u32,
    /// Frames refused.
    pub frames_refused: u32,
    /// The last error code (0: none).
    pub last_error: u8,
    /// Time steps run.
    pub steps: u32,
    /// The configuration: I, H, C, B (zeros before the first CONFIG).
    pub config: [u8; 4],
    /// The configured readout ([`readout_code`]; 0 before the first CONFIG).
    pub readout: u8,
}

/// A request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// INFO.
    Info,
    /// LOAD: words of `array`'s bank of lane `lane` from bank address `first` on.
    Load {
        /// Which array ([`array`](mod@array)).
        array: u8,
        /// Which lane's bank.
        lane: u8,
        /// First bank address.
        first: u16,
        /// The codes.
        words: Vec<i32>,
    },
    /// READ: `count` words of `array`'s bank of lane `lane` from bank address `first` on.
    Read {
        /// Which array.
        array: u8,
        /// Which lane's bank.
        lane: u8,
        /// First bank address.
        first: u16,
        /// How many.
        count: u16,
    },
    /// RESET_STATE.
    ResetState,
    /// CONFIG.
    Config(RunConfig),
    /// STEP_BATCH.
    StepBatch {
        /// Reply with every step's readouts.
        outputs: bool,
        /// The steps.
        steps: Vec<StepIn>,
    },
    /// COMMIT_AVERAGE.
    CommitAverage,
    /// STATUS.
    Status,
}

/// A reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// INFO's.
    Info(DeviceInfo),
    /// LOAD's: words written.
    Load(u16),
    /// READ's words.
    Read(Vec<i32>),
    /// RESET_STATE done.
    ResetState,
    /// CONFIG done.
    Config,
    /// STEP_BATCH's readouts (steps x B x C, empty unless asked).
    StepBatch(Vec<i32>),
    /// COMMIT_AVERAGE done.
    CommitAverage,
    /// STATUS.
    Status(StatusInfo),
    /// A refused request: why, and its seq.
    Error(ErrorCode, u8),
}

/// Little-endian reader of a body.
struct Body<'a>(&'a [u8]);

impl Body<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], ErrorCode> {
        if self.0.len() < N {
            return Err(ErrorCode::BadLength);
        }
        let (a, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(a.try_into().expect("N bytes"))
    }
    fn u8(&mut self) -> Result<u8, ErrorCode> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, ErrorCode> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, ErrorCode> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn i32(&mut self) -> Result<i32, ErrorCode> {
        Ok(i32::from_le_bytes(self.take()?))
    }
    fn words(&mut self, n: usize) -> Result<Vec<i32>, ErrorCode> {
        (0..n).map(|_| self.i32()).collect()
    }
    fn end(self) -> Result<(), ErrorCode> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ErrorCode::BadLength)
        }
    }
}

fn put_words(out: &mut Vec<u8>, words: &[i32]) {
    out.extend(words.iter().flat_map(|w| w.to_le_bytes()));
}

/// Step flags of STEP_BATCH.
const LEARN: u8 = 1;
const CLASSIFY: u8 = 2;
const NEW_LR: u8 = 4;

impl Request {
    /// The command.
    pub fn command(&self) -> Command {
        match self {
            Request::Info => Command::Info,
            Request::Load { .. } => Command::Load,
            Request::Read { .. } => Command::Read,
            Request::ResetState => Command::ResetState,
            Request::Config(_) => Command::Config,
            Request::StepBatch { .. } => Command::StepBatch,
            Request::CommitAverage => Command::CommitAverage,
            Request::Status => Command::Status,
        }
    }

    /// The body bytes.
    pub fn body(&self) -> Vec<u8> {
        let mut b = vec![];
        match self {
            Request::Load { array, lane, first, words } => {
                b.extend([*array, *lane]);
                b.extend(first.to_le_bytes());
                put_words(&mut b, words);
            }
            Request::Read { array, lane, first, count } => {
                b.extend([*array, *lane]);
                b.extend(first.to_le_bytes());
                b.extend(count.to_le_bytes());
            }
            Request::Config(c) => {
                b.extend([c.inputs, c.hidden, c.outputs, c.streams]);
                put_words(&mut b, &c.consts);
                b.extend([c.rows, c.readout]);
                put_words(&mut b, &c.table);
            }
            Request::StepBatch { outputs, steps } => {
                b.extend((steps.len() as u16).to_le_bytes());
                b.push(*outputs as u8);
                for s in steps {
                    let lr = if s.lr.is_some() { NEW_LR } else { 0 };
                    b.push(if s.learn { LEARN } else { 0 } | if s.classify { CLASSIFY } else { 0 } | lr);
                    if let Some(lr) = s.lr {
                        b.extend(lr.to_le_bytes());
                    }
                    let streams = s.weight.len();
                    let (i, c) = (s.x.len() / streams.max(1), s.target.len() / streams.max(1));
                    for k in 0..streams {
                        put_words(&mut b, &s.x[k * i..(k + 1) * i]);
                        put_words(&mut b, &s.target[k * c..(k + 1) * c]);
                        b.extend(s.weight[k].to_le_bytes());
                    }
                }
            }
            Request::Info | Request::ResetState | Request::CommitAverage | Request::Status => {}
        }
        b
    }

    /// The frame of this request with sequence number `seq`; the body must fit [`MAX_BODY`].
    pub fn frame(&self, seq: u8) -> Frame {
        Frame { seq, command: self.command() as u8, body: self.body() }
    }

    /// Parses a request frame (the length checks of [`crate::protocol::CHECKS`], and
    /// STEP_BATCH's flags); STEP_BATCH needs the configured (I, C, B). The value checks follow
    /// in [`Request::check`].
    pub fn parse(frame: &Frame, dims: Option<(usize, usize, usize)>) -> Result<Request, ErrorCode> {
        let command = Command::from_code(frame.command).ok_or(ErrorCode::UnknownCommand)?;
        let mut b = Body(&frame.body);
        let r = match command {
            Command::Info => Request::Info,
            Command::ResetState => Request::ResetState,
            Command::CommitAverage => Request::CommitAverage,
            Command::Status => Request::Status,
            Command::Load => {
                if b.0.len() < LOAD_HEAD || !(b.0.len() - LOAD_HEAD).is_multiple_of(4) {
                    return Err(ErrorCode::BadLength);
                }
                let (array, lane, first) = (b.u8()?, b.u8()?, b.u16()?);
                let n = b.0.len() / 4;
                Request::Load { array, lane, first, words: b.words(n)? }
            }
            Command::Read => {
                if b.0.len() != READ_BODY {
                    return Err(ErrorCode::BadLength);
                }
                Request::Read { array: b.u8()?, lane: b.u8()?, first: b.u16()?, count: b.u16()? }
            }
            Command::Config => {
                if b.0.len() != CONFIG_BODY {
                    return Err(ErrorCode::BadLength);
                }
                let dims = b.take::<4>()?;
                let consts = b.words(uconst::COUNT)?.try_into().expect("COUNT words");
                let (rows, readout) = (b.u8()?, b.u8()?);
                Request::Config(RunConfig {
                    inputs: dims[0],
                    hidden: dims[1],
                    outputs: dims[2],
                    streams: dims[3],
                    consts,
                    rows,
                    readout,
                    table: b.words(TABLE_WORDS)?,
                })
            }
            Command::StepBatch => {
                let (i, c, streams) = dims.ok_or(ErrorCode::OutOfRange)?;
                if b.0.len() < STEP_BATCH_HEAD {
                    return Err(ErrorCode::BadLength);
                }
                let (n, outputs) = (b.u16()?, b.u8()? != 0);
                let mut steps = Vec::with_capacity((n as usize).min(b.0.len()));
                for _ in 0..n {
                    let flags = b.u8()?;
                    if flags & !(LEARN | CLASSIFY | NEW_LR) != 0 {
                        return Err(ErrorCode::OutOfRange);
                    }
                    let lr = if flags & NEW_LR != 0 { Some(b.i32()?) } else { None };
                    let mut s = StepIn {
                        learn: flags & LEARN != 0,
                        classify: flags & CLASSIFY != 0,
                        x: vec![],
                        target: vec![],
                        weight: vec![],
                        lr,
                    };
                    for _ in 0..streams {
                        s.x.extend(b.words(i)?);
                        s.target.extend(b.words(c)?);
                        s.weight.push(b.i32()?);
                    }
                    steps.push(s);
                }
                Request::StepBatch { outputs, steps }
            }
        };
        b.end()?;
        Ok(r)
    }

    /// The value checks of [`crate::protocol::CHECKS`] after a parse, for a device described
    /// by `info` configured for (I, C, B) = `dims` (None before any CONFIG): OutOfRange if any
    /// fails. The golden device adds its own CONFIG checks (that R and the table are the ones
    /// of the shape, and that its weights fit the banks); the hardware trusts those words.
    pub fn check(&self, info: &DeviceInfo, dims: Option<(usize, usize, usize)>) -> Result<(), ErrorCode> {
        let ok = match self {
            Request::Info | Request::Status => true,
            Request::ResetState | Request::CommitAverage => dims.is_some(),
            Request::Load { array, lane, first, words } => {
                *array < array::COUNT
                    && *lane < info.lanes
                    && *first as usize + words.len() <= info.bank_words as usize
                    && words.iter().all(|&w| fits(w, code_bits::ARRAY[*array as usize]))
            }
            Request::Read { array, lane, first, count } => {
                *array < array::COUNT
                    && *lane < info.lanes
                    && *first as usize + *count as usize <= info.bank_words as usize
                    && *count as usize * 4 <= MAX_BODY
            }
            Request::Config(c) => {
                let max = [info.max_inputs, info.max_hidden, info.max_outputs];
                let dims_ok = [c.inputs, c.hidden, c.outputs].iter().zip(max).all(|(&d, m)| (1..=m).contains(&d));
                dims_ok
                    && (1..=info.max_streams).contains(&c.streams)
                    && c.rows != 0
                    && c.rows as usize * c.streams as usize <= info.vector_words as usize
                    && readout_of(c.readout).is_some()
                    && c.consts.iter().all(|&v| fits(v, code_bits::CONST))
                    && (0..=1).contains(&c.consts[uconst::ADAMAX])
                    && c.table.len() == TABLE_WORDS
                    && c.table.iter().all(|&v| fits(v, code_bits::TABLE))
            }
            Request::StepBatch { outputs, steps } => {
                let Some((_, c, streams)) = dims else { return Err(ErrorCode::OutOfRange) };
                let all = |v: &[i32], bits| v.iter().all(|&x| fits(x, bits));
                let steps_ok = steps.iter().all(|s| {
                    let targets_ok = if s.classify {
                        s.target.chunks(c.max(1)).all(|t| (0..c as i32).contains(&t[0]))
                    } else {
                        all(&s.target, code_bits::TARGET)
                    };
                    s.lr.is_none_or(|lr| fits(lr, code_bits::LR))
                        && all(&s.x, code_bits::INPUT)
                        && targets_ok
                        && all(&s.weight, code_bits::STEP_WEIGHT)
                });
                steps_ok && !(*outputs && steps.len() * streams * c * 4 > MAX_BODY)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(ErrorCode::OutOfRange)
        }
    }
}

impl Reply {
    /// The reply frame to a request of `command` with sequence number `seq`.
    pub fn frame(&self, seq: u8, command: Command) -> Frame {
        let mut b = vec![];
        let code = match self {
            Reply::Error(e, bad_seq) => {
                b.extend([*e as u8, *bad_seq]);
                return Frame { seq, command: ERROR_REPLY, body: b };
            }
            _ => command as u8 | REPLY_BIT,
        };
        match self {
            Reply::Info(d) => {
                b.extend([d.version, d.max_inputs, d.max_hidden, d.max_outputs, d.lanes, d.max_streams]);
                b.extend(d.clock_hz.to_le_bytes());
                for f in d.formats {
                    b.extend([f.bits, f.frac]);
                }
                b.extend(d.bank_words.to_le_bytes());
                b.extend(d.vector_words.to_le_bytes());
            }
            Reply::Load(n) => b.extend(n.to_le_bytes()),
            Reply::Read(words) | Reply::StepBatch(words) => put_words(&mut b, words),
            Reply::Status(s) => {
                b.extend(s.frames_ok.to_le_bytes());
                b.extend(s.frames_refused.to_le_bytes());
                b.push(s.last_error);
                b.extend(s.steps.to_le_bytes());
                b.extend(s.config);
                b.push(s.readout);
            }
            Reply::ResetState | Reply::Config | Reply::CommitAverage | Reply::Error(..) => {}
        }
        debug_assert!(b.len() <= MAX_BODY);
        Frame { seq, command: code, body: b }
    }

    /// Parses the reply to a request of `command`.
    pub fn parse(frame: &Frame, command: Command) -> Result<Reply, ErrorCode> {
        let mut b = Body(&frame.body);
        if frame.command == ERROR_REPLY {
            let code = b.u8()?;
            let e = ErrorCode::ALL.into_iter().find(|e| *e as u8 == code).ok_or(ErrorCode::OutOfRange)?;
            let r = Reply::Error(e, b.u8()?);
            b.end()?;
            return Ok(r);
        }
        if frame.command != command as u8 | REPLY_BIT {
            return Err(ErrorCode::UnknownCommand);
        }
        let r = match command {
            Command::Info => {
                let head = b.take::<6>()?;
                let clock_hz = b.u32()?;
                let mut formats = [FormatInfo { bits: 0, frac: 0 }; 7];
                for f in &mut formats {
                    *f = FormatInfo { bits: b.u8()?, frac: b.u8()? };
                }
                let (bank_words, vector_words) = (b.u16()?, b.u16()?);
                Reply::Info(DeviceInfo {
                    version: head[0],
                    max_inputs: head[1],
                    max_hidden: head[2],
                    max_outputs: head[3],
                    lanes: head[4],
                    max_streams: head[5],
                    clock_hz,
                    formats,
                    bank_words,
                    vector_words,
                })
            }
            Command::Load => Reply::Load(b.u16()?),
            Command::Read | Command::StepBatch => {
                if b.0.len() % 4 != 0 {
                    return Err(ErrorCode::BadLength);
                }
                let n = b.0.len() / 4;
                let words = b.words(n)?;
                if command == Command::Read {
                    Reply::Read(words)
                } else {
                    Reply::StepBatch(words)
                }
            }
            Command::ResetState => Reply::ResetState,
            Command::Config => Reply::Config,
            Command::CommitAverage => Reply::CommitAverage,
            Command::Status => Reply::Status(StatusInfo {
                frames_ok: b.u32()?,
                frames_refused: b.u32()?,
                last_error: b.u8()?,
                steps: b.u32()?,
                config: b.take::<4>()?,
                readout: b.u8()?,
            }),
        };
        b.end()?;
        Ok(r)
    }
}
