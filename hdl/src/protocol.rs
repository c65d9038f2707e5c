//! The board link's framing and command map: the one source of truth for the device (the
//! UART front end to come), the host driver and the board emulator. PROTOCOL.md is generated
//! from [`markdown`] and checked by a test.
//!
//! A frame on the wire is `COBS(payload ++ crc16_le(payload)) ++ [0x00]`: the zero byte
//! delimits frames, so a receiver resynchronises on the next zero after any damage. The
//! payload is `[version, seq, command, body..]`; the CRC is CRC-16/IBM-3740 (CCITT-FALSE:
//! polynomial 0x1021, initial 0xFFFF), cheap in hardware. A reply carries the request's `seq`
//! and `command | 0x80`, or [`ERROR_REPLY`] with an [`ErrorCode`].
//!
//! Sequence rules (so that up to [`WINDOW`] frames can be in flight and a damaged one is sent
//! again without running anything twice or out of order): INFO and STATUS are served whatever
//! their seq and start the count (the next expected seq is theirs plus one, 255 is followed by
//! 1: seq 0 is never sent, [`next_seq`]); any other frame
//! runs only if its seq is the expected one. A frame repeating one of the last [`WINDOW`] seqs
//! run is answered with the cached reply and runs nothing again (its reply was lost); any other
//! seq is refused with [`ErrorCode::OutOfOrder`]. So after a damaged frame the device refuses
//! everything until the host sends again from the damaged one, in order.

use crc::{Crc, CRC_16_IBM_3740};

/// Protocol version (payload byte 0).
pub const VERSION: u8 = 4;
/// The frame delimiter.
pub const DELIMITER: u8 = 0x00;
/// Header bytes: version, seq, command.
pub const HEADER_BYTES: usize = 3;
/// CRC bytes (little-endian) after the payload.
pub const CRC_BYTES: usize = 2;
/// Largest body (the device's receive buffer, two EBRs, less header and CRC): one time step of
/// 64 streams of the add task fits.
pub const MAX_BODY: usize = 4096;
/// Largest encoded frame without its delimiter: COBS adds one byte per 254 and one more.
pub const MAX_ENCODED: usize = {
    let raw = HEADER_BYTES + MAX_BODY + CRC_BYTES;
    raw + raw / 254 + 1
};
/// Frames a host may have in flight (sent, reply not yet received): the device receives one
/// while it runs the other, and keeps the replies of the last `WINDOW` frames it ran.
pub const WINDOW: usize = 2;
/// The seq after `seq`. Seq 0 is never used: a damaged frame's error reply carries 0.
pub fn next_seq(seq: u8) -> u8 {
    seq.checked_add(1).unwrap_or(1)
}

/// A reply's command byte is the request's with this bit set.
pub const REPLY_BIT: u8 = 0x80;
/// The command byte of an error reply.
pub const ERROR_REPLY: u8 = 0xFF;

const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);

/// The commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Command {
    /// Device description.
    Info = 0x01,
    /// Write a chunk of one parameter-state array.
    Load = 0x02,
    /// Read a chunk of one parameter-state array.
    Read = 0x03,
    /// Clear every stream's neuron state.
    ResetState = 0x04,
    /// Set the run-time configuration.
    Config = 0x05,
    /// Run time steps for every stream.
    StepBatch = 0x06,
    /// W <- W-bar.
    CommitAverage = 0x07,
    /// Counters and the last error.
    Status = 0x08,
}

impl Command {
    /// Every command, in code order.
    pub const ALL: [Command; 8] = [
        Command::Info,
        Command::Load,
        Command::Read,
        Command::ResetState,
        Command::Config,
        Command::StepBatch,
        Command::CommitAverage,
        Command::Status,
    ];

    /// The command of a code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| *c as u8 == code)
    }
}

/// Why a frame was refused (the body of an error reply: code, then the offending seq).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ErrorCode {
    /// The COBS encoding is broken.
    Malformed = 0x01,
    /// Shorter than header and CRC.
    Truncated = 0x02,
    /// The CRC does not match.
    BadCrc = 0x03,
    /// Another protocol version.
    BadVersion = 0x04,
    /// No such command.
    UnknownCommand = 0x05,
    /// The body is too long or too short for the command.
    BadLength = 0x06,
    /// An index, size or value out of the device's range.
    OutOfRange = 0x07,
    /// More bytes than [`MAX_ENCODED`] before a delimiter.
    Overflow = 0x08,
    /// Not the expected seq: a frame before it was lost (see the sequence rules).
    OutOfOrder = 0x09,
}

