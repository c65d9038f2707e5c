//! The device side of the board link in software: [`Device`] takes the bytes a board's UART
//! receives and returns the bytes it sends, serving every command of PROTOCOL.md on the golden
//! model (`FixedLearner`), as `fptt emulate --backend fixed` does on a pseudo-terminal. A
//! refused frame (damaged, unknown, a body of the wrong size, an index out of range) is
//! answered with an error reply and changes nothing.

use fptt_hdl::forward::update_consts_of;
use fptt_hdl::messages::{array, DeviceInfo, FormatInfo, Reply, Request, RunConfig, StatusInfo, StepIn};
use fptt_hdl::protocol::{encode, Command, Decoder, ErrorCode, Frame, VERSION};
use fptt_sim::fixed::update::FixedParams;
use fptt_sim::fixed::{FixedLearner, Fmt, Numerics};
use fptt_sim::learner::Learner;
use fptt_sim::model::{Layout, Shape};

/// The emulated device's limits (those of the RTL unit the drivers build).
pub const MAX_DIM: usize = 64;
/// Streams the emulated device runs at most.
pub const MAX_STREAMS: usize = 64;

/// The golden model behind the protocol.
pub struct Device {
    decoder: Decoder,
    learner: Option<FixedLearner>,
    status: StatusInfo,
    n: Numerics,
}

impl Default for Device {
    fn default() -> Self {
        Self::new()
    }
}

impl Device {
    /// A device with no configuration yet.
    pub fn new() -> Self {
        Self { decoder: Decoder::new(), learner: None, status: StatusInfo::default(), n: Numerics::DEFAULT }
    }

    /// Takes received bytes; returns the bytes to send (the replies, in order).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![];
        for frame in self.decoder.push(bytes) {
            let reply = match frame {
                Ok(f) => self.serve(&f),
                // (a damaged frame's seq is unknown: 0)
                Err(e) => self.refuse(e, 0),
            };
            out.extend(encode(&reply));
        }
        out
    }

    fn refuse(&mut self, e: ErrorCode, seq: u8) -> Frame {
        self.status.frames_refused += 1;
        self.status.last_error = e as u8;
        Reply::Error(e, seq).frame(seq, Command::Status)
    }

    fn serve(&mut self, f: &Frame) -> Frame {
        let dims = self.learner.as_ref().map(|l| {
            let s = l.shape();
            (s.inputs, s.outputs, l.batch())
        });
        let result = Request::parse(f, dims).and_then(|r| {
            let command = r.command();
            self.execute(r).map(|reply| (reply, command))
        });
        match result {
            Ok((reply, command)) => {
                self.status.frames_ok += 1;
                reply.frame(f.seq, command)
            }
            Err(e) => self.refuse(e, f.seq),
        }
    }

    fn execute(&mut self, r: Request) -> Result<Reply, ErrorCode> {
        Ok(match r {
            Request::Info => Reply::Info(self.info()),
            Request::Status => Reply::Status(self.status),
            Request::Config(c) => {
                self.configure(&c)?;
                Reply::Config
            }
            Request::Load { array, first, words } => {
                let l = self.learner.as_mut().ok_or(ErrorCode::OutOfRange)?;
                let range = word_range(l, array, first as usize, words.len())?;
                l.load_words(|p| array_mut(p, array)[range].copy_from_slice(&words));
                Reply::Load(words.len() as u16)
            }
            Request::Read { array, first, count } => {
                let l = self.learner.as_ref().ok_or(ErrorCode::OutOfRange)?;
                let range = word_range(l, array, first as usize, count as usize)?;
                if count as usize * 4 > fptt_hdl::protocol::MAX_BODY {
                    return Err(ErrorCode::OutOfRange);
                }
                let p = l.words();
                let a = [&p.w, &p.w_bar, &p.lambda, &p.m, &p.u][array as usize];
                Reply::Read(a[range].to_vec())
            }
            Request::ResetState => {
                self.learner.as_mut().ok_or(ErrorCode::OutOfRange)?.reset_state();
                Reply::ResetState
            }
            Request::CommitAverage => {
                self.learner.as_mut().ok_or(ErrorCode::OutOfRange)?.commit_average();
                Reply::CommitAverage
            }
            Request::StepBatch { outputs, steps } => {
                let l = self.learner.as_mut().ok_or(ErrorCode::OutOfRange)?;
                check_steps(l, &steps)?;
                let mut all = vec![];
                for s in &steps {
                    let o = step(l, s);
                    if outputs {
                        all.extend(o);
                    }
                }
                self.status.steps += steps.len() as u32;
                Reply::StepBatch(all)
            }
        })
    }

    fn info(&self) -> DeviceInfo {
        let f = |x: Fmt| FormatInfo { bits: x.bits as u8, frac: x.frac as u8 };
        let n = &self.n;
        DeviceInfo {
            version: VERSION,
            max_inputs: MAX_DIM as u8,
            max_hidden: MAX_DIM as u8,
            max_outputs: MAX_DIM as u8,
            lanes: 0,
            max_streams: MAX_STREAMS as u8,
            clock_hz: 0,
            formats: [n.input, n.state, n.gate, n.weight, n.weight_avg, n.lambda, n.grad].map(f),
        }
    }

    /// CONFIG: a new shape starts from zero parameters; the same shape keeps them, and the same
    /// shape and batch keep the streams' state too (a new learning rate mid-sequence).
    fn configure(&mut self, c: &RunConfig) -> Result<(), ErrorCode> {
        let (i, h, o, b) = (c.inputs as usize, c.hidden as usize, c.outputs as usize, c.streams as usize);
        if [i, h, o].iter().any(|&d| !(1..=MAX_DIM).contains(&d)) || !(1..=MAX_STREAMS).contains(&b) {
            return Err(ErrorCode::OutOfRange);
        }
        let shape = Shape::new(i, h, o).map_err(|_| ErrorCode::OutOfRange)?;
        let consts = update_consts_of(&c.consts.map(|v| v as i64));
        if let Some(l) = self.learner.as_mut() {
            if l.shape() == shape && l.batch() == b {
                l.set_consts(consts);
                return Ok(());
            }
        }
        let words = match &self.learner {
            Some(l) if l.shape() == shape => l.words().clone(),
            _ => {
                let len = Layout::new(shape).len();
                FixedParams::from_reals(&self.n, &vec![0.0; len])
            }
        };
        self.learner = Some(FixedLearner::with_words(shape, b, words, consts, self.n));
        Ok(())
    }
}

