//! The link's framing: round trips under any chunking, resynchronisation after garbage,
//! truncation and overflow, every single-bit error refused, and PROTOCOL.md generated from
//! the code.

use fptt_hdl::protocol::{encode, markdown, Command, Decoder, ErrorCode, Frame, MAX_BODY, MAX_ENCODED};
use proptest::prelude::*;

fn frame(seq: u8, command: u8, body: Vec<u8>) -> Frame {
    Frame { seq, command, body }
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    (any::<u8>(), any::<u8>(), prop::collection::vec(any::<u8>(), 0..300)).prop_map(|(s, c, b)| frame(s, c, b))
}

proptest! {
    #[test]
    fn frames_round_trip_under_any_chunking(frames in prop::collection::vec(arb_frame(), 1..6), cut in any::<u64>()) {
        let wire: Vec<u8> = frames.iter().flat_map(encode).collect();
        let mut dec = Decoder::new();
        let mut got = vec![];
        let mut rest = &wire[..];
        let mut c = cut;
        while !rest.is_empty() {
            let n = 1 + (c % 37) as usize;
            c = c.rotate_left(7) ^ 0x9e37_79b9;
            let (a, b) = rest.split_at(n.min(rest.len()));
            got.extend(dec.push(a));
            rest = b;
        }
        let want: Vec<Result<Frame, ErrorCode>> = frames.into_iter().map(Ok).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn garbage_then_a_good_frame_resynchronises(garbage in prop::collection::vec(any::<u8>(), 0..64), f in arb_frame()) {
        let mut dec = Decoder::new();
        let mut got = dec.push(&garbage);
        got.extend(dec.push(&[0]));
        // the garbage yields errors only (a valid frame by chance: p < 2^-16 per chunk)
        prop_assert!(got.iter().all(|r| r.is_err()), "{:?}", got);
        prop_assert_eq!(dec.push(&encode(&f)), vec![Ok(f)]);
    }

    #[test]
    fn a_truncated_frame_is_refused_and_the_next_one_decodes(f in arb_frame(), keep in 0usize..400, g in arb_frame()) {
        let wire = encode(&f);
        let cut = keep % (wire.len() - 1); // strictly shorter than the frame without its delimiter
        let mut dec = Decoder::new();
        let mut got = dec.push(&wire[..cut]);
        got.extend(dec.push(&[0]));
        prop_assert!(got.iter().all(|r| r.is_err()), "{:?}", got);
        prop_assert_eq!(dec.push(&encode(&g)), vec![Ok(g)]);
    }
}

#[test]
fn every_single_bit_error_is_refused() {
    let frames = [
        frame(0, Command::Info as u8, vec![]),
        frame(7, Command::Load as u8, (0..=255u8).collect()),
        frame(200, Command::StepBatch as u8, vec![0; 600]),
        frame(255, Command::Read as u8, vec![1, 0, 0, 0, 0, 16, 0]),
    ];
    let good = frame(42, Command::Status as u8, vec![]);
    let mut flips = 0;
    for f in &frames {
        let wire = encode(f);
        // every bit of the frame but its delimiter (a flipped delimiter merges two frames:
        // the merged one fails its CRC like any other damage, checked below too)
        for bit in 0..wire.len() * 8 {
            let mut bad = wire.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let mut dec = Decoder::new();
            let mut got = dec.push(&bad);
            got.extend(dec.push(&[0]));
            assert!(got.iter().all(|r| r.is_err()), "bit {bit} of {f:?}: {got:?}");
            assert_eq!(dec.push(&encode(&good)), vec![Ok(good.clone())], "resync after bit {bit}");
            flips += 1;
        }
    }
    let bits: usize = frames.iter().map(|f| encode(f).len() * 8).sum();
    assert_eq!(flips, bits, "every bit of every frame flipped once");
    println!("{flips} single-bit errors, each refused, each followed by a clean resync");
}

#[test]
fn an_endless_frame_overflows_then_resynchronises() {
    let mut dec = Decoder::new();
    assert!(dec.push(&vec![0x55; MAX_ENCODED + 10]).is_empty());
    assert_eq!(dec.push(&[0]), vec![Err(ErrorCode::Overflow)]);
    let f = frame(1, Command::Info as u8, vec![9; MAX_BODY]);
    assert_eq!(dec.push(&encode(&f)), vec![Ok(f)]);
}

#[test]
fn command_and_error_codes_are_distinct_and_decode() {
    for c in Command::ALL {
        assert_eq!(Command::from_code(c as u8), Some(c));
        assert_eq!(c as u8 & 0x80, 0, "reply bit free");
    }
    let mut codes: Vec<u8> = ErrorCode::ALL.iter().map(|&e| e as u8).collect();
    codes.dedup();
    assert_eq!(codes.len(), ErrorCode::ALL.len());
    assert_eq!(Command::from_code(0x7E), None);
}

#[test]
fn protocol_md_is_generated_from_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../PROTOCOL.md");
    let text = std::fs::read_to_string(path).expect("PROTOCOL.md at the repository root");
    let (begin, end) = ("<!-- generated: fptt_hdl::protocol::markdown -->\n", "<!-- end generated -->");
    let start = text.find(begin).expect("generated-section marker") + begin.len();
    let stop = text[start..].find(end).expect("end marker") + start;
    assert_eq!(
        &text[start..stop],
        markdown(),
        "PROTOCOL.md is stale: replace its generated section with fptt_hdl::protocol::markdown()"
    );
}
