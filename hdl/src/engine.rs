//! `Engine`: the device's command engine, between the frame receiver
//! ([`crate::frame_rx::FrameRx`]) and the UART transmitter, driving the training unit
//! ([`crate::forward::ForwardStep`]) through its host port. It serves every command of
//! PROTOCOL.md with the replies, byte for byte, of the golden-model device (`fptt_host::device`).
//!
//! **Receive slots.** FrameRx's payload bytes go to one of two slots: the header bytes (seq,
//! command) into registers, the body into a 2 x 4096-byte RAM (four EBRs) at slot << 12 | i.
//! Each frame, good or refused by FrameRx, becomes an event in the slot being written; the
//! engine serves the events in arrival order, so it receives one frame while it runs the other
//! (PROTOCOL.md's two frames in flight). A frame that arrives while both slots hold events (a
//! host sending more than two frames ahead) is dropped without a reply.
//!
//! **Replies.** Three [`FrameTx`]: two hold the replies of the last two frames run (the cache a
//! repeated frame is answered from), the third the error replies. A reply is written while its
//! frame runs (READ's words, STEP_BATCH's readouts as each step ends) and sent once the line is
//! free, so replies leave in the order the frames came.
//!
//! **Checks.** Every refusal is decided before anything runs or is written: a first pass over
//! the body checks its length and every code's range (in the golden device's order: a missing
//! byte is BadLength at once, a STEP_BATCH flags byte with unknown bits OutOfRange at once, any
//! other value error OutOfRange once the whole body is known to have the right length), the
//! second pass writes the unit. The configuration table and the vector-bank rows of CONFIG
//! are computed by the host (`config_writes`, `Banking`) and trusted; the golden device checks
//! them.
//!
//! Words on the unit's port: an element k of stream b of a vector goes to lane k mod L at bank
//! address b R + k / L (R from CONFIG), walked with counters (no multiplier); parameter words
//! go to the lane and bank address LOAD names.

use crate::forward::{host, rd, BANK_ADDR_BITS, LANE_BITS, READ_LATENCY, STREAM_BITS, WEIGHT_ADDR_BITS};
use crate::frame_rx::ADDR_BITS;
use crate::frame_tx::{FrameTx, FRAME_TX_INDEX_BITS};
use crate::protocol::{Command, ErrorCode, MAX_BODY};
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

// RdWa/RdWb and SbOutA/SbOutB wait out the unit's read-back (its request is registered in rdv,
// rdl, rda first, so the answer is latched into outw one edge later than READ_LATENCY).
const _: () = assert!(READ_LATENCY == 2, "two wait states before RdWd and SbOutD");

/// Bytes of a CONFIG body: I, H, C, B, ten update constants, R, the readout, the 448 table
/// words.
pub const CONFIG_BODY: usize = 4 + 4 * crate::forward::uconst::COUNT + 2 + 4 * TABLE_WORDS;
/// Words of the unit's configuration table.
pub const TABLE_WORDS: usize = crate::forward::cfg::FIELDS * crate::forward::phase::ENTRIES;
/// Bytes of the INFO reply's payload the engine holds in its ROM (at most 32).
pub const INFO_ROM_BITS: usize = 5;

const _: () = assert!(CONFIG_BODY == 1838 && TABLE_WORDS == 448, "literals in Engine::update");
const _: () = assert!(MAX_BODY == 4096 && ADDR_BITS == 13 && FRAME_TX_INDEX_BITS == 13, "literal sizes");
const _: () = assert!(WEIGHT_ADDR_BITS == 12 && BANK_ADDR_BITS == 10 && LANE_BITS == 5, "literal widths");
const _: () = assert!(crate::forward::uconst::COUNT == 10 && crate::forward::uconst::LR == 8, "literal registers");
const _: () = assert!(crate::forward::uconst::ADAMAX == 9, "literal register");
const _: () = assert!(
    Command::Info as u8 == 1
        && Command::Load as u8 == 2
        && Command::Read as u8 == 3
        && Command::ResetState as u8 == 4
        && Command::Config as u8 == 5
        && Command::StepBatch as u8 == 6
        && Command::CommitAverage as u8 == 7
        && Command::Status as u8 == 8,
    "literal command codes"
);
const _: () = assert!(
    ErrorCode::UnknownCommand as u8 == 5
        && ErrorCode::BadLength as u8 == 6
        && ErrorCode::OutOfRange as u8 == 7
        && ErrorCode::OutOfOrder as u8 == 9,
    "literal error codes"
);
const _: () = assert!(
    host::WEIGHT == 0
        && host::INPUT == 1
        && host::CONFIG == 2
        && host::TARGET == 3
        && host::STEP_WEIGHT == 4
        && host::W_BAR == 5
        && host::UPDATE_CONST == 9
        && host::LABEL == 10,
    "literal unit write codes"
);
const _: () = assert!(STREAM_BITS == 6, "literal stream index width in Engine::update");
const _: () = assert!(rd::O == 3 && rd::W == 25 && rd::U_ADAMAX == 29, "literal read-back codes");

#[derive(Copy, Clone, PartialEq, Debug, LogicState)]
enum State {
    Idle,
    Dispatch,
    // subroutines: fetch `nb` body bytes into `word`, put `nb` bytes of `outw` into the reply
    FetchRead,
    Put,
    // replies
    HdrWait,
    Hdr,
    Done,
    ErrWait,
    ErrPut,
    SendWait,
    InfoBody,
    Status1,
    Status2,
    Status3,
    Status4,
    Status5,
    Status6,
    Start,
    Busy,
    // LOAD
    LdHead,
    LdPre,
    LdPreW,
    LdRun,
    LdR,
    LdRW,
    // READ
    RdHead,
    RdCount,
    RdW,
    RdWa,
    RdWb,
    RdWd,
    RdNext,
    // CONFIG
    CfDims,
    CfConst,
    CfConstW,
    CfR,
    CfRo,
    CfMul,
    CfTable,
    CfTableW,
    CfCheck,
    CfRun,
    CfRConst,
    CfRConstW,
    CfRTable,
    CfRTableW,
    CfGo,
    // STEP_BATCH
    SbHead1,
    SbHead2,
    SbPreStep,
    SbPreFlags,
    SbPreLr,
    SbPreStream,
    SbPreX,
    SbPreXw,
    SbPreY,
    SbPreYw,
    SbPreW,
    SbPreEnd,
    SbRun,
    SbStep,
    SbFlags,
    SbLr,
    SbStream,
    SbX,
    SbXw,
    SbY,
    SbYw,
    SbWt,
    SbGo,
    SbBusy,
    SbOut,
    SbOutA,
    SbOutB,
    SbOutD,
    SbOutNext,
    SbNext,
}

