//! The hardware device against the golden-model device, byte for byte: the same frames go to
//! `fptt_host::device::Device` (the golden model behind the protocol, what `fptt emulate
//! --backend fixed` serves) and to the generated Verilog of `DeviceTop` (UART pins, frame
//! receiver, command engine, training unit, reply transmitters) in Verilator, and every byte
//! that comes back must be the same: CONFIG, LOAD and READ of every array, learning steps
//! (regression and classes, learning-rate changes, two frames in flight), commit, reset,
//! STATUS, the reply cache, and every kind of refusal.

use fptt_hdl::device_sim::{power_on_shape, verilator_device, verilator_device_dir, ByteDevice, SIM_STREAMS};
use fptt_hdl::forward::update_const_writes;
use fptt_hdl::lint::verilator_available;
use fptt_hdl::messages::{array, Reply, Request, RunConfig, StepIn};
use fptt_hdl::protocol::{encode, next_seq, Command, Decoder, Frame};
use fptt_hdl::verify::Rng;
use fptt_host::board::bank_runs;
use fptt_host::device::Device;
use fptt_sim::fixed::update::UpdateConsts;
use fptt_sim::fixed::Numerics;
use fptt_sim::fptt::{FpttConfig, Optimizer};
use fptt_sim::model::Shape;

/// The golden device and the RTL device, fed the same bytes.
struct Pair {
    golden: Device,
    rtl: Box<dyn ByteDevice + Send>,
    seq: u8,
    exchanges: usize,
}

impl Pair {
    /// Sends `bytes` to both; the replies must be the same bytes. Returns the replies.
    fn both(&mut self, bytes: &[u8]) -> Vec<Frame> {
        let want = self.golden.push(bytes);
        let got = self.rtl.push(bytes);
        let frames = |b: &[u8]| Decoder::new().push(b);
        assert_eq!(
            frames(&got),
            frames(&want),
            "exchange {}: the RTL device's replies differ from the golden device's",
            self.exchanges
        );
        assert_eq!(got, want, "exchange {}: same frames, different bytes", self.exchanges);
        self.exchanges += 1;
        frames(&want).into_iter().map(|f| f.expect("a well-formed reply")).collect()
    }

    /// The frame of `r` with the next seq.
    fn frame(&mut self, r: &Request) -> Vec<u8> {
        self.seq = next_seq(self.seq);
        encode(&r.frame(self.seq))
    }

    /// One request to both; its reply (the same from both).
    fn call(&mut self, r: &Request) -> Reply {
        let bytes = self.frame(r);
        let f = self.both(&bytes);
        assert_eq!(f.len(), 1, "one reply to {:?}", r.command());
        Reply::parse(&f[0], r.command()).expect("a reply that parses")
    }

    /// A refused request: the seq does not advance.
    fn refused(&mut self, r: &Request) -> Reply {
        let reply = self.call(r);
        assert!(matches!(reply, Reply::Error(..)), "{:?} was not refused: {reply:?}", r.command());
        self.seq -= 1;
        reply
    }
}

fn steps(rng: &mut Rng, n: usize, shape: Shape, streams: usize, classify: bool) -> Vec<StepIn> {
    (0..n)
        .map(|k| StepIn {
            learn: k % 3 != 2,
            classify,
            x: (0..streams * shape.inputs).map(|_| rng.range(-1 << 14, 1 << 14) as i32).collect(),
            target: (0..streams * shape.outputs)
                .map(|j| {
                    if classify {
                        (j % shape.outputs == 0) as i32 * rng.range(0, shape.outputs as i64 - 1) as i32
                    } else {
                        rng.range(-1 << 12, 1 << 12) as i32
                    }
                })
                .collect(),
            weight: (0..streams).map(|b| if b == 1 && k == 0 { 0 } else { 1 << 11 }).collect(),
            lr: (k == 1).then_some(1 << 14),
        })
        .collect()
}

