//! The supported boards, in one table ([`BOARDS`]): the FPGA as nextpnr-ecp5 names it (device,
//! package, speed grade), the clock, the host link's pins and how the host reaches them over
//! USB, an LED, a button, and the LPF in `constraints/` that places the top level's ports
//! ([`PORTS`]) on those pins. [`markdown`] renders the table for `constraints/README.md`; the
//! tests check every LPF file and that README against the table.
//!
//! Every pin comes from the board's official files or the board support its makers point to;
//! each board's [`Board::source`] names them, and the LPF files cite them line by line.

pub mod lpf;

use crate::ports::USB_BRIDGES;

/// The top level's clock input port.
pub const CLOCK_PORT: &str = "clk";
/// The port on which the FPGA receives the host link (the host transmits to it).
pub const RX_PORT: &str = "uart_rx";
/// The port on which the FPGA transmits the host link (the host receives from it).
pub const TX_PORT: &str = "uart_tx";
/// The port of the board LED the design drives.
pub const LED_PORT: &str = "led";
/// The port of the board's button (an input), on the boards that have one in their LPF.
pub const BUTTON_PORT: &str = "btn";

/// The top level's ports, as every LPF in `constraints/` names them, and what each is.
pub const PORTS: [(&str, &str); 5] = [
    (CLOCK_PORT, "input: the board's oscillator (its frequency is in the LPF's FREQUENCY line)"),
    (RX_PORT, "input: the host link, host to FPGA (8N1 UART, idle high)"),
    (TX_PORT, "output: the host link, FPGA to host"),
    (LED_PORT, "output: one LED of the board (lit high or low: the table's led column)"),
    (BUTTON_PORT, "input, where the board has one: a button (pressed high or low: the table's btn column)"),
];

/// The level at which an LED lights or a button reads pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Active {
    /// Lit, or pressed, when high.
    High,
    /// Lit, or pressed, when low.
    Low,
    /// Not stated by the sources.
    Unknown,
}

/// A package pin with the level at which it is active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivePin {
    /// The package ball (LPF site), e.g. `B2`.
    pub pin: &'static str,
    /// The level that lights the LED or that a pressed button reads.
    pub active: Active,
}

/// A row of [`crate::ports::USB_BRIDGES`]: vendor id, product id, chip, boards.
pub type Bridge = (u16, u16, &'static str, &'static str);

/// How the board's USB reaches the FPGA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usb {
    /// A USB-UART bridge on the board, wired to the link's pins: its row of
    /// [`crate::ports::USB_BRIDGES`], by which `fptt ports` finds the board.
    Bridge(&'static Bridge),
    /// The board's USB connector goes straight to FPGA pins: only a USB core in the design could
    /// carry the link over it, and this project has none yet.
    Native {
        /// The D+ pin.
        d_p: &'static str,
        /// The D- pin.
        d_n: &'static str,
        /// The pin driving the D+ pull-up.
        pullup: &'static str,
        /// USB id (vendor, product) of the board's bootloader: it loads bitstreams (DFU), it is
        /// no serial port.
        bootloader: (u16, u16),
    },
    /// Nothing on the board connects USB to the FPGA: [`Board::link`] says what the user
    /// connects to the link's pins.
    None,
}

/// One supported board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// Its name on the command line, e.g. `ulx3s-85f`.
    pub name: &'static str,
    /// The board family as its makers name it.
    pub family: &'static str,
    /// The FPGA's Lattice part number.
    pub part: &'static str,
    /// nextpnr-ecp5's device flag (`--25k`, `--um5g-85k`, ...).
    pub device: &'static str,
    /// nextpnr-ecp5's `--package`.
    pub package: &'static str,
    /// nextpnr-ecp5's `--speed`.
    pub speed: u8,
    /// The clock input's pin.
    pub clock_pin: &'static str,
    /// The clock's frequency in Hz.
    pub clock_hz: u32,
    /// The pin on which the FPGA receives from the host ([`RX_PORT`]).
    pub rx: &'static str,
    /// The pin on which the FPGA transmits to the host ([`TX_PORT`]).
    pub tx: &'static str,
    /// The LED the design drives ([`LED_PORT`]).
    pub led: ActivePin,
    /// The button the design may read ([`BUTTON_PORT`]), if its LPF places one.
    pub button: Option<ActivePin>,
    /// The LPF file in `constraints/`.
    pub lpf: &'static str,
    /// How the board's USB reaches the FPGA.
    pub usb: Usb,
    /// What connects the host to the link's pins.
    pub link: &'static str,
    /// Where the pins come from: repository and file.
    pub source: &'static str,
}

