//! The device side of the board link in software: [`Device`] takes the bytes a board's UART
//! receives and returns the bytes it sends, serving every command of PROTOCOL.md on the golden
//! model (`FixedLearner`), as `fptt emulate --backend fixed` does on a pseudo-terminal. A
//! refused frame (damaged, unknown, a body of the wrong size, an index out of range, out of
//! order) is answered with an error reply and changes nothing; a repeated frame (its reply was
//! lost) gets its cached reply and runs nothing again (PROTOCOL.md's sequence rules).

use fptt_hdl::forward::update_consts_of;
use fptt_hdl::messages::{array, DeviceInfo, FormatInfo, Reply, Request, RunConfig, StatusInfo, StepIn};
use fptt_hdl::protocol::{encode, next_seq, Command, Decoder, ErrorCode, Frame, VERSION, WINDOW};
use fptt_sim::fixed::update::FixedParams;
use fptt_sim::fixed::{FixedLearner, Fmt, Numerics};
use fptt_sim::learner::Learner;
use fptt_sim::model::{Layout, Shape};
use std::collections::VecDeque;

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
    /// The seq the next frame must carry (None: any, before the first frame).
    expected: Option<u8>,
    /// The replies of the last [`WINDOW`] frames run, by seq.
    sent: VecDeque<(u8, Vec<u8>)>,
}

impl Default for Device {
    fn default() -> Self {
        Self::new()
    }
}

impl Device {
    /// A device with no configuration yet.
    pub fn new() -> Self {
        Self {
            decoder: Decoder::new(),
            learner: None,
            status: StatusInfo::default(),
            n: Numerics::DEFAULT,
            expected: None,
            sent: VecDeque::new(),
        }
    }

