#!/usr/bin/env python3
"""Write the seed corpus of fuzz_virtq (layout: see tests/fuzz/fuzz_virtq.c).

A few small valid rings (direct, indirect, in-order batch, index wrap, via
virtio-rng) and one of each kind of malformed chain. Run from the repository
root: python3 tests/fuzz/gen_corpus_virtq.py
"""
import os
import struct

OUT = "tests/fuzz/corpus/fuzz_virtq"
DESC, AVAIL, USED, BUF = 0x1000, 0x2000, 0x3000, 0x4000
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def image(name, flags, log2size, descs, heads, avail_idx=None, start=0,
          tables=(), segs=15, mode=0):
    mem = bytearray(0x4100)
    for i, (addr, ln, fl, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", mem, DESC + 16 * i, addr, ln, fl, nxt)
    for gpa, entries in tables:
        for i, (addr, ln, fl, nxt) in enumerate(entries):
            struct.pack_into("<QIHH", mem, gpa + 16 * i, addr, ln, fl, nxt)
    size = 1 << log2size
    for i, h in enumerate(heads):
        struct.pack_into("<H", mem, AVAIL + 4 + 2 * ((start + i) % size), h)
    idx = (start + len(heads)) & 0xffff if avail_idx is None else avail_idx
    struct.pack_into("<HH", mem, AVAIL, 0, idx)
    hdr = struct.pack("<BBHHHHBB", flags, log2size, start, DESC // 16,
                      AVAIL // 2, USED // 4, segs, mode)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(hdr + bytes(mem))


def main():
    os.makedirs(OUT, exist_ok=True)
    rw = [(BUF, 16, F_NEXT, 1), (BUF + 16, 16, F_WRITE, 2)]
    w = [(BUF + 32 * i, 32, F_WRITE, 0) for i in range(4)]
    image("direct_rw", 0, 3, rw, [0])
    image("four_writable", 0, 3, w, [3, 1, 0, 2], mode=3)
    image("in_order_batch", 1, 3, w, [0, 1, 2, 3])
    image("in_order_event_idx", 3, 3, w, [0, 1, 2, 3], mode=1)
    image("wrap", 2, 2, w, [0, 1, 2, 3], start=0xfffe)
    table = (0x3800, [(BUF, 8, F_NEXT, 1), (BUF + 8, 8, F_WRITE | F_NEXT, 2),
                      (BUF + 16, 8, F_WRITE, 0)])
    image("indirect", 4, 3, [(0x3800, 48, F_INDIRECT, 0)], [0], tables=[table])
    image("rng_device", 8 | 3, 3, w, [0, 1, 2, 3])
    image("rng_indirect", 8 | 4, 3, [(0x3800, 48, F_INDIRECT, 0)], [0],
          tables=[(0x3800, [(BUF, 8, F_WRITE | F_NEXT, 1),
                            (BUF + 8, 8, F_WRITE | F_NEXT, 2),
                            (BUF + 16, 8, F_WRITE, 0)])])
    # Malformed.
    image("bad_loop", 0, 3, [(BUF, 8, F_NEXT, 1), (BUF, 8, F_NEXT, 0)], [0])
    image("bad_head", 0, 3, w, [9])
    image("bad_avail_idx", 0, 3, w, [0], avail_idx=20)
    image("bad_order", 0, 3, [(BUF, 8, F_WRITE | F_NEXT, 1), (BUF, 8, 0, 0)], [0])
    image("bad_addr", 0, 3, [(0x13ff0, 32, F_WRITE, 0)], [0])
    image("bad_nested", 4, 3, [(0x3800, 16, F_INDIRECT, 0)], [0],
          tables=[(0x3800, [(0x3800, 16, F_INDIRECT, 0)])])
    image("bad_indirect_len", 4, 3, [(0x3800, 24, F_INDIRECT, 0)], [0])
    image("span_regions", 0, 3, [(0xfff0, 32, F_WRITE, 0)], [0])


if __name__ == "__main__":
    main()