/// The command engine (see the module docs).
#[derive(LogicBlock)]
pub struct Engine {
    /// Clock.
    pub clock: Signal<In, Clock>,
    // FrameRx's outputs
    /// A payload byte to store.
    pub rx_wr_en: Signal<In, Bit>,
    /// Its payload index.
    pub rx_wr_addr: Signal<In, Bits<ADDR_BITS>>,
    /// The byte.
    pub rx_wr_data: Signal<In, Bits<8>>,
    /// A frame ended.
    pub rx_done: Signal<In, Bit>,
    /// Its verdict (0: good, else an error code).
    pub rx_status: Signal<In, Bits<4>>,
    /// Its payload length.
    pub rx_len: Signal<In, Bits<ADDR_BITS>>,
    // the byte stream out (to a UART transmitter: start <- valid, data, ready <- !busy)
    /// A byte to send.
    pub tx_valid: Signal<Out, Bit>,
    /// The byte.
    pub tx_data: Signal<Out, Bits<8>>,
    /// The transmitter takes it.
    pub tx_ready: Signal<In, Bit>,
    // the unit's host port (start's flags and streams held while the unit runs)
    /// Host write.
    pub u_we: Signal<Out, Bit>,
    /// What it writes ([`host`]).
    pub u_sel: Signal<Out, Bits<{ host::BITS }>>,
    /// Lane.
    pub u_lane: Signal<Out, Bits<LANE_BITS>>,
    /// Bank address.
    pub u_addr: Signal<Out, Bits<WEIGHT_ADDR_BITS>>,
    /// The code.
    pub u_data: Signal<Out, Signed<27>>,
    /// Streams - 1.
    pub u_last_stream: Signal<Out, Bits<STREAM_BITS>>,
    /// Start a step, commit or reset.
    pub u_start: Signal<Out, Bit>,
    /// A training step.
    pub u_learn: Signal<Out, Bit>,
    /// The commit of the average.
    pub u_commit: Signal<Out, Bit>,
    /// The reset of every stream.
    pub u_reset: Signal<Out, Bit>,
    /// A classification training step.
    pub u_classify: Signal<Out, Bit>,
    /// Read-back vector ([`rd`]).
    pub u_rd_vec: Signal<Out, Bits<{ rd::BITS }>>,
    /// Read-back lane.
    pub u_rd_lane: Signal<Out, Bits<LANE_BITS>>,
    /// Read-back address.
    pub u_rd_addr: Signal<Out, Bits<WEIGHT_ADDR_BITS>>,
    /// Read-back data.
    pub u_rd_data: Signal<In, Signed<27>>,
    /// The unit runs.
    pub u_busy: Signal<In, Bit>,
    /// The engine holds a frame or a reply is on its way out (a board's activity LED).
    pub active: Signal<Out, Bit>,

    // synthesis-time limits
    lanes_m1: Constant<Bits<LANE_BITS>>,
    max_dim: Constant<Bits<8>>,
    max_streams: Constant<Bits<8>>,
    info_len: Constant<Bits<FRAME_TX_INDEX_BITS>>,
    /// Bits 27 to 31 set: a negative read-back word's extension.
    sign_ext: Constant<Bits<32>>,
    info: ROM<Bits<8>, INFO_ROM_BITS>,

    // receive slots
    body: RAM<Bits<8>, 13>,
    ws: DFF<Bit>,
    rs: DFF<Bit>,
    dropping: DFF<Bit>,
    inhibit: Signal<Local, Bit>,
    full0: DFF<Bit>,
    full1: DFF<Bit>,
    err0: DFF<Bit>,
    err1: DFF<Bit>,
    code0: DFF<Bits<4>>,
    code1: DFF<Bits<4>>,
    seq0: DFF<Bits<8>>,
    seq1: DFF<Bits<8>>,
    cmd0: DFF<Bits<8>>,
    cmd1: DFF<Bits<8>>,
    len0: DFF<Bits<ADDR_BITS>>,
    len1: DFF<Bits<ADDR_BITS>>,

    // transmitters: 0 and 1 the reply cache, 2 errors
    tx0: FrameTx,
    tx1: FrameTx,
    txe: FrameTx,
    tx_addr: Signal<Local, Bits<FRAME_TX_INDEX_BITS>>,
    tx_byte: Signal<Local, Bits<8>>,
    tx_we: Signal<Local, Bit>,
    tx_len: Signal<Local, Bits<FRAME_TX_INDEX_BITS>>,
    tx_send: Signal<Local, Bit>,
    idle_all: Signal<Local, Bit>,

    // the frame being served
    state: DFF<State>,
    ret: DFF<State>,
    after: DFF<State>,
    cseq: DFF<Bits<8>>,
    ccmd: DFF<Bits<8>>,
    clen: DFF<Bits<ADDR_BITS>>,
    cerr: DFF<Bit>,
    ccode: DFF<Bits<4>>,
    restarts: Signal<Local, Bit>,
    p: DFF<Bits<ADDR_BITS>>,
    nb: DFF<Bits<3>>,
    bi: DFF<Bits<3>>,
    /// p + nb > clen, one edge late (the body is too short for the fetch; checked at bi = 1).
    short: DFF<Bit>,
    word: DFF<Bits<32>>,
    outw: DFF<Bits<32>>,
    o: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    tsel: DFF<Bits<2>>,
    slen: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    ecode: DFF<Bits<8>>,
    eseq: DFF<Bits<8>>,
    bad: DFF<Bit>,
    fits18: Signal<Local, Bit>,
    fits27: Signal<Local, Bit>,
    rd_ext: Signal<Local, Bits<32>>,
    rd_bits: Signal<Local, Bits<27>>,
    body_wa: Signal<Local, Bits<ADDR_BITS>>,
    last_b: Signal<Local, Bits<8>>,
    vaddr: Signal<Local, Bits<BANK_ADDR_BITS>>,

    // the reply cache and the sequence rules
    cvalid0: DFF<Bit>,
    cvalid1: DFF<Bit>,
    cseq0: DFF<Bits<8>>,
    cseq1: DFF<Bits<8>>,
    clen0: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    clen1: DFF<Bits<FRAME_TX_INDEX_BITS>>,
    cnext: DFF<Bit>,
    expected: DFF<Bits<8>>,
    exp_valid: DFF<Bit>,

    // STATUS
    frames_ok: DFF<Bits<32>>,
    refused: DFF<Bits<32>>,
    last_error: DFF<Bits<8>>,
    steps: DFF<Bits<32>>,

    // the configuration
    configured: DFF<Bit>,
    cfg_i: DFF<Bits<8>>,
    cfg_h: DFF<Bits<8>>,
    cfg_c: DFF<Bits<8>>,
    cfg_b: DFF<Bits<8>>,
    cfg_r: DFF<Bits<8>>,
    cfg_ro: DFF<Bits<8>>,
    t_i: DFF<Bits<8>>,
    t_h: DFF<Bits<8>>,
    t_c: DFF<Bits<8>>,
    t_b: DFF<Bits<8>>,
    t_r: DFF<Bits<8>>,
    t_ro: DFF<Bits<8>>,

    // command state
    k: DFF<Bits<ADDR_BITS>>,
    n: DFF<Bits<ADDR_BITS>>,
    array: DFF<Bits<8>>,
    lane: DFF<Bits<8>>,
    first: DFF<Bits<16>>,
    acc: DFF<Bits<16>>,
    b: DFF<Bits<8>>,
    nsteps: DFF<Bits<16>>,
    sidx: DFF<Bits<16>>,
    outputs: DFF<Bit>,
    out_total: DFF<Bits<12>>,
    flags: DFF<Bits<8>>,
    vlane: DFF<Bits<LANE_BITS>>,
    vrow: DFF<Bits<BANK_ADDR_BITS>>,
    vbase: DFF<Bits<BANK_ADDR_BITS>>,
    go_learn: DFF<Bit>,
    go_classify: DFF<Bit>,
    go_commit: DFF<Bit>,
    go_reset: DFF<Bit>,
    go_last: DFF<Bits<STREAM_BITS>>,
    rdv: DFF<Bits<{ rd::BITS }>>,
    rdl: DFF<Bits<LANE_BITS>>,
    rda: DFF<Bits<WEIGHT_ADDR_BITS>>,
}

