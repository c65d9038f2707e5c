//! USB discovery of the boards: the USB-UART bridges of [`crate::ports::USB_BRIDGES`] found on
//! the bus by vendor:product id, through libusb behind the [`UsbBus`] trait (tests use a fake
//! bus), and on Linux the serial port of each through sysfs (tests use a fake tree).
//!
//! A machine without USB (a container, a VM, CI) is no error of the program: [`UsbBus::devices`]
//! then fails with [`NoUsbBus`], which says why, and the callers report it or ignore it.

use crate::ports::board_of;
use anyhow::Result;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// One device on a USB bus.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsbDevice {
    /// Vendor id.
    pub vid: u16,
    /// Product id.
    pub pid: u16,
    /// Bus number.
    pub bus: u8,
    /// Port numbers from the root hub down (empty for a root hub).
    pub ports: Vec<u8>,
    /// Product string, where readable.
    pub product: Option<String>,
    /// Serial number string, where readable.
    pub serial: Option<String>,
}

impl UsbDevice {
    /// The kernel's name of the device, `<bus>-<port>.<port>..` (e.g. `1-2.4`), as in
    /// /sys/bus/usb/devices; a root hub is `usb<bus>`.
    pub fn kernel_name(&self) -> String {
        if self.ports.is_empty() {
            return format!("usb{}", self.bus);
        }
        let ports: Vec<String> = self.ports.iter().map(u8::to_string).collect();
        format!("{}-{}", self.bus, ports.join("."))
    }
}

/// A USB bus to search for boards.
pub trait UsbBus {
    /// Every device on the bus; a [`NoUsbBus`] error when there is no bus to search.
    fn devices(&self) -> Result<Vec<UsbDevice>>;
}

/// The USB bus cannot be searched: this machine has no USB, or libusb could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoUsbBus {
    /// Why, for the user.
    pub reason: String,
}

impl fmt::Display for NoUsbBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no USB bus to search for boards: {}", self.reason)
    }
}

impl std::error::Error for NoUsbBus {}

/// Whether `e` is (or wraps) a [`NoUsbBus`].
pub fn is_no_bus(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<NoUsbBus>())
}

/// What to do without USB discovery.
const HINT: &str = "name the board's serial port with --port instead";

/// This machine's USB buses, through libusb (built in: nothing to install).
#[derive(Clone, Copy, Debug, Default)]
pub struct LibUsb;

impl UsbBus for LibUsb {
    fn devices(&self) -> Result<Vec<UsbDevice>> {
        use rusb::UsbContext;
        #[cfg(target_os = "linux")]
        if !Path::new("/dev/bus/usb").exists() {
            return Err(NoUsbBus {
                reason: format!(
                    "/dev/bus/usb does not exist (a container or VM without USB devices passed through?); {HINT}"
                ),
            }
            .into());
        }
        let no_bus = |what: &str, e: rusb::Error| NoUsbBus { reason: format!("libusb could not {what} ({e}); {HINT}") };
        let context = rusb::Context::new().map_err(|e| no_bus("start", e))?;
        let list = context.devices().map_err(|e| no_bus("list the USB devices", e))?;
        let mut out = vec![];
        for device in list.iter() {
            // a device unplugged while we look has no descriptor: skip it
            let Ok(desc) = device.device_descriptor() else { continue };
            let mut d = UsbDevice {
                vid: desc.vendor_id(),
                pid: desc.product_id(),
                bus: device.bus_number(),
                ports: device.port_numbers().unwrap_or_default(),
                product: None,
                serial: None,
            };
            // Only the bridges are opened (to read their strings): opening needs write access
            // to /dev/bus/usb/.. that a user may lack; then sysfs has the strings on Linux.
            if board_of(d.vid, d.pid).is_some() {
                if let Ok(handle) = device.open() {
                    d.product = handle.read_product_string_ascii(&desc).ok();
                    d.serial = handle.read_serial_number_string_ascii(&desc).ok();
                }
            }
            out.push(d);
        }
        Ok(out)
    }
}

/// Where Linux lists USB devices and their interfaces, under a sysfs root (`/sys`).
fn usb_devices_dir(sysfs_root: &Path) -> PathBuf {
    sysfs_root.join("bus/usb/devices")
}

/// The serial ports (`/dev/ttyUSB0`, `/dev/ttyACM0`) of a USB device on Linux, in interface
/// order, read from sysfs under `sysfs_root` (`/sys` on a real machine): each interface
/// `<device>:<config>.<interface>` of the device holds `ttyUSB*` (usb-serial drivers such as
/// ftdi_sio) or `tty/ttyACM*` (cdc_acm). Empty when sysfs has no such tree or no driver is bound.
pub fn serial_ports(sysfs_root: &Path, device: &UsbDevice) -> Vec<String> {
    let prefix = format!("{}:", device.kernel_name());
    let Ok(entries) = usb_devices_dir(sysfs_root).read_dir() else { return vec![] };
    let mut interfaces: Vec<((u32, u32), PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (config, interface) = name.strip_prefix(&prefix)?.split_once('.')?;
            Some(((config.parse().ok()?, interface.parse().ok()?), e.path()))
        })
        .collect();
    interfaces.sort();
    interfaces.iter().flat_map(|(_, dir)| ttys_of_interface(dir)).map(|name| format!("/dev/{name}")).collect()
}

