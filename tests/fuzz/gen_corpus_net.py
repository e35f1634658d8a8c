#!/usr/bin/env python3
"""Write the seed corpus of fuzz_net (layout: see tests/fuzz/fuzz_net.c).

A transmitted frame (plain, split header, TSO), control commands (MQ pairs,
MAC, an unknown class, no ack byte, the receive filter's modes, MAC table
and VLANs), receive buffers (one, mergeable) and a
descriptor loop; a frame in each direction again on the event loop (byte 0
bit 4: a loop round after the kicks, receive on readiness).
Run from the repository root: python3 tests/fuzz/gen_corpus_net.py
"""
import os
import struct

OUT = "tests/fuzz/corpus/fuzz_net"
BASE = 0x1000
BUF = 0x4000
F_NEXT, F_WRITE = 1, 2
ON_LOOP = 0x10


def q_desc(q):
    return 0x1000 * (q + 1)


def image(name, drop, queues, data, frame=b""):
    """queues: {q: (descs, heads)}; data: {gpa: bytes}."""
    mem = bytearray(0x6000 - BASE)
    for q, (descs, heads) in queues.items():
        d = q_desc(q)
        for i, (addr, ln, fl, nxt) in enumerate(descs):
            struct.pack_into("<QIHH", mem, d - BASE + 16 * i, addr, ln, fl, nxt)
        a = d + 0x400 - BASE
        for i, h in enumerate(heads):
            struct.pack_into("<H", mem, a + 4 + 2 * i, h)
        struct.pack_into("<HH", mem, a, 0, len(heads))
    for gpa, b in data.items():
        mem[gpa - BASE:gpa - BASE + len(b)] = b
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([drop]) + bytes(mem) + frame)


def hdr(flags=0, gso=0, hlen=0, gsize=0, cstart=0, coff=0):
    return struct.pack("<BBHHHHH", flags, gso, hlen, gsize, cstart, coff, 0)


def main():
    os.makedirs(OUT, exist_ok=True)
    eth = bytes(range(64))
    frame = hdr() + eth
    # tx: header + frame in two descriptors
    image("tx_plain", 1, {1: ([(BUF, 12, F_NEXT, 1), (BUF + 16, 64, 0, 0)], [0])},
          {BUF: hdr(), BUF + 16: eth})
    image("tx_split_hdr", 0, {1: ([(BUF, 5, F_NEXT, 1), (BUF + 5, 7, F_NEXT, 2),
                                   (BUF + 16, 64, 0, 0)], [0])},
          {BUF: hdr(), BUF + 16: eth})
    image("tx_tso", 0, {1: ([(BUF, 12 + 1514, 0, 0)], [0])},
          {BUF: hdr(1, 1, 54, 1448, 34, 16) + bytes(1514)})
    image("tx_loop", 1, {1: ([(BUF, 12, F_NEXT, 1), (BUF, 12, F_NEXT, 0)], [0])}, {})
    # ctrl: MQ pairs 1, MAC set, unknown class, no ack
    image("ctrl_mq", 0, {2: ([(BUF, 4, F_NEXT, 1), (BUF + 16, 1, F_WRITE, 0)], [0])},
          {BUF: bytes([4, 0, 1, 0])})
    image("ctrl_mac", 0, {2: ([(BUF, 8, F_NEXT, 1), (BUF + 16, 1, F_WRITE, 0)], [0])},
          {BUF: bytes([1, 1, 2, 1, 2, 3, 4, 5])})
    image("ctrl_unknown", 0, {2: ([(BUF, 2, F_NEXT, 1), (BUF + 16, 1, F_WRITE, 0)], [0])},
          {BUF: bytes([99, 0])})
    image("ctrl_no_ack", 0, {2: ([(BUF, 2, 0, 0)], [0])}, {BUF: bytes([4, 0])})
    # receive filter: promiscuous off with a frame for another MAC waiting;
    # a MAC table split over two descriptors; a VLAN added
    image("ctrl_rx_filter", 4, {2: ([(BUF, 3, F_NEXT, 1), (BUF + 16, 1, F_WRITE, 0)], [0]),
                                0: ([(BUF + 64, 2048, F_WRITE, 0)], [0])},
          {BUF: bytes([0, 0, 0])}, frame)
    table = struct.pack("<I", 1) + bytes([2, 9, 9, 9, 9, 9]) + struct.pack("<I", 1) + \
        bytes([1, 0, 0x5e, 0, 0, 1])
    image("ctrl_mac_table", 0, {2: ([(BUF, 9, F_NEXT, 1), (BUF + 9, len(table) - 7, F_NEXT, 2),
                                     (BUF + 64, 1, F_WRITE, 0)], [0])},
          {BUF: bytes([1, 0]) + table})
    image("ctrl_vlan", 0, {2: ([(BUF, 4, F_NEXT, 1), (BUF + 16, 1, F_WRITE, 0)], [0])},
          {BUF: bytes([2, 0, 5, 0])})
    # rx: one big buffer, or mergeable small ones, and a frame from the tap
    image("rx_one", 4, {0: ([(BUF, 2048, F_WRITE, 0)], [0])}, {}, frame)
    image("rx_merge", 0, {0: ([(BUF + 64 * i, 64, F_WRITE, 0) for i in range(4)],
                              [0, 1, 2, 3])}, {}, hdr() + bytes(200))
    # the same on the event loop: a round after the kicks, rx on EPOLLIN
    image("loop_tx_plain", 1 | ON_LOOP,
          {1: ([(BUF, 12, F_NEXT, 1), (BUF + 16, 64, 0, 0)], [0])}, {BUF: hdr(), BUF + 16: eth})
    image("loop_rx_one", 4 | ON_LOOP, {0: ([(BUF, 2048, F_WRITE, 0)], [0])}, {}, frame)


if __name__ == "__main__":
    main()
