//! `ForwardLane<B>`: one weight lane of [`ForwardStep`](crate::forward::ForwardStep): its
//! weight bank, its share of every per-stream vector in banks (the state x, s, u, b, o; the
//! trace I, alpha, rho, J, alpha^o, v, theta and the previous step's u, b, s, o; the target y;
//! the deltas of the backward step), its share of every parameter word's FPTT state (W,
//! W-bar, lambda, Adamax m and u) in parameter banks, one [`Mac`] with B accumulator slots,
//! one [`SigmoidRom`], the element-wise pipelines [`NeuronUpdate`], [`OutputError`] and
//! [`BackwardNeuron`], and the update pipeline: a [`GradMac`] and a [`ParamUpdate`]. The sequencer in `ForwardStep` drives every lane with the same
//! addresses and flags; a lane's own data differ.
//!
//! Reads: every bank reads at `vaddr` (vectors) and `waddr` (weights) on each edge, and every
//! vector and parameter bank's read is registered at once, before any logic (an EBR's output
//! is slow). `cand` is this lane's vector operand for source `src`, and `rd_cand` its vector
//! `rd_vec` for the host's read-back, both muxed from those registers two edges after the
//! address (the bank read, then its register); the sequencer picks one lane's.
//!
//! MAC terms (`tmode`): a forward term multiplies the weight word by the broadcast activation;
//! a transposed term multiplies it by this lane's own operand (`cand`, a delta of one of its
//! rows); a diagonal term multiplies this lane's delta by its gate (`cand2`: alpha^o in phase
//! 8, alpha in phase 11) in the lane `diag_lane` only, zero elsewhere.
//!
//! Writes: with `wvalid`, the result of phase `phase` goes to `res_addr` of the phase's banks;
//! a transposed product's result (`t_res`, reduced over the lanes) only in lane `res_lane`.
//! The neuron update (phase 3) copies the u, b, s it reads into the `_prev` banks as it reads
//! them (from the read's register, at the read address two edges late) and writes v and theta
//! beside the new state; the readout update (phase 6) copies o the same way.
//! The backward neuron (phase 10) takes this lane's d_s, forward values and s_t from the
//! registered reads, and `membrane`, the phase's flag (the readout reads u_t: d_s is dJ/du_t).
//!
//! The update pass (phases 12..=16): for each weight word, the B streams' terms (this lane's
//! delta of the word's row, read at `daddr`, times the broadcast activation of its column)
//! go through the [`GradMac`]; the word's sum meets the word's W, W-bar, lambda, m, u, read
//! from the parameter banks at the word address three edges after the weight read, in the
//! [`ParamUpdate`]; the new moments are written back [`MOMENTS_LATENCY`] edges later (under
//! Adamax), W, W-bar and lambda [`PARAM_UPDATE_LATENCY`] edges later, and the multiplier
//! operand (W rounded to 18 bits) one edge after that. A word address delay line carries each
//! word's address to its writes.
//!
//! Keeping a lane in its own module keeps each generated always-block small: Icarus re-runs a
//! block whenever one of its inputs changes, so one block for all lanes costs O(L^2) per cycle.