impl ErrorCode {
    /// Every error code, in code order.
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::Malformed,
        ErrorCode::Truncated,
        ErrorCode::BadCrc,
        ErrorCode::BadVersion,
        ErrorCode::UnknownCommand,
        ErrorCode::BadLength,
        ErrorCode::OutOfRange,
        ErrorCode::Overflow,
        ErrorCode::OutOfOrder,
    ];

    /// What the code means, for the user.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "broken COBS encoding",
            ErrorCode::Truncated => "frame shorter than header and CRC",
            ErrorCode::BadCrc => "CRC mismatch",
            ErrorCode::BadVersion => "another protocol version",
            ErrorCode::UnknownCommand => "no such command",
            ErrorCode::BadLength => "body length wrong for the command",
            ErrorCode::OutOfRange => "index, size or value out of the device's range",
            ErrorCode::Overflow => "no delimiter within the longest frame",
            ErrorCode::OutOfOrder => "not the expected seq: send again from the first frame not answered",
        }
    }
}

/// A decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Sequence number (the reply repeats the request's).
    pub seq: u8,
    /// Command byte (a [`Command`], with [`REPLY_BIT`] in replies, or [`ERROR_REPLY`]).
    pub command: u8,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// The bytes on the wire for a frame, delimiter included. Panics if the body exceeds
/// [`MAX_BODY`] (a caller bug: bodies are built by this crate's users to known sizes).
pub fn encode(frame: &Frame) -> Vec<u8> {
    assert!(frame.body.len() <= MAX_BODY, "body of {} bytes exceeds {MAX_BODY}", frame.body.len());
    let mut raw = Vec::with_capacity(HEADER_BYTES + frame.body.len() + CRC_BYTES);
    raw.extend([VERSION, frame.seq, frame.command]);
    raw.extend(&frame.body);
    raw.extend(CRC16.checksum(&raw).to_le_bytes());
    let mut out = cobs::encode_vec(&raw);
    out.push(DELIMITER);
    out
}

/// A streaming frame decoder: feed it bytes as they arrive; every delimiter ends a frame,
/// good or refused. Nothing a refused frame carried is returned, and no frame it returns has
/// a body longer than [`MAX_BODY`].
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    overflow: bool,
}

impl Decoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns one result per delimiter seen. Empty frames (two delimiters in a
    /// row, e.g. a sender flushing the line) are skipped.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<Frame, ErrorCode>> {
        let mut out = vec![];
        for &b in bytes {
            if b != DELIMITER {
                if self.buf.len() < MAX_ENCODED {
                    self.buf.push(b);
                } else {
                    self.overflow = true;
                }
                continue;
            }
            let chunk = std::mem::take(&mut self.buf);
            if std::mem::take(&mut self.overflow) {
                out.push(Err(ErrorCode::Overflow));
            } else if !chunk.is_empty() {
                out.push(decode_chunk(&chunk));
            }
        }
        out
    }
}

/// One frame's bytes between delimiters.
fn decode_chunk(chunk: &[u8]) -> Result<Frame, ErrorCode> {
    let raw = cobs::decode_vec(chunk).map_err(|_| ErrorCode::Malformed)?;
    if raw.len() < HEADER_BYTES + CRC_BYTES {
        return Err(ErrorCode::Truncated);
    }
    // zeros cost COBS nothing, so an encoding within MAX_ENCODED can carry a longer body
    if raw.len() > HEADER_BYTES + MAX_BODY + CRC_BYTES {
        return Err(ErrorCode::BadLength);
    }
    let (payload, crc) = raw.split_at(raw.len() - CRC_BYTES);
    if CRC16.checksum(payload).to_le_bytes() != crc {
        return Err(ErrorCode::BadCrc);
    }
    if payload[0] != VERSION {
        return Err(ErrorCode::BadVersion);
    }
    Ok(Frame { seq: payload[1], command: payload[2], body: payload[HEADER_BYTES..].to_vec() })
}

/// The request and reply bodies of each command (little-endian; `i32` words carry the
/// fixed-point codes of NUMERICS.md sign-extended).
pub const BODIES: [(Command, &str, &str); 8] = [
    (
        Command::Info,
        "-",
        "version u8, max I u8, max H u8, max C u8, lanes u8, max B u8, clock Hz u32, formats: \
         (bits u8, frac u8) for input, state, gate, weight, weight_avg, lambda, grad; bank words u16 \
         (weight bank words per lane), vector words u16 (vector bank words per lane)",
    ),
    (
        Command::Load,
        "array u8 (0 W, 1 W-bar, 2 lambda, 3 m, 4 u), lane u8, first bank address u16, words i32 x n (n >= 0)",
        "words written u16",
    ),
    (Command::Read, "array u8, lane u8, first bank address u16, count u16", "words i32 x count (sign-extended)"),
    (Command::ResetState, "-", "-"),
    (
        Command::Config,
        "I u8, H u8, C u8, B u8, update constants i32 x 10 (1/B, a, 1 - beta_f, beta_f, beta_f / a, \
         beta1, 1 - beta1, beta2, lr, Adamax 1 / SGD 0: the unit's registers, codes of NUMERICS.md), \
         rows u8 (R = ceil(max(I, H, C) / lanes), vector rows per lane), readout u8 (0 spikes, 1 membrane), \
         configuration table i32 x 448 (word k = field k / 32 of phase k % 32: the unit's table, computed \
         by the host)",
        "-",
    ),
    (
        Command::StepBatch,
        "steps u16, outputs wanted u8; per step: flags u8 (1 learn, 2 classify, 4 new learning rate), \
         with flag 4 the lr code i32 (taking effect at this step), then per stream: x i32 x I, \
         target i32 x C (classify: the class in word 0), step weight i32",
        "per step, per stream: o i32 x C (when asked)",
    ),
    (Command::CommitAverage, "-", "-"),
    (
        Command::Status,
        "-",
        "frames ok u32, frames refused u32, last error u8, steps run u32, configured I, H, C, B u8 x 4 \
         and readout u8 (zeros before CONFIG)",
    ),
];

