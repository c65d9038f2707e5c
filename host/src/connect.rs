//! Finding the device a command talks to: the board at `--port`, else the one board found by
//! its USB id, else a board emulator (`fptt emulate`, the golden model) started for the run
//! and stopped after it, so that every board command works without a board.

use crate::board::Board;
use crate::emulate::Emulator;
use anyhow::{Context, Result};
use clap::Args;

/// Where a board command's device is.
#[derive(Clone, Debug, Args)]
pub struct DeviceArgs {
    /// Serial port of the board (or of a running `fptt emulate`); default: the board found by
    /// its USB id, else an emulator started for this run.
    #[arg(long)]
    pub port: Option<String>,
    /// Baud rate of the link.
    #[arg(long, default_value_t = 3_000_000)]
    pub baud: u32,
}

/// An open link and what is behind it.
pub struct Connection {
    /// The link.
    pub board: Board,
    /// "board at PATH" or "emulator (golden model) at PATH".
    pub description: String,
    /// The emulator started for this run, stopped when dropped.
    pub emulator: Option<Emulator>,
}

/// Opens the device of `args` (see the module's doc).
pub fn connect(args: &DeviceArgs) -> Result<Connection> {
    if let Some(port) = &args.port {
        let board = Board::open(port, args.baud)?;
        return Ok(Connection { board, description: format!("device at {port}"), emulator: None });
    }
    if let Some(port) = crate::ports::detect_board()? {
        let board = Board::open(&port, args.baud)?;
        return Ok(Connection { board, description: format!("board at {port}"), emulator: None });
    }
    let exe = std::env::current_exe().context("find the fptt executable to start an emulator")?;
    let emulator = Emulator::spawn(&exe, &["--baud", &args.baud.to_string()])?;
    let board = Board::open(emulator.path(), args.baud)?;
    let description = format!("emulator (golden model, {} baud) at {}", args.baud, emulator.path());
    Ok(Connection { board, description, emulator: Some(emulator) })
}