use crate::backward_neuron::BackwardNeuron;
use crate::forward::{host, rd, BANK_ADDR_BITS, LANE_BITS, PHASE_BITS, SRC_BITS, STREAM_BITS, WEIGHT_ADDR_BITS};
use crate::grad_mac::GradMac;
use crate::mac::Mac;
use crate::neuron::NeuronUpdate;
use crate::output_error::OutputError;
use crate::param_update::{ParamUpdate, MOMENTS_LATENCY, PARAM_UPDATE_LATENCY};
use crate::requant::Narrow;
use crate::sigmoid_rom::SigmoidRom;
use crate::widen::Widen;
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
    /// Operand source of the read last edge (`forward::src` codes).
    pub src: Signal<In, Bits<SRC_BITS>>,
    /// The code of 1.0 that a spike or a bias stands for in this phase, aligned with `cand`
    /// (registered in the sequencer: one edge after the read's `src`).
    pub bact: Signal<In, Signed<18>>,
    /// This lane's vector operand for `src`, one edge after the read's `src` (from the bank
    /// read's register).
    pub cand: Signal<Out, Signed<18>>,
    /// Read-back: which vector ([`rd`] codes).
    pub rd_vec: Signal<In, Bits<{ rd::BITS }>>,
    /// Parameter bank read address while idle (read-back).
    pub rd_paddr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    /// This lane's `rd_vec` element at last edge's `vaddr` (or parameter word at `rd_paddr`).
    pub rd_cand: Signal<Out, Signed<27>>,
    /// MAC term: the broadcast activation.
    pub act: Signal<In, Signed<18>>,
    /// MAC term kind: 0 forward, 1 transposed, 2 diagonal.
    pub tmode: Signal<In, Bits<2>>,
    /// The lane a diagonal term belongs to.
    pub diag_lane: Signal<In, Bits<LANE_BITS>>,
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
    /// The MAC's exact sum, with `y_valid` (for the cross-lane reduction).
    pub raw: Signal<Out, Signed<48>>,
    /// The element-wise pipeline takes the operands read last edge.
    pub elem_valid: Signal<In, Bit>,
    /// The step weight w_t of the stream read last edge (with the operands).
    pub wt: Signal<In, Signed<18>>,
    /// The element-wise pipeline's result is out.
    pub n_valid: Signal<Out, Bit>,
    /// Current phase (selects the element-wise pipeline, its operands and the result banks).
    pub phase: Signal<In, Bits<PHASE_BITS>>,
    /// A step is running (the parameter banks serve the update, else the host).
    pub running: Signal<In, Bit>,
    /// Update pass: the delta banks read at `daddr`.
    pub upd: Signal<In, Bit>,
    /// Delta read address of the update pass (the word's row and stream).
    pub daddr: Signal<In, Bits<BANK_ADDR_BITS>>,
    /// Update pass term (with the MAC flags `valid`, `first`, `last`): the activation kind.
    pub kind: Signal<In, Bits<2>>,
    /// Update pass term present.
    pub gvalid: Signal<In, Bit>,
    /// The update pass commits the average instead: W <- W-bar (and its operand), nothing else
    /// written.
    pub commit: Signal<In, Bit>,
    /// A classification step: the output error takes d_o from its bank (the softmax's,
    /// written in phase 17 like a transposed product's result) instead of w_t (o - y).
    pub classify: Signal<In, Bit>,
    /// The readout reads the membrane (the phase's flag): the backward neuron's `d_s` is
    /// dJ/du_t.
    pub membrane: Signal<In, Bit>,
    /// Reset the state (u, s, o = 0, b = b0) at `clear_addr` of every vector bank.
    pub clear: Signal<In, Bit>,
    /// The vector bank address a reset writes.
    pub clear_addr: Signal<In, Bits<BANK_ADDR_BITS>>,
    /// The update's constants (see [`ParamUpdate`]).
    pub adamax: Signal<In, Bit>,
    /// 1/B.
    pub inv_batch: Signal<In, Signed<18>>,
    /// a.
    pub a: Signal<In, Signed<18>>,
    /// 1 - beta_f.
    pub keep: Signal<In, Signed<18>>,
    /// beta_f.
    pub beta_f: Signal<In, Signed<18>>,
    /// beta_f / a.
    pub pull: Signal<In, Signed<18>>,
    /// beta1.
    pub beta1: Signal<In, Signed<18>>,
    /// 1 - beta1.
    pub one_minus_beta1: Signal<In, Signed<18>>,
    /// beta2.
    pub beta2: Signal<In, Signed<18>>,
    /// Learning rate.
    pub lr: Signal<In, Signed<18>>,
    /// Write the phase's result at `res_addr`.
    pub wvalid: Signal<In, Bit>,
    /// Result address.
    pub res_addr: Signal<In, Bits<BANK_ADDR_BITS>>,
    /// The lane a transposed product's result belongs to.
    pub res_lane: Signal<In, Bits<LANE_BITS>>,
    /// A transposed product's result, reduced over the lanes.
    pub t_res: Signal<In, Signed<18>>,
    /// Host write to this lane: what (`forward::host` codes).
    pub host_we: Signal<In, Bit>,
    /// Host write target.
    pub host_sel: Signal<In, Bits<{ host::BITS }>>,
    /// Host write address.
    pub host_addr: Signal<In, Bits<WEIGHT_ADDR_BITS>>,
    /// Host write data (27 bits for W and W-bar, else the low 18).
    pub host_data: Signal<In, Signed<27>>,
    wram: RAM<Signed<18>, WEIGHT_ADDR_BITS>,
    w_ram: RAM<Signed<27>, WEIGHT_ADDR_BITS>,
    wbar_ram: RAM<Signed<27>, WEIGHT_ADDR_BITS>,
    lambda_ram: RAM<Signed<18>, WEIGHT_ADDR_BITS>,
    m_ram: RAM<Signed<18>, WEIGHT_ADDR_BITS>,
    mu_ram: RAM<Signed<18>, WEIGHT_ADDR_BITS>,
    x_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
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
    o_prev_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    v_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    theta_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    y_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    do_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    dzo_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    dj_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    ds_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    dv_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    dzm_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    dza_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    di_ram: RAM<Signed<18>, BANK_ADDR_BITS>,
    s_ram: RAM<Bit, BANK_ADDR_BITS>,
    s_prev_ram: RAM<Bit, BANK_ADDR_BITS>,
    vaddr_d: DFF<Bits<BANK_ADDR_BITS>>,
    grad: GradMac,
    update: ParamUpdate,
    operand: Narrow<27, 18>,
    wa: [DFF<Bits<WEIGHT_ADDR_BITS>>; 32],
    op_we: DFF<Bit>,
    cv: [DFF<Bit>; 5],
    host_op_we: DFF<Bit>,
    host_op_addr: DFF<Bits<WEIGHT_ADDR_BITS>>,
    phase_r: DFF<Bits<PHASE_BITS>>,
    elem_r: DFF<Bit>,
    wt_r: DFF<Signed<18>>,
    vaddr_d2: DFF<Bits<BANK_ADDR_BITS>>,
    delta: Signal<Local, Signed<18>>,
    daddr_eff: Signal<Local, Bits<BANK_ADDR_BITS>>,
    host18: Signal<Local, Signed<18>>,
    hbits: Signal<Local, Bits<27>>,
    rd18: Signal<Local, Signed<18>>,
    x_r: DFF<Signed<18>>,
    s_r: DFF<Bit>,
    i_r: DFF<Signed<18>>,
    u_r: DFF<Signed<18>>,
    b_r: DFF<Signed<18>>,
    j_r: DFF<Signed<18>>,
    o_r: DFF<Signed<18>>,
    do_r: DFF<Signed<18>>,
    dzo_r: DFF<Signed<18>>,
    dj_r: DFF<Signed<18>>,
    ds_r: DFF<Signed<18>>,
    dv_r: DFF<Signed<18>>,
    dzm_r: DFF<Signed<18>>,
    dza_r: DFF<Signed<18>>,
    di_r: DFF<Signed<18>>,
    s_prev_r: DFF<Bit>,
    u_prev_r: DFF<Signed<18>>,
    b_prev_r: DFF<Signed<18>>,
    o_prev_r: DFF<Signed<18>>,
    v_r: DFF<Signed<18>>,
    theta_r: DFF<Signed<18>>,
    alpha_r: DFF<Signed<18>>,
    rho_r: DFF<Signed<18>>,
    ao_r: DFF<Signed<18>>,
    y_r: DFF<Signed<18>>,
    lambda_r: DFF<Signed<18>>,
    m_r: DFF<Signed<18>>,
    mu_r: DFF<Signed<18>>,
    src_r: DFF<Bits<SRC_BITS>>,
    rd_w: DFF<Signed<27>>,
    rd_wbar: DFF<Signed<27>>,
    rd_vec_q: DFF<Bits<{ rd::BITS }>>,
    rd_wide: Widen<18, 27>,
    mac: Mac<B>,
    sigmoid: SigmoidRom,
    neuron: NeuronUpdate,
    output_error: OutputError,
    backward: BackwardNeuron,
    cand2: Signal<Local, Signed<18>>,
    own: Signal<Local, Signed<18>>,
    index: Constant<Bits<LANE_BITS>>,
    zero: Constant<Signed<18>>,
    one: Constant<Signed<18>>,
    b0: Constant<Signed<18>>,
}