fn word_range(l: &FixedLearner, array: u8, first: usize, count: usize) -> Result<std::ops::Range<usize>, ErrorCode> {
    if array >= array::COUNT || first.checked_add(count).is_none_or(|end| end > l.words().len()) {
        return Err(ErrorCode::OutOfRange);
    }
    Ok(first..first + count)
}

fn array_mut(p: &mut FixedParams, array: u8) -> &mut Vec<i32> {
    match array {
        array::W => &mut p.w,
        array::W_BAR => &mut p.w_bar,
        array::LAMBDA => &mut p.lambda,
        array::M => &mut p.m,
        _ => &mut p.u,
    }
}

/// Every code must fit its format (inputs, targets, step weights) and every class name an
/// output: checked before any step runs, so a bad batch changes nothing.
fn check_steps(l: &FixedLearner, steps: &[StepIn]) -> Result<(), ErrorCode> {
    let n = l.numerics();
    let c = l.shape().outputs;
    let fits = |v: &[i32], f: Fmt| v.iter().all(|&x| (f.min()..=f.max()).contains(&(x as i64)));
    for s in steps {
        let targets_ok = if s.classify {
            s.target.chunks(c).all(|t| (0..c as i32).contains(&t[0]))
        } else {
            fits(&s.target, n.state)
        };
        if !(targets_ok && fits(&s.x, n.input) && fits(&s.weight, n.gain)) {
            return Err(ErrorCode::OutOfRange);
        }
    }
    Ok(())
}

