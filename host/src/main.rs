//! `fptt`: train, evaluate and benchmark the FPTT LTC accelerator and its models.

use clap::{Parser, Subcommand};
use fptt_host::{bench, emulate, info, ports, train};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "fptt", version, about = "Online FPTT training of LTC spiking networks, on an FPGA or its models")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train online on a task, then evaluate on held-out sequences.
    Train(train::TrainArgs),
    /// Measure steps per second of a backend.
    Bench(bench::BenchArgs),
    /// Print the accelerator's number formats (the tables of NUMERICS.md).
    Numerics(info::NumericsArgs),
    /// On-chip memory a network needs, and which ECP5 parts hold it.
    Budget(info::BudgetArgs),
    /// List the serial ports, and the boards found on USB with their port.
    Ports {
        /// Print a JSON object on stdout: ports, boards, usb_error.
        #[arg(long)]
        json: bool,
    },
    /// Print the board link's framing and command map (the tables of PROTOCOL.md).
    Protocol,
    /// Emulate a board on a pseudo-terminal (prints its path; serves until killed).
    Emulate(emulate::EmulateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Train(args) => train::run(args).map(|s| {
            if args.json {
                println!("{}", serde_json::to_string(&s).expect("serialisable"));
            } else {
                train::print_text(&s);
            }
        }),
        Command::Bench(args) => bench::run(args).map(|s| {
            if args.json {
                println!("{}", serde_json::to_string(&s).expect("serialisable"));
            } else {
                bench::print_text(&s);
            }
        }),
        Command::Numerics(args) => info::numerics(args),
        Command::Ports { json } => ports::report().map(|r| {
            if *json {
                println!("{}", serde_json::to_string(&r).expect("serialisable"));
            } else {
                print!("{}", ports::text(&r));
            }
        }),
        Command::Emulate(args) => emulate::run(args),
        Command::Protocol => {
            print!("{}", fptt_hdl::protocol::markdown());
            Ok(())
        }
        Command::Budget(args) => info::run_budget(args).map(|b| {
            if args.json {
                println!("{}", serde_json::to_string(&b).expect("serialisable"));
            } else {
                info::print_budget(&b);
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
