"""Reading the .npz files of weights/ with zlib and struct alone.

np.load of an .npz imports zipfile, which imports pathlib, shutil, bz2 and lzma: ~11 ms, 5% of a
whole per-file encode. An .npz is a zip of .npy files, stored or deflated; this reads the central
directory, checks each member's CRC-32 and parses the .npy with numpy's own reader. Anything else
(zip64 sizes, other compression, encryption, a damaged file) is refused with ValueError.
"""
import io
import struct
import zlib

import numpy as np

_END = b"PK\x05\x06"
_ENTRY = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"


def read(path) -> dict:
    """{name: array} of every member of the .npz at path."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return _members(data)
    except (struct.error, zlib.error) as e:
        raise ValueError(f"damaged zip file ({e})") from None


def _members(data: bytes) -> dict:
    end = data.rfind(_END, max(0, len(data) - 65557))
    if end < 0 or end + 22 > len(data):
        raise ValueError("not a zip file")
    count, start = struct.unpack_from("<H4xI", data, end + 10)
    arrays = {}
    pos = start
    for _ in range(count):
        if data[pos:pos + 4] != _ENTRY:
            raise ValueError("damaged zip directory")
        flags, method, crc, packed, unpacked, n_name, n_extra, n_comment = struct.unpack_from(
            "<HH4xIIIHHH", data, pos + 8)
        name = data[pos + 46:pos + 46 + n_name].decode()
        local = struct.unpack_from("<I", data, pos + 42)[0]
        pos += 46 + n_name + n_extra + n_comment
        if flags & 1 or method not in (0, 8) or 0xFFFFFFFF in (packed, unpacked, local):
            raise ValueError(f"{name}: unsupported zip member")
        if data[local:local + 4] != _LOCAL:
            raise ValueError(f"{name}: damaged zip member")
        body = local + 30 + sum(struct.unpack_from("<HH", data, local + 26))
        raw = data[body:body + packed]
        if method == 8:
            raw = zlib.decompress(raw, -15)
        if len(raw) != unpacked or zlib.crc32(raw) != crc:
            raise ValueError(f"{name}: CRC mismatch")
        arrays[name.removesuffix(".npy")] = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    return arrays
