//! The device side of the board link in software: [`Device`] takes the bytes a board's UART
//! receives and returns the bytes it sends, serving every command of PROTOCOL.md on the golden
//! model (`FixedLearner`), as `fptt emulate --backend fixed` does on a pseudo-terminal. A
//! refused frame (damaged, unknown, a body of the wrong size, an index out of range, out of
//! order) is answered with an error reply and changes nothing; a repeated frame (its reply was
//! lost) gets its cached reply and runs nothing again (PROTOCOL.md's sequence rules).

use fptt_hdl::forward::{update_consts_of, Banking, BANK_ADDR_BITS, LANE_BITS, WEIGHT_ADDR_BITS};
use fptt_hdl::messages::{
    config_table_words, readout_code, readout_of, DeviceInfo, Reply, Request, RunConfig, StatusInfo, StepIn,
};
use fptt_hdl::protocol::{encode, next_seq, Command, Decoder, ErrorCode, Frame, WINDOW};
use fptt_sim::fixed::update::FixedParams;
use fptt_sim::fixed::{FixedLearner, Numerics};
use fptt_sim::learner::Learner;
use fptt_sim::model::{Layout, Shape};
use std::collections::VecDeque;

/// The emulated device's limits (those of the RTL unit the drivers build).
pub const MAX_DIM: usize = 1 << fptt_hdl::forward::DIM_BITS;
/// Streams the emulated device runs at most.
pub const MAX_STREAMS: usize = 64;
/// Words of each lane's weight banks (the unit's).
pub const BANK_WORDS: usize = 1 << WEIGHT_ADDR_BITS;
/// Words of each lane's vector banks (the unit's).
pub const VECTOR_WORDS: usize = 1 << BANK_ADDR_BITS;
/// Lanes of the emulator unless told otherwise: a 64-wide network with 64 streams fits.
pub const DEFAULT_LANES: usize = 16;
/// Most lanes a unit has.
pub const MAX_LANES: usize = 1 << LANE_BITS;

/// The golden model behind the protocol.
pub struct Device {
    decoder: Decoder,
    lanes: usize,
    /// Most streams a CONFIG may ask for.
    streams: usize,
    /// The bank image: per array, every lane's bank (`lane * BANK_WORDS + address`).
    bank: [Vec<i32>; 5],
    run: Option<Run>,
    status: StatusInfo,
    n: Numerics,
    /// The seq the next frame must carry (None: any, before the first frame).
    expected: Option<u8>,
    /// The replies of the last [`WINDOW`] frames run, by seq.
    sent: VecDeque<(u8, Vec<u8>)>,
}

/// The configured network: the learner on the parameter words gathered from the bank image.
struct Run {
    learner: FixedLearner,
    /// The bank-image index (`lane * BANK_WORDS + address`) of each golden flat parameter.
    map: Vec<usize>,
    /// The bank image changed since the learner's words were gathered (a LOAD).
    learner_stale: bool,
    /// The learner's words changed since they were scattered to the bank image (a step, a
    /// commit). Never both.
    bank_stale: bool,
}

impl fptt_hdl::device_sim::ByteDevice for Device {
    fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        Device::push(self, bytes)
    }

    fn cycles(&self) -> u64 {
        0
    }
}

impl Default for Device {
    fn default() -> Self {
        Self::new(DEFAULT_LANES)
    }
}

impl Device {
    /// A unit of `lanes` lanes (1 to [`MAX_LANES`]) at power-on: every bank word zero, no
    /// configuration.
    pub fn new(lanes: usize) -> Self {
        Self::with_streams(lanes, MAX_STREAMS)
    }