/// The FT231X row of [`USB_BRIDGES`].
const FT231X: &Bridge = &USB_BRIDGES[0];
/// The FT2232H row of [`USB_BRIDGES`].
const FT2232H: &Bridge = &USB_BRIDGES[1];

/// A ULX3S (Radiona). Pins: emard/ulx3s doc/constraints/ulx3s_v20.lpf (PCB v2.x to v3.0.x; the
/// same in doc/constraints/prototype/ulx3s_v316.lpf): clk_25mhz G2, ftdi_txd M1 (the FPGA
/// receives), ftdi_rxd L4 (the FPGA transmits), led[0] B2, btn[1] FIRE1 R1 (pulled down, high
/// when pressed). Part and speed grade: the same repository's README and hardware.md. The four
/// sizes share one LPF.
const fn ulx3s(name: &'static str, part: &'static str, device: &'static str) -> Board {
    Board {
        name,
        family: "ULX3S",
        part,
        device,
        package: "CABGA381",
        speed: 6,
        clock_pin: "G2",
        clock_hz: 25_000_000,
        rx: "M1",
        tx: "L4",
        led: ActivePin { pin: "B2", active: Active::High },
        button: Some(ActivePin { pin: "R1", active: Active::High }),
        lpf: "ulx3s.lpf",
        usb: Usb::Bridge(FT231X),
        link: "the board's USB port US1: its FT231X USB-UART is wired to the link's pins (up to 3 Mbaud)",
        source: "emard/ulx3s doc/constraints/ulx3s_v20.lpf",
    }
}

/// An OrangeCrab r0.2 / r0.2.1 (Good Stuff Department). Pins:
/// orangecrab-fpga/orangecrab-examples verilog/orangecrab_r0.2.1.pcf (an LPF): clk48 A9,
/// rgb_led0_r K4 (lit low: the examples drive it inverted), usr_btn J17 (SSTL135_I, low when
/// pressed: verilog/blink_reset), gpio_0 N17 and gpio_1 M18, the Feather header's pins 0 (RX)
/// and 1 (TX) as litex-hub/litex-boards litex_boards/platforms/gsd_orangecrab.py
/// (feather_serial) uses them; USB usb_d_p N1, usb_d_n M2, usb_pullup N2. Part: gsd_orangecrab.py
/// (LFE5U-{25F,85F}-8MG285C), package CSFBGA285 as the examples' Makefile passes it. Bootloader
/// id 1209:5af0: orangecrab-fpga/orangecrab-hardware contrib/10-orangecrab.rules. Both sizes
/// share one LPF.
const fn orangecrab(name: &'static str, part: &'static str, device: &'static str) -> Board {
    Board {
        name,
        family: "OrangeCrab",
        part,
        device,
        package: "CSFBGA285",
        speed: 8,
        clock_pin: "A9",
        clock_hz: 48_000_000,
        rx: "N17",
        tx: "M18",
        led: ActivePin { pin: "K4", active: Active::Low },
        button: Some(ActivePin { pin: "J17", active: Active::Low }),
        lpf: "orangecrab.lpf",
        usb: Usb::Native { d_p: "N1", d_n: "M2", pullup: "N2", bootloader: (0x1209, 0x5af0) },
        link: "a 3.3 V USB-UART adapter on the Feather header: adapter TX to pin 0, adapter RX to pin 1, \
               GND to GND (the board's USB-C goes to FPGA pins and needs a USB core)",
        source: "orangecrab-fpga/orangecrab-examples verilog/orangecrab_r0.2.1.pcf; UART pins: \
                 litex-hub/litex-boards litex_boards/platforms/gsd_orangecrab.py",
    }
}

/// What a Colorlight module's host link needs: the module has no USB at all.
const COLORLIGHT_LINK: &str = "the extension board's USB: its DAPLink debugger's serial port (CDC) is wired to \
                               the link's pins; without it, a 3.3 V USB-UART adapter on the module's SODIMM pins \
                               86 (H18, adapter TX) and 84 (J17, adapter RX)";

