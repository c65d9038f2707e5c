//! `ForwardLane<B>`: one weight lane of [`ForwardStep`](crate::forward::ForwardStep): its
//! weight bank, its share of every per-stream vector (x, s, u, b, I, alpha, rho, J, alpha^o,
//! o, and for the backward step v, theta and the previous step's u, b, s, o) in banks, one [`Mac`] with B accumulator slots, one [`SigmoidRom`] and one
//! [`NeuronUpdate`]. The sequencer in `ForwardStep` drives every lane with the same addresses
//! and flags; a lane's own data differ.
//!
//! Reads: every bank reads at `vaddr` (vectors) and `waddr` (weights) on each edge. `cand` is
//! this lane's vector operand for activation source `src` (a registered bank read, muxed), and
//! `rd_cand` its vector `rd_vec` for the host's read-back; the sequencer picks one lane's.
//! Writes: with `wvalid`, the result of phase `phase` goes to `res_addr` of the phase's banks.
//! The element-wise phases also keep what they overwrite: the neuron update (phase 3) copies
//! the u, b, s it reads into the `_prev` banks as it reads them (one edge later, at the
//! delayed read address), and writes v and theta beside the new state; the readout update
//! (phase 6) copies o the same way.
//!
//! Keeping a lane in its own module keeps each generated always-block small: Icarus re-runs a
//! block whenever one of its inputs changes, so one block for all lanes costs O(L^2) per cycle.

use crate::forward::{rd, BANK_ADDR_BITS, STREAM_BITS, WEIGHT_ADDR_BITS};
use crate::mac::Mac;
use crate::neuron::NeuronUpdate;
use crate::sigmoid_rom::SigmoidRom;
use crate::word::to_signed;
use fptt_sim::fixed::model::Kernel;
use fptt_sim::fixed::Numerics;
use fptt_sim::model::THRESHOLD_BASE;
use rust_hdl::prelude::*;

/// One lane: banks and datapath.
#[derive(LogicBlock)]
pub struct ForwardLane<const B: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Vector bank read address (every vector bank).
    pub vaddr: Signal<In, Bits<BANK_ADDR_BITS>>,
    /// Weight bank read address.
    pub waddr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    /// Activation source of the operand read last edge (`forward::src` codes).
    pub src: Signal<In, Bits<3>>,
    /// The code of 1.0 that a spike or a bias stands for in this phase.
    pub bact: Signal<In, Signed<18>>,
    /// This lane's vector operand for `src`.
    pub cand: Signal<Out, Signed<18>>,
    /// Read-back: which vector ([`rd`] codes).
    pub rd_vec: Signal<In, Bits<{ rd::BITS }>>,
    /// This lane's `rd_vec` element at last edge's `vaddr`.
    pub rd_cand: Signal<Out, Signed<18>>,
    /// MAC term: the broadcast activation (the weight is this lane's bank word).
    pub act: Signal<In, Signed<18>>,
    /// MAC term flags (see [`Mac`]).
    pub valid: Signal<In, Bit>,
    /// First term of a dot product.
    pub first: Signal<In, Bit>,
    /// Last term of a dot product.
    pub last: Signal<In, Bit>,
    /// Shift this term up.
    pub up: Signal<In, Bit>,
    /// The term is a spike or a bias: an addition (see [`Mac`]).
    pub gated: Signal<In, Bit>,
    /// Accumulator slot (stream).
    pub slot: Signal<In, Bits<STREAM_BITS>>,
    /// Rounding select.
    pub sel: Signal<In, Bits<2>>,
    /// A dot product result is on the MAC output (lane 0's times every lane).
    pub y_valid: Signal<Out, Bit>,
    /// The element-wise pipeline takes the operands read last edge.
    pub elem_valid: Signal<In, Bit>,
    /// The element-wise pipeline's result is out.
    pub n_valid: Signal<Out, Bit>,
    /// Current phase (selects the operands of the element-wise pipeline and the result banks).
    pub phase: Signal<In, Bits<3>>,
    /// Write the phase's result at `res_addr`.
    pub wvalid: Signal<In, Bit>,
    /// Result address.
    pub res_addr: Signal<In, Bits<BANK_ADDR_BITS>>,
    /// Host write of a weight word at `host_addr`.
    pub w_we: Signal<In, Bit>,
    /// Host write of an input x at `host_addr`.
    pub x_we: Signal<In, Bit>,
    /// Host write address.
    pub host_addr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    /// Host write data.
    pub host_data: Signal<In, Signed<18>>,
    wram: RAM<Signed<18>, WEIGHT_ADDR_BITS>,
    x_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    s_ram: RAM<Bit, BANK_ADDR_BITS>,
    u_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    b_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    i_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    alpha_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    rho_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    j_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    ao_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    o_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    u_prev_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    b_prev_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    s_prev_ram: RAM<Bit, BANK_ADDR_BITS>,
    o_prev_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    v_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    theta_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    vaddr_d: DFF<Bits<BANK_ADDR_BITS>>,
    mac: Mac<B>,
    sigmoid: SigmoidRom,
    neuron: NeuronUpdate,
    zero: Constant<Signed<18>>,
    one: Constant<Signed<18>>,
}

