#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus of fuzz_submit: small guest histories in its input
# format (a flags byte, then operations: an opcode byte and its arguments,
# see fuzz_submit.c). Run it from anywhere; it replaces corpus/submit/seed-*.
import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus', 'submit')

TRACKED, ANNOUNCE = 1, 2
(OP_CTX, OP_ROOT, OP_RING, OP_BATCH, OP_PT, OP_GGTT, OP_RAM, OP_ELSP,
 OP_RESET, OP_MMIO, OP_VICTIM, OP_WAIT) = range(12)
RCS, BCS, VCS, VECS = range(4)

# pick_cmd() selectors
C_NOOPS, C_BB_START, C_BB_END, C_SDI = 0, 1, 2, 3
C_SEM, C_BLT = 11, 18


def noops(n):
    return bytes([C_NOOPS, n - 1])


def sdi_ppgtt_data(value):
    # pick_addr: no GGTT bit, a PPGTT address; pick_ppgma: PP_DATA + 0;
    # pick_u32: a small value.
    return bytes([C_SDI, 0, 0, 0, 0, 2, value])


def sdi_ggtt_data(value):
    # pick_addr: GGTT bit, a GGTT address; pick_gm: the data page + 0.
    return bytes([C_SDI, 3, 0, 0, 0, 2, value])


def bb_start(which, second=False):
    # which: 0 the PPGTT batch, 1 the GGTT batch, 2 the second-level one.
    return bytes([C_BB_START, which, 2 if second else 0])


def sem_wait_data_eq1():
    # compare == (flags 0: the mode is flags ^ 4), polling, the PPGTT data
    # page, against 1 (never true).
    return bytes([C_SEM, 32, 0, 0, 0, 0, 2, 1])


def color_blt_ggtt(page):
    # A 4 x 1 fill (32 bits a pixel, all bytes written, pitch 1024) at
    # the GGTT address of page @page: 0 the guest's data page, 0xf5 the
    # victim's.
    return bytes([C_BLT, 0, 0, 3, 0, 3, 3, page, 0, 0, 2, 0x5a])


def ring(slot, cmd, move_tail=True, head_to_pos=False):
    f = slot | (0 if move_tail else 4) | (8 if head_to_pos else 0)
    return bytes([OP_RING, f]) + cmd


def batch(b, cmd, engine=RCS):
    return bytes([OP_BATCH, b, engine]) + cmd


def desc(slot, flip=0, ctx_id=0x11):
    # flip: bits XORed into a valid, 4-level, privileged descriptor
    # (0x10 makes it 3-level, 0x20 a GGTT one).
    return bytes([slot, flip, ctx_id])


def elsp(engine, d0, d1=None, hold=False):
    f = engine | (4 if hold else 0) | (8 if d1 else 0)
    return bytes([OP_ELSP, f]) + d0 + (d1 or b'')


def root(slot, kind):
    return bytes([OP_ROOT, slot, kind])


def reset(which):
    return bytes([OP_RESET, which])


SEEDS = {
    # A ring of NOOPs on the render engine.
    'noop': bytes([TRACKED | ANNOUNCE]) +
    ring(RCS, noops(2)) + elsp(RCS, desc(RCS)),
    # A PPGTT batch storing into PPGTT data, unannounced, untracked.
    'batch-ppgtt': bytes([0]) +
    batch(0, sdi_ppgtt_data(0x42)) + ring(RCS, bb_start(0)) +
    elsp(RCS, desc(RCS)),
    # A privileged (GGTT) batch storing into the GGTT data page, on bcs.
    'batch-ggtt': bytes([TRACKED]) +
    batch(1, sdi_ggtt_data(0x43), BCS) + ring(BCS, bb_start(1)) +
    elsp(BCS, desc(BCS)),
    # A PPGTT batch calling a second-level one, on vcs.
    'batch-second-level': bytes([TRACKED | ANNOUNCE]) +
    batch(2, sdi_ppgtt_data(0x44), VCS) + batch(0, bb_start(2, True), VCS) +
    ring(VCS, bb_start(0)) + elsp(VCS, desc(VCS)),
    # A 3-level context: its first page directory in PDP0.
    'ctx-3level': bytes([TRACKED]) +
    root(RCS, 1) + batch(0, sdi_ppgtt_data(0x45)) +
    ring(RCS, bb_start(0)) + elsp(RCS, desc(RCS, flip=0x10)),
    # A GGTT (non-PPGTT) descriptor is refused; the engine reset after it
    # lets a good one run.
    'desc-refused': bytes([TRACKED | ANNOUNCE]) +
    ring(RCS, noops(2)) + elsp(RCS, desc(RCS, flip=0x20)) +
    reset(RCS) + ring(RCS, noops(2), head_to_pos=True) + elsp(RCS, desc(RCS)),
    # A descriptor naming the victim's context image.
    'desc-victim-lrca': bytes([TRACKED]) +
    ring(RCS, noops(2)) + elsp(RCS, desc(5)),
    # Work held on the engine (a semaphore nobody releases), then an engine
    # reset, then a full GPU reset.
    'reset-engine-busy': bytes([TRACKED | ANNOUNCE]) +
    ring(RCS, sem_wait_data_eq1()) + elsp(RCS, desc(RCS), hold=True) +
    reset(RCS) + reset(5),
    # Two elements on bcs, while the victim runs on bcs too.
    'two-elements': bytes([TRACKED]) +
    ring(BCS, noops(2)) + ring(VCS, noops(4)) + bytes([OP_VICTIM, BCS]) +
    elsp(BCS, desc(BCS, ctx_id=0x21), desc(VCS, ctx_id=0x22)),
    # A lite restore: the same context again while the first is held.
    'lite-restore': bytes([TRACKED | ANNOUNCE]) +
    ring(RCS, noops(2)) + elsp(RCS, desc(RCS), hold=True) +
    ring(RCS, noops(2)) + elsp(RCS, desc(RCS)),
    # A blit from the blitter's ring into its own GGTT data page.
    'blt-ring': bytes([TRACKED]) +
    ring(BCS, color_blt_ggtt(0)) + elsp(BCS, desc(BCS)),
    # A device reset, and the guest boots again.
    'reset-device': bytes([ANNOUNCE]) +
    ring(VECS, noops(2)) + elsp(VECS, desc(VECS)) + reset(6) +
    ring(VECS, noops(2), head_to_pos=True) + elsp(VECS, desc(VECS)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, 'seed-*')):
        os.remove(old)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, 'seed-' + name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
