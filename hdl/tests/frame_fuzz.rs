//! Fuzzing the board link's decoder and parsers (the fixed cases are in protocol.rs and
//! messages.rs): any byte soup in any chunking never panics and gives one result per
//! delimited chunk; frames with any body up to MAX_BODY round-trip; every single, double and
//! short-burst error of a payload is refused (CRC-16), and damage on the wire never becomes
//! another frame; the decoder resynchronises after garbage; the request and reply parsers never
//! panic and round-trip every message built from random fields.

use fptt_hdl::messages::{DeviceInfo, FormatInfo, Reply, Request, RunConfig, StatusInfo, StepIn, TABLE_WORDS};
use fptt_hdl::protocol::{
    encode, Command, Decoder, ErrorCode, Frame, DELIMITER, ERROR_REPLY, MAX_BODY, MAX_ENCODED, REPLY_BIT,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::RngSeed;

type Decoded = Vec<Result<Frame, ErrorCode>>;

/// Feeds `wire` in chunks whose sizes cycle through `sizes` (an empty push between chunks
/// must give nothing).
fn feed(dec: &mut Decoder, wire: &[u8], sizes: &[usize]) -> Decoded {
    let mut got = vec![];
    let mut rest = wire;
    for &n in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (a, b) = rest.split_at(n.clamp(1, rest.len()));
        got.extend(dec.push(a));
        assert!(dec.push(&[]).is_empty(), "an empty push gives nothing");
        rest = b;
    }
    got
}

/// The one result a fresh decoder gives for `chunk` and a delimiter.
fn decode_one(chunk: &[u8]) -> Result<Frame, ErrorCode> {
    let got = Decoder::new().push(&[chunk, &[DELIMITER]].concat());
    assert_eq!(got.len(), 1, "one result for one non-empty chunk");
    got.into_iter().next().unwrap()
}

/// Bodies that stress COBS and the length limits: short random ones, any length up to `max`,
/// runs of one byte (all zeros, all 0xFF), lengths around COBS's 254-byte blocks, dense zeros.
fn arb_body(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => vec(any::<u8>(), 0..=max.min(300)),
        2 => vec(any::<u8>(), 0..=max),
        1 => (0..=max, any::<u8>()).prop_map(|(n, b)| vec![b; n]),
        1 => (248..=262usize, 1u8..=255).prop_map(move |(n, b)| vec![b; n.min(max)]),
        1 => vec(0u8..=1, 0..=max.min(600)),
    ]
}

fn arb_frame(max_body: usize) -> impl Strategy<Value = Frame> {
    (any::<u8>(), any::<u8>(), arb_body(max_body)).prop_map(|(seq, command, body)| Frame { seq, command, body })
}

/// Chunk sizes: single bytes up to several frames at once.
fn arb_sizes() -> impl Strategy<Value = Vec<usize>> {
    vec(prop_oneof![Just(1usize), 1..=16usize, 1..=5000usize], 1..8)
}