impl<const B: usize> ForwardLane<B> {
    /// A lane under formats `n` whose weight bank holds `weight_words` words (zero) and whose
    /// vector banks hold `vector_words` (the initial state: u, s, o zero, b = b0).
    pub fn new(n: Numerics, weight_words: usize, vector_words: usize) -> Self {
        let f = Kernel::new(n).f;
        let ram = |v: i64| RAM::<Signed<18>, BANK_ADDR_BITS>::from((0..vector_words).map(|_| to_signed::<18>(v)));
        Self {
            clock: Signal::default(),
            vaddr: Signal::default(),
            waddr: Signal::default(),
            src: Signal::default(),
            bact: Signal::default(),
            cand: Signal::default(),
            rd_vec: Signal::default(),
            rd_cand: Signal::default(),
            act: Signal::default(),
            valid: Signal::default(),
            first: Signal::default(),
            last: Signal::default(),
            up: Signal::default(),
            gated: Signal::default(),
            slot: Signal::default(),
            sel: Signal::default(),
            y_valid: Signal::default(),
            elem_valid: Signal::default(),
            n_valid: Signal::default(),
            phase: Signal::default(),
            wvalid: Signal::default(),
            res_addr: Signal::default(),
            w_we: Signal::default(),
            x_we: Signal::default(),
            host_addr: Signal::default(),
            host_data: Signal::default(),
            wram: RAM::from((0..weight_words).map(|_| to_signed::<18>(0))),
            x_ram: ram(0),
            s_ram: RAM::from((0..vector_words).map(|_| false)),
            u_ram: ram(0),
            b_ram: ram(n.gate.quantize(THRESHOLD_BASE)),
            i_ram: ram(0),
            alpha_ram: ram(0),
            rho_ram: ram(0),
            j_ram: ram(0),
            ao_ram: ram(0),
            o_ram: ram(0),
            u_prev_ram: ram(0),
            b_prev_ram: ram(n.gate.quantize(THRESHOLD_BASE)),
            s_prev_ram: RAM::from((0..vector_words).map(|_| false)),
            o_prev_ram: ram(0),
            v_ram: ram(0),
            theta_ram: ram(0),
            vaddr_d: DFF::default(),
            mac: Mac::with_shifts([f.w + f.x - f.s, f.w + f.s - f.s, f.w + f.g - f.s], f.g - f.s)
                .with_gates([f.x, f.s, f.g]),
            sigmoid: SigmoidRom::with(n),
            neuron: NeuronUpdate::with(n),
            zero: Constant::new(to_signed(0)),
            one: Constant::new(to_signed(1)),
        }
    }
}

