"""Range coder with a 56-bit range and carry propagation (the LZMA scheme widened to 64-bit words).

The wide range lets a symbol's frequencies use a total of 2^30 + n_bins with negligible rounding
loss. All state is int64 and every value stays below 2^57, so the arithmetic is exact everywhere.
State layout: [low, range, cache, cache_size, out_pos] for the encoder, [code, range, in_pos, range /
total of the symbol being decoded] for the decoder.
"""
import numpy as np
from spikey.jit import njit

RANGE_BITS = 56
TOP = 1 << RANGE_BITS
BOTTOM = 1 << (RANGE_BITS - 8)
LOW_MASK = BOTTOM - 1
CODE_BYTES = RANGE_BITS // 8


@njit(cache=True)
def encoder_new():
    return np.array([0, TOP - 1, 0, 1, 0], dtype=np.int64)


@njit(cache=True, inline="always")
def _shift_low(st, out):
    low = st[0]
    if low < (0xFF << (RANGE_BITS - 8)) or low >= TOP:
        carry = low >> RANGE_BITS
        byte = st[2]
        while True:
            out[st[4]] = (byte + carry) & 0xFF
            st[4] += 1
            byte = 0xFF
            st[3] -= 1
            if st[3] == 0:
                break
        st[2] = (low >> (RANGE_BITS - 8)) & 0xFF
    st[3] += 1
    st[0] = (low & LOW_MASK) << 8


@njit(cache=True, inline="always")
def encode(st, out, cum, freq, total):
    r = st[1] // total
    st[0] += r * cum
    st[1] = r * freq
    while st[1] < BOTTOM:
        st[1] <<= 8
        _shift_low(st, out)


@njit(cache=True, inline="always")
def encode_shift(st, out, cum, freq, total_bits):
    """encode with a total of 2^total_bits: a shift instead of a division."""
    r = st[1] >> total_bits
    st[0] += r * cum
    st[1] = r * freq
    while st[1] < BOTTOM:
        st[1] <<= 8
        _shift_low(st, out)


@njit(cache=True)
def finish(st, out):
    """Flush the final interval; returns the number of bytes worth keeping (trailing zeros dropped)."""
    low, rng = st[0], st[1]
    for b in range(RANGE_BITS, -1, -1):
        mask = (1 << b) - 1
        v = (low + mask) & ~mask
        if v < low + rng:
            st[0] = v
            break
    for _ in range(CODE_BYTES + 1):
        _shift_low(st, out)
    n = st[4]
    while n > 1 and out[n - 1] == 0:
        n -= 1
    return n


@njit(cache=True, inline="always")
def _next_byte(st, buf):
    pos = st[2]
    st[2] = pos + 1
    if pos < len(buf):
        return np.int64(buf[pos])
    return np.int64(0)


@njit(cache=True)
def decoder_new(buf):
    """buf is the encoder output without its first byte (always 0)."""
    st = np.array([0, TOP - 1, 0, 0], dtype=np.int64)
    for _ in range(CODE_BYTES):
        st[0] = (st[0] << 8) | _next_byte(st, buf)
    return st


@njit(cache=True, inline="always")
def decode_target(st, total):
    """The target in [0, total) that the next symbol's interval holds; -1 where the code has left the
    range, which no encoder produces (damaged or forged payload): the caller stops there."""
    r = st[1] // total
    st[3] = r            # kept for decode_consume: one 64-bit division fewer per symbol
    v = st[0] // r
    return -1 if v >= total else v


@njit(cache=True, inline="always")
def decode_target_shift(st, total_bits):
    """decode_target with a total of 2^total_bits: a shift instead of a division."""
    r = st[1] >> total_bits
    st[3] = r
    v = st[0] // r
    return -1 if v >= (1 << total_bits) else v


@njit(cache=True, inline="always")
def mark_undecodable(idx, i):
    """Bin -1 from sample i on, where decode_target found the payload damaged: Model.decode refuses it."""
    for j in range(i, len(idx)):
        idx[j] = -1


@njit(cache=True, inline="always")
def decode_consume(st, buf, cum, freq):
    """Remove the symbol [cum, cum + freq) that decode_target's target fell in."""
    r = st[3]
    st[0] -= r * cum
    st[1] = r * freq
    while st[1] < BOTTOM:
        st[0] = (st[0] << 8) | _next_byte(st, buf)
        st[1] <<= 8