/// Line noise: random bytes (with zeros), delimiters, encoded frames cut short (and whole
/// ones when `whole_frames`), and endless runs around the overflow limit.
fn arb_soup(whole_frames: bool) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => vec(any::<u8>(), 0..48),
        2 => vec(prop_oneof![Just(0u8), any::<u8>()], 0..48),
        1 => Just(vec![DELIMITER]),
        2 => (arb_frame(64), any::<prop::sample::Index>()).prop_map(move |(f, i)| {
            let w = encode(&f);
            if whole_frames { w } else { w[..i.index(w.len())].to_vec() }
        }),
        1 => (arb_frame(64), any::<prop::sample::Index>()).prop_map(|(f, i)| {
            let w = encode(&f);
            w[..i.index(w.len())].to_vec()
        }),
        1 => (MAX_ENCODED - 2..=MAX_ENCODED + 2, 1u8..=255).prop_map(|(n, b)| vec![b; n]),
    ];
    vec(piece, 0..10).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// (a) The streaming decoder gives, for each delimiter, what a fresh decoder gives for the
    /// chunk before it: nothing for an empty chunk, Overflow past MAX_ENCODED bytes, else
    /// exactly one result; nothing leaks from one chunk into the next, whatever the chunking.
    #[test]
    fn byte_soup_gives_one_result_per_delimited_chunk(soup in arb_soup(true), sizes in arb_sizes()) {
        let mut dec = Decoder::new();
        let mut got = feed(&mut dec, &soup, &sizes);
        got.extend(dec.push(&[DELIMITER])); // close the last chunk
        let mut want = vec![];
        for chunk in soup.split(|&b| b == DELIMITER) {
            if chunk.len() > MAX_ENCODED {
                want.push(Err(ErrorCode::Overflow));
            } else if !chunk.is_empty() {
                want.push(decode_one(chunk));
            }
        }
        for r in got.iter().flatten() {
            prop_assert!(r.body.len() <= MAX_BODY, "a body of {} bytes", r.body.len());
        }
        prop_assert_eq!(got, want);
    }

    /// (b) Every frame round-trips, with or without flushing delimiters between frames,
    /// whatever the chunking.
    #[test]
    fn frames_up_to_max_body_round_trip_in_any_chunking(
        frames in vec((arb_frame(MAX_BODY), 0..3usize), 1..4),
        sizes in arb_sizes(),
    ) {
        let mut wire = vec![];
        for (f, flushes) in &frames {
            wire.extend(vec![DELIMITER; *flushes]);
            wire.extend(encode(f));
        }
        prop_assert!(wire.iter().filter(|&&b| b == DELIMITER).count() >= frames.len());
        let got = feed(&mut Decoder::new(), &wire, &sizes);
        let want: Decoded = frames.into_iter().map(|(f, _)| Ok(f)).collect();
        prop_assert_eq!(got, want);
    }

    /// (c) CRC-16/IBM-3740 (x^16 + x^12 + x^5 + 1 = (x + 1) x a primitive degree-15 polynomial)
    /// detects every single-bit error, every double-bit error closer than 32767 bits and every
    /// burst of up to 16 bits. Errors of the payload and CRC (the decoded bytes), re-encoded
    /// so that the COBS layer is intact, are therefore always refused as BadCrc.
    #[test]
    fn every_single_double_and_short_burst_error_of_a_payload_is_refused(
        f in arb_frame(1024),
        at in any::<prop::sample::Index>(),
        other in any::<prop::sample::Index>(),
        kind in 0..3u8,
        burst in (1..=16u32, any::<u16>()),
    ) {
        let wire = encode(&f);
        let mut raw = cobs::decode_vec(&wire[..wire.len() - 1]).expect("a good encoding");
        let bits = raw.len() * 8;
        prop_assert!(bits < 32767, "double-bit errors are all detected below 32767 bits");
        let mut flip = |bit: usize| raw[bit / 8] ^= 1 << (bit % 8);
        let first = at.index(bits);
        match kind {
            0 => flip(first),
            1 => {
                let second = (first + 1 + other.index(bits - 1)) % bits; // another bit
                flip(first);
                flip(second);
            }
            _ => {
                // a burst: `len` bits from `first` (wrapping), the first and last flipped
                let (len, pattern) = (burst.0 as usize, burst.1 as u32 | 1 | (1 << (burst.0 - 1)));
                for k in 0..len.min(bits) {
                    if pattern >> k & 1 == 1 {
                        flip((first + k) % bits);
                    }
                }
            }
        }
        let mut bad = cobs::encode_vec(&raw);
        bad.push(DELIMITER);
        prop_assert_eq!(Decoder::new().push(&bad), vec![Err(ErrorCode::BadCrc)]);
    }

    /// (e) Every request built from random fields survives frame, wire and parse unchanged.
    #[test]
    fn random_requests_round_trip((r, dims) in arb_request(), seq in any::<u8>(), sizes in arb_sizes()) {
        let f = r.frame(seq);
        prop_assert!(f.body.len() <= MAX_BODY);
        let got = feed(&mut Decoder::new(), &encode(&f), &sizes);
        prop_assert_eq!(&got, &vec![Ok(f.clone())]);
        prop_assert_eq!(Request::parse(&f, Some(dims)), Ok(r));
    }

    /// (e) Every reply built from random fields survives frame, wire and parse unchanged.
    #[test]
    fn random_replies_round_trip((c, r) in arb_reply(), seq in any::<u8>()) {
        let f = r.frame(seq, c);
        prop_assert!(f.body.len() <= MAX_BODY);
        prop_assert_eq!(Decoder::new().push(&encode(&f)), vec![Ok(f.clone())]);
        prop_assert_eq!(Reply::parse(&f, c), Ok(r));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (e) The parsers never panic on any body for any command (random bytes, or the body of a
    /// random message cut, extended or overwritten); what they accept builds the same message
    /// again through body()/frame() and parse() (bytes that do not matter, such as unused
    /// step-flag bits, may change).
    #[test]
    fn parsers_never_panic_and_what_they_accept_round_trips((command, body, dims) in arb_parse_input(), seq in any::<u8>()) {
        let frame = Frame { seq, command, body };
        if let Ok(r) = Request::parse(&frame, dims) {
            prop_assert_eq!(r.command() as u8, command);
            prop_assert_eq!(Request::parse(&r.frame(seq), dims), Ok(r));
        }
        for c in Command::ALL {
            if let Ok(r) = Reply::parse(&frame, c) {
                let again = r.frame(seq, c);
                prop_assert_eq!(again.command, command);
                prop_assert_eq!(Reply::parse(&again, c), Ok(r));
            }
        }
    }
}

proptest! {
    // Damage to the COBS layer itself (a code byte, a byte turned into a delimiter, a cut)
    // reaches the CRC as arbitrary errors, caught with probability 1 - 2^-16 rather than
    // always: a fixed seed keeps this run the same on every machine.
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: RngSeed::Fixed(0x00F9_77F1), ..ProptestConfig::default() })]

    /// (c) A frame with one or two bits flipped anywhere on the wire, or cut at either end, is
    /// refused (BadCrc whenever the flips only touch COBS data bytes) and never decodes to
    /// another frame; (d) a good frame after it decodes.
    #[test]
    fn wire_damage_is_refused_and_the_next_frame_decodes(
        f in arb_frame(600),
        g in arb_frame(64),
        at in vec(any::<prop::sample::Index>(), 2),
        kind in 0..4u8,
    ) {
        let wire = encode(&f);
        let n = wire.len() - 1; // bytes before the delimiter
        let (mut bad, mut data_only) = (wire[..n].to_vec(), false);
        match kind {
            0 | 1 => {
                let mut flipped = vec![at[0].index(n * 8)];
                if kind == 1 {
                    flipped.push((flipped[0] + 1 + at[1].index(n * 8 - 1)) % (n * 8));
                }
                for &bit in &flipped {
                    bad[bit / 8] ^= 1 << (bit % 8);
                }
                let code = code_bytes(&wire[..n]);
                data_only = flipped.iter().all(|&bit| !code[bit / 8] && bad[bit / 8] != DELIMITER);
            }
            2 => bad.truncate(at[0].index(n)), // the sender stopped mid-frame
            _ => bad = bad[1 + at[0].index(n - 1)..].to_vec(), // the receiver joined mid-frame
        }
        let mut dec = Decoder::new();
        let mut got = dec.push(&bad);
        got.extend(dec.push(&[DELIMITER]));
        if data_only {
            prop_assert_eq!(&got, &vec![Err(ErrorCode::BadCrc)]);
        }
        prop_assert!(got.iter().all(|r| r.is_err()), "{:?}", got);
        prop_assert_eq!(dec.push(&encode(&g)), vec![Ok(g)]);
    }

    /// (d) Garbage (noise, delimiters, endless runs) straight before two frames with no flush:
    /// the second frame always decodes (the first too when the garbage ended on a delimiter),
    /// and the garbage itself gives only refusals.
    #[test]
    fn the_decoder_resynchronises_after_garbage_without_a_flush(
        garbage in arb_soup(false).prop_filter("no whole frame inside", |s| soup_has_no_frame(s)),
        f1 in arb_frame(300),
        f2 in arb_frame(300),
        sizes in arb_sizes(),
    ) {
        let wire = [garbage.clone(), encode(&f1), encode(&f2)].concat();
        let mut got = feed(&mut Decoder::new(), &wire, &sizes);
        prop_assert_eq!(got.pop(), Some(Ok(f2)));
        if matches!(garbage.last(), None | Some(&DELIMITER)) {
            prop_assert_eq!(got.pop(), Some(Ok(f1)));
        }
        prop_assert!(got.iter().all(|r| r.is_err()), "{:?}", got);
    }
}

