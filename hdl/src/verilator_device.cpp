// Drives the Verilated `DeviceTop` (module `top`) through its UART pins from commands on stdin;
// see hdl/src/device_sim.rs (`VerilatorDevice`), which writes the commands and builds this file
// with the design.
//
// Commands (little-endian):
//   'D' divisor:u32 quiet:u32   the UART bit period in cycles, and the cycles of silence (the
//                               device idle, nothing on the line) that end an exchange
//   'P' n:u32 bytes[n]          sends the bytes down the line (8N1, back to back) and runs until
//                               quiet; answers n:u32 and the bytes that came back, then the
//                               cycles run so far as u64
//   'Q'                         exit
// Every cycle follows rust-hdl's simulator: inputs settle, a rising edge, a falling edge.
#include "Vtop.h"
#include "verilated.h"
#include <cstdint>
#include <cstdio>
#include <vector>

static Vtop* top;
static uint64_t cycles = 0;

static bool get(void* p, size_t n) { return fread(p, 1, n, stdin) == n; }

// An 8N1 receiver of the device's transmit line: the start bit's falling edge, then each bit
// sampled in its middle.
struct LineRx {
    uint32_t divisor = 4;
    int state = 0;  // 0 idle, 1 bits
    uint32_t count = 0;
    int bit = 0;
    uint8_t shift = 0;
    // Takes the line after a cycle; returns 1 and the byte when a stop bit ends one.
    bool step(bool line, uint8_t* out) {
        if (state == 0) {
            if (!line) {
                state = 1;
                count = divisor + divisor / 2;  // to the middle of data bit 0
                bit = 0;
                shift = 0;
            }
            return false;
        }
        if (--count > 0) return false;
        if (bit < 8) {
            shift |= (uint8_t)(line ? 1 : 0) << bit;
            bit++;
            count = divisor;
            return false;
        }
        // the stop bit's middle
        state = 0;
        if (!line) return false;  // a framing error: the device never sends one
        *out = shift;
        return true;
    }
};

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    top = new Vtop;
    top->clock = 0;
    top->uart_rx = 1;
    top->eval();
    uint32_t divisor = 4, quiet = 96;
    LineRx rx;
    std::vector<uint8_t> in, out;
    for (;;) {
        int op = fgetc(stdin);
        if (op == EOF || op == 'Q') break;
        if (op == 'D') {
            if (!get(&divisor, 4) || !get(&quiet, 4)) return 2;
            rx.divisor = divisor;
        } else if (op == 'P') {
            uint32_t n;
            if (!get(&n, 4)) return 2;
            in.resize(n);
            if (n > 0 && !get(in.data(), n)) return 2;
            out.clear();
            size_t byte = 0;
            uint32_t bit = 0, sub = 0, idle = 0;
            for (;;) {
                bool sending = byte < in.size();
                bool line = true;
                if (sending) {
                    // start bit, 8 data bits LSB first, stop bit
                    line = bit == 0 ? false : bit == 9 ? true : ((in[byte] >> (bit - 1)) & 1);
                }
                top->uart_rx = line;
                top->eval();
                top->clock = 1;
                top->eval();
                top->clock = 0;
                top->eval();
                cycles++;
                uint8_t b;
                if (rx.step(top->uart_tx, &b)) out.push_back(b);
                if (sending && ++sub == divisor) {
                    sub = 0;
                    if (++bit == 10) {
                        bit = 0;
                        byte++;
                    }
                }
                idle = (!sending && !top->active && rx.state == 0) ? idle + 1 : 0;
                if (idle >= quiet) break;
            }
            uint32_t m = out.size();
            fwrite(&m, 4, 1, stdout);
            fwrite(out.data(), 1, m, stdout);
            fwrite(&cycles, 8, 1, stdout);
            fflush(stdout);
        }
    }
    delete top;
    return 0;
}