/// What each command checks, in order, once the frame is good and in sequence (the first
/// failing check answers; a refused frame changes nothing). Widths are those of
/// [`crate::messages::code_bits`]; "fits n bits" is two's complement.
pub const CHECKS: [(Command, &str); 8] = [
    (Command::Info, "a non-empty body: BadLength"),
    (
        Command::Load,
        "a body shorter than 4 bytes or (length - 4) not a multiple of 4: BadLength; then OutOfRange if \
         array >= 5, lane >= lanes, first + n > bank words, or a word does not fit its array \
         (W, W-bar 27 bits; lambda, m, u 18 bits). Allowed before any CONFIG",
    ),
    (
        Command::Read,
        "a body length other than 6: BadLength; then OutOfRange if array >= 5, lane >= lanes, \
         first + count > bank words, or count x 4 > the largest body. Allowed before any CONFIG",
    ),
    (Command::ResetState, "a non-empty body: BadLength; then before any CONFIG: OutOfRange"),
    (
        Command::Config,
        "a body length other than 1838 (4 + 40 + 2 + 448 x 4): BadLength; then OutOfRange if I, H or C \
         is not in 1..=max, B not in 1..=max B, R = 0 or R x B > vector words, the readout is not 0 or 1, \
         a constant does not fit 18 bits, the Adamax constant is not 0 or 1, or a table word does not fit \
         27 bits",
    ),
    (
        Command::StepBatch,
        "before any CONFIG: OutOfRange (whatever the body); a body shorter than 3 bytes: BadLength; the \
         steps walked in order: a missing byte BadLength, a flags byte with other bits than 1, 2, 4 \
         OutOfRange at once; bytes after the last step: BadLength; then OutOfRange if an lr code does \
         not fit 18 bits (lr), an x code 18 bits (input), a target code 18 bits (state; classify steps: \
         word 0 of each stream in 0..C, the other words ignored), a step weight 18 bits (gain), or \
         outputs are wanted and steps x B x C x 4 > the largest body",
    ),
    (Command::CommitAverage, "a non-empty body: BadLength; then before any CONFIG: OutOfRange"),
    (Command::Status, "a non-empty body: BadLength"),
];

/// PROTOCOL.md's generated tables.
pub fn markdown() -> String {
    let mut s = String::new();
    s.push_str("| field | value |\n|---|---|\n");
    for (name, value) in [
        ("version", format!("{VERSION}")),
        ("delimiter", format!("0x{DELIMITER:02X}")),
        ("header", format!("{HEADER_BYTES} bytes: version, seq, command")),
        ("CRC", format!("{CRC_BYTES} bytes, little-endian, CRC-16/IBM-3740 over the header and body")),
        ("largest body", format!("{MAX_BODY} bytes")),
        ("largest encoded frame", format!("{MAX_ENCODED} bytes before the delimiter")),
        ("frames in flight", format!("at most {WINDOW}; replies cached for the last {WINDOW} frames run")),
        ("seq", "1 to 255, then 1 again (0 is the seq of error replies to damaged frames); INFO and STATUS restart the count, any other frame must carry the next seq".to_string()),
        ("reply command", format!("the request's with bit 0x{REPLY_BIT:02X} set; error reply 0x{ERROR_REPLY:02X}")),
    ] {
        s.push_str(&format!("| {name} | {value} |\n"));
    }
    s.push_str("\n| command | code | request body | reply body |\n|---|---|---|---|\n");
    for (c, req, rep) in BODIES {
        s.push_str(&format!("| {c:?} | 0x{:02X} | {req} | {rep} |\n", c as u8));
    }
    s.push_str("\n| command | checks, in order |\n|---|---|\n");
    for (c, checks) in CHECKS {
        s.push_str(&format!("| {c:?} | {checks} |\n"));
    }
    s.push_str("\n| error | code | meaning |\n|---|---|---|\n");
    for e in ErrorCode::ALL {
        s.push_str(&format!("| {e:?} | 0x{:02X} | {} |\n", e as u8, e.meaning()));
    }
    s
}

const _: () = assert!(crate::forward::uconst::COUNT == 10, "CONFIG's body lists 10 update constants");
const _: () = assert!(
    crate::forward::cfg::FIELDS * crate::forward::phase::ENTRIES == 448,
    "CONFIG's body carries a table of 448 words"
);
const _: () = assert!(crate::messages::CONFIG_BODY == 1838, "CHECKS quotes CONFIG's body length");