impl Engine {
    /// An engine for a unit of `lanes` lanes running up to `max_streams` streams of networks of
    /// up to `max_dim` in each dimension, answering INFO with `info_payload` (the INFO reply's
    /// payload, its seq byte replaced on the way out).
    pub fn new(lanes: usize, max_dim: usize, max_streams: usize, info_payload: &[u8]) -> Self {
        assert!((1..=1 << LANE_BITS).contains(&lanes), "1 to 32 lanes");
        assert!((1..=255).contains(&max_dim) && (1..=1 << STREAM_BITS).contains(&max_streams), "limits");
        assert!(info_payload.len() <= 1 << INFO_ROM_BITS && info_payload.len() > 3, "INFO payload size");
        let rom: BTreeMap<Bits<INFO_ROM_BITS>, Bits<8>> =
            info_payload.iter().enumerate().map(|(i, &v)| ((i as u64).into(), (v as u64).into())).collect();
        Self {
            clock: Default::default(),
            rx_wr_en: Default::default(),
            rx_wr_addr: Default::default(),
            rx_wr_data: Default::default(),
            rx_done: Default::default(),
            rx_status: Default::default(),
            rx_len: Default::default(),
            tx_valid: Default::default(),
            tx_data: Default::default(),
            tx_ready: Default::default(),
            u_we: Default::default(),
            u_sel: Default::default(),
            u_lane: Default::default(),
            u_addr: Default::default(),
            u_data: Default::default(),
            u_last_stream: Default::default(),
            u_start: Default::default(),
            u_learn: Default::default(),
            u_commit: Default::default(),
            u_reset: Default::default(),
            u_classify: Default::default(),
            u_rd_vec: Default::default(),
            u_rd_lane: Default::default(),
            u_rd_addr: Default::default(),
            u_rd_data: Default::default(),
            u_busy: Default::default(),
            active: Default::default(),
            lanes_m1: Constant::new(((lanes - 1) as u64).into()),
            max_dim: Constant::new((max_dim as u64).into()),
            max_streams: Constant::new((max_streams as u64).into()),
            info_len: Constant::new((info_payload.len() as u64).into()),
            info: ROM::new(rom),
            sign_ext: Constant::new(0xF800_0000u64.into()),
            body: Default::default(),
            ws: Default::default(),
            rs: Default::default(),
            dropping: Default::default(),
            inhibit: Default::default(),
            full0: Default::default(),
            full1: Default::default(),
            err0: Default::default(),
            err1: Default::default(),
            code0: Default::default(),
            code1: Default::default(),
            seq0: Default::default(),
            seq1: Default::default(),
            cmd0: Default::default(),
            cmd1: Default::default(),
            len0: Default::default(),
            len1: Default::default(),
            tx0: Default::default(),
            tx1: Default::default(),
            txe: Default::default(),
            tx_addr: Default::default(),
            tx_byte: Default::default(),
            tx_we: Default::default(),
            tx_len: Default::default(),
            tx_send: Default::default(),
            idle_all: Default::default(),
            state: Default::default(),
            ret: Default::default(),
            after: Default::default(),
            cseq: Default::default(),
            ccmd: Default::default(),
            clen: Default::default(),
            cerr: Default::default(),
            ccode: Default::default(),
            restarts: Default::default(),
            p: Default::default(),
            nb: Default::default(),
            bi: Default::default(),
            short: Default::default(),
            word: Default::default(),
            outw: Default::default(),
            o: Default::default(),
            tsel: Default::default(),
            slen: Default::default(),
            ecode: Default::default(),
            eseq: Default::default(),
            bad: Default::default(),
            fits18: Default::default(),
            fits27: Default::default(),
            rd_ext: Default::default(),
            rd_bits: Default::default(),
            body_wa: Default::default(),
            last_b: Default::default(),
            vaddr: Default::default(),
            cvalid0: Default::default(),
            cvalid1: Default::default(),
            cseq0: Default::default(),
            cseq1: Default::default(),
            clen0: Default::default(),
            clen1: Default::default(),
            cnext: Default::default(),
            expected: Default::default(),
            exp_valid: Default::default(),
            frames_ok: Default::default(),
            refused: Default::default(),
            last_error: Default::default(),
            steps: Default::default(),
            configured: Default::default(),
            cfg_i: Default::default(),
            cfg_h: Default::default(),
            cfg_c: Default::default(),
            cfg_b: Default::default(),
            cfg_r: Default::default(),
            cfg_ro: Default::default(),
            t_i: Default::default(),
            t_h: Default::default(),
            t_c: Default::default(),
            t_b: Default::default(),
            t_r: Default::default(),
            t_ro: Default::default(),
            k: Default::default(),
            n: Default::default(),
            array: Default::default(),
            lane: Default::default(),
            first: Default::default(),
            acc: Default::default(),
            b: Default::default(),
            nsteps: Default::default(),
            sidx: Default::default(),
            outputs: Default::default(),
            out_total: Default::default(),
            flags: Default::default(),
            vlane: Default::default(),
            vrow: Default::default(),
            vbase: Default::default(),
            go_learn: Default::default(),
            go_classify: Default::default(),
            go_commit: Default::default(),
            go_reset: Default::default(),
            go_last: Default::default(),
            rdv: Default::default(),
            rdl: Default::default(),
            rda: Default::default(),
        }
    }
}