impl<const B: usize> ForwardLane<B> {
    /// Lane `index` under formats `n` whose weight bank holds `weight_words` words (zero) and
    /// whose vector banks hold `vector_words` (the initial state: u, s, o zero, b = b0).
    pub fn new(n: Numerics, index: usize, weight_words: usize, vector_words: usize) -> Self {
        let f = Kernel::new(n).f;
        // (a commit copies W-bar into W: one format)
        assert_eq!(n.weight, n.weight_avg, "W and W-bar share a format");
        let ram = |v: i64| RAM::<Signed<18>, BANK_ADDR_BITS>::from((0..vector_words).map(|_| to_signed::<18>(v)));
        let b0 = n.gate.quantize(THRESHOLD_BASE);
        Self {
            clock: Signal::default(),
            vaddr: Signal::default(),
            waddr: Signal::default(),
            src: Signal::default(),
            bact: Signal::default(),
            cand: Signal::default(),
            rd_vec: Signal::default(),
            rd_paddr: Signal::default(),
            rd_cand: Signal::default(),
            act: Signal::default(),
            tmode: Signal::default(),
            diag_lane: Signal::default(),
            valid: Signal::default(),
            first: Signal::default(),
            last: Signal::default(),
            up: Signal::default(),
            gated: Signal::default(),
            slot: Signal::default(),
            sel: Signal::default(),
            y_valid: Signal::default(),
            raw: Signal::default(),
            elem_valid: Signal::default(),
            wt: Signal::default(),
            n_valid: Signal::default(),
            phase: Signal::default(),
            running: Signal::default(),
            upd: Signal::default(),
            daddr: Signal::default(),
            kind: Signal::default(),
            gvalid: Signal::default(),
            commit: Signal::default(),
            classify: Signal::default(),
            membrane: Signal::default(),
            clear: Signal::default(),
            clear_addr: Signal::default(),
            adamax: Signal::default(),
            inv_batch: Signal::default(),
            a: Signal::default(),
            keep: Signal::default(),
            beta_f: Signal::default(),
            pull: Signal::default(),
            beta1: Signal::default(),
            one_minus_beta1: Signal::default(),
            beta2: Signal::default(),
            lr: Signal::default(),
            wvalid: Signal::default(),
            res_addr: Signal::default(),
            res_lane: Signal::default(),
            t_res: Signal::default(),
            host_we: Signal::default(),
            host_sel: Signal::default(),
            host_addr: Signal::default(),
            host_data: Signal::default(),
            wram: RAM::from((0..weight_words).map(|_| to_signed::<18>(0))),
            w_ram: RAM::from((0..weight_words).map(|_| to_signed::<27>(0))),
            wbar_ram: RAM::from((0..weight_words).map(|_| to_signed::<27>(0))),
            lambda_ram: RAM::from((0..weight_words).map(|_| to_signed::<18>(0))),
            m_ram: RAM::from((0..weight_words).map(|_| to_signed::<18>(0))),
            mu_ram: RAM::from((0..weight_words).map(|_| to_signed::<18>(0))),
            x_ram: ram(0),
            u_ram: ram(0),
            b_ram: ram(b0),
            i_ram: ram(0),
            alpha_ram: ram(0),
            rho_ram: ram(0),
            j_ram: ram(0),
            ao_ram: ram(0),
            o_ram: ram(0),
            u_prev_ram: ram(0),
            b_prev_ram: ram(b0),
            o_prev_ram: ram(0),
            v_ram: ram(0),
            theta_ram: ram(0),
            y_ram: ram(0),
            do_ram: ram(0),
            dzo_ram: ram(0),
            dj_ram: ram(0),
            ds_ram: ram(0),
            dv_ram: ram(0),
            dzm_ram: ram(0),
            dza_ram: ram(0),
            di_ram: ram(0),
            s_ram: RAM::from((0..vector_words).map(|_| false)),
            s_prev_ram: RAM::from((0..vector_words).map(|_| false)),
            vaddr_d: DFF::default(),
            grad: GradMac::with(n),
            update: ParamUpdate::with(n),
            operand: Narrow::new(n.weight.frac - n.weight_operand().frac),
            wa: Default::default(),
            op_we: DFF::default(),
            cv: Default::default(),
            host_op_we: DFF::default(),
            host_op_addr: DFF::default(),
            phase_r: DFF::default(),
            elem_r: DFF::default(),
            wt_r: DFF::default(),
            vaddr_d2: DFF::default(),
            delta: Signal::default(),
            daddr_eff: Signal::default(),
            host18: Signal::default(),
            hbits: Signal::default(),
            rd18: Signal::default(),
            x_r: DFF::default(),
            s_r: DFF::default(),
            i_r: DFF::default(),
            u_r: DFF::default(),
            b_r: DFF::default(),
            j_r: DFF::default(),
            o_r: DFF::default(),
            do_r: DFF::default(),
            dzo_r: DFF::default(),
            dj_r: DFF::default(),
            ds_r: DFF::default(),
            dv_r: DFF::default(),
            dzm_r: DFF::default(),
            dza_r: DFF::default(),
            di_r: DFF::default(),
            s_prev_r: DFF::default(),
            u_prev_r: DFF::default(),
            b_prev_r: DFF::default(),
            o_prev_r: DFF::default(),
            v_r: DFF::default(),
            theta_r: DFF::default(),
            alpha_r: DFF::default(),
            rho_r: DFF::default(),
            ao_r: DFF::default(),
            y_r: DFF::default(),
            lambda_r: DFF::default(),
            m_r: DFF::default(),
            mu_r: DFF::default(),
            src_r: DFF::default(),
            rd_w: DFF::default(),
            rd_wbar: DFF::default(),
            rd_vec_q: DFF::default(),
            rd_wide: Widen::default(),
            mac: Mac::with_shifts([f.w + f.x - f.s, f.w + f.s - f.s, f.w + f.g - f.s], f.g - f.s)
                .with_gates([f.x, f.s, f.g]),
            sigmoid: SigmoidRom::with(n),
            neuron: NeuronUpdate::with(n),
            output_error: OutputError::with(n),
            backward: BackwardNeuron::with(n),
            cand2: Signal::default(),
            own: Signal::default(),
            index: Constant::new((index as u64).into()),
            zero: Constant::new(to_signed(0)),
            one: Constant::new(to_signed(1)),
            b0: Constant::new(to_signed(b0)),
        }
    }
}

