//! `fptt`: train, evaluate and benchmark the FPTT LTC accelerator and its models.

use clap::{Parser, Subcommand};
use fptt_host::{bench, board_cmds, boards, emulate, info, ports, synth, train};
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
    /// Print the supported boards and the top level's ports (the tables of constraints/README.md).
    Boards,
    /// Emulate a board on a pseudo-terminal (prints its path; serves until killed).
    Emulate(emulate::EmulateArgs),
    /// Describe the device: limits, number formats, configuration, counters.
    Info(board_cmds::InfoArgs),
    /// Evaluate the parameters a device holds (or a parameter file) on held-out sequences.
    Eval(board_cmds::EvalArgs),
    /// Save a device's parameter state to a file, or load one into it.
    #[command(subcommand)]
    Params(board_cmds::ParamsCommand),
    /// Build a board's bitstream: Verilog, LPF, yosys, nextpnr-ecp5, ecppack; report Fmax and utilisation.
    Synth(synth::SynthArgs),
    /// Show (or install: `fptt tools install`) the yosys, nextpnr-ecp5 and ecppack the flow uses.
    Tools {
        #[command(subcommand)]
        command: Option<synth::ToolsCommand>,
    },
    /// Load a bitstream into a board's FPGA with openFPGALoader.
    Flash(synth::FlashArgs),
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
        Command::Info(args) => board_cmds::info(args).map(|r| {
            if args.json {
                println!("{}", serde_json::to_string(&r).expect("serialisable"));
            } else {
                board_cmds::print_info(&r);
            }
        }),
        Command::Eval(args) => board_cmds::eval(args).map(|r| {
            if args.json {
                println!("{}", serde_json::to_string(&r).expect("serialisable"));
            } else {
                println!(
                    "add task, T={}: held-out MSE {:.5} (chance {:.3}) over {} sequences on {}",
                    r.seq_len, r.eval_mse, r.chance_mse, r.eval_sequences, r.device
                );
            }
        }),
        Command::Synth(args) => synth::run(args).and_then(|r| {
            if args.json {
                println!("{}", serde_json::to_string(&r).expect("serialisable"));
            } else {
                print!("{}", synth::report_text(&r));
            }
            synth::check_timing(&r)
        }),
        Command::Tools { command } => synth::tools(command.as_ref()),
        Command::Flash(args) => synth::flash(args),
        Command::Params(cmd) => board_cmds::params(cmd).map(|m| println!("{m}")),
        Command::Protocol => {
            print!("{}", fptt_hdl::protocol::markdown());
            Ok(())
        }
        Command::Boards => {
            print!("{}", boards::markdown());
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
