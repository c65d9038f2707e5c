//! The link's command bodies: every request and reply survives encode, frame, decode and parse
//! unchanged (with random contents), and bodies of the wrong length, unknown arrays of bytes
//! or a STEP_BATCH before CONFIG are refused with the matching error code; the value checks
//! refuse every code out of its width.

use fptt_hdl::forward::uconst;
use fptt_hdl::messages::{
    code_bits, fits, DeviceInfo, FormatInfo, Reply, Request, RunConfig, StatusInfo, StepIn, CONFIG_BODY, TABLE_WORDS,
};
use fptt_hdl::protocol::{encode, Command, Decoder, ErrorCode, Frame};
use fptt_hdl::verify::Rng;
use fptt_sim::model::Shape;

fn wire(frame: &Frame) -> Frame {
    let mut d = Decoder::new();
    let got = d.push(&encode(frame));
    assert_eq!(got.len(), 1);
    got.into_iter().next().unwrap().expect("a good frame")
}

fn words(rng: &mut Rng, n: usize) -> Vec<i32> {
    (0..n).map(|_| rng.code(32) as i32).collect()
}

fn requests(rng: &mut Rng, (i, c, b): (usize, usize, usize)) -> Vec<Request> {
    let step = |rng: &mut Rng, learn, classify| StepIn {
        learn,
        classify,
        x: words(rng, b * i),
        target: words(rng, b * c),
        weight: words(rng, b),
        lr: if learn { Some(rng.code(32) as i32) } else { None },
    };
    vec![
        Request::Info,
        Request::Load { array: 2, lane: 3, first: rng.range(0, 1 << 16) as u16, words: words(rng, 200) },
        Request::Load { array: 0, lane: 0, first: 9, words: vec![] },
        Request::Read { array: 4, lane: 15, first: 7, count: 900 },
        Request::ResetState,
        Request::Config(RunConfig {
            inputs: i as u8,
            hidden: 64,
            outputs: c as u8,
            streams: b as u8,
            consts: words(rng, 10).try_into().unwrap(),
            rows: 3,
            readout: 1,
            table: words(rng, TABLE_WORDS),
        }),
        Request::StepBatch { outputs: true, steps: vec![step(rng, true, false), step(rng, false, true)] },
        Request::StepBatch { outputs: false, steps: vec![] },
        Request::CommitAverage,
        Request::Status,
    ]
}

#[test]
fn every_request_and_reply_round_trips() {
    let mut rng = Rng::new(3);
    for dims in [(2, 1, 1), (3, 4, 16), (2, 1, 64)] {
        for (seq, r) in requests(&mut rng, dims).into_iter().enumerate() {
            let f = wire(&r.frame(seq as u8));
            assert_eq!(Request::parse(&f, Some(dims)), Ok(r.clone()), "{dims:?}");
        }
    }
    let info = DeviceInfo {
        version: 1,
        max_inputs: 64,
        max_hidden: 64,
        max_outputs: 64,
        lanes: 16,
        max_streams: 64,
        clock_hz: 0,
        formats: [FormatInfo { bits: 18, frac: 12 }; 7],
        bank_words: 4096,
        vector_words: 1024,
    };
    let replies = [
        (Command::Info, Reply::Info(info)),
        (Command::Load, Reply::Load(300)),
        (Command::Read, Reply::Read(words(&mut rng, 900))),
        (Command::ResetState, Reply::ResetState),
        (Command::Config, Reply::Config),
        (Command::StepBatch, Reply::StepBatch(words(&mut rng, 64))),
        (Command::StepBatch, Reply::StepBatch(vec![])),
        (Command::CommitAverage, Reply::CommitAverage),
        (
            Command::Status,
            Reply::Status(StatusInfo {
                frames_ok: 5,
                frames_refused: 2,
                last_error: 3,
                steps: 1 << 30,
                config: [2, 64, 1, 16],
                readout: 1,
            }),
        ),
        (Command::Status, Reply::Error(ErrorCode::BadCrc, 17)),
    ];
    for (seq, (cmd, r)) in replies.into_iter().enumerate() {
        let f = wire(&r.frame(seq as u8, cmd));
        assert_eq!(Reply::parse(&f, cmd), Ok(r), "{cmd:?}");
    }
}