impl<const B: usize> Logic for ForwardLane<B> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            vaddr_d,
            op_we,
            host_op_we,
            host_op_addr,
            phase_r,
            elem_r,
            wt_r,
            vaddr_d2,
            x_r,
            s_r,
            i_r,
            u_r,
            b_r,
            j_r,
            o_r,
            do_r,
            dzo_r,
            dj_r,
            ds_r,
            dv_r,
            dzm_r,
            dza_r,
            di_r,
            s_prev_r,
            u_prev_r,
            b_prev_r,
            o_prev_r,
            v_r,
            theta_r,
            alpha_r,
            rho_r,
            ao_r,
            y_r,
            lambda_r,
            m_r,
            mu_r,
            src_r,
            rd_w,
            rd_wbar,
            rd_vec_q
        );
        for i in 0..32 {
            self.wa[i].clock.next = self.clock.val();
        }
        for i in 0..5 {
            self.cv[i].clock.next = self.clock.val();
        }
        self.grad.clock.next = self.clock.val();
        self.update.clock.next = self.clock.val();
        self.operand.clock.next = self.clock.val();
        self.mac.clock.next = self.clock.val();
        self.sigmoid.clock.next = self.clock.val();
        self.neuron.clock.next = self.clock.val();
        self.output_error.clock.next = self.clock.val();
        self.backward.clock.next = self.clock.val();
        self.x_ram.read_clock.next = self.clock.val();
        self.x_ram.write_clock.next = self.clock.val();
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
        self.o_prev_ram.read_clock.next = self.clock.val();
        self.o_prev_ram.write_clock.next = self.clock.val();
        self.v_ram.read_clock.next = self.clock.val();
        self.v_ram.write_clock.next = self.clock.val();
        self.theta_ram.read_clock.next = self.clock.val();
        self.theta_ram.write_clock.next = self.clock.val();
        self.y_ram.read_clock.next = self.clock.val();
        self.y_ram.write_clock.next = self.clock.val();
        self.do_ram.read_clock.next = self.clock.val();
        self.do_ram.write_clock.next = self.clock.val();
        self.dzo_ram.read_clock.next = self.clock.val();
        self.dzo_ram.write_clock.next = self.clock.val();
        self.dj_ram.read_clock.next = self.clock.val();
        self.dj_ram.write_clock.next = self.clock.val();
        self.ds_ram.read_clock.next = self.clock.val();
        self.ds_ram.write_clock.next = self.clock.val();
        self.dv_ram.read_clock.next = self.clock.val();
        self.dv_ram.write_clock.next = self.clock.val();
        self.dzm_ram.read_clock.next = self.clock.val();
        self.dzm_ram.write_clock.next = self.clock.val();
        self.dza_ram.read_clock.next = self.clock.val();
        self.dza_ram.write_clock.next = self.clock.val();
        self.di_ram.read_clock.next = self.clock.val();
        self.di_ram.write_clock.next = self.clock.val();
        self.s_ram.read_clock.next = self.clock.val();
        self.s_ram.write_clock.next = self.clock.val();
        self.s_prev_ram.read_clock.next = self.clock.val();
        self.s_prev_ram.write_clock.next = self.clock.val();
        self.wram.read_clock.next = self.clock.val();
        self.wram.write_clock.next = self.clock.val();
        self.w_ram.read_clock.next = self.clock.val();
        self.w_ram.write_clock.next = self.clock.val();
        self.wbar_ram.read_clock.next = self.clock.val();
        self.wbar_ram.write_clock.next = self.clock.val();
        self.lambda_ram.read_clock.next = self.clock.val();
        self.lambda_ram.write_clock.next = self.clock.val();
        self.m_ram.read_clock.next = self.clock.val();
        self.m_ram.write_clock.next = self.clock.val();
        self.mu_ram.read_clock.next = self.clock.val();
        self.mu_ram.write_clock.next = self.clock.val();

        // Reads.
        self.wram.read_address.next = self.waddr.val();
        if self.upd.val() {
            self.daddr_eff.next = self.daddr.val();
        } else {
            self.daddr_eff.next = self.vaddr.val();
        }
        self.x_ram.read_address.next = self.vaddr.val();
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
        self.o_prev_ram.read_address.next = self.vaddr.val();
        self.v_ram.read_address.next = self.vaddr.val();
        self.theta_ram.read_address.next = self.vaddr.val();
        self.y_ram.read_address.next = self.vaddr.val();
        self.do_ram.read_address.next = self.vaddr.val();
        self.dzo_ram.read_address.next = self.daddr_eff.val();
        self.dj_ram.read_address.next = self.daddr_eff.val();
        self.ds_ram.read_address.next = self.vaddr.val();
        self.dv_ram.read_address.next = self.vaddr.val();
        self.dzm_ram.read_address.next = self.daddr_eff.val();
        self.dza_ram.read_address.next = self.daddr_eff.val();
        self.di_ram.read_address.next = self.daddr_eff.val();
        self.s_ram.read_address.next = self.vaddr.val();
        self.s_prev_ram.read_address.next = self.vaddr.val();
        self.vaddr_d.d.next = self.vaddr.val();
        // Every bank read is registered before any logic (an EBR's output is 5.8 ns from the
        // clock and far from the fabric it feeds), with the operand's source (`bact` comes
        // registered from the sequencer); the operand and read-back muxes work from these
        // registers one edge later, where the bank read used to meet them: `cand` is what the
        // sequencer's activation register held, and `rd18` what the lane's read-back register
        // held, so the schedule is unchanged.
        self.x_r.d.next = self.x_ram.read_data.val();
        self.s_r.d.next = self.s_ram.read_data.val();
        self.i_r.d.next = self.i_ram.read_data.val();
        self.u_r.d.next = self.u_ram.read_data.val();
        self.b_r.d.next = self.b_ram.read_data.val();
        self.j_r.d.next = self.j_ram.read_data.val();
        self.o_r.d.next = self.o_ram.read_data.val();
        self.do_r.d.next = self.do_ram.read_data.val();
        self.dzo_r.d.next = self.dzo_ram.read_data.val();
        self.dj_r.d.next = self.dj_ram.read_data.val();
        self.ds_r.d.next = self.ds_ram.read_data.val();
        self.dv_r.d.next = self.dv_ram.read_data.val();
        self.dzm_r.d.next = self.dzm_ram.read_data.val();
        self.dza_r.d.next = self.dza_ram.read_data.val();
        self.di_r.d.next = self.di_ram.read_data.val();
        self.s_prev_r.d.next = self.s_prev_ram.read_data.val();
        self.u_prev_r.d.next = self.u_prev_ram.read_data.val();
        self.b_prev_r.d.next = self.b_prev_ram.read_data.val();
        self.o_prev_r.d.next = self.o_prev_ram.read_data.val();
        self.v_r.d.next = self.v_ram.read_data.val();
        self.theta_r.d.next = self.theta_ram.read_data.val();
        self.alpha_r.d.next = self.alpha_ram.read_data.val();
        self.rho_r.d.next = self.rho_ram.read_data.val();
        self.ao_r.d.next = self.ao_ram.read_data.val();
        self.y_r.d.next = self.y_ram.read_data.val();
        self.lambda_r.d.next = self.lambda_ram.read_data.val();
        self.m_r.d.next = self.m_ram.read_data.val();
        self.mu_r.d.next = self.mu_ram.read_data.val();
        self.src_r.d.next = self.src.val();
        self.phase_r.d.next = self.phase.val();
        self.elem_r.d.next = self.elem_valid.val();
        self.wt_r.d.next = self.wt.val();
        self.vaddr_d2.d.next = self.vaddr_d.q.val();
        // (literal `src` and `rd` codes: hdl_gen cannot emit a named constant; a `match` is a
        // Verilog `case`, a flat mux, where an if/else chain is a priority chain one LUT per
        // source, too deep for the clock). `own`, the MAC's own operand, is `cand` again (one
        // mux after synthesis): the sequencer's `act` is now combinational from `cand`, and a
        // statement group that both writes `cand` and reads `act` is a loop to Verilator
        // (UNOPTFLAT, hdl/tests/lint.rs), though no bit depends on itself.
        match self.src_r.q.val().index() {
            0 => {
                self.cand.next = self.x_r.q.val();
                self.own.next = self.x_r.q.val();
            }
            1 => {
                if self.s_r.q.val() {
                    self.cand.next = self.bact.val();
                    self.own.next = self.bact.val();
                } else {
                    self.cand.next = self.zero.val();
                    self.own.next = self.zero.val();
                }
            }
            2 => {
                self.cand.next = self.i_r.q.val();
                self.own.next = self.i_r.q.val();
            }
            3 => {
                self.cand.next = self.u_r.q.val();
                self.own.next = self.u_r.q.val();
            }
            4 => {
                self.cand.next = self.b_r.q.val();
                self.own.next = self.b_r.q.val();
            }
            5 => {
                self.cand.next = self.j_r.q.val();
                self.own.next = self.j_r.q.val();
            }
            6 => {
                self.cand.next = self.o_r.q.val();
                self.own.next = self.o_r.q.val();
            }
            7 => {
                self.cand.next = self.bact.val();
                self.own.next = self.bact.val();
            }
            8 => {
                self.cand.next = self.do_r.q.val();
                self.own.next = self.do_r.q.val();
            }
            9 => {
                self.cand.next = self.dzo_r.q.val();
                self.own.next = self.dzo_r.q.val();
            }
            10 => {
                self.cand.next = self.dj_r.q.val();
                self.own.next = self.dj_r.q.val();
            }
            11 => {
                self.cand.next = self.ds_r.q.val();
                self.own.next = self.ds_r.q.val();
            }
            12 => {
                self.cand.next = self.dv_r.q.val();
                self.own.next = self.dv_r.q.val();
            }
            13 => {
                self.cand.next = self.dzm_r.q.val();
                self.own.next = self.dzm_r.q.val();
            }
            14 => {
                self.cand.next = self.dza_r.q.val();
                self.own.next = self.dza_r.q.val();
            }
            15 => {
                self.cand.next = self.di_r.q.val();
                self.own.next = self.di_r.q.val();
            }
            16 => {
                if self.s_prev_r.q.val() {
                    self.cand.next = self.bact.val();
                    self.own.next = self.bact.val();
                } else {
                    self.cand.next = self.zero.val();
                    self.own.next = self.zero.val();
                }
            }
            17 => {
                self.cand.next = self.u_prev_r.q.val();
                self.own.next = self.u_prev_r.q.val();
            }
            18 => {
                self.cand.next = self.b_prev_r.q.val();
                self.own.next = self.b_prev_r.q.val();
            }
            _ => {
                self.cand.next = self.o_prev_r.q.val();
                self.own.next = self.o_prev_r.q.val();
            }
        }
        // Read-back: the element of `rd_vec` (or parameter word) out of the registered bank
        // reads: an 18-bit word, widened, or W or W-bar (27 bits).
        self.rd_w.d.next = self.w_ram.read_data.val();
        self.rd_wbar.d.next = self.wbar_ram.read_data.val();
        self.rd_vec_q.d.next = self.rd_vec.val();
        match self.rd_vec_q.q.val().index() {
            0 => {
                self.rd18.next = self.u_r.q.val();
            }
            1 => {
                self.rd18.next = self.b_r.q.val();
            }
            2 => {
                if self.s_r.q.val() {
                    self.rd18.next = self.one.val();
                } else {
                    self.rd18.next = self.zero.val();
                }
            }
            3 => {
                self.rd18.next = self.o_r.q.val();
            }
            4 => {
                self.rd18.next = self.u_prev_r.q.val();
            }
            5 => {
                self.rd18.next = self.b_prev_r.q.val();
            }
            6 => {
                if self.s_prev_r.q.val() {
                    self.rd18.next = self.one.val();
                } else {
                    self.rd18.next = self.zero.val();
                }
            }
            7 => {
                self.rd18.next = self.o_prev_r.q.val();
            }
            8 => {
                self.rd18.next = self.v_r.q.val();
            }
            9 => {
                self.rd18.next = self.theta_r.q.val();
            }
            10 => {
                self.rd18.next = self.i_r.q.val();
            }
            11 => {
                self.rd18.next = self.alpha_r.q.val();
            }
            12 => {
                self.rd18.next = self.rho_r.q.val();
            }
            13 => {
                self.rd18.next = self.j_r.q.val();
            }
            14 => {
                self.rd18.next = self.ao_r.q.val();
            }
            15 => {
                self.rd18.next = self.x_r.q.val();
            }
            16 => {
                self.rd18.next = self.do_r.q.val();
            }
            17 => {
                self.rd18.next = self.dzo_r.q.val();
            }
            18 => {
                self.rd18.next = self.dj_r.q.val();
            }
            19 => {
                self.rd18.next = self.ds_r.q.val();
            }
            20 => {
                self.rd18.next = self.dv_r.q.val();
            }
            21 => {
                self.rd18.next = self.dzm_r.q.val();
            }
            22 => {
                self.rd18.next = self.dza_r.q.val();
            }
            23 => {
                self.rd18.next = self.di_r.q.val();
            }
            27 => {
                self.rd18.next = self.lambda_r.q.val();
            }
            28 => {
                self.rd18.next = self.m_r.q.val();
            }
            29 => {
                self.rd18.next = self.mu_r.q.val();
            }
            _ => {
                self.rd18.next = self.y_r.q.val();
            }
        }
        self.rd_wide.x.next = self.rd18.val();
        if self.rd_vec_q.q.val() == 25 {
            self.rd_cand.next = self.rd_w.q.val();
        } else if self.rd_vec_q.q.val() == 26 {
            self.rd_cand.next = self.rd_wbar.q.val();
        } else {
            self.rd_cand.next = self.rd_wide.y.val();
        }
        // the diagonal term's gate (with `cand`, from the registered reads): alpha^o for d_J
        // (phase 8), alpha for d_I
        if self.phase_r.q.val() == 8 {
            self.cand2.next = self.ao_r.q.val();
        } else {
            self.cand2.next = self.alpha_r.q.val();
        }

        // The MAC: a forward term (weight word x broadcast activation), a transposed term
        // (weight word x own delta) or a diagonal term (own delta x own gate, this lane only).
        if self.tmode.val() == 2 {
            self.mac.w.next = self.own.val();
            if self.diag_lane.val() == self.index.val() {
                self.mac.a.next = self.cand2.val();
            } else {
                self.mac.a.next = self.zero.val();
            }
        } else if self.tmode.val() == 1 {
            self.mac.w.next = self.wram.read_data.val();
            self.mac.a.next = self.own.val();
        } else {
            self.mac.w.next = self.wram.read_data.val();
            self.mac.a.next = self.act.val();
        }
        self.mac.valid.next = self.valid.val() & !self.upd.val();
        self.mac.first.next = self.first.val();
        self.mac.last.next = self.last.val();
        self.mac.up.next = self.up.val();
        self.mac.slot.next = self.slot.val();
        self.mac.gated.next = self.gated.val();
        self.mac.sel.next = self.sel.val();
        self.y_valid.next = self.mac.y_valid.val();
        self.raw.next = self.mac.raw.val();
        self.sigmoid.z.next = self.mac.y.val();

        // The element-wise pipelines: neuron update (phase 3) or readout update (phase 6),
        // output error (phase 7), backward neuron (phase 10), from the registered bank reads
        // (one edge after the reads, with the flags and w_t registered beside them).
        self.neuron.in_valid.next = self.elem_r.q.val() & ((self.phase_r.q.val() == 3) | (self.phase_r.q.val() == 6));
        self.neuron.rho.next = self.rho_r.q.val();
        if self.phase_r.q.val() == 6 {
            self.neuron.alpha.next = self.ao_r.q.val();
            self.neuron.current.next = self.j_r.q.val();
            self.neuron.u_prev.next = self.o_r.q.val();
        } else {
            self.neuron.alpha.next = self.alpha_r.q.val();
            self.neuron.current.next = self.i_r.q.val();
            self.neuron.u_prev.next = self.u_r.q.val();
        }
        self.neuron.b_prev.next = self.b_r.q.val();
        self.neuron.s_prev.next = self.s_r.q.val();
        self.output_error.in_valid.next = self.elem_r.q.val() & (self.phase_r.q.val() == 7);
        self.output_error.given.next = self.classify.val();
        self.output_error.d_in.next = self.do_r.q.val();
        self.output_error.o.next = self.o_r.q.val();
        self.output_error.y.next = self.y_r.q.val();
        self.output_error.weight.next = self.wt_r.q.val();
        self.output_error.j.next = self.j_r.q.val();
        self.output_error.o_prev.next = self.o_prev_r.q.val();
        self.output_error.alpha_o.next = self.ao_r.q.val();
        self.backward.in_valid.next = self.elem_r.q.val() & (self.phase_r.q.val() == 10);
        self.backward.d_s.next = self.ds_r.q.val();
        self.backward.v.next = self.v_r.q.val();
        self.backward.theta.next = self.theta_r.q.val();
        self.backward.b_prev.next = self.b_prev_r.q.val();
        self.backward.s_prev.next = self.s_prev_r.q.val();
        self.backward.current.next = self.i_r.q.val();
        self.backward.u_prev.next = self.u_prev_r.q.val();
        self.backward.alpha.next = self.alpha_r.q.val();
        self.backward.rho.next = self.rho_r.q.val();
        self.backward.s.next = self.s_r.q.val();
        self.backward.membrane.next = self.membrane.val();
        if self.phase.val() == 7 {
            self.n_valid.next = self.output_error.out_valid.val();
        } else if self.phase.val() == 10 {
            self.n_valid.next = self.backward.out_valid.val();
        } else {
            self.n_valid.next = self.neuron.out_valid.val();
        }

        // Results.
        self.i_ram.write_address.next = self.res_addr.val();
        self.i_ram.write_data.next = self.mac.y.val();
        self.i_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 0);
        self.alpha_ram.write_address.next = self.res_addr.val();
        self.alpha_ram.write_data.next = self.sigmoid.y.val();
        self.alpha_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 1);
        self.rho_ram.write_address.next = self.res_addr.val();
        self.rho_ram.write_data.next = self.sigmoid.y.val();
        self.rho_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 2);
        if self.clear.val() {
            // a reset: the initial state
            self.u_ram.write_address.next = self.clear_addr.val();
            self.u_ram.write_data.next = self.zero.val();
            self.u_ram.write_enable.next = true;
            self.b_ram.write_address.next = self.clear_addr.val();
            self.b_ram.write_data.next = self.b0.val();
            self.b_ram.write_enable.next = true;
            self.s_ram.write_address.next = self.clear_addr.val();
            self.s_ram.write_data.next = false;
            self.s_ram.write_enable.next = true;
        } else {
            self.u_ram.write_address.next = self.res_addr.val();
            self.u_ram.write_data.next = self.neuron.u.val();
            self.u_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
            self.b_ram.write_address.next = self.res_addr.val();
            self.b_ram.write_data.next = self.neuron.b.val();
            self.b_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
            self.s_ram.write_address.next = self.res_addr.val();
            self.s_ram.write_data.next = self.neuron.s.val();
            self.s_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
        }
        self.v_ram.write_address.next = self.res_addr.val();
        self.v_ram.write_data.next = self.neuron.v.val();
        self.v_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
        self.theta_ram.write_address.next = self.res_addr.val();
        self.theta_ram.write_data.next = self.neuron.theta.val();
        self.theta_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 3);
        self.j_ram.write_address.next = self.res_addr.val();
        self.j_ram.write_data.next = self.mac.y.val();
        self.j_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 4);
        self.ao_ram.write_address.next = self.res_addr.val();
        self.ao_ram.write_data.next = self.sigmoid.y.val();
        self.ao_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 5);
        if self.clear.val() {
            self.o_ram.write_address.next = self.clear_addr.val();
            self.o_ram.write_data.next = self.zero.val();
            self.o_ram.write_enable.next = true;
        } else {
            self.o_ram.write_address.next = self.res_addr.val();
            self.o_ram.write_data.next = self.neuron.v.val();
            self.o_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 6);
        }
        if self.phase.val() == 17 {
            // the softmax error of output k, in lane k mod L (literal phase::SOFTMAX)
            self.do_ram.write_address.next = self.res_addr.val();
            self.do_ram.write_data.next = self.t_res.val();
            self.do_ram.write_enable.next = self.wvalid.val() & (self.res_lane.val() == self.index.val());
        } else {
            self.do_ram.write_address.next = self.res_addr.val();
            self.do_ram.write_data.next = self.output_error.d_o.val();
            self.do_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 7);
        }
        self.dzo_ram.write_address.next = self.res_addr.val();
        self.dzo_ram.write_data.next = self.output_error.dz_o.val();
        self.dzo_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 7);
        self.dj_ram.write_address.next = self.res_addr.val();
        self.dj_ram.write_data.next = self.t_res.val();
        self.dj_ram.write_enable.next =
            (self.wvalid.val() & (self.phase.val() == 8)) & (self.res_lane.val() == self.index.val());
        self.ds_ram.write_address.next = self.res_addr.val();
        self.ds_ram.write_data.next = self.t_res.val();
        self.ds_ram.write_enable.next =
            (self.wvalid.val() & (self.phase.val() == 9)) & (self.res_lane.val() == self.index.val());
        self.dv_ram.write_address.next = self.res_addr.val();
        self.dv_ram.write_data.next = self.backward.d_v.val();
        self.dv_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 10);
        self.dzm_ram.write_address.next = self.res_addr.val();
        self.dzm_ram.write_data.next = self.backward.dz_m.val();
        self.dzm_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 10);
        self.dza_ram.write_address.next = self.res_addr.val();
        self.dza_ram.write_data.next = self.backward.dz_a.val();
        self.dza_ram.write_enable.next = self.wvalid.val() & (self.phase.val() == 10);
        self.di_ram.write_address.next = self.res_addr.val();
        self.di_ram.write_data.next = self.t_res.val();
        self.di_ram.write_enable.next =
            (self.wvalid.val() & (self.phase.val() == 11)) & (self.res_lane.val() == self.index.val());
        // What the element-wise phases overwrite, copied as they read it.
        self.u_prev_ram.write_address.next = self.vaddr_d2.q.val();
        self.u_prev_ram.write_data.next = self.u_r.q.val();
        self.u_prev_ram.write_enable.next = self.elem_r.q.val() & (self.phase_r.q.val() == 3);
        self.b_prev_ram.write_address.next = self.vaddr_d2.q.val();
        self.b_prev_ram.write_data.next = self.b_r.q.val();
        self.b_prev_ram.write_enable.next = self.elem_r.q.val() & (self.phase_r.q.val() == 3);
        self.s_prev_ram.write_address.next = self.vaddr_d2.q.val();
        self.s_prev_ram.write_data.next = self.s_r.q.val();
        self.s_prev_ram.write_enable.next = self.elem_r.q.val() & (self.phase_r.q.val() == 3);
        self.o_prev_ram.write_address.next = self.vaddr_d2.q.val();
        self.o_prev_ram.write_data.next = self.o_r.q.val();
        self.o_prev_ram.write_enable.next = self.elem_r.q.val() & (self.phase_r.q.val() == 6);

        // The update pass: the word's gradient over the streams (this lane's delta of the
        // word's row, by phase, times the broadcast activation), then its FPTT update.
        if self.phase_r.q.val() == 12 {
            self.delta.next = self.di_r.q.val();
        } else if self.phase_r.q.val() == 13 {
            self.delta.next = self.dzm_r.q.val();
        } else if self.phase_r.q.val() == 14 {
            self.delta.next = self.dza_r.q.val();
        } else if self.phase_r.q.val() == 15 {
            self.delta.next = self.dj_r.q.val();
        } else {
            self.delta.next = self.dzo_r.q.val();
        }
        self.grad.d.next = self.delta.val();
        self.grad.a.next = self.act.val();
        self.grad.kind.next = self.kind.val();
        self.grad.valid.next = self.gvalid.val();
        self.grad.first.next = self.first.val();
        self.grad.last.next = self.last.val();
        // the word address: wa[k] holds the weight read address (stage 1) after k + 1 more edges
        self.wa[0].d.next = self.waddr.val();
        for i in 1..32 {
            self.wa[i].d.next = self.wa[i - 1].q.val();
        }
        // the parameter banks read the word at stage 4 (data with the gradient sum at stage 5);
        // while idle, at the host's read-back address
        if self.running.val() {
            self.w_ram.read_address.next = self.wa[2].q.val();
            self.wbar_ram.read_address.next = self.wa[2].q.val();
            self.lambda_ram.read_address.next = self.wa[2].q.val();
            self.m_ram.read_address.next = self.wa[2].q.val();
            self.mu_ram.read_address.next = self.wa[2].q.val();
        } else {
            self.w_ram.read_address.next = self.rd_paddr.val();
            self.wbar_ram.read_address.next = self.rd_paddr.val();
            self.lambda_ram.read_address.next = self.rd_paddr.val();
            self.m_ram.read_address.next = self.rd_paddr.val();
            self.mu_ram.read_address.next = self.rd_paddr.val();
        }
        self.update.gsum.next = self.grad.sum.val();
        self.update.in_valid.next = self.grad.sum_valid.val();
        self.update.w.next = self.w_ram.read_data.val();
        self.update.w_bar.next = self.wbar_ram.read_data.val();
        self.update.lambda.next = self.lambda_ram.read_data.val();
        self.update.m.next = self.m_ram.read_data.val();
        self.update.u.next = self.mu_ram.read_data.val();
        self.update.adamax.next = self.adamax.val();
        self.update.inv_batch.next = self.inv_batch.val();
        self.update.a.next = self.a.val();
        self.update.keep.next = self.keep.val();
        self.update.beta_f.next = self.beta_f.val();
        self.update.pull.next = self.pull.val();
        self.update.beta1.next = self.beta1.val();
        self.update.one_minus_beta1.next = self.one_minus_beta1.val();
        self.update.beta2.next = self.beta2.val();
        self.update.lr.next = self.lr.val();
        self.op_we.d.next = self.update.out_valid.val();

        // Parameter writes: the update's results while running, else the host's.
        // (literal host codes: 0 W, 5 W-bar, 6 lambda, 7 m, 8 u)
        self.hbits.next = unsigned_cast(self.host_data.val());
        self.host18.next = signed_cast(self.hbits.val().get_bits::<18>(0));
        self.host_op_we.d.next = self.host_we.val() & (self.host_sel.val() == 0);
        self.host_op_addr.d.next = self.host_addr.val();
        // a commit: the word's last term (stage 2) marks it; cv[k] goes with wa[k + 1]
        self.cv[0].d.next = (self.gvalid.val() & self.last.val()) & self.commit.val();
        for i in 1..5 {
            self.cv[i].d.next = self.cv[i - 1].q.val();
        }
        if self.running.val() & self.commit.val() {
            // W-bar (read at wa[2]) is out with wa[3] and registered (rd_wbar) with wa[4]; its
            // operand is narrowed from that register (a bank read straight into the rounding
            // adder would limit the clock) one edge later, with wa[5]
            self.operand.acc.next = self.rd_wbar.q.val();
            self.w_ram.write_address.next = self.wa[3].q.val();
            self.w_ram.write_data.next = self.wbar_ram.read_data.val();
            self.w_ram.write_enable.next = self.cv[2].q.val();
            self.wbar_ram.write_address.next = self.wa[3].q.val();
            self.wbar_ram.write_data.next = self.wbar_ram.read_data.val();
            self.wbar_ram.write_enable.next = false;
            self.lambda_ram.write_address.next = self.wa[3].q.val();
            self.lambda_ram.write_data.next = self.update.lambda_new.val();
            self.lambda_ram.write_enable.next = false;
            self.m_ram.write_address.next = self.wa[3].q.val();
            self.m_ram.write_data.next = self.update.m_new.val();
            self.m_ram.write_enable.next = false;
            self.mu_ram.write_address.next = self.wa[3].q.val();
            self.mu_ram.write_data.next = self.update.u_new.val();
            self.mu_ram.write_enable.next = false;
            self.wram.write_address.next = self.wa[5].q.val();
            self.wram.write_enable.next = self.cv[4].q.val();
        } else if self.running.val() {
            self.operand.acc.next = self.update.w_new.val();
            self.w_ram.write_address.next = self.wa[30].q.val();
            self.w_ram.write_data.next = self.update.w_new.val();
            self.w_ram.write_enable.next = self.update.out_valid.val();
            self.wbar_ram.write_address.next = self.wa[30].q.val();
            self.wbar_ram.write_data.next = self.update.w_bar_new.val();
            self.wbar_ram.write_enable.next = self.update.out_valid.val();
            self.lambda_ram.write_address.next = self.wa[30].q.val();
            self.lambda_ram.write_data.next = self.update.lambda_new.val();
            self.lambda_ram.write_enable.next = self.update.out_valid.val();
            self.m_ram.write_address.next = self.wa[13].q.val();
            self.m_ram.write_data.next = self.update.m_new.val();
            self.m_ram.write_enable.next = self.update.mu_valid.val() & self.adamax.val();
            self.mu_ram.write_address.next = self.wa[13].q.val();
            self.mu_ram.write_data.next = self.update.u_new.val();
            self.mu_ram.write_enable.next = self.update.mu_valid.val() & self.adamax.val();
            self.wram.write_address.next = self.wa[31].q.val();
            self.wram.write_enable.next = self.op_we.q.val();
        } else {
            self.operand.acc.next = self.host_data.val();
            self.w_ram.write_address.next = self.host_addr.val();
            self.w_ram.write_data.next = self.host_data.val();
            self.w_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 0);
            self.wbar_ram.write_address.next = self.host_addr.val();
            self.wbar_ram.write_data.next = self.host_data.val();
            self.wbar_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 5);
            self.lambda_ram.write_address.next = self.host_addr.val();
            self.lambda_ram.write_data.next = self.host18.val();
            self.lambda_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 6);
            self.m_ram.write_address.next = self.host_addr.val();
            self.m_ram.write_data.next = self.host18.val();
            self.m_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 7);
            self.mu_ram.write_address.next = self.host_addr.val();
            self.mu_ram.write_data.next = self.host18.val();
            self.mu_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 8);
            // the multiplier operand of a host-written W, one edge later
            self.wram.write_address.next = self.host_op_addr.q.val();
            self.wram.write_enable.next = self.host_op_we.q.val();
        }
        self.wram.write_data.next = self.operand.y.val();

        // Host writes of inputs and targets.
        self.x_ram.write_address.next = self.host_addr.val().get_bits::<BANK_ADDR_BITS>(0);
        self.x_ram.write_data.next = self.host18.val();
        self.x_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 1);
        self.y_ram.write_address.next = self.host_addr.val().get_bits::<BANK_ADDR_BITS>(0);
        self.y_ram.write_data.next = self.host18.val();
        self.y_ram.write_enable.next = self.host_we.val() & (self.host_sel.val() == 3);
    }
}

const _: () = assert!(rd::U == 0 && rd::B == 1 && rd::S == 2 && rd::O == 3, "literal codes");
const _: () = assert!(rd::U_PREV == 4 && rd::S_PREV == 6 && rd::V == 8 && rd::J == 13 && rd::X == 15, "literal codes");
const _: () =
    assert!(rd::D_O == 16 && rd::D_I == 23 && rd::Y == 24 && rd::W == 25 && rd::U_ADAMAX == 29, "literal codes");
const _: () = assert!(host::WEIGHT == 0 && host::INPUT == 1 && host::TARGET == 3, "literal codes");
const _: () = assert!(host::W_BAR == 5 && host::LAMBDA == 6 && host::M == 7 && host::U == 8, "literal codes");
const _: () = assert!(MOMENTS_LATENCY == 10 && PARAM_UPDATE_LATENCY == 27, "the write addresses are wa[13], wa[30]");