impl<const B: usize> Logic for ForwardLane<B> {
    #[hdl_gen]
    fn update(&mut self) {
        self.wram.read_clock.next = self.clock.val();
        self.wram.write_clock.next = self.clock.val();
        self.mac.clock.next = self.clock.val();
        self.sigmoid.clock.next = self.clock.val();
        self.neuron.clock.next = self.clock.val();
        self.x_ram.read_clock.next = self.clock.val();
        self.x_ram.write_clock.next = self.clock.val();
        self.s_ram.read_clock.next = self.clock.val();
        self.s_ram.write_clock.next = self.clock.val();
        self.u_ram.read_clock.next = self.clock.val();
        self.u_ram.write_clock.next = self.clock.val();
        self.b_ram.read_clock.next = self.clock.val();
        self.b_ram.write_clock.next = self.clock.val();
        self.i_ram.read_clock.next = self.clock.val();
        self.i_ram.write_clock.next = self.clock.val();
        self.alpha_ram.read_clock.next = self.clock.val();
        self.alpha_ram.write_clock.next = self.clock.val();
        self.rho_ram.read_clock.next = self.clock.val();
        self.rho_ram.write_clock.next = self.clock.val();
        self.j_ram.read_clock.next = self.clock.val();
        self.j_ram.write_clock.next = self.clock.val();
        self.ao_ram.read_clock.next = self.clock.val();
        self.ao_ram.write_clock.next = self.clock.val();
        self.o_ram.read_clock.next = self.clock.val();
        self.o_ram.write_clock.next = self.clock.val();
        self.u_prev_ram.read_clock.next = self.clock.val();
        self.u_prev_ram.write_clock.next = self.clock.val();
        self.b_prev_ram.read_clock.next = self.clock.val();
        self.b_prev_ram.write_clock.next = self.clock.val();
        self.s_prev_ram.read_clock.next = self.clock.val();
        self.s_prev_ram.write_clock.next = self.clock.val();
        self.o_prev_ram.read_clock.next = self.clock.val();
        self.o_prev_ram.write_clock.next = self.clock.val();
        self.v_ram.read_clock.next = self.clock.val();
        self.v_ram.write_clock.next = self.clock.val();
        self.theta_ram.read_clock.next = self.clock.val();
        self.theta_ram.write_clock.next = self.clock.val();
        self.vaddr_d.clock.next = self.clock.val();

        // Reads.
        self.wram.read_address.next = self.waddr.val();
        self.x_ram.read_address.next = self.vaddr.val();
        self.s_ram.read_address.next = self.vaddr.val();
        self.u_ram.read_address.next = self.vaddr.val();
        self.b_ram.read_address.next = self.vaddr.val();
        self.i_ram.read_address.next = self.vaddr.val();
        self.alpha_ram.read_address.next = self.vaddr.val();
        self.rho_ram.read_address.next = self.vaddr.val();
        self.j_ram.read_address.next = self.vaddr.val();
        self.ao_ram.read_address.next = self.vaddr.val();
        self.o_ram.read_address.next = self.vaddr.val();
        self.u_prev_ram.read_address.next = self.vaddr.val();
        self.b_prev_ram.read_address.next = self.vaddr.val();
        self.s_prev_ram.read_address.next = self.vaddr.val();
        self.o_prev_ram.read_address.next = self.vaddr.val();
        self.v_ram.read_address.next = self.vaddr.val();
        self.theta_ram.read_address.next = self.vaddr.val();
        self.vaddr_d.d.next = self.vaddr.val();
        // (literal `src` and `rd` codes: hdl_gen cannot emit a named constant)
        if self.src.val() == 0 {
            self.cand.next = self.x_ram.read_data.val();
        } else if self.src.val() == 1 {
            if self.s_ram.read_data.val() {
                self.cand.next = self.bact.val();
            } else {
                self.cand.next = self.zero.val();
            }
        } else if self.src.val() == 2 {
            self.cand.next = self.i_ram.read_data.val();
        } else if self.src.val() == 3 {
            self.cand.next = self.u_ram.read_data.val();
        } else if self.src.val() == 4 {
            self.cand.next = self.b_ram.read_data.val();
        } else if self.src.val() == 5 {
            self.cand.next = self.j_ram.read_data.val();
        } else if self.src.val() == 6 {
            self.cand.next = self.o_ram.read_data.val();
        } else {
            self.cand.next = self.bact.val();
        }
        if self.rd_vec.val() == 0 {
            self.rd_cand.next = self.u_ram.read_data.val();
        } else if self.rd_vec.val() == 1 {
            self.rd_cand.next = self.b_ram.read_data.val();
        } else if self.rd_vec.val() == 2 {
            if self.s_ram.read_data.val() {
                self.rd_cand.next = self.one.val();
            } else {
                self.rd_cand.next = self.zero.val();
            }
        } else if self.rd_vec.val() == 3 {
            self.rd_cand.next = self.o_ram.read_data.val();
        } else if self.rd_vec.val() == 4 {
            self.rd_cand.next = self.u_prev_ram.read_data.val();
        } else if self.rd_vec.val() == 5 {
            self.rd_cand.next = self.b_prev_ram.read_data.val();
        } else if self.rd_vec.val() == 6 {
            if self.s_prev_ram.read_data.val() {
                self.rd_cand.next = self.one.val();
            } else {
                self.rd_cand.next = self.zero.val();
            }
        } else if self.rd_vec.val() == 7 {
            self.rd_cand.next = self.o_prev_ram.read_data.val();
        } else if self.rd_vec.val() == 8 {
            self.rd_cand.next = self.v_ram.read_data.val();
        } else if self.rd_vec.val() == 9 {
            self.rd_cand.next = self.theta_ram.read_data.val();
        } else if self.rd_vec.val() == 10 {
            self.rd_cand.next = self.i_ram.read_data.val();
        } else if self.rd_vec.val() == 11 {
            self.rd_cand.next = self.alpha_ram.read_data.val();
        } else if self.rd_vec.val() == 12 {
            self.rd_cand.next = self.rho_ram.read_data.val();
        } else if self.rd_vec.val() == 13 {
            self.rd_cand.next = self.j_ram.read_data.val();
        } else if self.rd_vec.val() == 14 {
            self.rd_cand.next = self.ao_ram.read_data.val();
        } else {
            self.rd_cand.next = self.x_ram.read_data.val();
        }

        // The MAC: this lane's weight word times the broadcast activation.
        self.mac.w.next = self.wram.read_data.val();
        self.mac.a.next = self.act.val();
        self.mac.valid.next = self.valid.val();
        self.mac.first.next = self.first.val();
        self.mac.last.next = self.last.val();
        self.mac.up.next = self.up.val();
        self.mac.slot.next = self.slot.val();
        self.mac.gated.next = self.gated.val();
        self.mac.sel.next = self.sel.val();
        self.y_valid.next = self.mac.y_valid.val();
        self.sigmoid.z.next = self.mac.y.val();

        // The element-wise pipeline: neuron update (phase 3) or readout update (phase 6).
        self.neuron.in_valid.next = self.elem_valid.val();
        self.neuron.rho.next = self.rho_ram.read_data.val();
        if self.phase.val() == 6 {
            self.neuron.alpha.next = self.ao_ram.read_data.val();
            self.neuron.current.next = self.j_ram.read_data.val();
            self.neuron.u_prev.next = self.o_ram.read_data.val();
        } else {
            self.neuron.alpha.next = self.alpha_ram.read_data.val();
            self.neuron.current.next = self.i_ram.read_data.val();
            self.neuron.u_prev.next = self.u_ram.read_data.val();
        }
        self.neuron.b_prev.next = self.b_ram.read_data.val();
        self.neuron.s_prev.next = self.s_ram.read_data.val();
        self.n_valid.next = self.neuron.out_valid.val();

        // Results.
        self.i_ram.write_address.next = self.res_addr.val();
        self.alpha_ram.write_address.next = self.res_addr.val();
        self.rho_ram.write_address.next = self.res_addr.val();
        self.j_ram.write_address.next = self.res_addr.val();
        self.ao_ram.write_address.next = self.res_addr.val();
        self.u_ram.write_address.next = self.res_addr.val();
        self.b_ram.write_address.next = self.res_addr.val();
        self.s_ram.write_address.next = self.res_addr.val();
        self.o_ram.write_address.next = self.res_addr.val();
        self.i_ram.write_data.next = self.mac.y.val();
        self.alpha_ram.write_data.next = self.sigmoid.y.val();
        self.rho_ram.write_data.next = self.sigmoid.y.val();
        self.j_ram.write_data.next = self.mac.y.val();
        self.ao_ram.write_data.next = self.sigmoid.y.val();
        self.u_ram.write_data.next = self.neuron.u.val();
        self.b_ram.write_data.next = self.neuron.b.val();
        self.s_ram.write_data.next = self.neuron.s.val();
        self.o_ram.write_data.next = self.neuron.v.val();
        self.i_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 0);
        self.alpha_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 1);
        self.rho_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 2);
        self.u_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
        self.b_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
        self.s_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
        self.j_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 4);
        self.ao_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 5);
        self.o_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 6);
        self.v_ram.write_address.next = self.res_addr.val();
        self.theta_ram.write_address.next = self.res_addr.val();
        self.v_ram.write_data.next = self.neuron.v.val();
        self.theta_ram.write_data.next = self.neuron.theta.val();
        self.v_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
        self.theta_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
        // What the element-wise phases overwrite, copied as they read it.
        self.u_prev_ram.write_address.next = self.vaddr_d.q.val();
        self.b_prev_ram.write_address.next = self.vaddr_d.q.val();
        self.s_prev_ram.write_address.next = self.vaddr_d.q.val();
        self.o_prev_ram.write_address.next = self.vaddr_d.q.val();
        self.u_prev_ram.write_data.next = self.u_ram.read_data.val();
        self.b_prev_ram.write_data.next = self.b_ram.read_data.val();
        self.s_prev_ram.write_data.next = self.s_ram.read_data.val();
        self.o_prev_ram.write_data.next = self.o_ram.read_data.val();
        self.u_prev_ram.write_enable.next = self.elem_valid.val() & (self.phase.val() == 3);
        self.b_prev_ram.write_enable.next = self.elem_valid.val() & (self.phase.val() == 3);
        self.s_prev_ram.write_enable.next = self.elem_valid.val() & (self.phase.val() == 3);
        self.o_prev_ram.write_enable.next = self.elem_valid.val() & (self.phase.val() == 6);

        // Host writes.
        self.wram.write_address.next = self.host_addr.val();
        self.wram.write_data.next = self.host_data.val();
        self.wram.write_enable.next = self.w_we.val();
        self.x_ram.write_address.next = self.host_addr.val().get_bits::<BANK_ADDR_BITS>(0);
        self.x_ram.write_data.next = self.host_data.val();
        self.x_ram.write_enable.next = self.x_we.val();
    }
}

const _: () = assert!(rd::U == 0 && rd::B == 1 && rd::S == 2 && rd::O == 3, "literal codes");
const _: () = assert!(rd::U_PREV == 4 && rd::S_PREV == 6 && rd::V == 8 && rd::J == 13 && rd::X == 15, "literal codes");