#[test]
fn bad_bodies_are_refused() {
    let frame = |command: Command, body: Vec<u8>| Frame { seq: 1, command: command as u8, body };
    // one byte short, one byte long
    let cfg = Request::Config(RunConfig::new(Shape::new(2, 8, 1).unwrap(), 1, [1; 10], 4)).body();
    assert_eq!(cfg.len(), CONFIG_BODY);
    for body in [cfg[..cfg.len() - 1].to_vec(), [cfg.clone(), vec![0]].concat(), vec![]] {
        assert_eq!(Request::parse(&frame(Command::Config, body), None), Err(ErrorCode::BadLength));
    }
    for body in [vec![0, 0, 0], vec![0, 0, 0, 0, 1, 2], vec![0, 0, 0, 0, 1, 2, 3, 4, 5]] {
        assert_eq!(Request::parse(&frame(Command::Load, body), None), Err(ErrorCode::BadLength));
    }
    assert!(matches!(Request::parse(&frame(Command::Load, vec![0, 1, 2, 0]), None), Ok(Request::Load { .. })));
    for body in [vec![0, 0, 0, 0, 1], vec![0, 0, 0, 0, 1, 0, 0]] {
        assert_eq!(Request::parse(&frame(Command::Read, body), None), Err(ErrorCode::BadLength));
    }
    for c in [Command::Info, Command::Status, Command::ResetState, Command::CommitAverage] {
        assert_eq!(Request::parse(&frame(c, vec![0]), None), Err(ErrorCode::BadLength), "{c:?}");
    }
    // a STEP_BATCH body shorter than its head, configured
    assert_eq!(Request::parse(&frame(Command::StepBatch, vec![0, 0]), Some((1, 1, 1))), Err(ErrorCode::BadLength));
    let steps = Request::StepBatch {
        outputs: true,
        steps: vec![StepIn { learn: true, classify: false, x: vec![1, 2], target: vec![3], weight: vec![4], lr: None }],
    };
    // before CONFIG the device has no dimensions; with the wrong ones the length is wrong
    assert_eq!(Request::parse(&steps.frame(2), None), Err(ErrorCode::OutOfRange));
    assert_eq!(Request::parse(&steps.frame(2), Some((2, 1, 2))), Err(ErrorCode::BadLength));
    assert_eq!(Request::parse(&steps.frame(2), Some((2, 1, 1))), Ok(steps.clone()));
    assert_eq!(Request::parse(&Frame { seq: 0, command: 0x42, body: vec![] }, None), Err(ErrorCode::UnknownCommand));
    // an unknown step flag
    let mut body = steps.body();
    body[3] |= 0x80;
    assert_eq!(
        Request::parse(&Frame { seq: 2, command: Command::StepBatch as u8, body }, Some((2, 1, 1))),
        Err(ErrorCode::OutOfRange)
    );
    // a reply to another command
    assert_eq!(Reply::parse(&Reply::Config.frame(0, Command::Config), Command::Load), Err(ErrorCode::UnknownCommand));
}

fn info() -> DeviceInfo {
    DeviceInfo {
        version: 4,
        max_inputs: 64,
        max_hidden: 64,
        max_outputs: 64,
        lanes: 4,
        max_streams: 64,
        clock_hz: 0,
        formats: [FormatInfo { bits: 18, frac: 12 }; 7],
        bank_words: 4096,
        vector_words: 1024,
    }
}

#[test]
fn the_widths_and_fits() {
    assert_eq!(code_bits::ARRAY, [27, 27, 18, 18, 18]);
    assert_eq!((code_bits::CONST, code_bits::TABLE), (18, 27));
    assert!(fits((1 << 17) - 1, 18) && fits(-(1 << 17), 18));
    assert!(!fits(1 << 17, 18) && !fits(-(1 << 17) - 1, 18));
    assert!(fits(i32::MIN, 32) && fits(i32::MAX, 32));
}