fn step(l: &mut FixedLearner, s: &StepIn) -> Vec<i32> {
    let (c, b) = (l.shape().outputs, l.batch());
    let weights: Vec<i64> = s.weight.iter().map(|&w| w as i64).collect();
    let mut o = vec![0; b * c];
    if s.classify {
        let labels: Vec<usize> = s.target.chunks(c).map(|t| t[0] as usize).collect();
        l.step_classes(&s.x, &labels, &weights, s.learn, &mut o);
    } else {
        l.step_codes(&s.x, &s.target, &weights, s.learn, &mut o);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use fptt_hdl::protocol::Decoder;

    fn call(d: &mut Device, req: &Request, seq: u8) -> Reply {
        let out = d.push(&encode(&req.frame(seq)));
        let frames = Decoder::new().push(&out);
        assert_eq!(frames.len(), 1, "one reply");
        let f = frames.into_iter().next().unwrap().unwrap();
        assert_eq!(f.seq, seq);
        Reply::parse(&f, req.command()).unwrap()
    }

    fn configured() -> Device {
        let mut d = Device::new();
        let cfg = RunConfig { inputs: 2, hidden: 4, outputs: 3, streams: 2, consts: [1; 10] };
        assert_eq!(call(&mut d, &Request::Config(cfg), 1), Reply::Config);
        let words: Vec<i32> = (0..10).collect();
        assert_eq!(call(&mut d, &Request::Load { array: array::W, first: 5, words }, 2), Reply::Load(10));
        d
    }

    fn read_w(d: &mut Device) -> Reply {
        call(d, &Request::Read { array: array::W, first: 5, count: 10 }, 9)
    }

    #[test]
    fn damaged_and_refused_frames_change_nothing() {
        let mut d = configured();
        let before = read_w(&mut d);
        assert_eq!(before, Reply::Read((0..10).collect()));
        // a bit flip in a LOAD: refused (CRC), the words stay
        let mut bytes = encode(&Request::Load { array: array::W, first: 5, words: vec![7; 10] }.frame(3));
        bytes[9] ^= 0x10;
        let frames = Decoder::new().push(&d.push(&bytes));
        assert_eq!(Reply::parse(frames[0].as_ref().unwrap(), Command::Load), Ok(Reply::Error(ErrorCode::BadCrc, 0)));
        // garbage, then a truncated frame: refused; out of range: refused with its seq
        d.push(&[1, 2, 3, 0, 5, 0]);
        let far = Request::Load { array: array::W, first: 1000, words: vec![1] };
        assert_eq!(call(&mut d, &far, 4), Reply::Error(ErrorCode::OutOfRange, 4));
        let bad_class = Request::StepBatch {
            outputs: true,
            steps: vec![StepIn {
                learn: true,
                classify: true,
                x: vec![0; 4],
                target: vec![0, 0, 0, 3, 0, 0],
                weight: vec![1, 1],
            }],
        };
        assert_eq!(call(&mut d, &bad_class, 5), Reply::Error(ErrorCode::OutOfRange, 5));
        let too_big = Request::StepBatch {
            outputs: true,
            steps: vec![StepIn {
                learn: true,
                classify: false,
                x: vec![1 << 20; 4],
                target: vec![0; 6],
                weight: vec![1, 1],
            }],
        };
        assert_eq!(call(&mut d, &too_big, 6), Reply::Error(ErrorCode::OutOfRange, 6));
        assert_eq!(read_w(&mut d), before);
        match call(&mut d, &Request::Status, 7) {
            Reply::Status(s) => {
                // the flipped frame, two garbage ones, three out of range
                assert_eq!((s.frames_refused, s.steps), (6, 0), "{s:?}");
                assert_eq!(s.last_error, ErrorCode::OutOfRange as u8);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_step_batch_runs_every_step_and_answers_every_readout() {
        let mut d = configured();
        let step =
            |learn| StepIn { learn, classify: false, x: vec![4096; 4], target: vec![100; 6], weight: vec![256, 0] };
        let req = Request::StepBatch { outputs: true, steps: vec![step(true), step(false), step(true)] };
        match call(&mut d, &req, 3) {
            Reply::StepBatch(o) => assert_eq!(o.len(), 3 * 2 * 3),
            other => panic!("{other:?}"),
        }
        let quiet = Request::StepBatch { outputs: false, steps: vec![step(false)] };
        assert_eq!(call(&mut d, &quiet, 4), Reply::StepBatch(vec![]));
    }
}
