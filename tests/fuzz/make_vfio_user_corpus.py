#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus of fuzz_vfio_user: client sessions as QEMU's
# vfio-user-pci opens them, in fuzz_vfio_user's record format (control
# byte, 16-bit length, stream bytes). Run it from anywhere; it replaces
# corpus/vfio_user/seed-*.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus', 'vfio_user')

NONE, SEALED_MEMFD, UNSEALED_MEMFD, EVENTFD = 0, 1, 2, 3
EVENTFD_FULL, EVENTFD_SEMAPHORE, SPARSE_HUGE = 4, 5, 6
RUN, GUEST_RW = 8, 16
ids = iter(range(1, 1 << 16))


def msg(cmd, payload=b'', flags=0):
    return struct.pack('<HHII I', next(ids), cmd, 16 + len(payload), flags, 0) + payload


def rec(stream, fd=NONE, run=True):
    return bytes([fd | (RUN if run else 0)]) + struct.pack('<H', len(stream)) + stream


def version(json=b'{"capabilities":{"max_msg_fds":16,"max_data_xfer_size":1048576,"write_multiple":true}}'):
    return msg(1, struct.pack('<HH', 0, 0) + json + b'\0')


def dma_map(addr, size, flags=3, offset=0):
    return msg(2, struct.pack('<IIQQQ', 32, flags, offset, addr, size))


def dma_unmap(addr, size, flags=0):
    return msg(3, struct.pack('<IIQQ', 24, flags, addr, size))


def region_info(index):
    return msg(5, struct.pack('<IIIIQQ', 32, 0, index, 0, 0, 0))


def irq_info(index):
    return msg(7, struct.pack('<IIII', 16, 0, index, 0))


def set_irqs(index, flags, start, count):
    return msg(8, struct.pack('<IIIII', 20, flags, index, start, count))


def region_read(region, offset, count):
    return msg(9, struct.pack('<QII', offset, region, count))


def region_write(region, offset, data, flags=0):
    return msg(10, struct.pack('<QII', offset, region, len(data)) + data, flags)


def write_multi(entries):
    body = struct.pack('<Q', len(entries))
    for region, offset, data in entries:
        body += struct.pack('<QII', offset, region, len(data)) + data.ljust(8, b'\0')
    return msg(15, body, 0x10)


def qemu_realize():
    s = rec(version())
    # fuzz_vfio_user's memfds are 64 KiB: guest RAM below 1 MiB and above it.
    s += rec(dma_map(0, 0x10000), SEALED_MEMFD)
    s += rec(dma_map(0x100000, 0x10000), SEALED_MEMFD)
    s += rec(dma_map(0xfffc0000, 0x40000, flags=1))
    s += rec(msg(4, struct.pack('<IIII', 16, 0, 0, 0)))
    s += rec(b''.join(region_info(i) for i in (0, 1, 2, 3, 4, 5, 7)))
    s += rec(irq_info(3))
    s += rec(region_read(7, 0, 256))
    s += rec(region_read(7, 0x30, 4) + region_write(7, 0x30, b'\x00\xf8\xff\xff') +
             region_read(7, 0x30, 4) + region_write(7, 0x30, b'\0\0\0\0'))
    s += rec(region_read(7, 0x3d, 1))
    s += rec(set_irqs(0, 0x24, 0, 1), EVENTFD)
    return s


def seeds():
    yield 'realize', qemu_realize()
    reset = (set_irqs(1, 0x21, 0, 0) + set_irqs(0, 0x21, 0, 0) +
             region_write(7, 4, b'\0\0') + msg(13))
    yield 'reset', qemu_realize() + rec(reset) + rec(set_irqs(0, 0x24, 0, 1), EVENTFD)
    probe = (region_write(7, 4, b'\x06\x00') + region_write(7, 0xb0, b'\0\0\xe0\xfe') +
             region_write(7, 0xb4, b'\x41\x40') + region_write(7, 0xae, b'\x01\x00'))
    probe += region_read(0, 0x78000, 8) + region_read(0, 0x78040, 4)
    probe += region_write(0, 0x44304, b'\xfe\xff\xff\xff', 0x10)
    probe += region_write(0, 0x4430c, b'\x01\x00\x00\x00', 0x10)
    probe += region_write(0, 0x44200, b'\x00\x00\x00\x80', 0x10)
    probe += region_write(0, 0x800000 + (0x8000000 >> 12) * 8,
                          struct.pack('<Q', 0x105000 | 1), 0x10)
    probe += region_write(0, 0x64010, b'\x00\x00\x00\x80')
    yield 'probe', qemu_realize() + rec(probe) + rec(set_irqs(1, 0x24, 0, 1), EVENTFD)
    multi = write_multi([(0, 0x44304, b'\0\0\0\0'), (0, 0x100000, b'\x01\0\0\0'),
                         (4, 0, b'\x04\x43\x04\x00')])
    yield 'multi', rec(version()) + rec(multi + region_read(4, 4, 4))
    yield 'unmap', qemu_realize() + rec(dma_unmap(0x100000, 0x10000) +
                                        dma_unmap(0, 0, 2))
    yield 'intx', qemu_realize() + rec(set_irqs(0, 0x11, 0, 1) + set_irqs(0, 0x09, 0, 1) +
                                       set_irqs(0, 0x12, 0, 1) + b'\x01')
    yield 'aperture', rec(version()) + rec(region_write(2, 0x8000000, b'\x11' * 8) +
                                           region_read(2, 0x8000000, 4096))
    yield 'unsealed', rec(version()) + rec(dma_map(0x100000, 0x10000), UNSEALED_MEMFD)
    yield 'pieces', rec(version()[:7], run=True) + rec(version()[7:], run=True)
    yield 'bad-size', rec(version()) + rec(struct.pack('<HHII I', 9, 1, 8, 0, 0))
    yield 'hostile-eventfds', rec(version()) + rec(set_irqs(1, 0x24, 0, 1), EVENTFD_FULL) + \
        rec(set_irqs(1, 0x21, 0, 1)) + rec(set_irqs(0, 0x14, 0, 1), EVENTFD_SEMAPHORE)
    yield 'sparse-huge', rec(version()) + rec(dma_map(0, 1 << 39), SPARSE_HUGE) + \
        rec(dma_map(1 << 39, 1 << 39, offset=1 << 39), SPARSE_HUGE)
    by_message = rec(version()) + rec(dma_map(0x100000, 0x10000))
    by_message += bytes([RUN | GUEST_RW]) + struct.pack('<H', 8) + struct.pack('<Q', 0x100040)
    yield 'by-message', by_message


os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    if name.startswith('seed-'):
        os.unlink(os.path.join(OUT, name))
for name, data in seeds():
    with open(os.path.join(OUT, 'seed-' + name), 'wb') as f:
        f.write(data)
