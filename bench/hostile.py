"""Run every hostile case of docs/robustness.md through ./encode and ./decode and print what happens.

    python bench/hostile.py [--signals]      (--signals: also SIGINT/SIGTERM during a long encode, ~30 s)

Each input case (WAV of any channel count, .npy, other files) is encoded, decoded and compared; the row
says which code set each channel uses, or the exact message of the refusal. Stream cases are damaged
or forged streams given to ./decode; a forged one has the CRC of each section it changed (header,
block, index) recomputed, as a forger would, so that the checks behind them are reached.
"""
import argparse
import os
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ)                        # the executables run as a user runs them (conftest sets jit)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from conftest import SAMPLES, channels_of, chunk, default_model, opened, wav  # noqa: E402
from fuzz import assemble, file_crc_of, fix_trailer, npy, sections, small_blocks  # noqa: E402
from spikey import codec, codesets, stream        # noqa: E402

CODINGS = {codesets.ADC: "ADC", codesets.LATTICE: "lattice", codesets.VALUE_SET: "value set",
           codesets.VERBATIM: "verbatim"}
CONTAINERS = {stream.WAV: "", stream.NPY: "npy", stream.RAW: "raw", stream.ARRAY: "samples"}
HANG_S = 60                                   # a ./decode still running after this is killed and reported


def run(*args, timeout=600):
    try:
        r = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=ENV, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"still running after {timeout} s, killed"
    return r.returncode, r.stderr.strip()


def describe(encoded: bytes, raw_size: int) -> str:
    h = opened(encoded).header
    if h.container == stream.GENERIC:
        return f"generic (whole file deflated); {raw_size} → {len(encoded)} B"
    codings, exceptions = Counter(), 0
    for i in range(h.n_blocks):
        for c in channels_of(encoded, i):
            codings[CODINGS[c.code_set.coding]] += 1
            exceptions += len(c.exceptions)
    parts = [" + ".join(codings) if codings else "no blocks"]
    if h.channels > 1:
        parts[0] += f" ({h.channels} channels)"
    if h.n_blocks > 1:
        parts[0] += f", {h.n_blocks} blocks"
    if exceptions:
        parts[0] += f" with {exceptions} exceptions"
    if CONTAINERS[h.container]:
        parts.append(CONTAINERS[h.container] + (" (Fortran order)" if h.flags & stream.PLANAR else ""))
    parts.append("canonical header" if h.flags & stream.CANONICAL else f"header kept ({len(h.prefix)} B)")
    if h.suffix:
        parts.append(f"{len(h.suffix)} B after the samples kept")
    return ", ".join(parts) + f"; {raw_size} → {len(encoded)} B"


def wav_row(name, raw, work: Path, dst=None, suffix=".wav"):
    src = work / f"in{suffix}"
    if raw is not None:
        src.write_bytes(raw)
    out = Path(dst) if dst else work / "out.brainwire"
    t = time.perf_counter()
    rc, err = run(ROOT / "encode", src, out)
    if rc:
        return f"| {name} | refused, exit {rc}: `{err}` |"
    if not out.is_file():
        return f"| {name} | exit 0, output written to {out.name} ({time.perf_counter() - t:.1f} s) |"
    encoded = out.read_bytes()
    rc, err = run(ROOT / "decode", out, work / "back.wav", timeout=HANG_S)
    same = rc == 0 and (work / "back.wav").read_bytes() == src.read_bytes()
    return f"| {name} | {'round trip' if same else 'DECODE FAILED: ' + err}: {describe(encoded, src.stat().st_size)} |"


def stream_row(name, data, originals, work: Path):
    (work / "in.bw").write_bytes(data)
    (work / "back.wav").unlink(missing_ok=True)
    rc, err = run(ROOT / "decode", work / "in.bw", work / "back.wav", timeout=HANG_S)
    if rc is None:
        return f"| {name} | HANG: {err} |"
    if rc:
        return f"| {name} | refused, exit {rc}: `{err}` |"
    back = (work / "back.wav").read_bytes()
    return f"| {name} | {'decodes to the original' if back in originals else 'WRONG OUTPUT'} |"