    /// Takes received bytes; returns the bytes to send (the replies, in order).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![];
        for frame in self.decoder.push(bytes) {
            match frame {
                Ok(f) => out.extend(self.in_order(&f)),
                // (a damaged frame's seq is unknown: 0)
                Err(e) => out.extend(encode(&self.refuse(e, 0))),
            }
        }
        out
    }

    /// The sequence rules: INFO and STATUS (re)start the count, any other frame runs only with
    /// the expected seq; a repeat of a recent frame gets its cached reply.
    fn in_order(&mut self, f: &Frame) -> Vec<u8> {
        let restarts = [Command::Info as u8, Command::Status as u8].contains(&f.command);
        if !restarts && self.expected.is_some_and(|e| e != f.seq) {
            if let Some((_, reply)) = self.sent.iter().find(|(s, _)| *s == f.seq) {
                return reply.clone();
            }
            return encode(&self.refuse(ErrorCode::OutOfOrder, f.seq));
        }
        let reply = self.serve(f);
        let ran = reply.command != fptt_hdl::protocol::ERROR_REPLY;
        let bytes = encode(&reply);
        if ran {
            self.expected = Some(next_seq(f.seq));
            if restarts {
                self.sent.clear();
            }
            self.sent.push_back((f.seq, bytes.clone()));
            if self.sent.len() > WINDOW {
                self.sent.pop_front();
            }
        }
        bytes
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
            Request::Status => {
                let config = self.learner.as_ref().map_or([0; 4], |l| {
                    let s = l.shape();
                    [s.inputs, s.hidden, s.outputs, l.batch()].map(|d| d as u8)
                });
                Reply::Status(StatusInfo { config, ..self.status })
            }
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
                Reply::Read(crate::board::array_of(l.words(), array)[range].to_vec())
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
                    if let Some(lr) = s.lr {
                        l.set_consts(fptt_sim::fixed::update::UpdateConsts { lr: lr as i64, ..*l.consts() });
                    }
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
        let lr_ok = s.lr.is_none_or(|lr| fits(&[lr], n.lr));
        if !(targets_ok && lr_ok && fits(&s.x, n.input) && fits(&s.weight, n.gain)) {
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

    /// A device and the host's next seq.
    struct Link {
        d: Device,
        seq: u8,
    }

    impl Link {
        fn frames(&mut self, bytes: &[u8]) -> Vec<Frame> {
            Decoder::new().push(&self.d.push(bytes)).into_iter().map(|f| f.unwrap()).collect()
        }

        fn call(&mut self, req: &Request) -> Reply {
            self.seq = next_seq(self.seq);
            let f = self.frames(&encode(&req.frame(self.seq)));
            assert_eq!(f.len(), 1, "one reply");
            assert_eq!(f[0].seq, self.seq);
            Reply::parse(&f[0], req.command()).unwrap()
        }

        fn read_w(&mut self) -> Reply {
            self.call(&Request::Read { array: array::W, first: 5, count: 10 })
        }
    }

    fn configured() -> Link {
        let mut l = Link { d: Device::new(), seq: 0 };
        let cfg = RunConfig { inputs: 2, hidden: 4, outputs: 3, streams: 2, consts: [1; 10] };
        assert_eq!(l.call(&Request::Config(cfg)), Reply::Config);
        let words: Vec<i32> = (0..10).collect();
        assert_eq!(l.call(&Request::Load { array: array::W, first: 5, words }), Reply::Load(10));
        l
    }

    fn step(learn: bool) -> StepIn {
        StepIn { learn, classify: false, x: vec![4096; 4], target: vec![100; 6], weight: vec![256, 0], lr: None }
    }

    #[test]
    fn damaged_and_refused_frames_change_nothing() {
        let mut l = configured();
        let before = l.read_w();
        assert_eq!(before, Reply::Read((0..10).collect()));
        // a bit flip in a LOAD: refused (CRC), the words stay
        let mut bytes = encode(&Request::Load { array: array::W, first: 5, words: vec![7; 10] }.frame(next_seq(l.seq)));
        bytes[9] ^= 0x10;
        let f = l.frames(&bytes);
        assert_eq!(Reply::parse(&f[0], Command::Load), Ok(Reply::Error(ErrorCode::BadCrc, 0)));
        // garbage, then a truncated frame: refused; out of range: refused with its seq
        l.d.push(&[1, 2, 3, 0, 5, 0]);
        let far = Request::Load { array: array::W, first: 1000, words: vec![1] };
        assert_eq!(l.call(&far), Reply::Error(ErrorCode::OutOfRange, l.seq));
        l.seq -= 1; // (a refused frame does not advance the count)
        let mut bad_class = step(true);
        bad_class.classify = true;
        bad_class.target = vec![0, 0, 0, 3, 0, 0];
        let bad_class = Request::StepBatch { outputs: true, steps: vec![bad_class] };
        assert_eq!(l.call(&bad_class), Reply::Error(ErrorCode::OutOfRange, l.seq));
        l.seq -= 1;
        let mut too_big = step(true);
        too_big.x = vec![1 << 20; 4];
        assert_eq!(
            l.call(&Request::StepBatch { outputs: true, steps: vec![too_big] }),
            Reply::Error(ErrorCode::OutOfRange, l.seq)
        );
        l.seq -= 1;
        let mut bad_lr = step(true);
        bad_lr.lr = Some(-1 << 30);
        assert_eq!(
            l.call(&Request::StepBatch { outputs: true, steps: vec![step(true), bad_lr] }),
            Reply::Error(ErrorCode::OutOfRange, l.seq)
        );
        l.seq -= 1;
        assert_eq!(l.read_w(), before);
        match l.call(&Request::Status) {
            Reply::Status(s) => {
                // the flipped frame, two garbage ones, four out of range
                assert_eq!((s.frames_refused, s.steps), (7, 0), "{s:?}");
                assert_eq!(s.last_error, ErrorCode::OutOfRange as u8);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_step_batch_runs_every_step_and_answers_every_readout() {
        let mut l = configured();
        let req = Request::StepBatch { outputs: true, steps: vec![step(true), step(false), step(true)] };
        match l.call(&req) {
            Reply::StepBatch(o) => assert_eq!(o.len(), 3 * 2 * 3),
            other => panic!("{other:?}"),
        }
        let quiet = Request::StepBatch { outputs: false, steps: vec![step(false)] };
        assert_eq!(l.call(&quiet), Reply::StepBatch(vec![]));
    }

    #[test]
    fn a_new_learning_rate_takes_effect_at_its_step() {
        let mut l = configured();
        let mut with_lr = step(true);
        with_lr.lr = Some(77);
        l.call(&Request::StepBatch { outputs: false, steps: vec![step(true), with_lr, step(true)] });
        assert_eq!(l.d.learner.as_ref().unwrap().consts().lr, 77);
    }

    #[test]
    fn frames_out_of_order_are_refused_and_repeats_answered_from_the_cache() {
        let mut l = configured();
        let steps = |learn| Request::StepBatch { outputs: true, steps: vec![step(learn)] };
        let (s1, s2) = (next_seq(l.seq), next_seq(next_seq(l.seq)));
        let (a, b) = (encode(&steps(true).frame(s1)), encode(&steps(true).frame(s2)));
        // the first is lost: the second is refused, nothing runs
        let f = l.frames(&b);
        assert_eq!(Reply::parse(&f[0], Command::StepBatch), Ok(Reply::Error(ErrorCode::OutOfOrder, s2)));
        let before = l.d.status.steps;
        // sent again in order, both run; sent once more (replies lost), both are answered from
        // the cache and nothing runs twice
        let first = l.frames(&[a.clone(), b.clone()].concat());
        assert_eq!(l.d.status.steps, before + 2);
        let words = l.d.learner.as_ref().unwrap().words().clone();
        let again = l.frames(&[a, b].concat());
        assert_eq!(first, again);
        assert_eq!(l.d.status.steps, before + 2);
        assert_eq!(l.d.learner.as_ref().unwrap().words(), &words);
        // INFO restarts the count at any seq
        l.seq = 200;
        assert!(matches!(l.call(&Request::Info), Reply::Info(_)));
        assert!(matches!(l.call(&steps(false)), Reply::StepBatch(_)));
    }
}