    /// [`Device::new`] running at most `streams` (1 to [`MAX_STREAMS`]) streams: the golden
    /// twin of a unit built for that many.
    pub fn with_streams(lanes: usize, streams: usize) -> Self {
        assert!((1..=MAX_LANES).contains(&lanes), "1 to {MAX_LANES} lanes");
        assert!((1..=MAX_STREAMS).contains(&streams), "1 to {MAX_STREAMS} streams");
        Self {
            decoder: Decoder::new(),
            lanes,
            streams,
            bank: std::array::from_fn(|_| vec![0; lanes * BANK_WORDS]),
            run: None,
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
        let dims = self.run.as_ref().map(|r| {
            let s = r.learner.shape();
            (s.inputs, s.outputs, r.learner.batch())
        });
        let info = self.info();
        let result = Request::parse(f, dims).and_then(|r| {
            r.check(&info, dims)?;
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

    /// Runs a request that passed the protocol's checks ([`Request::check`]).
    fn execute(&mut self, r: Request) -> Result<Reply, ErrorCode> {
        Ok(match r {
            Request::Info => Reply::Info(self.info()),
            Request::Status => {
                let config = self.run.as_ref().map_or([0; 4], |r| {
                    let s = r.learner.shape();
                    [s.inputs, s.hidden, s.outputs, r.learner.batch()].map(|d| d as u8)
                });
                let readout = self.run.as_ref().map_or(0, |r| readout_code(r.learner.shape().readout));
                Reply::Status(StatusInfo { config, readout, ..self.status })
            }
            Request::Config(c) => {
                self.configure(&c)?;
                Reply::Config
            }
            Request::Load { array, lane, first, words } => {
                self.sync_bank();
                let at = lane as usize * BANK_WORDS + first as usize;
                self.bank[array as usize][at..at + words.len()].copy_from_slice(&words);
                if let Some(run) = &mut self.run {
                    run.learner_stale = true;
                }
                Reply::Load(words.len() as u16)
            }
            Request::Read { array, lane, first, count } => {
                self.sync_bank();
                let at = lane as usize * BANK_WORDS + first as usize;
                Reply::Read(self.bank[array as usize][at..at + count as usize].to_vec())
            }
            Request::ResetState => {
                self.run.as_mut().ok_or(ErrorCode::OutOfRange)?.learner.reset_state();
                Reply::ResetState
            }
            Request::CommitAverage => {
                let l = self.learner()?;
                l.commit_average();
                Reply::CommitAverage
            }
            Request::StepBatch { outputs, steps } => {
                let l = self.learner()?;
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

    /// The learner, its words gathered from the bank image if a LOAD changed it, to run steps
    /// or a commit (which leave the bank image to be scattered again).
    fn learner(&mut self) -> Result<&mut FixedLearner, ErrorCode> {
        let run = self.run.as_mut().ok_or(ErrorCode::OutOfRange)?;
        if run.learner_stale {
            let words = gather(&self.bank, &run.map);
            run.learner.load_words(|p| *p = words);
            run.learner_stale = false;
        }
        run.bank_stale = true;
        Ok(&mut run.learner)
    }

    /// Brings the bank image up to date with the learner's words (before a READ, a LOAD or a
    /// CONFIG).
    fn sync_bank(&mut self) {
        if let Some(run) = self.run.as_mut().filter(|r| r.bank_stale) {
            let p = run.learner.words();
            for (a, words) in [&p.w, &p.w_bar, &p.lambda, &p.m, &p.u].into_iter().enumerate() {
                for (&at, &w) in run.map.iter().zip(words) {
                    self.bank[a][at] = w;
                }
            }
            run.bank_stale = false;
        }
    }

    fn info(&self) -> DeviceInfo {
        fptt_hdl::device_top::device_info(self.lanes, self.streams, 0)
    }

    /// CONFIG (after the protocol's checks): the golden model's own checks (R and the table
    /// are those of the shape and readout on this unit's lanes, the weights fit the banks), then a fresh
    /// learner (fresh stream state) on the parameter words the bank image holds, read through
    /// the new shape's banking.
    fn configure(&mut self, c: &RunConfig) -> Result<(), ErrorCode> {
        let (i, h, o, b) = (c.inputs as usize, c.hidden as usize, c.outputs as usize, c.streams as usize);
        let readout = readout_of(c.readout).ok_or(ErrorCode::OutOfRange)?;
        let shape = Shape::new(i, h, o).map_err(|_| ErrorCode::OutOfRange)?.with_readout(readout);
        let banking = Banking::new(shape, self.lanes);
        if c.rows as usize != banking.rows_per_lane()
            || banking.weight_words() > BANK_WORDS
            || c.table != config_table_words(shape, self.lanes)
        {
            return Err(ErrorCode::OutOfRange);
        }
        self.sync_bank();
        let map: Vec<usize> = (0..Layout::new(shape).len())
            .map(|k| {
                let (lane, addr) = banking.weight(k);
                lane * BANK_WORDS + addr
            })
            .collect();
        let consts = update_consts_of(&c.consts.map(|v| v as i64));
        let learner = FixedLearner::with_words(shape, b, gather(&self.bank, &map), consts, self.n);
        self.run = Some(Run { learner, map, learner_stale: false, bank_stale: false });
        Ok(())
    }
}

/// The parameter words at `map`'s places of the bank image (golden flat order).
fn gather(bank: &[Vec<i32>; 5], map: &[usize]) -> FixedParams {
    let arrays: Vec<Vec<i32>> = bank.iter().map(|b| map.iter().map(|&at| b[at]).collect()).collect();
    crate::board::from_arrays(arrays)
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
    use fptt_hdl::messages::{array, CONFIG_BODY};
    use fptt_hdl::protocol::Decoder;

    /// A device and the host's next seq.
    struct Link {
        d: Device,
        seq: u8,
    }

    impl Link {
        fn new(lanes: usize) -> Self {
            Link { d: Device::new(lanes), seq: 0 }
        }

        fn frames(&mut self, bytes: &[u8]) -> Vec<Frame> {
            Decoder::new().push(&self.d.push(bytes)).into_iter().map(|f| f.unwrap()).collect()
        }

        /// Sends `f` (with the next seq); its one reply, as `command`'s. A refused frame does
        /// not advance the count.
        fn raw(&mut self, command: Command, body: Vec<u8>) -> Reply {
            let seq = next_seq(self.seq);
            let f = self.frames(&encode(&Frame { seq, command: command as u8, body }));
            assert_eq!(f.len(), 1, "one reply");
            assert_eq!(f[0].seq, seq);
            let r = Reply::parse(&f[0], command).unwrap();
            if !matches!(r, Reply::Error(..)) {
                self.seq = seq;
            }
            r
        }

        fn call(&mut self, req: &Request) -> Reply {
            self.raw(req.command(), req.body())
        }

        /// The reply must be a refusal with `e`.
        fn refused(&mut self, req: &Request, e: ErrorCode) {
            let seq = next_seq(self.seq);
            assert_eq!(self.call(req), Reply::Error(e, seq), "{:?}", req.command());
        }

        fn read_w(&mut self) -> Reply {
            self.call(&Request::Read { array: array::W, lane: 0, first: 5, count: 10 })
        }

        /// CONFIG with the update constants of a real run (Adamax, lr 0.01).
        fn config(&mut self, shape: Shape, streams: usize) -> Reply {
            let lanes = self.d.lanes;
            self.call(&Request::Config(RunConfig::new(shape, streams, real_consts(streams), lanes)))
        }

        fn status(&mut self) -> StatusInfo {
            match self.call(&Request::Status) {
                Reply::Status(s) => s,
                other => panic!("{other:?}"),
            }
        }

        /// Every word of `a` for `shape`, gathered through its banking with READs.
        fn read_flat(&mut self, shape: Shape, a: u8) -> Vec<i32> {
            let bank = Banking::new(shape, self.d.lanes);
            (0..Layout::new(shape).len())
                .map(|k| {
                    let (lane, addr) = bank.weight(k);
                    match self.call(&Request::Read { array: a, lane: lane as u8, first: addr as u16, count: 1 }) {
                        Reply::Read(w) => w[0],
                        other => panic!("{other:?}"),
                    }
                })
                .collect()
        }

        /// Writes `words` (golden flat order) of `a` for `shape`, one LOAD per word.
        fn load_flat(&mut self, shape: Shape, a: u8, words: &[i32]) {
            let bank = Banking::new(shape, self.d.lanes);
            for (k, &w) in words.iter().enumerate() {
                let (lane, addr) = bank.weight(k);
                let r = self.call(&Request::Load { array: a, lane: lane as u8, first: addr as u16, words: vec![w] });
                assert_eq!(r, Reply::Load(1));
            }
        }
    }

    fn real_consts(streams: usize) -> [i32; 10] {
        use fptt_sim::fptt::{FpttConfig, Optimizer};
        let cfg = FpttConfig { optimizer: Optimizer::Adamax, lr: 1e-2, a: 0.1, beta_f: 0.5, clip: None };
        let mut c = [0; 10];
        let u = fptt_sim::fixed::update::UpdateConsts::new(&Numerics::DEFAULT, &cfg, streams);
        for (i, v) in fptt_hdl::forward::update_const_writes(&u) {
            c[i] = v as i32;
        }
        c
    }

    fn small() -> Shape {
        Shape::new(2, 4, 3).unwrap()
    }

    fn configured() -> Link {
        let mut l = Link::new(DEFAULT_LANES);
        assert_eq!(l.config(small(), 2), Reply::Config);
        let words: Vec<i32> = (0..10).collect();
        assert_eq!(l.call(&Request::Load { array: array::W, lane: 0, first: 5, words }), Reply::Load(10));
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
        let load = Request::Load { array: array::W, lane: 0, first: 5, words: vec![7; 10] };
        let mut bytes = encode(&load.frame(next_seq(l.seq)));
        bytes[9] ^= 0x10;
        let f = l.frames(&bytes);
        assert_eq!(Reply::parse(&f[0], Command::Load), Ok(Reply::Error(ErrorCode::BadCrc, 0)));
        // garbage, then a truncated frame: refused; out of range: refused with its seq
        l.d.push(&[1, 2, 3, 0, 5, 0]);
        l.refused(&Request::Load { array: array::W, lane: 0, first: 4095, words: vec![1, 2] }, ErrorCode::OutOfRange);
        let mut bad_class = step(true);
        bad_class.classify = true;
        bad_class.target = vec![0, 0, 0, 3, 0, 0];
        l.refused(&Request::StepBatch { outputs: true, steps: vec![bad_class] }, ErrorCode::OutOfRange);
        let mut too_big = step(true);
        too_big.x = vec![1 << 20; 4];
        l.refused(&Request::StepBatch { outputs: true, steps: vec![too_big] }, ErrorCode::OutOfRange);
        let mut bad_lr = step(true);
        bad_lr.lr = Some(-1 << 30);
        l.refused(&Request::StepBatch { outputs: true, steps: vec![step(true), bad_lr] }, ErrorCode::OutOfRange);
        assert_eq!(l.read_w(), before);
        let s = l.status();
        // the flipped frame, two garbage ones, four out of range
        assert_eq!((s.frames_refused, s.steps), (7, 0), "{s:?}");
        assert_eq!(s.last_error, ErrorCode::OutOfRange as u8);
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
        assert_eq!(l.d.run.as_ref().unwrap().learner.consts().lr, 77);
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
        let words = l.d.run.as_ref().unwrap().learner.words().clone();
        let again = l.frames(&[a, b].concat());
        assert_eq!(first, again);
        assert_eq!(l.d.status.steps, before + 2);
        assert_eq!(l.d.run.as_ref().unwrap().learner.words(), &words);
        // INFO restarts the count at any seq
        l.seq = 200;
        match l.call(&Request::Info) {
            Reply::Info(i) => {
                assert_eq!((i.version, i.lanes), (fptt_hdl::protocol::VERSION, DEFAULT_LANES as u8));
                assert_eq!((i.bank_words, i.vector_words), (4096, 1024));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(l.call(&steps(false)), Reply::StepBatch(_)));
    }

    /// Words of a `shape` network, distinct and within every array's width.
    fn test_words(shape: Shape, salt: i32) -> FixedParams {
        let len = Layout::new(shape).len() as i32;
        let arrays = (0..5).map(|a| (0..len).map(|k| (k * 37 + a * 1000 + salt) % 30_000 - 15_000).collect()).collect();
        let mut p = crate::board::from_arrays(arrays);
        p.u.iter_mut().for_each(|u| *u = u.abs());
        p
    }

    #[test]
    fn loaded_words_are_what_the_steps_use_and_reads_see_what_they_wrote() {
        // lanes that do not divide the dimensions: padding rows in the banks
        for lanes in [1, 3, 16] {
            let shape = Shape::new(2, 5, 3).unwrap();
            let mut l = Link::new(lanes);
            assert_eq!(l.config(shape, 2), Reply::Config);
            let words = test_words(shape, 7);
            for (a, _) in crate::board::ARRAYS {
                l.load_flat(shape, a, crate::board::array_of(&words, a));
            }
            let consts = update_consts_of(&real_consts(2).map(|v| v as i64));
            let mut golden = FixedLearner::with_words(shape, 2, words.clone(), consts, Numerics::DEFAULT);
            let s = step(true);
            let mut want = vec![0; 6];
            golden.step_codes(&s.x, &s.target, &[256, 0], true, &mut want);
            golden.commit_average();
            golden.step_codes(&s.x, &s.target, &[256, 0], true, &mut want);
            let steps = |s: &StepIn| Request::StepBatch { outputs: true, steps: vec![s.clone()] };
            assert!(matches!(l.call(&steps(&s)), Reply::StepBatch(_)));
            assert_eq!(l.call(&Request::CommitAverage), Reply::CommitAverage);
            assert_eq!(l.call(&steps(&s)), Reply::StepBatch(want), "{lanes} lanes");
            for (a, _) in crate::board::ARRAYS {
                let got = l.read_flat(shape, a);
                assert_eq!(&got, crate::board::array_of(golden.words(), a), "array {a}, {lanes} lanes");
            }
        }
    }

    #[test]
    fn a_new_shape_reads_the_bank_image_through_its_own_banking() {
        let (a, b) = (small(), Shape::new(3, 5, 2).unwrap());
        let mut l = Link::new(3);
        // LOAD and READ before any CONFIG act on the bank image (zero at power-on)
        let r = Request::Read { array: array::W_BAR, lane: 2, first: 4000, count: 96 };
        assert_eq!(l.call(&r), Reply::Read(vec![0; 96]));
        let w = test_words(a, 1);
        l.load_flat(a, array::W, &w.w);
        assert_eq!(l.read_flat(a, array::W), w.w);
        // shape a reads them as loaded; a step learns
        assert_eq!(l.config(a, 2), Reply::Config);
        assert_eq!(&l.d.run.as_ref().unwrap().learner.words().w, &w.w);
        let learn = Request::StepBatch { outputs: false, steps: vec![step(true)] };
        assert_eq!(l.call(&learn), Reply::StepBatch(vec![]));
        let learned = l.d.run.as_ref().unwrap().learner.words().clone();
        assert_ne!(learned.w, w.w);
        // shape b: the same bank words, read through b's banking (its own map, its own words)
        let image = |l: &mut Link, shape: Shape| -> Vec<i32> {
            let bank = Banking::new(shape, 3);
            let mut flat = vec![0; 3 * BANK_WORDS];
            for (k, &v) in learned.w.iter().enumerate() {
                let (lane, addr) = Banking::new(a, 3).weight(k);
                flat[lane * BANK_WORDS + addr] = v;
            }
            let _ = l;
            (0..Layout::new(shape).len())
                .map(|k| {
                    let (lane, addr) = bank.weight(k);
                    flat[lane * BANK_WORDS + addr]
                })
                .collect()
        };
        assert_eq!(l.config(b, 1), Reply::Config);
        let want_b = image(&mut l, b);
        assert_eq!(l.d.run.as_ref().unwrap().learner.words().w, want_b);
        assert_ne!(want_b, vec![0; want_b.len()]);
        // a step with shape b's stream state fresh (CONFIG resets it), no learning: nothing moves
        let x =
            StepIn { learn: false, classify: false, x: vec![4096; 3], target: vec![0; 2], weight: vec![0], lr: None };
        assert!(matches!(l.call(&Request::StepBatch { outputs: true, steps: vec![x] }), Reply::StepBatch(_)));
        // back to shape a: the words the step learned, through a's banking again
        assert_eq!(l.config(a, 2), Reply::Config);
        assert_eq!(l.d.run.as_ref().unwrap().learner.words(), &learned);
        assert_eq!(l.read_flat(a, array::W), learned.w);
    }

    #[test]
    fn config_resets_every_stream() {
        let mut l = configured();
        let learn = Request::StepBatch { outputs: false, steps: vec![step(true)] };
        assert_eq!(l.call(&learn), Reply::StepBatch(vec![]));
        let s = l.d.run.as_ref().unwrap().learner.stream(0).clone();
        assert_eq!(l.config(small(), 2), Reply::Config);
        let fresh = fptt_sim::fixed::model::FixedState::initial(small(), &Numerics::DEFAULT);
        assert_eq!(l.d.run.as_ref().unwrap().learner.stream(0), &fresh);
        assert_ne!(s, fresh);
    }

    #[test]
    fn every_check_refuses_with_its_code() {
        let mut l = Link::new(4);
        let (oor, bad) = (ErrorCode::OutOfRange, ErrorCode::BadLength);
        // before any CONFIG
        l.refused(&Request::ResetState, oor);
        l.refused(&Request::CommitAverage, oor);
        assert_eq!(l.raw(Command::ResetState, vec![1]), Reply::Error(bad, next_seq(l.seq)));
        assert_eq!(l.raw(Command::StepBatch, vec![]), Reply::Error(oor, next_seq(l.seq)));
        assert_eq!(l.raw(Command::Info, vec![0]), Reply::Error(bad, next_seq(l.seq)));
        // LOAD and READ
        assert_eq!(l.raw(Command::Load, vec![0, 0, 0]), Reply::Error(bad, next_seq(l.seq)));
        assert_eq!(l.raw(Command::Load, vec![0, 0, 0, 0, 1]), Reply::Error(bad, next_seq(l.seq)));
        assert_eq!(l.raw(Command::Load, vec![0, 3, 0, 0]), Reply::Load(0));
        assert_eq!(l.raw(Command::Read, vec![0, 0, 0, 0, 1]), Reply::Error(bad, next_seq(l.seq)));
        let load = |array, lane, first, words| Request::Load { array, lane, first, words };
        l.refused(&load(5, 0, 0, vec![1]), oor);
        l.refused(&load(0, 4, 0, vec![1]), oor);
        l.refused(&load(0, 0, 4090, vec![1; 7]), oor);
        l.refused(&load(0, 0, 0, vec![1 << 26]), oor);
        l.refused(&load(3, 0, 0, vec![1 << 17]), oor);
        assert_eq!(l.call(&load(1, 3, 4090, vec![-(1 << 26); 6])), Reply::Load(6));
        let read = |array, lane, first, count| Request::Read { array, lane, first, count };
        l.refused(&read(5, 0, 0, 1), oor);
        l.refused(&read(0, 4, 0, 1), oor);
        l.refused(&read(0, 0, 4000, 97), oor);
        l.refused(&read(0, 0, 0, 1025), oor);
        assert_eq!(l.call(&read(1, 3, 4094, 2)), Reply::Read(vec![-(1 << 26); 2]));
        // CONFIG: the protocol's checks and the golden model's own
        let good = RunConfig::new(small(), 2, [1; 10], 4);
        let mut body = Request::Config(good.clone()).body();
        body.pop();
        assert_eq!(body.len(), CONFIG_BODY - 1);
        assert_eq!(l.raw(Command::Config, body), Reply::Error(bad, next_seq(l.seq)));
        let config = |f: &dyn Fn(&mut RunConfig)| {
            let mut c = good.clone();
            f(&mut c);
            Request::Config(c)
        };
        l.refused(&config(&|c| c.hidden = 65), oor);
        l.refused(&config(&|c| c.streams = 0), oor);
        l.refused(&config(&|c| c.consts[0] = 1 << 17), oor);
        l.refused(&config(&|c| c.consts[fptt_hdl::forward::uconst::ADAMAX] = 2), oor);
        l.refused(&config(&|c| c.table[0] = 1 << 26), oor);
        l.refused(&config(&|c| c.rows = 2), oor); // not the shape's R
        l.refused(&config(&|c| c.table[3] += 1), oor); // not the shape's table
        l.refused(&config(&|c| c.table = RunConfig::new(small(), 2, [1; 10], 3).table), oor); // another L
        let wide = Shape::new(64, 64, 64).unwrap();
        assert!(Banking::new(wide, 4).weight_words() > BANK_WORDS);
        l.refused(&Request::Config(RunConfig::new(wide, 1, [1; 10], 4)), oor); // weights do not fit
        assert_eq!(l.status().config, [0; 4], "nothing configured");
        assert_eq!(l.call(&Request::Config(good)), Reply::Config);
        // STEP_BATCH
        assert_eq!(l.raw(Command::StepBatch, vec![1, 0]), Reply::Error(bad, next_seq(l.seq)));
        let one = Request::StepBatch { outputs: true, steps: vec![step(true)] }.body();
        assert_eq!(l.raw(Command::StepBatch, [&one[..], &[0]].concat()), Reply::Error(bad, next_seq(l.seq)));
        assert_eq!(l.raw(Command::StepBatch, one[..one.len() - 1].to_vec()), Reply::Error(bad, next_seq(l.seq)));
        let two = Request::StepBatch { outputs: true, steps: vec![step(true), step(true)] }.body();
        let mut flags = two.clone();
        flags[3] = 8;
        flags.truncate(flags.len() - 1); // a bad flag before the missing byte: OutOfRange
        assert_eq!(l.raw(Command::StepBatch, flags), Reply::Error(oor, next_seq(l.seq)));
        // (outputs wanted with steps x B x C x 4 > MAX_BODY cannot come in a frame: a step's
        // request bytes outnumber its reply's; Request::check's test in hdl/tests/messages.rs
        // covers it)
        let many = Request::StepBatch { outputs: true, steps: vec![step(false); 83] };
        assert!(many.body().len() <= fptt_hdl::protocol::MAX_BODY);
        assert!(matches!(l.call(&many), Reply::StepBatch(o) if o.len() == 83 * 6));
        let s = l.status();
        assert_eq!(s.steps, 83);
        assert_eq!(s.config, [2, 4, 3, 2]);
    }
}
