//! The link's command bodies: every request and reply survives encode, frame, decode and parse
//! unchanged (with random contents), and bodies of the wrong length, unknown arrays of bytes
//! or a STEP_BATCH before CONFIG are refused with the matching error code.

use fptt_hdl::messages::{DeviceInfo, FormatInfo, Reply, Request, RunConfig, StatusInfo, StepIn};
use fptt_hdl::protocol::{encode, Command, Decoder, ErrorCode, Frame};
use fptt_hdl::verify::Rng;

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
        Request::Load { array: 2, first: rng.range(0, 1 << 20) as u32, words: words(rng, 200) },
        Request::Read { array: 4, first: 7, count: 900 },
        Request::ResetState,
        Request::Config(RunConfig {
            inputs: i as u8,
            hidden: 64,
            outputs: c as u8,
            streams: b as u8,
            consts: words(rng, 10).try_into().unwrap(),
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
    let cfg = Request::Config(RunConfig { inputs: 2, hidden: 8, outputs: 1, streams: 1, consts: [1; 10] }).body();
    for body in [cfg[..cfg.len() - 1].to_vec(), [cfg.clone(), vec![0]].concat()] {
        assert_eq!(Request::parse(&frame(Command::Config, body), None), Err(ErrorCode::BadLength));
    }
    assert_eq!(Request::parse(&frame(Command::Load, vec![0, 0, 0, 0, 0, 1, 2]), None), Err(ErrorCode::BadLength));
    assert_eq!(Request::parse(&frame(Command::Info, vec![0]), None), Err(ErrorCode::BadLength));
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
