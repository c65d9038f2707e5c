#!/usr/bin/env bash
# Runs every test of the project on a fresh machine, installing what the tests need first.
# This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found: install Rust (https://rustup.rs) and run this again" >&2
    exit 1
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^clippy'; then
    rustup component add clippy rustfmt >/dev/null 2>&1 || echo "warning: could not install clippy/rustfmt; lint steps skipped" >&2
fi

# Icarus Verilog runs the generated Verilog against the same vectors as rust-hdl's simulator;
# Verilator lints it (hdl/tests/lint.rs).
missing=()
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
command -v verilator >/dev/null 2>&1 || missing+=(verilator)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages) for the RTL cross-checks and lint" >&2
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo -n"; fi
    $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null ||
        { echo "error: could not install ${missing[*]}: run 'apt-get install ${missing[*]}' and try again" >&2; exit 1; }
fi

# The RTL tests must not skip their Verilog cross-check or lint in CI.
export FPTT_REQUIRE_IVERILOG=1
export FPTT_REQUIRE_VERILATOR=1

# Formatting and lints: warnings are errors.
if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --all -- --check
fi
if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --workspace --all-targets --profile ci -- -D warnings
fi

# Tests run optimised with overflow checks (profile ci in Cargo.toml): several train networks.
cargo test --workspace --profile ci