def wav_cases():
    rng = np.random.default_rng(0)
    values = default_model().adc.values
    real = np.frombuffer(SAMPLES[0].read_bytes()[44:], dtype="<i2").copy()
    off = real.copy()
    off[[10, 5000, 50000]] = [1, -7, 12345]
    n = 100_000
    smooth = (3000 * np.sin(np.arange(n) / 50) + rng.normal(0, 20, n)).astype(np.int16)
    walks = np.stack([values[np.clip(512 + np.cumsum(rng.integers(-3, 4, 20000)), 0, 1023)] for _ in range(5)], 1)
    rate_field = bytearray(wav(real))
    struct.pack_into("<II", rate_field, 24, 2**31, 0)
    fmt_short = b"RIFF" + struct.pack("<I", 4 + 22 + 8) + b"WAVE" + chunk(b"fmt ", b"\1\0\1\0" + b"\0" * 10) + \
        b"data\0\0\0\0"
    ext = struct.pack("<HHIIHHHHI16s", 0xFFFE, 1, 19531, 39062, 2, 16, 22, 16, 4,
                      b"\1\0\0\0\0\0\x10\0\x80\0\0\xaa\0\x38\x9b\x71")
    extensible = b"RIFF" + struct.pack("<I", 4 + 48 + 8 + 200) + b"WAVE" + chunk(b"fmt ", ext) + \
        b"data" + struct.pack("<I", 200) + real[:100].tobytes()
    data_first = b"RIFF" + struct.pack("<I", 4 + 8 + 8 + 24) + b"WAVE" + chunk(b"data", b"\0" * 8) + wav([])[12:36]
    return [
        ("not a WAV (text)", b"hello, this is not a wav file\n"),
        ("empty file", b""),
        ("RIFF header, no chunks", b"RIFF\4\0\0\0WAVE"),
        ("RIFF but not WAVE (AVI)", b"RIFF\4\0\0\0AVI LIST\0\0\0\0"),
        ("fmt chunk of 14 bytes", fmt_short),
        ("data chunk before fmt", data_first),
        ("fmt but no data chunk", wav([])[:36]),
        ("0 samples", wav([])),
        ("1 sample (on the ADC grid)", wav(values[600:601])),
        ("1 sample (off the grid)", wav([5])),
        ("a real recording (SAMPLES[0])", wav(real)),
        ("noise: uniform 16-bit, 100k samples", wav(rng.integers(-32768, 32768, n))),
        ("silence: 100k zeros", wav(np.zeros(n))),
        ("silence on a grid level, 100k", wav(np.full(n, values[512]))),
        ("upper rail 32767, 100k", wav(np.full(n, 32767))),
        ("lower rail -32768, 100k", wav(np.full(n, -32768))),
        ("rails alternating, 100k", wav(np.tile([32767, -32768], n // 2))),
        ("3 off-grid values in a recording", wav(off)),
        ("off the grid throughout (sine + noise), 100k", wav(smooth)),
        ("a gain: every value 3 + 12k (sine + noise), 100k", wav(smooth // 40 * 12 + 3)),
        ("five values used, 100k", wav(np.int16([-900, -20, 0, 7, 3000])[rng.integers(0, 5, n)])),
        ("few values off a step: 1 + 3k, sparse, 100k", wav(np.int16([1, 4, 7, 100])[rng.integers(0, 4, n)])),
        ("LIST chunk before data", wav(real, before=chunk(b"LIST", b"INFOISFT\x06\0\0\0spiky\0"))),
        ("fact chunk before data", wav(real, before=chunk(b"fact", struct.pack("<I", len(real))))),
        ("junk chunk after data", wav(real, after=chunk(b"junk", b"z" * 13))),
        ("LIST chunk after data", wav(real, after=chunk(b"LIST", b"INFOICMT\x04\0\0\0hi!\0"))),
        ("RIFF size 0xFFFFFFFF", wav(real, riff_size=0xFFFFFFFF)),
        ("RIFF size 0", wav(real, riff_size=0)),
        ("odd data length (one byte more)", wav(real.tobytes() + b"\x07")),
        ("data size larger than the file (truncated mid-data)", wav(real)[:-1001]),
        ("sample rate 2^31 in the fmt chunk", bytes(rate_field)),
        ("stereo, 16-bit", wav(real[:2000].tobytes(), fmt=(1, 2, 16))),
        ("5 channels, 16-bit, ADC walks, 20k frames", wav(walks.ravel(), fmt=(1, 5, 16))),
        ("stereo, 16-bit, an odd byte at the end", wav(real[:2001].tobytes(), fmt=(1, 2, 16))),
        ("mono, 8-bit", wav(bytes(range(256)) * 8, fmt=(1, 1, 8))),
        ("mono, 24-bit", wav(b"\1\2\3" * 1000, fmt=(1, 1, 24))),
        ("mono, 32-bit PCM", wav(real[:2000].tobytes(), fmt=(1, 1, 32))),
        ("mono, 32-bit float", wav(np.linspace(-1, 1, 1000, dtype="<f4").tobytes(), fmt=(3, 1, 32))),
        ("16-bit mono as WAVE_FORMAT_EXTENSIBLE", extensible),
        ("32768 channels, 16-bit, 1 frame (the block align overflows its 16 bits)",
         wav(np.arange(32768), fmt=(1, 32768, 16))),
    ]


def npy_cases():
    """(name, bytes) of .npy inputs."""
    walks = np.stack([np.frombuffer(p.read_bytes()[44:44 + 2 * 20000], dtype="<i2") for p in SAMPLES[:3]], 1)
    return [
        (".npy int16, 3 channels, C order", npy(walks)),
        (".npy int16, 3 channels, Fortran order", npy(np.asfortranarray(walks))),
        (".npy int16, 1-D", npy(walks[:, 0])),
        (".npy float64 (not int16)", npy(np.linspace(-1, 1, 1000))),
        (".npy int16 cut short (fewer samples than its shape)", npy(walks)[:-100]),
        (".npy header only, garbage after it", npy(walks[:0]) + b"\x01" * 7),
        (".npy header with an unbalanced bracket", _npy_header("{'descr': '<i2', 'fortran_order': False, "
                                                                "'shape': (3,, }") + b"\0" * 6),
    ]


def _npy_header(text: str) -> bytes:
    header = text.encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def stream_cases(raw: bytes, other_raw: bytes):
    data, other = codec.encode(raw), codec.encode(other_raw)
    secs = sections(data)
    header, blocks, index = secs[0], secs[1:-1], secs[-1]
    file_crc = file_crc_of(data)
    rng = np.random.default_rng(1)

    def forged_header(**fields):
        h = opened(data).header
        for k, v in fields.items():
            setattr(h, k, v)
        return assemble(stream.write_header(h), blocks, file_crc, index)

    def forged_channel(change, samples_crc=None):
        h = opened(data).header
        [ch], crc, _ = stream.read_block(blocks[0], h, h.frames)
        change(ch)
        return assemble(header, [stream.write_block([ch], crc if samples_crc is None else samples_crc)], file_crc)

    def forged_index(count=None, crc=None, index_len=None):
        lengths = [len(b) for b in blocks]
        forged = stream.varint(len(lengths) if count is None else count) + b"".join(map(stream.varint, lengths[:-1]))
        out = assemble(header, blocks, file_crc if crc is None else crc, forged)
        return out if index_len is None else out[:-8] + struct.pack("<I", index_len) + out[-4:]

    def field(name, value):
        def change(ch):
            setattr(ch, name, value)
        return change

    with small_blocks(4096):                        # the recording in 25 blocks
        multi = codec.encode(raw)
        other_multi = codec.encode(other_raw)
    msecs = sections(multi)
    mblocks = msecs[1:-1]
    swapped = mblocks[:]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    short = codec.encode(wav(SAMPLES[0].read_bytes()[44:44 + 2 * 4000]))   # the fuzzer's hang on the old
    s_header, s_block, s_index = sections(short)                           # layout (seed 1, case 16611):
    body = bytearray(s_block)                                              # one byte of the payload changed
    body[944 - 31] = 0x0E
    hang = assemble(s_header, [bytes(body)], file_crc_of(short), s_index)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    header_flip = bytearray(data)
    header_flip[14] ^= 0x01                          # inside the frames count
    two = codec.encode(wav(np.frombuffer(other_raw[44:44 + 2 * 20000], dtype="<i2"), fmt=(1, 2, 16)))
    lattice = codesets.CodeSet(codesets.LATTICE, 0, 1, 32000, 33000)
    x = np.frombuffer(other_raw[44:44 + 2 * 20000], dtype="<i2").reshape(-1, 2)
    unsigned = x.view(np.uint16)
    raw_stream = codec.encode(raw[44:], channels=1, extension=".dat")
    h = opened(raw_stream).header
    h.extension = "/../../x"
    climbing = assemble(stream.write_header(h), sections(raw_stream)[1:-1], file_crc_of(raw_stream),
                        sections(raw_stream)[-1])
    return [
        ("a samples-API stream (codec.encode_samples, 2 channels) given to ./decode", codec.encode_samples(x),
         {npy(x)}),
        ("a samples-API stream of uint16 given to ./decode", codec.encode_samples(unsigned), {npy(unsigned)}),
        ("a raw stream whose stored extension is `/../../x` (trailer CRC recomputed)", climbing, set()),
        ("empty stream", b"", set()),
        ("a WAV given to ./decode", raw, set()),
        ("random bytes (1000)", rng.bytes(1000), set()),
        ("random bytes behind a valid SPKY/version/length/model prefix", data[:10] + rng.bytes(1000), set()),
        ("truncated by 1 byte", data[:-1], set()),
        ("truncated to half", data[: len(data) // 2], set()),
        ("one bit flipped in the payload", bytes(flipped), set()),
        ("one bit flipped in the header", bytes(header_flip), set()),
        ("two streams spliced at their middles", data[: len(data) // 2] + other[len(other) // 2:], set()),
        ("a 2-channel stream cut after its header", two[:opened(two).offsets[0]], set()),
        ("foreign model id (header CRC recomputed)", fix_trailer(data[:6] + b"\xde\xad\xbe\xef" + data[10:]),
         set()),
        (f"newer version {stream.VERSION + 1} (header CRC recomputed)",
         fix_trailer(data[:4] + bytes([stream.VERSION + 1]) + data[5:]), set()),
        ("version 1 (the previous format)", data[:4] + b"\1" + data[5:], set()),
        ("version 0", data[:4] + b"\0" + data[5:], set()),
        ("unknown flag bits (header CRC recomputed)", fix_trailer(data[:12] + bytes([data[12] | 0x80]) + data[13:]),
         set()),
        ("forged: frames + 1 (header CRC recomputed)", forged_header(frames=opened(data).header.frames + 1), set()),
        ("forged: frames 2^24 on a 52 KB stream (header CRC recomputed)", forged_header(frames=2**24), set()),
        ("forged: frames 2^40 (header CRC recomputed)", forged_header(frames=2**40), set()),
        ("forged: block span of 1 frame (header CRC recomputed)", forged_header(block_frames=1), set()),
        ("forged: canonical sample rate 2^31 (header CRC recomputed)", forged_header(rate=2**31), set()),
        ("forged: sample rate 2^32 (header CRC recomputed)", forged_header(rate=2**32), set()),
        ("forged: 2 channels (header CRC recomputed)", forged_header(channels=2, refs=[]), set()),
        ("forged: cross-channel prediction (header CRC recomputed)", forged_header(refs=[[0]]), set()),
        ("forged: region head 200 (block rebuilt)", forged_channel(field("head", 200)), set()),
        ("forged: coding verbatim (block rebuilt)",
         forged_channel(field("code_set", codesets.CodeSet(codesets.VERBATIM))), set()),
        ("forged: a lattice beyond 16 bits (block rebuilt)", forged_channel(field("code_set", lattice)),
         set()),
        ("forged: payload cut to half (block rebuilt)",
         forged_channel(lambda ch: setattr(ch, "payload", ch.payload[: len(ch.payload) // 2])), set()),
        ("forged: payload with 9 bytes appended (block rebuilt)",
         forged_channel(lambda ch: setattr(ch, "payload", ch.payload + b"123456789")), {raw}),
        ("forged: one payload byte changed, 4000-sample stream", hang, set()),
        ("forged: wrong samples CRC (block rebuilt)", forged_channel(lambda ch: None, samples_crc=1), set()),
        ("forged: wrong file CRC (trailer CRC recomputed)", forged_index(crc=file_crc ^ 1), set()),
        ("forged: block count + 1 (trailer CRC recomputed)", forged_index(count=len(blocks) + 1), set()),
        ("forged: index length + 1", forged_index(index_len=len(index) + 1), set()),
        ("forged: 25 blocks, two swapped (index rebuilt)", assemble(msecs[0], swapped, file_crc_of(multi)), set()),
        ("forged: 25 blocks, one dropped (index rebuilt)", assemble(msecs[0], mblocks[:-1], file_crc_of(multi)),
         set()),
        ("forged: 25 blocks, one repeated (index rebuilt)",
         assemble(msecs[0], mblocks[:5] + mblocks[4:-1], file_crc_of(multi)), set()),
        ("forged: 25 blocks, one taken from another stream at its place (index rebuilt)",
         assemble(msecs[0], mblocks[:3] + [sections(other_multi)[4]] + mblocks[4:], file_crc_of(multi)), set()),
        ("forged: 25 blocks, block 3 given 3 bytes by the index (trailer CRC recomputed)",
         assemble(msecs[0], mblocks, file_crc_of(multi), _short_index(mblocks)), set()),
    ]


def _short_index(blocks) -> bytes:
    """An index that gives block 3 three bytes, and the rest to the blocks after it."""
    lengths = [len(b) for b in blocks]
    lengths[4] += lengths[3] - 3
    lengths[3] = 3
    return stream.write_index(lengths)


def output_rows(work: Path):
    src = SAMPLES[0]
    (work / "file").write_bytes(b"")
    (work / "dir").mkdir(exist_ok=True)
    rows = []
    for name, args in [("missing input", (work / "nope.wav", work / "o.bw")),
                       ("input is a directory", (work / "dir", work / "o.bw")),
                       ("unreadable input (/proc/self/mem: EIO)", ("/proc/self/mem", work / "o.bw")),
                       ("output folder is a regular file", (src, work / "file" / "o.bw")),
                       ("output is an existing directory", (src, work / "dir")),
                       ("output folder cannot hold files (/proc)", (src, "/proc/o.bw")),
                       ("output folder read-only (sysfs)", (src, "/sys/o.bw"))]:
        rc, err = run(ROOT / "encode", *args)
        rows.append(f"| {name} | " + (f"refused, exit {rc}: `{err}` |" if rc else "exit 0 |"))
    os.mkfifo(work / "fifo")
    reader = subprocess.Popen(["cat", work / "fifo"], stdout=subprocess.PIPE)
    rc, err = run(ROOT / "encode", src, work / "fifo")
    got = reader.communicate(timeout=60)[0]
    rows.append(f"| output is a FIFO (also /dev/stdout on a pipe) | exit {rc}; the reader gets the stream "
                f"({'decodes to the original' if codec.decode(got) == src.read_bytes() else 'WRONG'}); "
                f"the FIFO stays a FIFO: {(work / 'fifo').is_fifo()} |")
    try:
        os.mknod(work / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        rc, err = run(ROOT / "encode", src, work / "null")
        rows.append(f"| output is a character device (a twin of /dev/null) | exit {rc}; still a device: "
                    f"{(work / 'null').is_char_device()} |")
    except OSError as e:
        rows.append(f"| output is a character device | not tried: {e.strerror} |")
    (work / "link").symlink_to(work / "target")
    rc, err = run(ROOT / "encode", src, work / "link")
    rows.append(f"| output is a symlink | exit {rc}; the link is kept ({(work / 'link').is_symlink()}) and "
                f"its target written ({(work / 'target').is_file()}) |")
    rc, err = run(ROOT / "encode", src, work / ("n" * 250))
    rows.append(f"| output name of 250 bytes | exit {rc} |")
    r = subprocess.run(["sh", "-c", 'cat "$1" | "$2" /dev/stdin "$3"', "sh", src, ROOT / "encode",
                        work / "piped.bw"], capture_output=True, env=ENV)
    if r.returncode:
        rows.append(f"| input from a pipe (/dev/stdin) | refused, exit {r.returncode}: `{r.stderr.decode().strip()}` |")
    else:
        same = codec.decode((work / "piped.bw").read_bytes()) == src.read_bytes()
        rows.append(f"| input from a pipe (/dev/stdin) | exit 0; {'decodes to the original' if same else 'WRONG'} |")
    copy = work / "same.wav"
    copy.write_bytes(src.read_bytes())
    rc, err = run(ROOT / "encode", copy, copy)
    rows.append(f"| output path = input path | exit {rc}; the input is left as it was: "
                f"{copy.read_bytes() == src.read_bytes()} |")
    left = sorted(p.name for p in work.iterdir() if p.name.startswith("."))
    rows.append(f"| (temporary files left in the folder after all of the above) | {left or 'none'} |")
    return rows


def _bytes_read(pid) -> int:
    with open(f"/proc/{pid}/io") as f:
        return int(f.read().split()[1])          # rchar: every byte read, imports included


def signal_rows(work: Path):
    """SIGINT/SIGTERM 0.05 s into encoding 8M samples (start-up), and once a quarter of the input is read
    (inside the coder loop: the encoder reads a block at a time)."""
    recording = np.frombuffer(SAMPLES[0].read_bytes()[44:], dtype="<i2")
    big = work / "big.wav"
    big.write_bytes(wav(np.resize(recording, 8_000_000)))
    code = "import spikey.cli, spikey.codec, spikey.fileio; print(open('/proc/self/io').read().split()[1])"
    startup = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 env=dict(ENV, PYTHONPATH=str(ROOT))).stdout)
    rows = []
    for sig, when in [(2, "start-up"), (15, "start-up"), (2, "coder loop"), (15, "coder loop")]:
        out = work / "sig" / "out.brainwire"
        out.parent.mkdir(exist_ok=True)
        start = time.monotonic()
        proc = subprocess.Popen([ROOT / "encode", big, out], stderr=subprocess.PIPE, text=True, env=ENV)
        if when == "start-up":
            time.sleep(0.05)
        else:
            while proc.poll() is None and _bytes_read(proc.pid) < startup + big.stat().st_size // 4:
                time.sleep(0.01)
        sent = time.monotonic()
        proc.send_signal(sig)
        err = proc.communicate()[1].strip().splitlines()
        name = {2: "SIGINT", 15: "SIGTERM"}[sig]
        rows.append(f"| {name} {sent - start:.2f} s into `./encode` of 8M samples ({when}) | exit {proc.returncode} "
                    f"after {time.monotonic() - sent:.1f} s; stderr: `{err[-1] if err else ''}`; files left: "
                    f"{os.listdir(out.parent) or 'none'} |")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--signals", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("| case | what happens |\n|---|---|")
        for name, raw in wav_cases():
            print(wav_row(name, raw, work), flush=True)
        for name, raw in npy_cases():
            print(wav_row(name, raw, work, suffix=".npy"), flush=True)
        raw_int16 = SAMPLES[0].read_bytes()[44:]
        print(wav_row("raw int16 (.dat, no header): ./encode cannot be told the channel count", raw_int16, work,
                      suffix=".dat"), flush=True)
        for name, data, originals in stream_cases(SAMPLES[0].read_bytes(), SAMPLES[1].read_bytes()):
            print(stream_row(name, data, originals, work), flush=True)
        (work / "out").mkdir()
        for row in output_rows(work / "out"):
            print(row, flush=True)
        if args.signals:
            for row in signal_rows(work):
                print(row, flush=True)


if __name__ == "__main__":
    main()