impl Logic for Engine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            ws,
            rs,
            dropping,
            full0,
            full1,
            err0,
            err1,
            code0,
            code1,
            seq0,
            seq1,
            cmd0,
            cmd1,
            len0,
            len1,
            state,
            ret,
            after,
            cseq,
            ccmd,
            clen,
            cerr,
            ccode,
            p,
            nb,
            bi,
            short,
            word,
            outw,
            o,
            tsel,
            slen,
            ecode,
            eseq,
            bad,
            cvalid0,
            cvalid1,
            cseq0,
            cseq1,
            clen0,
            clen1,
            cnext,
            expected,
            exp_valid,
            frames_ok,
            refused,
            last_error,
            steps,
            configured,
            cfg_i,
            cfg_h,
            cfg_c,
            cfg_b,
            cfg_r,
            cfg_ro,
            t_i,
            t_h,
            t_c,
            t_b,
            t_r,
            t_ro,
            k,
            n,
            array,
            lane,
            first,
            acc,
            b,
            nsteps,
            sidx,
            outputs,
            out_total,
            flags,
            vlane,
            vrow,
            vbase,
            go_learn,
            go_classify,
            go_commit,
            go_reset,
            go_last,
            rdv,
            rdl,
            rda
        );
        self.body.read_clock.next = self.clock.val();
        self.body.write_clock.next = self.clock.val();
        self.tx0.clock.next = self.clock.val();
        self.tx1.clock.next = self.clock.val();
        self.txe.clock.next = self.clock.val();

        // ---- receive slots ----
        // A frame's first payload byte decides whether it is kept: not when the slot it would
        // go to still holds an event.
        self.inhibit.next = self.dropping.q.val();
        if self.rx_wr_addr.val() == 0 {
            if self.ws.q.val() {
                self.inhibit.next = self.full1.q.val();
            } else {
                self.inhibit.next = self.full0.q.val();
            }
        }
        self.body.write_enable.next = false;
        self.body_wa.next = self.rx_wr_addr.val() - 3;
        self.body.write_address.next = bit_cast::<13, 12>(self.body_wa.val().get_bits::<12>(0));
        if self.ws.q.val() {
            self.body.write_address.next = bit_cast::<13, 12>(self.body_wa.val().get_bits::<12>(0)) | 4096;
        }
        self.body.write_data.next = self.rx_wr_data.val();
        if self.rx_wr_en.val() {
            if self.rx_wr_addr.val() == 0 {
                self.dropping.d.next = self.inhibit.val();
            }
            if !self.inhibit.val() {
                if self.rx_wr_addr.val() >= 3 {
                    self.body.write_enable.next = true;
                }
                if self.rx_wr_addr.val() == 1 {
                    if self.ws.q.val() {
                        self.seq1.d.next = self.rx_wr_data.val();
                    } else {
                        self.seq0.d.next = self.rx_wr_data.val();
                    }
                }
                if self.rx_wr_addr.val() == 2 {
                    if self.ws.q.val() {
                        self.cmd1.d.next = self.rx_wr_data.val();
                    } else {
                        self.cmd0.d.next = self.rx_wr_data.val();
                    }
                }
            }
        }
        if self.rx_done.val() {
            self.dropping.d.next = false;
            // a good frame is kept unless it was dropped; a refused one takes a free slot
            if self.ws.q.val() {
                if !self.full1.q.val() & ((self.rx_status.val() != 0) | !self.dropping.q.val()) {
                    self.full1.d.next = true;
                    self.err1.d.next = self.rx_status.val() != 0;
                    self.code1.d.next = self.rx_status.val();
                    self.len1.d.next = self.rx_len.val() - 3;
                    self.ws.d.next = false;
                }
            } else if !self.full0.q.val() & ((self.rx_status.val() != 0) | !self.dropping.q.val()) {
                self.full0.d.next = true;
                self.err0.d.next = self.rx_status.val() != 0;
                self.code0.d.next = self.rx_status.val();
                self.len0.d.next = self.rx_len.val() - 3;
                self.ws.d.next = true;
            }
        }
        self.short.d.next = (self.p.q.val() + bit_cast::<13, 3>(self.nb.q.val())) > self.clen.q.val();
        // the body byte at p of the slot served
        self.body.read_address.next = bit_cast::<13, 12>(self.p.q.val().get_bits::<12>(0));
        if self.rs.q.val() {
            self.body.read_address.next = bit_cast::<13, 12>(self.p.q.val().get_bits::<12>(0)) | 4096;
        }

        // ---- transmitters ----
        self.tx_we.next = false;
        self.tx_send.next = false;
        self.tx_addr.next = self.o.q.val();
        self.tx_byte.next = 0.into();
        self.tx_len.next = self.slen.q.val();
        self.idle_all.next = !(self.tx0.busy.val() | self.tx1.busy.val() | self.txe.busy.val());
        self.active.next =
            !self.idle_all.val() | self.full0.q.val() | self.full1.q.val() | (self.state.q.val() != State::Idle);
        self.info.address.next = self.o.q.val().get_bits::<5>(0);

        // ---- values ----
        // a 32-bit code fits 18 (27) bits when the bits above bit 17 (26) copy it
        self.fits18.next =
            (self.word.q.val().get_bits::<15>(17) == 0) | (self.word.q.val().get_bits::<15>(17) == 0x7FFF);
        self.fits27.next = (self.word.q.val().get_bits::<6>(26) == 0) | (self.word.q.val().get_bits::<6>(26) == 0x3F);
        self.rd_ext.next = bit_cast::<32, 27>(unsigned_cast(self.u_rd_data.val()));
        self.rd_bits.next = unsigned_cast(self.u_rd_data.val());
        if self.rd_bits.val().get_bit(26) {
            self.rd_ext.next = bit_cast::<32, 27>(unsigned_cast(self.u_rd_data.val())) | self.sign_ext.val();
        }
        self.restarts.next = (self.ccmd.q.val() == 1) | (self.ccmd.q.val() == 8);
        self.last_b.next = self.cfg_b.q.val() - 1;
        self.vaddr.next = self.vbase.q.val() + self.vrow.q.val();

        // ---- the unit's port ----
        self.u_we.next = false;
        self.u_sel.next = 0.into();
        self.u_lane.next = 0.into();
        self.u_addr.next = 0.into();
        self.u_data.next = signed_cast(self.word.q.val().get_bits::<27>(0));
        self.u_start.next = false;
        self.u_learn.next = self.go_learn.q.val();
        self.u_classify.next = self.go_classify.q.val();
        self.u_commit.next = self.go_commit.q.val();
        self.u_reset.next = self.go_reset.q.val();
        self.u_last_stream.next = self.go_last.q.val();
        self.u_rd_vec.next = self.rdv.q.val();
        self.u_rd_lane.next = self.rdl.q.val();
        self.u_rd_addr.next = self.rda.q.val();

        match self.state.q.val() {
            State::Idle => {
                if self.rs.q.val() {
                    if self.full1.q.val() {
                        self.cseq.d.next = self.seq1.q.val();
                        self.ccmd.d.next = self.cmd1.q.val();
                        self.clen.d.next = self.len1.q.val();
                        self.cerr.d.next = self.err1.q.val();
                        self.ccode.d.next = self.code1.q.val();
                        self.state.d.next = State::Dispatch;
                    }
                } else if self.full0.q.val() {
                    self.cseq.d.next = self.seq0.q.val();
                    self.ccmd.d.next = self.cmd0.q.val();
                    self.clen.d.next = self.len0.q.val();
                    self.cerr.d.next = self.err0.q.val();
                    self.ccode.d.next = self.code0.q.val();
                    self.state.d.next = State::Dispatch;
                }
            }
            State::Dispatch => {
                self.p.d.next = 0.into();
                self.eseq.d.next = self.cseq.q.val();
                self.bad.d.next = false;
                self.state.d.next = State::ErrWait;
                if self.cerr.q.val() {
                    // a damaged frame: its seq is unknown
                    self.ecode.d.next = bit_cast::<8, 4>(self.ccode.q.val());
                    self.eseq.d.next = 0.into();
                } else if !self.restarts.val() & self.exp_valid.q.val() & (self.cseq.q.val() != self.expected.q.val()) {
                    if self.cvalid0.q.val() & (self.cseq0.q.val() == self.cseq.q.val()) {
                        self.tsel.d.next = 0.into();
                        self.slen.d.next = self.clen0.q.val();
                        self.state.d.next = State::SendWait;
                    } else if self.cvalid1.q.val() & (self.cseq1.q.val() == self.cseq.q.val()) {
                        self.tsel.d.next = 1.into();
                        self.slen.d.next = self.clen1.q.val();
                        self.state.d.next = State::SendWait;
                    } else {
                        self.ecode.d.next = 9.into();
                    }
                } else if (self.ccmd.q.val() == 1) | (self.ccmd.q.val() == 8) {
                    // INFO, STATUS
                    if self.clen.q.val() != 0 {
                        self.ecode.d.next = 6.into();
                    } else {
                        self.state.d.next = State::HdrWait;
                        if self.ccmd.q.val() == 1 {
                            self.after.d.next = State::InfoBody;
                        } else {
                            self.after.d.next = State::Status1;
                        }
                    }
                } else if (self.ccmd.q.val() == 4) | (self.ccmd.q.val() == 7) {
                    // RESET_STATE, COMMIT_AVERAGE
                    if self.clen.q.val() != 0 {
                        self.ecode.d.next = 6.into();
                    } else if !self.configured.q.val() {
                        self.ecode.d.next = 7.into();
                    } else {
                        self.go_learn.d.next = false;
                        self.go_classify.d.next = false;
                        self.go_commit.d.next = self.ccmd.q.val() == 7;
                        self.go_reset.d.next = self.ccmd.q.val() == 4;
                        self.go_last.d.next = 0.into();
                        self.after.d.next = State::Start;
                        self.state.d.next = State::HdrWait;
                    }
                } else if self.ccmd.q.val() == 2 {
                    // LOAD: array, lane, first address, then words
                    if (self.clen.q.val() < 4) | (self.clen.q.val().get_bits::<2>(0) != 0) {
                        self.ecode.d.next = 6.into();
                    } else {
                        self.n.d.next = (self.clen.q.val() - 4) >> 2;
                        self.nb.d.next = 4.into();
                        self.bi.d.next = 0.into();
                        self.word.d.next = 0.into();
                        self.ret.d.next = State::LdHead;
                        self.state.d.next = State::FetchRead;
                    }
                } else if self.ccmd.q.val() == 3 {
                    // READ: array, lane, first address, count
                    if self.clen.q.val() != 6 {
                        self.ecode.d.next = 6.into();
                    } else {
                        self.nb.d.next = 4.into();
                        self.bi.d.next = 0.into();
                        self.word.d.next = 0.into();
                        self.ret.d.next = State::RdHead;
                        self.state.d.next = State::FetchRead;
                    }
                } else if self.ccmd.q.val() == 5 {
                    // CONFIG
                    if self.clen.q.val() != 1838 {
                        self.ecode.d.next = 6.into();
                    } else {
                        self.nb.d.next = 4.into();
                        self.bi.d.next = 0.into();
                        self.word.d.next = 0.into();
                        self.ret.d.next = State::CfDims;
                        self.state.d.next = State::FetchRead;
                    }
                } else if self.ccmd.q.val() == 6 {
                    // STEP_BATCH
                    if !self.configured.q.val() {
                        self.ecode.d.next = 7.into();
                    } else if self.clen.q.val() < 3 {
                        self.ecode.d.next = 6.into();
                    } else {
                        self.nb.d.next = 2.into();
                        self.bi.d.next = 0.into();
                        self.word.d.next = 0.into();
                        self.ret.d.next = State::SbHead1;
                        self.state.d.next = State::FetchRead;
                    }
                } else {
                    self.ecode.d.next = 5.into();
                }
            }

            // ---- fetch nb bytes (little-endian) into word; a body too short is BadLength ----
            // (the length check is registered, for the clock: the body byte of bi = 0 is read
            // while it is made; a short body stops the fetch at bi = 1, before its first byte)
            State::FetchRead => {
                if (self.bi.q.val() == 1) & self.short.q.val() {
                    self.ecode.d.next = 6.into();
                    self.state.d.next = State::ErrWait;
                } else {
                    if self.bi.q.val() < self.nb.q.val() {
                        self.p.d.next = self.p.q.val() + 1;
                    }
                    if self.bi.q.val() == 1 {
                        self.word.d.next = self.word.q.val() | bit_cast::<32, 8>(self.body.read_data.val());
                    }
                    if self.bi.q.val() == 2 {
                        self.word.d.next = self.word.q.val() | (bit_cast::<32, 8>(self.body.read_data.val()) << 8);
                    }
                    if self.bi.q.val() == 3 {
                        self.word.d.next = self.word.q.val() | (bit_cast::<32, 8>(self.body.read_data.val()) << 16);
                    }
                    if self.bi.q.val() == 4 {
                        self.word.d.next = self.word.q.val() | (bit_cast::<32, 8>(self.body.read_data.val()) << 24);
                    }
                    if self.bi.q.val() == self.nb.q.val() {
                        self.state.d.next = self.ret.q.val();
                    } else {
                        self.bi.d.next = self.bi.q.val() + 1;
                    }
                }
            }

            // ---- put nb bytes of outw (little-endian) into the reply ----
            State::Put => {
                self.tx_we.next = true;
                if self.bi.q.val() == 0 {
                    self.tx_byte.next = self.outw.q.val().get_bits::<8>(0);
                }
                if self.bi.q.val() == 1 {
                    self.tx_byte.next = self.outw.q.val().get_bits::<8>(8);
                }
                if self.bi.q.val() == 2 {
                    self.tx_byte.next = self.outw.q.val().get_bits::<8>(16);
                }
                if self.bi.q.val() == 3 {
                    self.tx_byte.next = self.outw.q.val().get_bits::<8>(24);
                }
                self.o.d.next = self.o.q.val() + 1;
                self.bi.d.next = self.bi.q.val() + 1;
                if (self.bi.q.val() + 1) == self.nb.q.val() {
                    self.state.d.next = self.ret.q.val();
                }
            }

            // ---- a good reply: header, body (the command's states), then sent ----
            State::HdrWait => {
                self.o.d.next = 0.into();
                if self.cnext.q.val() {
                    self.tsel.d.next = 1.into();
                    if !self.tx1.busy.val() {
                        self.state.d.next = State::Hdr;
                    }
                } else {
                    self.tsel.d.next = 0.into();
                    if !self.tx0.busy.val() {
                        self.state.d.next = State::Hdr;
                    }
                }
            }
            State::Hdr => {
                self.tx_we.next = true;
                self.tx_byte.next = self.info.data.val();
                if self.o.q.val() == 1 {
                    self.tx_byte.next = self.cseq.q.val();
                }
                if self.o.q.val() == 2 {
                    self.tx_byte.next = self.ccmd.q.val() | 0x80;
                    self.state.d.next = self.after.q.val();
                }
                self.o.d.next = self.o.q.val() + 1;
            }
            State::Done => {
                if self.restarts.val() {
                    if self.cnext.q.val() {
                        self.cvalid0.d.next = false;
                    } else {
                        self.cvalid1.d.next = false;
                    }
                }
                if self.cnext.q.val() {
                    self.cvalid1.d.next = true;
                    self.cseq1.d.next = self.cseq.q.val();
                    self.clen1.d.next = self.o.q.val();
                } else {
                    self.cvalid0.d.next = true;
                    self.cseq0.d.next = self.cseq.q.val();
                    self.clen0.d.next = self.o.q.val();
                }
                self.cnext.d.next = !self.cnext.q.val();
                self.expected.d.next = self.cseq.q.val() + 1;
                if self.cseq.q.val() == 255 {
                    self.expected.d.next = 1.into();
                }
                self.exp_valid.d.next = true;
                self.frames_ok.d.next = self.frames_ok.q.val() + 1;
                self.slen.d.next = self.o.q.val();
                self.state.d.next = State::SendWait;
            }
            State::ErrWait => {
                self.tsel.d.next = 2.into();
                self.o.d.next = 0.into();
                if !self.txe.busy.val() {
                    self.state.d.next = State::ErrPut;
                }
            }
            State::ErrPut => {
                // [version, seq, 0xFF, code, seq]
                self.tx_we.next = true;
                self.tx_byte.next = self.info.data.val();
                if self.o.q.val() == 1 {
                    self.tx_byte.next = self.eseq.q.val();
                }
                if self.o.q.val() == 2 {
                    self.tx_byte.next = 0xFF.into();
                }
                if self.o.q.val() == 3 {
                    self.tx_byte.next = self.ecode.q.val();
                }
                if self.o.q.val() == 4 {
                    self.tx_byte.next = self.eseq.q.val();
                    self.refused.d.next = self.refused.q.val() + 1;
                    self.last_error.d.next = self.ecode.q.val();
                    self.slen.d.next = 5.into();
                    self.state.d.next = State::SendWait;
                }
                self.o.d.next = self.o.q.val() + 1;
            }
            State::SendWait => {
                // replies leave in order: wait until the line is free, then free the slot
                if self.idle_all.val() {
                    self.tx_send.next = true;
                    if self.rs.q.val() {
                        self.full1.d.next = false;
                    } else {
                        self.full0.d.next = false;
                    }
                    self.rs.d.next = !self.rs.q.val();
                    self.state.d.next = State::Idle;
                }
            }
            State::InfoBody => {
                self.tx_we.next = true;
                self.tx_byte.next = self.info.data.val();
                self.o.d.next = self.o.q.val() + 1;
                if (self.o.q.val() + 1) == self.info_len.val() {
                    self.state.d.next = State::Done;
                }
            }
            State::Status1 => {
                self.outw.d.next = self.frames_ok.q.val();
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.ret.d.next = State::Status2;
                self.state.d.next = State::Put;
            }
            State::Status2 => {
                self.outw.d.next = self.refused.q.val();
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.ret.d.next = State::Status3;
                self.state.d.next = State::Put;
            }
            State::Status3 => {
                self.outw.d.next = bit_cast::<32, 8>(self.last_error.q.val());
                self.nb.d.next = 1.into();
                self.bi.d.next = 0.into();
                self.ret.d.next = State::Status4;
                self.state.d.next = State::Put;
            }
            State::Status4 => {
                self.outw.d.next = self.steps.q.val();
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.ret.d.next = State::Status5;
                self.state.d.next = State::Put;
            }
            State::Status5 => {
                self.outw.d.next = bit_cast::<32, 8>(self.cfg_i.q.val())
                    | (bit_cast::<32, 8>(self.cfg_h.q.val()) << 8)
                    | (bit_cast::<32, 8>(self.cfg_c.q.val()) << 16)
                    | (bit_cast::<32, 8>(self.cfg_b.q.val()) << 24);
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.ret.d.next = State::Status6;
                self.state.d.next = State::Put;
            }
            State::Status6 => {
                // the readout: 0 spikes, 1 membrane
                self.outw.d.next = bit_cast::<32, 8>(self.cfg_ro.q.val());
                self.nb.d.next = 1.into();
                self.bi.d.next = 0.into();
                self.ret.d.next = State::Done;
                self.state.d.next = State::Put;
            }
            // a start pulse (flags in go_*), then wait for the unit
            State::Start => {
                self.u_start.next = true;
                self.state.d.next = State::Busy;
            }
            State::Busy => {
                if !self.u_busy.val() {
                    self.state.d.next = State::Done;
                }
            }

            // ---- LOAD ----
            State::LdHead => {
                self.array.d.next = self.word.q.val().get_bits::<8>(0);
                self.lane.d.next = self.word.q.val().get_bits::<8>(8);
                self.first.d.next = self.word.q.val().get_bits::<16>(16);
                if (self.word.q.val().get_bits::<8>(0) >= 5)
                    | (self.word.q.val().get_bits::<8>(8) > bit_cast::<8, 5>(self.lanes_m1.val()))
                    | ((bit_cast::<17, 16>(self.word.q.val().get_bits::<16>(16)) + bit_cast::<17, 13>(self.n.q.val()))
                        > 4096)
                {
                    self.bad.d.next = true;
                }
                self.k.d.next = 0.into();
                self.state.d.next = State::LdPre;
            }
            State::LdPre => {
                if self.k.q.val() == self.n.q.val() {
                    if self.bad.q.val() {
                        self.ecode.d.next = 7.into();
                        self.state.d.next = State::ErrWait;
                    } else {
                        self.after.d.next = State::LdRun;
                        self.state.d.next = State::HdrWait;
                    }
                } else {
                    self.nb.d.next = 4.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::LdPreW;
                    self.state.d.next = State::FetchRead;
                }
            }
            State::LdPreW => {
                if self.array.q.val() < 2 {
                    if !self.fits27.val() {
                        self.bad.d.next = true;
                    }
                } else if !self.fits18.val() {
                    self.bad.d.next = true;
                }
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::LdPre;
            }
            State::LdRun => {
                self.p.d.next = 4.into();
                self.k.d.next = 0.into();
                self.state.d.next = State::LdR;
            }
            State::LdR => {
                if self.k.q.val() == self.n.q.val() {
                    self.outw.d.next = bit_cast::<32, 13>(self.n.q.val());
                    self.nb.d.next = 2.into();
                    self.bi.d.next = 0.into();
                    self.ret.d.next = State::Done;
                    self.state.d.next = State::Put;
                } else {
                    self.nb.d.next = 4.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::LdRW;
                    self.state.d.next = State::FetchRead;
                }
            }
            State::LdRW => {
                // W, W-bar, lambda, m, u: unit codes 0, 5, 6, 7, 8
                self.u_we.next = true;
                self.u_sel.next = 0.into();
                if self.array.q.val() != 0 {
                    self.u_sel.next = self.array.q.val().get_bits::<4>(0) + 4;
                }
                self.u_lane.next = self.lane.q.val().get_bits::<5>(0);
                self.u_addr.next = self.first.q.val().get_bits::<12>(0) + self.k.q.val().get_bits::<12>(0);
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::LdR;
            }

            // ---- READ ----
            State::RdHead => {
                self.array.d.next = self.word.q.val().get_bits::<8>(0);
                self.lane.d.next = self.word.q.val().get_bits::<8>(8);
                self.first.d.next = self.word.q.val().get_bits::<16>(16);
                self.nb.d.next = 2.into();
                self.bi.d.next = 0.into();
                self.word.d.next = 0.into();
                self.ret.d.next = State::RdCount;
                self.state.d.next = State::FetchRead;
            }
            State::RdCount => {
                self.n.d.next = self.word.q.val().get_bits::<13>(0);
                if (self.array.q.val() >= 5)
                    | (self.lane.q.val() > bit_cast::<8, 5>(self.lanes_m1.val()))
                    | ((bit_cast::<17, 16>(self.first.q.val())
                        + bit_cast::<17, 16>(self.word.q.val().get_bits::<16>(0)))
                        > 4096)
                    | (self.word.q.val().get_bits::<16>(0) > 1024)
                {
                    self.ecode.d.next = 7.into();
                    self.state.d.next = State::ErrWait;
                } else {
                    self.after.d.next = State::RdW;
                    self.k.d.next = 0.into();
                    self.state.d.next = State::HdrWait;
                }
            }
            State::RdW => {
                if self.k.q.val() == self.n.q.val() {
                    self.state.d.next = State::Done;
                } else {
                    self.rdv.d.next = self.array.q.val().get_bits::<5>(0) + 25;
                    self.rdl.d.next = self.lane.q.val().get_bits::<5>(0);
                    self.rda.d.next = self.first.q.val().get_bits::<12>(0) + self.k.q.val().get_bits::<12>(0);
                    self.state.d.next = State::RdWa;
                }
            }
            // the unit's read-back answers two edges after the request
            State::RdWa => {
                self.state.d.next = State::RdWb;
            }
            State::RdWb => {
                self.state.d.next = State::RdWd;
            }
            State::RdWd => {
                self.outw.d.next = self.rd_ext.val();
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.ret.d.next = State::RdNext;
                self.state.d.next = State::Put;
            }
            State::RdNext => {
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::RdW;
            }

            // ---- CONFIG: I, H, C, B, constants, R, table ----
            State::CfDims => {
                self.t_i.d.next = self.word.q.val().get_bits::<8>(0);
                self.t_h.d.next = self.word.q.val().get_bits::<8>(8);
                self.t_c.d.next = self.word.q.val().get_bits::<8>(16);
                self.t_b.d.next = self.word.q.val().get_bits::<8>(24);
                if (self.word.q.val().get_bits::<8>(0) == 0)
                    | (self.word.q.val().get_bits::<8>(0) > self.max_dim.val())
                    | (self.word.q.val().get_bits::<8>(8) == 0)
                    | (self.word.q.val().get_bits::<8>(8) > self.max_dim.val())
                    | (self.word.q.val().get_bits::<8>(16) == 0)
                    | (self.word.q.val().get_bits::<8>(16) > self.max_dim.val())
                    | (self.word.q.val().get_bits::<8>(24) == 0)
                    | (self.word.q.val().get_bits::<8>(24) > self.max_streams.val())
                {
                    self.bad.d.next = true;
                }
                self.k.d.next = 0.into();
                self.state.d.next = State::CfConst;
            }
            State::CfConst => {
                self.bi.d.next = 0.into();
                self.word.d.next = 0.into();
                self.state.d.next = State::FetchRead;
                if self.k.q.val() == 10 {
                    self.nb.d.next = 1.into();
                    self.ret.d.next = State::CfR;
                } else {
                    self.nb.d.next = 4.into();
                    self.ret.d.next = State::CfConstW;
                }
            }
            State::CfConstW => {
                if self.k.q.val() == 9 {
                    // Adamax 1, SGD 0
                    if self.word.q.val() > 1 {
                        self.bad.d.next = true;
                    }
                } else if !self.fits18.val() {
                    self.bad.d.next = true;
                }
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::CfConst;
            }
            State::CfR => {
                self.t_r.d.next = self.word.q.val().get_bits::<8>(0);
                if self.word.q.val().get_bits::<8>(0) == 0 {
                    self.bad.d.next = true;
                }
                self.nb.d.next = 1.into();
                self.bi.d.next = 0.into();
                self.word.d.next = 0.into();
                self.ret.d.next = State::CfRo;
                self.state.d.next = State::FetchRead;
            }
            State::CfRo => {
                // the readout: 0 spikes, 1 membrane (the table says what the unit does)
                self.t_ro.d.next = self.word.q.val().get_bits::<8>(0);
                if self.word.q.val() > 1 {
                    self.bad.d.next = true;
                }
                self.acc.d.next = 0.into();
                self.b.d.next = 0.into();
                self.state.d.next = State::CfMul;
            }
            State::CfMul => {
                // R B by additions: at most 1024 vector words
                if self.b.q.val() == self.t_b.q.val() {
                    if self.acc.q.val() > 1024 {
                        self.bad.d.next = true;
                    }
                    self.k.d.next = 0.into();
                    self.state.d.next = State::CfTable;
                } else {
                    self.acc.d.next = self.acc.q.val() + bit_cast::<16, 8>(self.t_r.q.val());
                    self.b.d.next = self.b.q.val() + 1;
                }
            }
            State::CfTable => {
                if self.k.q.val() == 448 {
                    self.state.d.next = State::CfCheck;
                } else {
                    self.nb.d.next = 4.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::CfTableW;
                    self.state.d.next = State::FetchRead;
                }
            }
            State::CfTableW => {
                if !self.fits27.val() {
                    self.bad.d.next = true;
                }
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::CfTable;
            }
            State::CfCheck => {
                if self.bad.q.val() {
                    self.ecode.d.next = 7.into();
                    self.state.d.next = State::ErrWait;
                } else {
                    self.after.d.next = State::CfRun;
                    self.state.d.next = State::HdrWait;
                }
            }
            State::CfRun => {
                self.p.d.next = 4.into();
                self.k.d.next = 0.into();
                self.state.d.next = State::CfRConst;
            }
            State::CfRConst => {
                if self.k.q.val() == 10 {
                    self.p.d.next = 46.into();
                    self.k.d.next = 0.into();
                    self.state.d.next = State::CfRTable;
                } else {
                    self.nb.d.next = 4.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::CfRConstW;
                    self.state.d.next = State::FetchRead;
                }
            }
            State::CfRConstW => {
                self.u_we.next = true;
                self.u_sel.next = 9.into();
                self.u_addr.next = self.k.q.val().get_bits::<12>(0);
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::CfRConst;
            }
            State::CfRTable => {
                if self.k.q.val() == 448 {
                    self.state.d.next = State::CfGo;
                } else {
                    self.nb.d.next = 4.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::CfRTableW;
                    self.state.d.next = State::FetchRead;
                }
            }
            State::CfRTableW => {
                self.u_we.next = true;
                self.u_sel.next = 2.into();
                self.u_addr.next = self.k.q.val().get_bits::<12>(0);
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::CfRTable;
            }
            State::CfGo => {
                // the new shape and batch, every stream reset
                self.configured.d.next = true;
                self.cfg_i.d.next = self.t_i.q.val();
                self.cfg_h.d.next = self.t_h.q.val();
                self.cfg_c.d.next = self.t_c.q.val();
                self.cfg_b.d.next = self.t_b.q.val();
                self.cfg_r.d.next = self.t_r.q.val();
                self.cfg_ro.d.next = self.t_ro.q.val();
                self.go_learn.d.next = false;
                self.go_classify.d.next = false;
                self.go_commit.d.next = false;
                self.go_reset.d.next = true;
                self.go_last.d.next = 0.into();
                self.state.d.next = State::Start;
            }

            // ---- STEP_BATCH: first pass, every check ----
            State::SbHead1 => {
                self.nsteps.d.next = self.word.q.val().get_bits::<16>(0);
                self.nb.d.next = 1.into();
                self.bi.d.next = 0.into();
                self.word.d.next = 0.into();
                self.ret.d.next = State::SbHead2;
                self.state.d.next = State::FetchRead;
            }
            State::SbHead2 => {
                self.outputs.d.next = self.word.q.val().get_bits::<8>(0) != 0;
                self.out_total.d.next = 0.into();
                self.sidx.d.next = 0.into();
                self.state.d.next = State::SbPreStep;
            }
            State::SbPreStep => {
                if self.sidx.q.val() == self.nsteps.q.val() {
                    self.state.d.next = State::SbPreEnd;
                } else {
                    self.nb.d.next = 1.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::SbPreFlags;
                    self.state.d.next = State::FetchRead;
                }
            }
            State::SbPreFlags => {
                self.flags.d.next = self.word.q.val().get_bits::<8>(0);
                self.b.d.next = 0.into();
                if self.word.q.val().get_bits::<5>(3) != 0 {
                    self.ecode.d.next = 7.into();
                    self.state.d.next = State::ErrWait;
                } else if self.word.q.val().get_bit(2) {
                    self.nb.d.next = 4.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::SbPreLr;
                    self.state.d.next = State::FetchRead;
                } else {
                    self.state.d.next = State::SbPreStream;
                }
            }
            State::SbPreLr => {
                if !self.fits18.val() {
                    self.bad.d.next = true;
                }
                self.state.d.next = State::SbPreStream;
            }
            State::SbPreStream => {
                self.k.d.next = 0.into();
                if self.b.q.val() == self.cfg_b.q.val() {
                    self.sidx.d.next = self.sidx.q.val() + 1;
                    self.state.d.next = State::SbPreStep;
                } else {
                    self.state.d.next = State::SbPreX;
                }
            }
            State::SbPreX => {
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.word.d.next = 0.into();
                self.state.d.next = State::FetchRead;
                if self.k.q.val() == bit_cast::<13, 8>(self.cfg_i.q.val()) {
                    self.k.d.next = 0.into();
                    self.state.d.next = State::SbPreY;
                } else {
                    self.ret.d.next = State::SbPreXw;
                }
            }
            State::SbPreXw => {
                if !self.fits18.val() {
                    self.bad.d.next = true;
                }
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::SbPreX;
            }
            State::SbPreY => {
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.word.d.next = 0.into();
                self.state.d.next = State::FetchRead;
                if self.k.q.val() == bit_cast::<13, 8>(self.cfg_c.q.val()) {
                    self.ret.d.next = State::SbPreW;
                } else {
                    self.ret.d.next = State::SbPreYw;
                }
            }
            State::SbPreYw => {
                if self.flags.q.val().get_bit(1) {
                    // a class: word 0 names an output, the other words are unused
                    if (self.k.q.val() == 0) & (self.word.q.val() >= bit_cast::<32, 8>(self.cfg_c.q.val())) {
                        self.bad.d.next = true;
                    }
                } else if !self.fits18.val() {
                    self.bad.d.next = true;
                }
                if self.outputs.q.val() & (self.out_total.q.val() < 2047) {
                    self.out_total.d.next = self.out_total.q.val() + 1;
                }
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::SbPreY;
            }
            State::SbPreW => {
                if !self.fits18.val() {
                    self.bad.d.next = true;
                }
                self.b.d.next = self.b.q.val() + 1;
                self.state.d.next = State::SbPreStream;
            }
            State::SbPreEnd => {
                if self.p.q.val() != self.clen.q.val() {
                    self.ecode.d.next = 6.into();
                    self.state.d.next = State::ErrWait;
                } else if self.bad.q.val() | (self.out_total.q.val() > 1024) {
                    self.ecode.d.next = 7.into();
                    self.state.d.next = State::ErrWait;
                } else {
                    self.after.d.next = State::SbRun;
                    self.state.d.next = State::HdrWait;
                }
            }

            // ---- STEP_BATCH: second pass, the steps ----
            State::SbRun => {
                self.p.d.next = 3.into();
                self.sidx.d.next = 0.into();
                self.state.d.next = State::SbStep;
            }
            State::SbStep => {
                if self.sidx.q.val() == self.nsteps.q.val() {
                    self.state.d.next = State::Done;
                } else {
                    self.nb.d.next = 1.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::SbFlags;
                    self.state.d.next = State::FetchRead;
                }
            }
            State::SbFlags => {
                self.flags.d.next = self.word.q.val().get_bits::<8>(0);
                self.go_learn.d.next = self.word.q.val().get_bit(0);
                self.go_classify.d.next = self.word.q.val().get_bit(0) & self.word.q.val().get_bit(1);
                self.go_commit.d.next = false;
                self.go_reset.d.next = false;
                self.go_last.d.next = self.last_b.val().get_bits::<6>(0);
                self.b.d.next = 0.into();
                self.vbase.d.next = 0.into();
                if self.word.q.val().get_bit(2) {
                    self.nb.d.next = 4.into();
                    self.bi.d.next = 0.into();
                    self.word.d.next = 0.into();
                    self.ret.d.next = State::SbLr;
                    self.state.d.next = State::FetchRead;
                } else {
                    self.state.d.next = State::SbStream;
                }
            }
            State::SbLr => {
                self.u_we.next = true;
                self.u_sel.next = 9.into();
                self.u_addr.next = 8.into();
                self.state.d.next = State::SbStream;
            }
            State::SbStream => {
                self.k.d.next = 0.into();
                self.vlane.d.next = 0.into();
                self.vrow.d.next = 0.into();
                if self.b.q.val() == self.cfg_b.q.val() {
                    self.state.d.next = State::SbGo;
                } else {
                    self.state.d.next = State::SbX;
                }
            }
            State::SbX => {
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.word.d.next = 0.into();
                self.state.d.next = State::FetchRead;
                if self.k.q.val() == bit_cast::<13, 8>(self.cfg_i.q.val()) {
                    self.k.d.next = 0.into();
                    self.vlane.d.next = 0.into();
                    self.vrow.d.next = 0.into();
                    self.state.d.next = State::SbY;
                } else {
                    self.ret.d.next = State::SbXw;
                }
            }
            State::SbXw => {
                self.u_we.next = true;
                self.u_sel.next = 1.into();
                self.u_lane.next = self.vlane.q.val();
                self.u_addr.next = bit_cast::<12, 10>(self.vaddr.val());
                if self.vlane.q.val() == self.lanes_m1.val() {
                    self.vlane.d.next = 0.into();
                    self.vrow.d.next = self.vrow.q.val() + 1;
                } else {
                    self.vlane.d.next = self.vlane.q.val() + 1;
                }
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::SbX;
            }
            State::SbY => {
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.word.d.next = 0.into();
                self.state.d.next = State::FetchRead;
                if self.k.q.val() == bit_cast::<13, 8>(self.cfg_c.q.val()) {
                    self.ret.d.next = State::SbWt;
                } else {
                    self.ret.d.next = State::SbYw;
                }
            }
            State::SbYw => {
                if self.flags.q.val().get_bit(1) {
                    if self.k.q.val() == 0 {
                        self.u_we.next = true;
                        self.u_sel.next = 10.into();
                        self.u_addr.next = bit_cast::<12, 8>(self.b.q.val());
                    }
                } else {
                    self.u_we.next = true;
                    self.u_sel.next = 3.into();
                    self.u_lane.next = self.vlane.q.val();
                    self.u_addr.next = bit_cast::<12, 10>(self.vaddr.val());
                }
                if self.vlane.q.val() == self.lanes_m1.val() {
                    self.vlane.d.next = 0.into();
                    self.vrow.d.next = self.vrow.q.val() + 1;
                } else {
                    self.vlane.d.next = self.vlane.q.val() + 1;
                }
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::SbY;
            }
            State::SbWt => {
                self.u_we.next = true;
                self.u_sel.next = 4.into();
                self.u_addr.next = bit_cast::<12, 8>(self.b.q.val());
                self.b.d.next = self.b.q.val() + 1;
                self.vbase.d.next = self.vbase.q.val() + bit_cast::<10, 8>(self.cfg_r.q.val());
                self.state.d.next = State::SbStream;
            }
            State::SbGo => {
                // the step's flags, held while it runs
                self.u_start.next = true;
                self.state.d.next = State::SbBusy;
            }
            State::SbBusy => {
                if !self.u_busy.val() {
                    self.b.d.next = 0.into();
                    self.k.d.next = 0.into();
                    self.vbase.d.next = 0.into();
                    self.vlane.d.next = 0.into();
                    self.vrow.d.next = 0.into();
                    if self.outputs.q.val() {
                        self.state.d.next = State::SbOut;
                    } else {
                        self.state.d.next = State::SbNext;
                    }
                }
            }
            State::SbOut => {
                // the readout o of stream b, element k
                if self.b.q.val() == self.cfg_b.q.val() {
                    self.state.d.next = State::SbNext;
                } else if self.k.q.val() == bit_cast::<13, 8>(self.cfg_c.q.val()) {
                    self.b.d.next = self.b.q.val() + 1;
                    self.k.d.next = 0.into();
                    self.vlane.d.next = 0.into();
                    self.vrow.d.next = 0.into();
                    self.vbase.d.next = self.vbase.q.val() + bit_cast::<10, 8>(self.cfg_r.q.val());
                } else {
                    self.rdv.d.next = 3.into();
                    self.rdl.d.next = self.vlane.q.val();
                    self.rda.d.next = bit_cast::<12, 10>(self.vaddr.val());
                    self.state.d.next = State::SbOutA;
                }
            }
            State::SbOutA => {
                self.state.d.next = State::SbOutB;
            }
            State::SbOutB => {
                self.state.d.next = State::SbOutD;
            }
            State::SbOutD => {
                self.outw.d.next = self.rd_ext.val();
                self.nb.d.next = 4.into();
                self.bi.d.next = 0.into();
                self.ret.d.next = State::SbOutNext;
                self.state.d.next = State::Put;
            }
            State::SbOutNext => {
                if self.vlane.q.val() == self.lanes_m1.val() {
                    self.vlane.d.next = 0.into();
                    self.vrow.d.next = self.vrow.q.val() + 1;
                } else {
                    self.vlane.d.next = self.vlane.q.val() + 1;
                }
                self.k.d.next = self.k.q.val() + 1;
                self.state.d.next = State::SbOut;
            }
            State::SbNext => {
                self.sidx.d.next = self.sidx.q.val() + 1;
                self.steps.d.next = self.steps.q.val() + 1;
                self.state.d.next = State::SbStep;
            }
        }

        // ---- the transmitters' ports ----
        self.tx0.wr_addr.next = self.tx_addr.val();
        self.tx1.wr_addr.next = self.tx_addr.val();
        self.txe.wr_addr.next = self.tx_addr.val();
        self.tx0.wr_data.next = self.tx_byte.val();
        self.tx1.wr_data.next = self.tx_byte.val();
        self.txe.wr_data.next = self.tx_byte.val();
        self.tx0.we.next = self.tx_we.val() & (self.tsel.q.val() == 0);
        self.tx1.we.next = self.tx_we.val() & (self.tsel.q.val() == 1);
        self.txe.we.next = self.tx_we.val() & (self.tsel.q.val() == 2);
        self.tx0.send.next = self.tx_send.val() & (self.tsel.q.val() == 0);
        self.tx1.send.next = self.tx_send.val() & (self.tsel.q.val() == 1);
        self.txe.send.next = self.tx_send.val() & (self.tsel.q.val() == 2);
        self.tx0.len.next = self.tx_len.val();
        self.tx1.len.next = self.tx_len.val();
        self.txe.len.next = self.tx_len.val();
        self.tx0.ready.next = self.tx_ready.val();
        self.tx1.ready.next = self.tx_ready.val();
        self.txe.ready.next = self.tx_ready.val();
        // one transmitter sends at a time
        self.tx_valid.next = self.tx0.valid.val() | self.tx1.valid.val() | self.txe.valid.val();
        self.tx_data.next = self.txe.data.val();
        if self.tx0.valid.val() {
            self.tx_data.next = self.tx0.data.val();
        }
        if self.tx1.valid.val() {
            self.tx_data.next = self.tx1.data.val();
        }
    }
}