#[test]
fn the_rtl_device_answers_every_frame_as_the_golden_device() {
    if !verilator_available("the_rtl_device_answers_every_frame_as_the_golden_device") {
        return;
    }
    // (the unit is built for another shape: CONFIG sets this one)
    let (shape, lanes, streams) = (Shape::new(2, 4, 2).unwrap(), 4, 3);
    let rtl = verilator_device(power_on_shape(), lanes, &verilator_device_dir(lanes)).unwrap_or_else(|e| panic!("{e}"));
    let mut p = Pair { golden: Device::with_streams(lanes, SIM_STREAMS), rtl, seq: 0, exchanges: 0 };
    let mut rng = Rng::new(7);

    assert!(matches!(p.call(&Request::Info), Reply::Info(_)));
    // the banks before any configuration: zeros
    assert_eq!(p.call(&Request::Read { array: array::W, lane: 1, first: 0, count: 5 }), Reply::Read(vec![0; 5]));

    let n = Numerics::DEFAULT;
    let cfg = FpttConfig { optimizer: Optimizer::Adamax, lr: 3e-2, a: 0.1, beta_f: 0.5, clip: None };
    let mut consts = [0; fptt_hdl::forward::uconst::COUNT];
    for (i, v) in update_const_writes(&UpdateConsts::new(&n, &cfg, streams)) {
        consts[i] = v as i32;
    }
    let config = RunConfig::new(shape, streams, consts, lanes);
    assert_eq!(p.call(&Request::Config(config.clone())), Reply::Config);

    // every array, every word, in runs of bank addresses
    let runs = bank_runs(shape, lanes);
    let limits = [(1 << 20, 0), (1 << 20, 0), (1 << 10, 0), (1 << 10, 0), (1 << 12, 1)];
    for (a, &(mag, nonneg)) in (0..array::COUNT).zip(&limits) {
        for r in &runs {
            let lo = if nonneg == 1 { 0 } else { -mag };
            let words: Vec<i32> = r.indices.iter().map(|_| rng.range(lo, mag) as i32).collect();
            let load = Request::Load { array: a, lane: r.lane, first: r.first, words };
            assert_eq!(p.call(&load), Reply::Load(r.indices.len() as u16));
        }
    }

    // learning steps, two frames in flight: regression, then classes
    let a = Request::StepBatch { outputs: true, steps: steps(&mut rng, 4, shape, streams, false) };
    let b = Request::StepBatch { outputs: false, steps: steps(&mut rng, 3, shape, streams, true) };
    let (fa, fb) = (p.frame(&a), p.frame(&b));
    let replies = p.both(&[fa.clone(), fb.clone()].concat());
    assert_eq!(replies.len(), 2);
    // both sent again (their replies lost): answered from the cache, nothing runs twice
    assert_eq!(p.both(&[fa, fb].concat()), replies);

    let read_all = |p: &mut Pair| {
        for a in 0..array::COUNT {
            for r in &runs {
                let count = r.indices.len() as u16;
                assert!(matches!(
                    p.call(&Request::Read { array: a, lane: r.lane, first: r.first, count }),
                    Reply::Read(_)
                ));
            }
        }
    };
    read_all(&mut p);
    assert_eq!(p.call(&Request::CommitAverage), Reply::CommitAverage);
    assert_eq!(p.call(&Request::ResetState), Reply::ResetState);
    let c = Request::StepBatch { outputs: true, steps: steps(&mut rng, 2, shape, streams, true) };
    assert!(matches!(p.call(&c), Reply::StepBatch(o) if o.len() == 2 * streams * shape.outputs));
    read_all(&mut p);

    // refusals: every one changes nothing (the reads after them are compared too)
    let mut bad_x = steps(&mut rng, 2, shape, streams, false);
    bad_x[1].x[3] = 1 << 17;
    p.refused(&Request::StepBatch { outputs: true, steps: bad_x });
    let mut bad_class = steps(&mut rng, 1, shape, streams, true);
    bad_class[0].target[0] = shape.outputs as i32;
    p.refused(&Request::StepBatch { outputs: true, steps: bad_class });
    let mut bad_lr = steps(&mut rng, 2, shape, streams, false);
    bad_lr[1].lr = Some(1 << 20);
    p.refused(&Request::StepBatch { outputs: false, steps: bad_lr });
    // a flags byte with an unknown bit, a body cut short, one too long
    let body = Request::StepBatch { outputs: true, steps: steps(&mut rng, 1, shape, streams, false) }.body();
    let raw = |p: &mut Pair, command: Command, body: Vec<u8>| {
        let seq = next_seq(p.seq);
        let f = p.both(&encode(&Frame { seq, command: command as u8, body }));
        Reply::parse(&f[0], command).unwrap()
    };
    let mut flags = body.clone();
    flags[3] |= 0x10;
    assert!(matches!(raw(&mut p, Command::StepBatch, flags), Reply::Error(..)));
    assert!(matches!(raw(&mut p, Command::StepBatch, body[..body.len() - 1].to_vec()), Reply::Error(..)));
    assert!(matches!(raw(&mut p, Command::StepBatch, [body.clone(), vec![0]].concat()), Reply::Error(..)));
    assert!(matches!(
        raw(&mut p, Command::Config, Request::Config(config.clone()).body()[1..].to_vec()),
        Reply::Error(..)
    ));
    assert!(matches!(raw(&mut p, Command::Load, vec![0, 0, 0]), Reply::Error(..)));
    assert!(matches!(raw(&mut p, Command::Read, vec![0, 0, 0, 0, 0, 0, 0]), Reply::Error(..)));
    p.refused(&Request::Load { array: array::LAMBDA, lane: 0, first: 0, words: vec![1 << 17] });
    p.refused(&Request::Load { array: array::W, lane: lanes as u8, first: 0, words: vec![1] });
    p.refused(&Request::Load { array: array::COUNT, lane: 0, first: 0, words: vec![1] });
    p.refused(&Request::Load { array: array::W, lane: 0, first: 4095, words: vec![1, 2] });
    p.refused(&Request::Read { array: array::W, lane: 0, first: 0, count: 1025 });
    p.refused(&Request::Read { array: array::U, lane: 0, first: 4090, count: 7 });
    let too_many = RunConfig { streams: SIM_STREAMS as u8 + 1, ..config.clone() };
    p.refused(&Request::Config(too_many));
    let mut bad_const = config.clone();
    bad_const.consts[fptt_hdl::forward::uconst::ADAMAX] = 2;
    p.refused(&Request::Config(bad_const));
    let no_rows = RunConfig { rows: 0, ..config.clone() };
    p.refused(&Request::Config(no_rows));
    // damaged frames and frames out of order
    let mut flipped = p.frame(&Request::CommitAverage);
    p.seq -= 1;
    flipped[4] ^= 0x01;
    p.both(&flipped);
    p.both(&[1, 2, 3, 0]);
    p.both(&encode(&Request::ResetState.frame(next_seq(next_seq(p.seq)))));
    read_all(&mut p);

    // a new shape reads the same banks through its own banking; STATUS counts it all
    let other = Shape::new(2, 2, 2).unwrap();
    let mut consts1 = consts;
    consts1[fptt_hdl::forward::uconst::INV_BATCH] = (1 << 17) - 1;
    assert_eq!(p.call(&Request::Config(RunConfig::new(other, 1, consts1, lanes))), Reply::Config);
    let d = Request::StepBatch { outputs: true, steps: steps(&mut rng, 3, other, 1, false) };
    assert!(matches!(p.call(&d), Reply::StepBatch(_)));
    assert!(matches!(p.call(&Request::Status), Reply::Status(_)));
    eprintln!("{} exchanges, {} cycles of the RTL device", p.exchanges, p.rtl.cycles());
}
