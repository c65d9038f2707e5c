//! The device top (`DeviceTop`: UART, frame receiver, command engine, training unit, reply
//! transmitters) in rust-hdl's simulator, bytes in and out on the UART line. The full
//! comparison with the golden-model device, command by command, is tests/device_rtl.rs; here
//! the replies that need no configuration: INFO, STATUS and the refusals.

use fptt_hdl::device_sim::{device_sim, power_on_shape, verilator_device, verilator_device_dir, ByteDevice};
use fptt_hdl::device_top::device_info;
use fptt_hdl::lint::verilator_available;
use fptt_hdl::messages::{Reply, Request, StatusInfo};
use fptt_hdl::protocol::{encode, Command, Decoder, ErrorCode, Frame};
use fptt_hdl::verify::on_big_stack;
use fptt_sim::model::Shape;

fn replies(bytes: &[u8]) -> Vec<Frame> {
    Decoder::new().push(bytes).into_iter().map(|f| f.expect("a well-formed reply")).collect()
}

#[test]
fn info_status_and_refusals_are_answered_in_order() {
    on_big_stack(|| info_status_and_refusals(device_sim(Shape::new(2, 4, 1).unwrap(), 2).unwrap(), 2));
}

#[test]
fn the_generated_verilog_answers_the_same() {
    if !verilator_available("the_generated_verilog_answers_the_same") {
        return;
    }
    let dev = verilator_device(power_on_shape(), 4, &verilator_device_dir(4)).unwrap_or_else(|e| panic!("{e}"));
    info_status_and_refusals(dev, 4);
}

fn info_status_and_refusals(mut dev: Box<dyn ByteDevice + Send>, lanes: usize) {
    {
        // INFO and STATUS, two frames in flight
        let out = replies(&dev.push(&[encode(&Request::Info.frame(5)), encode(&Request::Status.frame(6))].concat()));
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].seq, out[1].seq), (5, 6));
        assert_eq!(Reply::parse(&out[0], Command::Info), Ok(Reply::Info(device_info(lanes, 16, 0))));
        let status = StatusInfo { frames_ok: 1, ..StatusInfo::default() };
        assert_eq!(Reply::parse(&out[1], Command::Status), Ok(Reply::Status(status)));

        // a bit flip (seq 0: unknown), an unknown command, the wrong seq, a body where none
        // belongs, a reset before any configuration
        let mut flipped = encode(&Request::CommitAverage.frame(7));
        flipped[2] ^= 0x40;
        let unknown = encode(&Frame { seq: 7, command: 0x42, body: vec![] });
        let early = encode(&Request::ResetState.frame(9));
        let long = encode(&Frame { seq: 7, command: Command::CommitAverage as u8, body: vec![1] });
        let unconfigured = encode(&Request::ResetState.frame(7));
        let out = replies(&dev.push(&[flipped, unknown, early, long, unconfigured].concat()));
        let errors: Vec<_> = out.iter().map(|f| Reply::parse(f, Command::Status).unwrap()).collect();
        assert_eq!(
            errors,
            vec![
                Reply::Error(ErrorCode::BadCrc, 0),
                Reply::Error(ErrorCode::UnknownCommand, 7),
                Reply::Error(ErrorCode::OutOfOrder, 9),
                Reply::Error(ErrorCode::BadLength, 7),
                Reply::Error(ErrorCode::OutOfRange, 7),
            ]
        );
        // STATUS is served whatever its seq, with the counts before it
        let out = replies(&dev.push(&encode(&Request::Status.frame(6))));
        let status = StatusInfo { frames_ok: 2, frames_refused: 5, last_error: ErrorCode::OutOfRange as u8, ..status };
        assert_eq!(Reply::parse(&out[0], Command::Status), Ok(Reply::Status(status)));
    }
}
