//! Host side of the FPTT accelerator: the commands behind the `fptt` program.
//!
//! The binary in `main.rs` only parses arguments; every command lives here so that it can be
//! tested and reused.

pub mod bench;
pub mod board;
pub mod board_cmds;
pub mod boards;
pub mod cli;
pub mod connect;
pub mod device;
pub mod emulate;
pub mod info;
pub mod params;
pub mod plot;
pub mod ports;
pub mod synth;
pub mod train;
pub mod usb;
