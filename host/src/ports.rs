//! `fptt ports`: the serial ports of this machine, with the USB id of each and the boards that
//! id belongs to, and the boards found on the USB bus with their port, so the user can pick
//! `--port`; [`detect_board`] picks it for the rest of the program.

use crate::usb::{find_boards, is_no_bus, FoundBoard, LibUsb, UsbBus};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use serialport::{available_ports, SerialPortType};
use std::path::Path;

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

/// Where Linux mounts sysfs.
const SYSFS: &str = "/sys";

/// The serial ports, boards first.
pub fn list() -> Result<Vec<Port>> {
    // serialport's sysfs scan panics without /sys/class/tty (a container without sysfs)
    if cfg!(target_os = "linux") && !Path::new(SYSFS).join("class/tty").is_dir() {
        return Ok(vec![]);
    }
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

/// What `fptt ports` reports.
#[derive(Clone, Debug, Serialize)]
pub struct PortsReport {
    /// The serial ports, boards first.
    pub ports: Vec<Port>,
    /// The boards found on the USB bus, with their serial port.
    pub boards: Vec<FoundBoard>,
    /// Why the USB bus was not searched, when it could not be (no USB on this machine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usb_error: Option<String>,
}

/// The serial ports and the boards on this machine's USB bus.
pub fn report() -> Result<PortsReport> {
    report_with(&LibUsb, Path::new(SYSFS))
}

/// The serial ports, and the boards on `bus` with their ports from sysfs under `sysfs_root`.
/// A bus that cannot be searched is noted in the report, not an error.
pub fn report_with(bus: &dyn UsbBus, sysfs_root: &Path) -> Result<PortsReport> {
    let ports = list()?;
    let (boards, usb_error) = match find_boards(bus, sysfs_root) {
        Ok(boards) => (boards, None),
        Err(e) => (vec![], Some(format!("{e:#}"))),
    };
    Ok(PortsReport { ports, boards, usb_error })
}

/// The serial port of the one board on this machine's USB bus: `None` when there is none or
/// no USB bus to search; an error naming them when there are several.
pub fn detect_board() -> Result<Option<String>> {
    detect_board_with(&LibUsb, Path::new(SYSFS))
}

/// [`detect_board`] on `bus`, with ports from sysfs under `sysfs_root`. Boards without a
/// serial port (no driver bound) cannot be used and are left out.
pub fn detect_board_with(bus: &dyn UsbBus, sysfs_root: &Path) -> Result<Option<String>> {
    let boards = match find_boards(bus, sysfs_root) {
        Ok(boards) => boards,
        Err(e) if is_no_bus(&e) => return Ok(None),
        Err(e) => return Err(e.context("could not search the USB bus for a board")),
    };
    let usable: Vec<&FoundBoard> = boards.iter().filter(|b| b.port.is_some()).collect();
    match usable.as_slice() {
        [] => Ok(None),
        [one] => Ok(one.port.clone()),
        several => {
            let list: Vec<String> = several.iter().map(|b| board_line(b)).collect();
            bail!("{} boards found on USB: {}; choose one with --port PORT", several.len(), list.join("; "))
        }
    }
}

/// One found board in a line: port, board, location, id, product, serial.
fn board_line(b: &FoundBoard) -> String {
    let product = b.product.as_deref().map(|s| format!(" \"{s}\"")).unwrap_or_default();
    let serial = b.serial.as_deref().map(|s| format!(" serial {s}")).unwrap_or_default();
    let at = match &b.port {
        Some(p) => p.clone(),
        None => "no serial port".to_string(),
    };
    format!("{at}: {} (USB {} {}{product}{serial})", b.board, b.location, b.usb_id)
}

/// The text report.
pub fn text(report: &PortsReport) -> String {
    let mut s = String::new();
    if report.ports.is_empty() {
        s.push_str(
            "no serial ports found. Connect the board's USB port (a ULX3S shows up as an FTDI FT231X, \
             0403:6015, usually /dev/ttyUSB0); without a board, the models run on this machine \
             (`fptt train --backend fixed`).\n",
        );
    }
    for p in &report.ports {
        let usb = p.usb_id.as_deref().map(|id| format!(" {id}")).unwrap_or_default();
        let product = p.product.as_deref().map(|s| format!(" \"{s}\"")).unwrap_or_default();
        let board = p.board.as_deref().map(|b| format!(": {b}")).unwrap_or_default();
        s.push_str(&format!("{} ({}{usb}{product}){board}\n", p.path, p.kind));
    }
    if let Some(e) = &report.usb_error {
        s.push_str(&format!("USB not searched: {e}\n"));
    } else if report.boards.is_empty() {
        let ids: Vec<String> = USB_BRIDGES.iter().map(|b| format!("{:04x}:{:04x} {}", b.0, b.1, b.2)).collect();
        s.push_str(&format!("no board on USB (looked for {})\n", ids.join(", ")));
    } else {
        s.push_str("boards on USB:\n");
        for b in &report.boards {
            s.push_str(&format!("  {}\n", board_line(b)));
            if b.port.is_none() {
                s.push_str(
                    "    no serial port: is the ftdi_sio driver loaded (`modprobe ftdi_sio`), or a programmer \
                     holding the chip?\n",
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usb::fake::{device, FakeBus, FakeSysfs};

    #[test]
    fn known_bridges_name_their_boards() {
        assert_eq!(board_of(0x0403, 0x6015).as_deref(), Some("FTDI FT231X (ULX3S)"));
        assert!(board_of(0x0403, 0x6010).unwrap().contains("FT2232H"));
        assert_eq!(board_of(0x0403, 0x6001), None);
    }

    fn ulx3s_sysfs(test: &str) -> FakeSysfs {
        let sys = FakeSysfs::new(test);
        sys.dir("1-2:1.0/ttyUSB0").dir("1-3:1.0/ttyUSB1").dir("1-3:1.1/ttyUSB2");
        sys
    }

    #[test]
    fn detect_board_gives_the_port_of_the_one_board() {
        let sys = ulx3s_sysfs("detect-one");
        let one = FakeBus::Devices(vec![device(0x0403, 0x6015, &[2]), device(0x0403, 0x6001, &[3])]);
        assert_eq!(detect_board_with(&one, sys.root()).unwrap().as_deref(), Some("/dev/ttyUSB0"));
        // a board without a serial port cannot be used: it does not count
        let unbound = FakeBus::Devices(vec![device(0x0403, 0x6015, &[2]), device(0x0403, 0x6010, &[9])]);
        assert_eq!(detect_board_with(&unbound, sys.root()).unwrap().as_deref(), Some("/dev/ttyUSB0"));
    }

    #[test]
    fn detect_board_is_none_without_a_board_or_a_bus() {
        let sys = ulx3s_sysfs("detect-none");
        assert_eq!(detect_board_with(&FakeBus::Devices(vec![]), sys.root()).unwrap(), None);
        assert_eq!(detect_board_with(&FakeBus::NoBus("no /dev/bus/usb"), sys.root()).unwrap(), None);
        let e = detect_board_with(&FakeBus::Broken("libusb crashed"), sys.root()).unwrap_err();
        assert!(format!("{e:#}").contains("could not search the USB bus"), "{e:#}");
    }

    #[test]
    fn detect_board_names_several_boards() {
        let sys = ulx3s_sysfs("detect-several");
        let two = FakeBus::Devices(vec![device(0x0403, 0x6015, &[2]), device(0x0403, 0x6010, &[3])]);
        let e = format!("{:#}", detect_board_with(&two, sys.root()).unwrap_err());
        assert!(e.starts_with("2 boards found on USB: /dev/ttyUSB0: FTDI FT231X (ULX3S) (USB 1-2 0403:6015)"), "{e}");
        assert!(e.contains("/dev/ttyUSB1: FTDI FT2232H"), "{e}");
        assert!(e.ends_with("choose one with --port PORT"), "{e}");
    }

    #[test]
    fn the_report_shows_the_boards_or_why_usb_was_not_searched() {
        let sys = ulx3s_sysfs("report");
        let bus = FakeBus::Devices(vec![device(0x0403, 0x6015, &[2]), device(0x0403, 0x6010, &[4])]);
        let r = report_with(&bus, sys.root()).unwrap();
        let t = text(&r);
        assert!(t.contains("boards on USB:\n  /dev/ttyUSB0: FTDI FT231X (ULX3S) (USB 1-2 0403:6015)\n"), "{t}");
        assert!(t.contains("  no serial port: FTDI FT2232H"), "{t}");
        assert!(t.contains("ftdi_sio"), "{t}");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["boards"][0]["port"], "/dev/ttyUSB0");
        assert_eq!(json["boards"][0]["ports"][0], "/dev/ttyUSB0");
        assert!(json["ports"].is_array() && json.get("usb_error").is_none());

        let r = report_with(&FakeBus::NoBus("/dev/bus/usb does not exist"), sys.root()).unwrap();
        assert!(text(&r).contains("USB not searched: no USB bus to search for boards: /dev/bus/usb does not exist\n"));
        assert_eq!(serde_json::to_value(&r).unwrap()["boards"], serde_json::json!([]));
        let t = text(&report_with(&FakeBus::Devices(vec![]), sys.root()).unwrap());
        assert!(t.contains("no board on USB (looked for 0403:6015 FTDI FT231X, 0403:6010 FTDI FT2232H)"), "{t}");
    }
}