/// Every supported board.
pub static BOARDS: [Board; 9] = [
    ulx3s("ulx3s-12f", "LFE5U-12F-6BG381C", "--12k"),
    ulx3s("ulx3s-25f", "LFE5U-25F-6BG381C", "--25k"),
    ulx3s("ulx3s-45f", "LFE5U-45F-6BG381C", "--45k"),
    ulx3s("ulx3s-85f", "LFE5U-85F-6BG381C", "--85k"),
    orangecrab("orangecrab-25f", "LFE5U-25F-8MG285C", "--25k"),
    orangecrab("orangecrab-85f", "LFE5U-85F-8MG285C", "--85k"),
    // Colorlight i5 v7.0. Pins: litex-hub/litex-boards litex_boards/platforms/colorlight_i5.py
    // (_io_v7_0, documented by wuxx/Colorlight-FPGA-Projects): clk25 P3, serial.rx H18,
    // serial.tx J17, user_led_n U16, cpu_reset_n K18 (pulled up, low when pressed); the clock
    // and LED agree with wuxx/Colorlight-FPGA-Projects README.md. Part: both.
    Board {
        name: "colorlight-i5",
        family: "Colorlight i5",
        part: "LFE5U-25F-6BG381C",
        device: "--25k",
        package: "CABGA381",
        speed: 6,
        clock_pin: "P3",
        clock_hz: 25_000_000,
        rx: "H18",
        tx: "J17",
        led: ActivePin { pin: "U16", active: Active::Low },
        button: Some(ActivePin { pin: "K18", active: Active::Low }),
        lpf: "colorlight-i5.lpf",
        usb: Usb::None,
        link: COLORLIGHT_LINK,
        source: "litex-hub/litex-boards litex_boards/platforms/colorlight_i5.py (_io_v7_0)",
    },
    // Colorlight i9 v7.2: the i5's pins but the LED, on L2 (litex-hub/litex-boards
    // litex_boards/platforms/colorlight_i5.py _io_v7_2; wuxx/Colorlight-FPGA-Projects
    // colorlight_i9_v7.2.md and src/amaranth_boards/colorlight_i9_r7_2.py). Part: both.
    Board {
        name: "colorlight-i9",
        family: "Colorlight i9",
        part: "LFE5U-45F-6BG381C",
        device: "--45k",
        package: "CABGA381",
        speed: 6,
        clock_pin: "P3",
        clock_hz: 25_000_000,
        rx: "H18",
        tx: "J17",
        led: ActivePin { pin: "L2", active: Active::Low },
        button: Some(ActivePin { pin: "K18", active: Active::Low }),
        lpf: "colorlight-i9.lpf",
        usb: Usb::None,
        link: COLORLIGHT_LINK,
        source: "litex-hub/litex-boards litex_boards/platforms/colorlight_i5.py (_io_v7_2)",
    },
    // Lattice ECP5-5G Evaluation Board. Pins: YosysHQ/prjtrellis examples/soc_ecp5_evn/ecp5evn.lpf
    // (clkin A10, uart_rx P2, uart_tx P3) and examples/ecp5_evn/ecp5evn.lpf (led[0] A13,
    // LVCMOS25), the same in litex-hub/litex-boards litex_boards/platforms/ecp5_evn.py, which
    // gives the part. No button: the sources disagree on P4's IO standard and neither says its
    // level when pressed.
    Board {
        name: "ecp5-evn",
        family: "ECP5-5G EVN",
        part: "LFE5UM5G-85F-8BG381",
        device: "--um5g-85k",
        package: "CABGA381",
        speed: 8,
        clock_pin: "A10",
        clock_hz: 12_000_000,
        rx: "P2",
        tx: "P3",
        led: ActivePin { pin: "A13", active: Active::Unknown },
        button: None,
        lpf: "ecp5-evn.lpf",
        usb: Usb::Bridge(FT2232H),
        link: "the board's USB port: FT2232H channel B, once zero-ohm resistors are fitted on R34 and R35 and \
               channel B is set to UART in the FT2232H's EEPROM (it ships in FIFO mode)",
        source: "YosysHQ/prjtrellis examples/soc_ecp5_evn/ecp5evn.lpf, examples/ecp5_evn/ecp5evn.lpf",
    },
];