/// Which bytes of a COBS encoding (without its delimiter) are code bytes.
fn code_bytes(enc: &[u8]) -> Vec<bool> {
    let mut code = vec![false; enc.len()];
    let mut i = 0;
    while i < enc.len() {
        code[i] = true;
        i += enc[i].max(1) as usize;
    }
    code
}

/// Whether no chunk of `soup` decodes to a frame (the soup holds encoded frames on purpose).
fn soup_has_no_frame(soup: &[u8]) -> bool {
    Decoder::new().push(&[soup, &[DELIMITER]].concat()).iter().all(|r| r.is_err())
}

/// A change to a good body: (where, a byte, how).
type Mutation = (prop::sample::Index, u8, u8);

/// `body` cut at `at`, extended by `byte`, with `byte` written at `at`, or (half the time)
/// unchanged.
fn near_miss(mut body: Vec<u8>, (at, byte, how): Mutation) -> Vec<u8> {
    match how % 6 {
        0 => body.truncate(at.index(body.len() + 1)),
        1 => body.push(byte),
        2 if !body.is_empty() => {
            let i = at.index(body.len());
            body[i] = byte;
        }
        _ => {}
    }
    body.truncate(MAX_BODY);
    body
}

/// (I, C, B) for STEP_BATCH, or none (before CONFIG).
fn arb_dims() -> impl Strategy<Value = Option<(usize, usize, usize)>> {
    prop::option::of((0..5usize, 0..5usize, 0..9usize))
}

