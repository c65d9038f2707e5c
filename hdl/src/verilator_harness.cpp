// Drives the Verilated `ForwardStep` (module `top`) from commands on stdin; see
// hdl/src/verilator_driver.rs, which writes the commands and builds this file with the design.
//
// Commands (little-endian):
//   'W' sel:u8 lane:u8 addr:u16 data:i32   one clock cycle with a host write
//   'S' last_stream:u8 flags:u8             start (flags: 1 learn, 2 commit, 4 reset, 8 classify), run until
//                                           busy falls; answers the cycles as u32 (0xffffffff:
//                                           did not finish within `limit` cycles)
//   'L' limit:u32                           cycle limit of the following starts
//   'R' vec:u8 lane:u8 addr:u16             READ_LATENCY (2) cycles with a read-back; answers rd_data as i32
//   'F'                                     flush the answers
//   'Q'                                     exit
// Every cycle follows rust-hdl's simulator: inputs settle, a rising edge, a falling edge.
#include "Vtop.h"
#include "verilated.h"
#include <cstdint>
#include <cstdio>

static Vtop* top;

static void cycle() {
    top->eval();
    top->clock = 1;
    top->eval();
    top->clock = 0;
    top->eval();
}

static bool get(void* p, size_t n) { return fread(p, 1, n, stdin) == n; }

static void put32(uint32_t v) { fwrite(&v, 4, 1, stdout); }

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    top = new Vtop;
    top->clock = 0;
    top->eval();
    uint32_t limit = 1u << 30;
    for (;;) {
        int op = fgetc(stdin);
        if (op == EOF || op == 'Q') break;
        if (op == 'W') {
            uint8_t sel, lane;
            uint16_t addr;
            int32_t data;
            if (!get(&sel, 1) || !get(&lane, 1) || !get(&addr, 2) || !get(&data, 4)) return 2;
            top->host_we = 1;
            top->host_sel = sel;
            top->host_lane = lane;
            top->host_addr = addr;
            top->host_data = (uint32_t)data & 0x7ffffffu;  // 27 bits
            cycle();
            top->host_we = 0;
        } else if (op == 'S') {
            uint8_t last, flags;
            if (!get(&last, 1) || !get(&flags, 1)) return 2;
            top->last_stream = last;
            top->learn = flags & 1;
            top->commit = (flags >> 1) & 1;
            top->reset = (flags >> 2) & 1;
            top->classify = (flags >> 3) & 1;
            top->start = 1;
            cycle();
            top->start = 0;
            top->learn = 0;
            top->commit = 0;
            top->reset = 0;
            top->classify = 0;
            uint32_t n = 0;
            while (top->busy && n < limit) {
                cycle();
                n++;
            }
            put32(top->busy ? 0xffffffffu : n);
        } else if (op == 'L') {
            if (!get(&limit, 4)) return 2;
        } else if (op == 'R') {
            uint8_t vec, lane;
            uint16_t addr;
            if (!get(&vec, 1) || !get(&lane, 1) || !get(&addr, 2)) return 2;
            top->rd_vec = vec;
            top->rd_lane = lane;
            top->rd_addr = addr;
            cycle();
            cycle();
            int32_t v = (int32_t)(top->rd_data << 5) >> 5;  // sign-extend 27 bits
            put32((uint32_t)v);
        } else if (op == 'F') {
            fflush(stdout);
        } else {
            fprintf(stderr, "unknown command %d\n", op);
            return 2;
        }
    }
    top->final();
    delete top;
    return 0;
}