/// The board of a name, e.g. `ulx3s-85f`.
pub fn find(name: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.name == name)
}

/// An LED or button as the table shows it: its pin and the level that is active.
fn active_pin(p: &ActivePin) -> String {
    let level = match p.active {
        Active::High => "high",
        Active::Low => "low",
        Active::Unknown => "level unknown",
    };
    format!("{} ({level})", p.pin)
}

/// The board's USB as the table shows it.
fn usb_text(usb: &Usb) -> String {
    match usb {
        Usb::Bridge((vid, pid, chip, _)) => format!("{chip} {vid:04x}:{pid:04x}"),
        Usb::Native { d_p, d_n, pullup, bootloader: (vid, pid) } => {
            format!("native, to the FPGA (D+ {d_p}, D- {d_n}, pull-up {pullup}; bootloader {vid:04x}:{pid:04x})")
        }
        Usb::None => "none".to_string(),
    }
}

/// The boards and the top level's ports as markdown tables (the generated part of
/// `constraints/README.md`).
pub fn markdown() -> String {
    let mut s = String::from("| port | direction and use |\n|---|---|\n");
    for (port, what) in PORTS {
        s.push_str(&format!("| `{port}` | {what} |\n"));
    }
    s.push_str(
        "\n| board | FPGA | nextpnr-ecp5 | clock | uart_rx | uart_tx | led | btn | LPF | USB | host link | pins from |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for b in &BOARDS {
        let button = b.button.as_ref().map(active_pin).unwrap_or_else(|| "none".to_string());
        s.push_str(&format!(
            "| `{}` | {} | `{} --package {} --speed {}` | {}, {} MHz | {} | {} | {} | {button} | {} | {} | {} | {} |\n",
            b.name,
            b.part,
            b.device,
            b.package,
            b.speed,
            b.clock_pin,
            f64::from(b.clock_hz) / 1e6,
            b.rx,
            b.tx,
            active_pin(&b.led),
            b.lpf,
            usb_text(&b.usb),
            b.link,
            b.source,
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::lpf::{parse, Lpf};
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    /// The repository's `constraints/` folder.
    fn constraints() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../constraints")
    }

    /// Every `.lpf` file in `constraints/`, parsed, by file name.
    fn lpf_files() -> BTreeMap<String, Lpf> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(constraints()).expect("constraints/ at the repository root") {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "lpf") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).unwrap();
                let lpf = parse(&text).unwrap_or_else(|e| panic!("{name}: {e:#}"));
                files.insert(name, lpf);
            }
        }
        files
    }

    #[test]
    fn every_board_has_its_lpf_and_every_lpf_a_board() {
        let files = lpf_files();
        let used: BTreeSet<&str> = BOARDS.iter().map(|b| b.lpf).collect();
        let found: BTreeSet<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(used, found, "LPF files the table names against those in constraints/");
    }

    #[test]
    fn the_lpf_pins_and_clock_equal_the_table() {
        let files = lpf_files();
        for b in &BOARDS {
            let lpf = &files[b.lpf];
            let mut want =
                BTreeMap::from([(CLOCK_PORT, b.clock_pin), (RX_PORT, b.rx), (TX_PORT, b.tx), (LED_PORT, b.led.pin)]);
            if let Some(button) = &b.button {
                want.insert(BUTTON_PORT, button.pin);
            }
            let got: BTreeMap<&str, &str> = lpf.sites.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
            assert_eq!(got, want, "{}: the ports {} locates", b.name, b.lpf);
            let frequencies: Vec<(&str, f64)> = lpf.frequencies.iter().map(|(p, f)| (p.as_str(), *f)).collect();
            assert_eq!(frequencies, [(CLOCK_PORT, f64::from(b.clock_hz))], "{}: FREQUENCY in {}", b.name, b.lpf);
        }
    }

    #[test]
    fn every_located_port_has_an_io_standard_and_nothing_else_is_constrained() {
        for (name, lpf) in lpf_files() {
            for port in lpf.sites.keys() {
                assert!(lpf.io_type(port).is_some(), "{name}: port {port} has no IOBUF ... IO_TYPE line");
            }
            for port in lpf.iobufs.keys() {
                assert!(lpf.sites.contains_key(port), "{name}: IOBUF for {port}, which is not located");
            }
            assert!(lpf.other.is_empty(), "{name}: statements other than LOCATE, IOBUF, FREQUENCY: {:?}", lpf.other);
            let ports: BTreeSet<&str> = PORTS.iter().map(|p| p.0).collect();
            assert!(lpf.sites.keys().all(|p| ports.contains(p.as_str())), "{name}: a port not in PORTS");
        }
    }

    /// nextpnr-ecp5's device flag, package and speed grade from a Lattice part number.
    fn nextpnr_of(part: &str) -> (String, String, u8) {
        let [family, size, rest] = part.split('-').collect::<Vec<_>>()[..] else { panic!("part {part}") };
        let size = size.strip_suffix('F').expect("size ends in F").to_lowercase();
        let device = match family {
            "LFE5U" => format!("--{size}k"),
            "LFE5UM" => format!("--um-{size}k"),
            "LFE5UM5G" => format!("--um5g-{size}k"),
            _ => panic!("family {family}"),
        };
        let speed = rest[..1].parse().expect("speed grade digit");
        let code: String = rest[1..].chars().take_while(|c| c.is_ascii_uppercase()).collect();
        let balls: String = rest[1 + code.len()..].chars().take_while(|c| c.is_ascii_digit()).collect();
        let package = match code.as_str() {
            "BG" => format!("CABGA{balls}"),
            "MG" => format!("CSFBGA{balls}"),
            _ => panic!("package code {code}"),
        };
        (device, package, speed)
    }

    #[test]
    fn nextpnr_flags_match_the_part_numbers() {
        assert_eq!(nextpnr_of("LFE5U-85F-6BG381C"), ("--85k".into(), "CABGA381".into(), 6));
        for b in &BOARDS {
            assert_eq!(nextpnr_of(b.part), (b.device.to_string(), b.package.to_string(), b.speed), "{}", b.name);
        }
    }

    #[test]
    fn usb_bridges_are_rows_of_ports_usb_bridges() {
        let mut bridged = 0;
        for b in &BOARDS {
            match b.usb {
                Usb::Bridge(row) => {
                    assert!(USB_BRIDGES.contains(row), "{}: {row:?} is not in ports::USB_BRIDGES", b.name);
                    assert!(row.3.contains(b.family), "{}: USB_BRIDGES names {:?}, not {}", b.name, row.3, b.family);
                    bridged += 1;
                }
                Usb::Native { bootloader: (vid, pid), .. } => {
                    assert!(
                        !USB_BRIDGES.iter().any(|r| (r.0, r.1) == (vid, pid)),
                        "{}: a bootloader is no serial bridge",
                        b.name
                    );
                }
                Usb::None => assert!(b.link.contains("USB-UART adapter"), "{}: say what the user connects", b.name),
            }
        }
        assert_eq!(bridged, 5, "four ULX3S and the ECP5-5G EVN have a USB-UART bridge");
    }

    #[test]
    fn names_are_unique_and_pins_distinct_per_board() {
        let names: BTreeSet<&str> = BOARDS.iter().map(|b| b.name).collect();
        assert_eq!(names.len(), BOARDS.len());
        assert_eq!(find("ulx3s-85f").map(|b| b.part), Some("LFE5U-85F-6BG381C"));
        assert_eq!(find("ulx3s"), None);
        for b in &BOARDS {
            let mut pins = vec![b.clock_pin, b.rx, b.tx, b.led.pin];
            pins.extend(b.button.map(|p| p.pin));
            if let Usb::Native { d_p, d_n, pullup, .. } = b.usb {
                pins.extend([d_p, d_n, pullup]);
            }
            let distinct: BTreeSet<&str> = pins.iter().copied().collect();
            assert_eq!(distinct.len(), pins.len(), "{}: a pin used twice in {pins:?}", b.name);
        }
    }

    #[test]
    fn constraints_readme_is_generated_from_the_table() {
        let path = constraints().join("README.md");
        let text = std::fs::read_to_string(&path).expect("constraints/README.md");
        let (begin, end) = ("<!-- generated: fptt_host::boards::markdown -->\n", "<!-- end generated -->");
        let start = text.find(begin).expect("generated-section marker") + begin.len();
        let stop = text[start..].find(end).expect("end marker") + start;
        assert_eq!(
            &text[start..stop],
            markdown(),
            "constraints/README.md is stale: replace its generated section with fptt_host::boards::markdown()"
        );
    }
}