#[test]
fn the_value_checks_refuse_every_code_out_of_range() {
    let i = info();
    let ok = |r: &Request, dims| r.check(&i, dims);
    let oor = Err(ErrorCode::OutOfRange);
    // LOAD and READ: array, lane, range, widths; before CONFIG too
    let load = |array, lane, first, words: Vec<i32>| Request::Load { array, lane, first, words };
    assert_eq!(ok(&load(0, 3, 4095, vec![(1 << 26) - 1]), None), Ok(()));
    assert_eq!(ok(&load(0, 3, 4096, vec![]), None), Ok(()));
    assert_eq!(ok(&load(5, 0, 0, vec![1]), None), oor);
    assert_eq!(ok(&load(0, 4, 0, vec![1]), None), oor);
    assert_eq!(ok(&load(0, 0, 4095, vec![1, 2]), None), oor);
    assert_eq!(ok(&load(0, 0, 0, vec![1 << 26]), None), oor);
    assert_eq!(ok(&load(2, 0, 0, vec![1 << 17]), None), oor);
    assert_eq!(ok(&load(4, 0, 0, vec![-(1 << 17)]), None), Ok(()));
    let read = |array, lane, first, count| Request::Read { array, lane, first, count };
    assert_eq!(ok(&read(4, 3, 3072, 1024), None), Ok(()));
    assert_eq!(ok(&read(5, 0, 0, 1), None), oor);
    assert_eq!(ok(&read(0, 4, 0, 1), None), oor);
    assert_eq!(ok(&read(0, 0, 4000, 97), None), oor);
    assert_eq!(ok(&read(0, 0, 0, 1025), None), oor);
    // CONFIG
    let good = RunConfig::new(Shape::new(2, 8, 1).unwrap(), 3, [1; 10], 4);
    assert_eq!(ok(&Request::Config(good.clone()), None), Ok(()));
    let bad = |f: &dyn Fn(&mut RunConfig)| {
        let mut c = good.clone();
        f(&mut c);
        ok(&Request::Config(c), None)
    };
    assert_eq!(bad(&|c| c.inputs = 0), oor);
    assert_eq!(bad(&|c| c.hidden = 65), oor);
    assert_eq!(bad(&|c| c.outputs = 0), oor);
    assert_eq!(bad(&|c| c.streams = 0), oor);
    assert_eq!(bad(&|c| c.streams = 65), oor);
    assert_eq!(bad(&|c| c.rows = 0), oor);
    assert_eq!(bad(&|c| (c.rows, c.streams) = (17, 61)), oor);
    assert_eq!(bad(&|c| (c.rows, c.streams) = (16, 64)), Ok(()));
    assert_eq!(bad(&|c| c.readout = 1), Ok(()));
    assert_eq!(bad(&|c| c.readout = 2), oor);
    assert_eq!(bad(&|c| c.consts[uconst::A] = 1 << 17), oor);
    assert_eq!(bad(&|c| c.consts[uconst::ADAMAX] = 2), oor);
    assert_eq!(bad(&|c| c.consts[uconst::ADAMAX] = 0), Ok(()));
    assert_eq!(bad(&|c| c.table[100] = -(1 << 26) - 1), oor);
    // RESET_STATE and COMMIT_AVERAGE before CONFIG
    for r in [Request::ResetState, Request::CommitAverage] {
        assert_eq!(ok(&r, None), oor);
        assert_eq!(ok(&r, Some((2, 1, 3))), Ok(()));
    }
    // STEP_BATCH: every code's width, classes, the reply's size
    let step = StepIn { learn: true, classify: false, x: vec![0; 2], target: vec![0; 2], weight: vec![0; 1], lr: None };
    let batch = |f: &dyn Fn(&mut StepIn), outputs, n| {
        let mut s = step.clone();
        f(&mut s);
        ok(&Request::StepBatch { outputs, steps: vec![s; n] }, Some((2, 2, 1)))
    };
    assert_eq!(batch(&|_| {}, true, 3), Ok(()));
    assert_eq!(batch(&|s| s.lr = Some(1 << 17), true, 1), oor);
    assert_eq!(batch(&|s| s.x[1] = 1 << 17, true, 1), oor);
    assert_eq!(batch(&|s| s.target[1] = -(1 << 17) - 1, true, 1), oor);
    assert_eq!(batch(&|s| s.weight[0] = 1 << 17, true, 1), oor);
    assert_eq!(batch(&|s| (s.classify, s.target) = (true, vec![2, 1 << 20]), true, 1), oor);
    assert_eq!(batch(&|s| (s.classify, s.target) = (true, vec![1, 1 << 20]), true, 1), Ok(()));
    assert_eq!(batch(&|s| (s.classify, s.target) = (true, vec![-1, 0]), true, 1), oor);
    // 512 steps x 1 stream x 2 outputs x 4 bytes = 4096: fits; one more does not
    assert_eq!(batch(&|_| {}, true, 512), Ok(()));
    assert_eq!(batch(&|_| {}, true, 513), oor);
    assert_eq!(batch(&|_| {}, false, 513), Ok(()));
    assert_eq!(ok(&Request::StepBatch { outputs: true, steps: vec![] }, None), oor);
}