/// The tty names under one interface directory, sorted.
fn ttys_of_interface(dir: &Path) -> Vec<String> {
    let names = |d: &Path| -> Vec<String> {
        d.read_dir()
            .map(|it| {
                it.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("tty") && n != "tty")
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut ttys = names(dir);
    ttys.extend(names(&dir.join("tty")));
    ttys.sort();
    ttys.dedup();
    ttys
}

/// A string attribute (`product`, `serial`) of a USB device in sysfs.
fn sysfs_string(sysfs_root: &Path, device: &UsbDevice, attribute: &str) -> Option<String> {
    let path = usb_devices_dir(sysfs_root).join(device.kernel_name()).join(attribute);
    let s = std::fs::read_to_string(path).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A board's USB-UART bridge found on the bus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FoundBoard {
    /// The bridge chip and its boards (from [`crate::ports::USB_BRIDGES`]).
    pub board: String,
    /// USB vendor:product id, as hex.
    pub usb_id: String,
    /// Where it is on the bus: the kernel's name, `<bus>-<port>.<port>..`.
    pub location: String,
    /// USB product string, where readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// USB serial number, where readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The serial port to use: that of the first interface with one (None: no driver bound,
    /// or not Linux).
    pub port: Option<String>,
    /// Every serial port of the device, in interface order (an FT2232H has two channels).
    pub ports: Vec<String>,
}

/// The boards on `bus` (the bridges of [`crate::ports::USB_BRIDGES`]; other devices are
/// ignored), sorted by location, each with its serial ports from sysfs under `sysfs_root`.
/// Fails with a [`NoUsbBus`] when the bus cannot be searched.
pub fn find_boards(bus: &dyn UsbBus, sysfs_root: &Path) -> Result<Vec<FoundBoard>> {
    let mut found: Vec<FoundBoard> = bus
        .devices()?
        .into_iter()
        .filter_map(|d| {
            let board = board_of(d.vid, d.pid)?;
            let ports = serial_ports(sysfs_root, &d);
            Some(FoundBoard {
                board,
                usb_id: format!("{:04x}:{:04x}", d.vid, d.pid),
                location: d.kernel_name(),
                product: d.product.clone().or_else(|| sysfs_string(sysfs_root, &d, "product")),
                serial: d.serial.clone().or_else(|| sysfs_string(sysfs_root, &d, "serial")),
                port: ports.first().cloned(),
                ports,
            })
        })
        .collect();
    found.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(found)
}

/// Fakes for tests: a USB bus and a sysfs tree in a temporary directory.
#[cfg(test)]
pub(crate) mod fake {
    use super::{NoUsbBus, UsbBus, UsbDevice};
    use std::path::{Path, PathBuf};

    /// A bus with fixed devices, or one that fails.
    pub enum FakeBus {
        /// These devices.
        Devices(Vec<UsbDevice>),
        /// No bus, for this reason.
        NoBus(&'static str),
        /// Another failure.
        Broken(&'static str),
    }

    impl UsbBus for FakeBus {
        fn devices(&self) -> anyhow::Result<Vec<UsbDevice>> {
            match self {
                FakeBus::Devices(d) => Ok(d.clone()),
                FakeBus::NoBus(why) => Err(NoUsbBus { reason: why.to_string() }.into()),
                FakeBus::Broken(why) => Err(anyhow::anyhow!("{why}")),
            }
        }
    }

    /// A device at bus 1, ports `ports`.
    pub fn device(vid: u16, pid: u16, ports: &[u8]) -> UsbDevice {
        UsbDevice { vid, pid, bus: 1, ports: ports.to_vec(), product: None, serial: None }
    }

    /// A sysfs root in a temporary directory, removed on drop.
    pub struct FakeSysfs(pub PathBuf);

    impl FakeSysfs {
        /// An empty tree named after the test.
        pub fn new(test: &str) -> Self {
            let root = std::env::temp_dir().join(format!("fptt-sysfs-{}-{test}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join("bus/usb/devices")).expect("create the fake sysfs");
            Self(root)
        }

        /// The root to pass as `sysfs_root`.
        pub fn root(&self) -> &Path {
            &self.0
        }

        /// Adds a file (with its directories) under bus/usb/devices.
        pub fn file(&self, path: &str, contents: &str) -> &Self {
            let p = self.0.join("bus/usb/devices").join(path);
            std::fs::create_dir_all(p.parent().expect("a parent")).expect("create dirs");
            std::fs::write(p, contents).expect("write");
            self
        }

        /// Adds a directory under bus/usb/devices.
        pub fn dir(&self, path: &str) -> &Self {
            std::fs::create_dir_all(self.0.join("bus/usb/devices").join(path)).expect("create dirs");
            self
        }
    }

    impl Drop for FakeSysfs {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{device, FakeBus, FakeSysfs};
    use super::*;

    #[test]
    fn kernel_names_join_bus_and_ports() {
        assert_eq!(device(0x0403, 0x6015, &[2]).kernel_name(), "1-2");
        assert_eq!(device(0x0403, 0x6015, &[1, 4, 3]).kernel_name(), "1-1.4.3");
        assert_eq!(device(0x1d6b, 0x0002, &[]).kernel_name(), "usb1");
    }

    #[test]
    fn ft231x_is_found_with_its_tty_usb0() {
        let sys = FakeSysfs::new("ft231x");
        sys.dir("1-2:1.0/ttyUSB0/tty/ttyUSB0").file("1-2/product", "FT231X USB UART\n").file("1-2/serial", "D00123\n");
        let bus = FakeBus::Devices(vec![device(0x0403, 0x6015, &[2])]);
        let found = find_boards(&bus, sys.root()).unwrap();
        assert_eq!(
            found,
            vec![FoundBoard {
                board: "FTDI FT231X (ULX3S)".into(),
                usb_id: "0403:6015".into(),
                location: "1-2".into(),
                product: Some("FT231X USB UART".into()),
                serial: Some("D00123".into()),
                port: Some("/dev/ttyUSB0".into()),
                ports: vec!["/dev/ttyUSB0".into()],
            }]
        );
    }

    #[test]
    fn ft2232h_with_two_interfaces_gives_the_first() {
        let sys = FakeSysfs::new("ft2232h");
        // interfaces created out of order, and another device whose name starts the same
        sys.dir("1-1.4:1.1/ttyUSB3").dir("1-1.4:1.0/ttyUSB2").dir("1-1.4").dir("1-1.40:1.0/ttyUSB9");
        let bus = FakeBus::Devices(vec![device(0x0403, 0x6010, &[1, 4])]);
        let found = find_boards(&bus, sys.root()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].port.as_deref(), Some("/dev/ttyUSB2"));
        assert_eq!(found[0].ports, ["/dev/ttyUSB2", "/dev/ttyUSB3"], "not the device at 1-1.40");
        assert!(found[0].board.contains("FT2232H"));
    }

    #[test]
    fn an_interface_without_a_driver_is_skipped_and_cdc_acm_ttys_are_found() {
        let sys = FakeSysfs::new("acm");
        // interface 0 unbound (e.g. JTAG claimed by a programmer), interface 1 under tty/
        sys.dir("3-1:1.0").dir("3-1:1.1/tty/ttyACM0");
        let mut d = device(0x0403, 0x6010, &[1]);
        d.bus = 3;
        assert_eq!(serial_ports(sys.root(), &d), ["/dev/ttyACM0"]);
    }

    #[test]
    fn unknown_ids_are_ignored() {
        let sys = FakeSysfs::new("unknown");
        sys.dir("1-3:1.0/ttyUSB0").dir("1-5:1.0/ttyACM0");
        let bus = FakeBus::Devices(vec![
            device(0x0403, 0x6001, &[3]), // FT232R: no board of ours
            device(0x1d6b, 0x0002, &[]),  // root hub
            device(0x2341, 0x0043, &[5]), // an Arduino
        ]);
        assert_eq!(find_boards(&bus, sys.root()).unwrap(), vec![]);
    }

    #[test]
    fn strings_from_the_bus_win_and_no_sysfs_means_no_port() {
        let mut d = device(0x0403, 0x6015, &[7]);
        d.product = Some("ULX3S FPGA".into());
        let found = find_boards(&FakeBus::Devices(vec![d]), Path::new("/nonexistent-sysfs")).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].product.as_deref(), Some("ULX3S FPGA"));
        assert_eq!((found[0].port.clone(), found[0].serial.clone()), (None, None));
    }

    #[test]
    fn a_bus_that_errors_gives_a_clear_message() {
        let e = find_boards(&FakeBus::NoBus("/dev/bus/usb does not exist"), Path::new("/sys")).unwrap_err();
        assert!(is_no_bus(&e));
        assert_eq!(format!("{e:#}"), "no USB bus to search for boards: /dev/bus/usb does not exist");
        let e = find_boards(&FakeBus::Broken("cable on fire"), Path::new("/sys")).unwrap_err();
        assert!(!is_no_bus(&e));
    }

    #[test]
    fn libusb_here_lists_devices_or_says_why_not() {
        // CI has no USB bus: then this is the clear error, never a panic
        match LibUsb.devices() {
            Ok(_) => {}
            Err(e) => {
                assert!(is_no_bus(&e), "{e:#}");
                assert!(format!("{e}").starts_with("no USB bus to search for boards: "), "{e}");
            }
        }
    }
}