/// What the parsers get: a command byte, a body and the dimensions. Random bytes for any
/// command, or near misses of good messages with their own command byte (and dimensions).
fn arb_parse_input() -> impl Strategy<Value = (u8, Vec<u8>, Option<(usize, usize, usize)>)> {
    let command = prop_oneof![
        select(Command::ALL.to_vec()).prop_map(|c| c as u8),
        select(Command::ALL.to_vec()).prop_map(|c| c as u8 | REPLY_BIT),
        Just(ERROR_REPLY),
        any::<u8>(),
    ];
    let mutation = || any::<Mutation>();
    prop_oneof![
        2 => (command.clone(), vec(any::<u8>(), 0..80), arb_dims()),
        1 => (command, vec(any::<u8>(), 0..=MAX_BODY), arb_dims()),
        4 => (arb_request(), mutation(), arb_dims(), any::<bool>()).prop_map(|((r, dims), m, other, same)| {
            (r.command() as u8, near_miss(r.body(), m), if same { Some(dims) } else { other })
        }),
        4 => (arb_reply(), mutation()).prop_map(|((c, r), m)| {
            let f = r.frame(0, c);
            (f.command, near_miss(f.body, m), None)
        }),
    ]
}

fn words(n: impl Into<prop::collection::SizeRange>) -> impl Strategy<Value = Vec<i32>> {
    vec(any::<i32>(), n)
}

/// A request of any command with random fields, and the (I, C, B) it parses with; bodies fit
/// MAX_BODY.
fn arb_request() -> impl Strategy<Value = (Request, (usize, usize, usize))> {
    (0..5usize, 0..5usize, 0..9usize).prop_flat_map(|(i, c, b)| {
        let step = (any::<bool>(), any::<bool>(), words(b * i), words(b * c), words(b), any::<Option<i32>>())
            .prop_map(|(learn, classify, x, target, weight, lr)| StepIn { learn, classify, x, target, weight, lr });
        let load_max = (MAX_BODY - 4) / 4;
        let request = prop_oneof![
            1 => Just(Request::Info),
            2 => (any::<u8>(), any::<u8>(), any::<u16>(), prop_oneof![words(0..=64), words(0..=load_max)])
                .prop_map(|(array, lane, first, words)| Request::Load { array, lane, first, words }),
            1 => (any::<u8>(), any::<u8>(), any::<u16>(), any::<u16>()).prop_map(|(array, lane, first, count)| {
                Request::Read { array, lane, first, count }
            }),
            1 => Just(Request::ResetState),
            1 => (any::<[u8; 6]>(), any::<[i32; 10]>(), words(TABLE_WORDS)).prop_map(|(d, consts, table)| {
                Request::Config(RunConfig {
                    inputs: d[0],
                    hidden: d[1],
                    outputs: d[2],
                    streams: d[3],
                    consts,
                    rows: d[4],
                    readout: d[5],
                    table,
                })
            }),
            4 => (any::<bool>(), vec(step, 0..4)).prop_map(|(outputs, steps)| Request::StepBatch { outputs, steps }),
            1 => Just(Request::CommitAverage),
            1 => Just(Request::Status),
        ];
        request.prop_map(move |r| (r, (i, c, b)))
    })
}

/// A reply with random fields and the command it answers; bodies fit MAX_BODY.
fn arb_reply() -> impl Strategy<Value = (Command, Reply)> {
    let format = (any::<u8>(), any::<u8>()).prop_map(|(bits, frac)| FormatInfo { bits, frac });
    let info = (any::<[u8; 6]>(), any::<u32>(), prop::array::uniform7(format), any::<[u16; 2]>()).prop_map(
        |(h, clock_hz, formats, banks)| DeviceInfo {
            version: h[0],
            max_inputs: h[1],
            max_hidden: h[2],
            max_outputs: h[3],
            lanes: h[4],
            max_streams: h[5],
            clock_hz,
            formats,
            bank_words: banks[0],
            vector_words: banks[1],
        },
    );
    let status = any::<(u32, u32, u8, u32, [u8; 4], u8)>().prop_map(
        |(frames_ok, frames_refused, last_error, steps, config, readout)| StatusInfo {
            frames_ok,
            frames_refused,
            last_error,
            steps,
            config,
            readout,
        },
    );
    let max_words = MAX_BODY / 4;
    prop_oneof![
        info.prop_map(|d| (Command::Info, Reply::Info(d))),
        any::<u16>().prop_map(|n| (Command::Load, Reply::Load(n))),
        prop_oneof![words(0..=64), words(0..=max_words)].prop_map(|w| (Command::Read, Reply::Read(w))),
        Just((Command::ResetState, Reply::ResetState)),
        Just((Command::Config, Reply::Config)),
        prop_oneof![words(0..=64), words(0..=max_words)].prop_map(|w| (Command::StepBatch, Reply::StepBatch(w))),
        Just((Command::CommitAverage, Reply::CommitAverage)),
        status.prop_map(|s| (Command::Status, Reply::Status(s))),
        (select(Command::ALL.to_vec()), select(ErrorCode::ALL.to_vec()), any::<u8>())
            .prop_map(|(c, e, seq)| (c, Reply::Error(e, seq))),
    ]
}

/// The decoder refuses a body longer than MAX_BODY even when its encoding fits MAX_ENCODED
/// (zeros cost COBS nothing): such a frame would not fit the device's receive buffer, and the
/// host could not encode it back.
#[test]
fn a_body_past_max_body_is_refused_even_when_its_encoding_fits() {
    for extra in [1, 8, 16] {
        let mut raw = vec![fptt_hdl::protocol::VERSION, 1, Command::Load as u8];
        raw.extend(vec![0; MAX_BODY + extra]);
        let crc = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740).checksum(&raw);
        raw.extend(crc.to_le_bytes());
        let mut wire = cobs::encode_vec(&raw);
        assert!(wire.len() <= MAX_ENCODED, "fits the decoder's buffer");
        wire.push(DELIMITER);
        assert_eq!(Decoder::new().push(&wire), vec![Err(ErrorCode::BadLength)], "{extra} bytes past MAX_BODY");
    }
}
