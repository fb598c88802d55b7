"""Run every hostile case of docs/robustness.md through ./encode and ./decode and print what happens.

    python bench/hostile.py [--signals]      (--signals: also SIGINT/SIGTERM during a long encode, ~30 s)

Each WAV case is encoded, decoded and compared; the row says which sample coding the stream uses, or the
exact message of the refusal. Stream cases are damaged or forged streams given to ./decode.
"""
import argparse
import os
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ)                        # the executables run as a user runs them (conftest sets jit)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from conftest import SAMPLES, chunk, wav         # noqa: E402
from fuzz import fix_crc                          # noqa: E402
from spikey import codec, stream                  # noqa: E402
from spikey.weights import adc_table              # noqa: E402

CODINGS = {stream.CODING_ADC: "ADC", stream.CODING_IDENTITY: "identity", stream.CODING_VERBATIM: "verbatim",
           stream.CODING_GENERIC: "generic (whole file deflated)"}


def run(*args, timeout=600):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=ENV, timeout=timeout)
    return r.returncode, r.stderr.strip()


def describe(encoded: bytes, raw_size: int) -> str:
    s = stream.read(encoded, codec.model_id())
    parts = [CODINGS[s.coding]]
    if s.coding == stream.CODING_ADC and s.exceptions:
        parts.append(f"{len(s.exceptions)} exceptions")
    if s.coding != stream.CODING_GENERIC:
        parts.append("canonical header" if s.sample_rate is not None else f"header kept ({len(s.prefix)} B)")
        if s.suffix:
            parts.append(f"{len(s.suffix)} B after the samples kept")
    return ", ".join(parts) + f"; {raw_size} → {len(encoded)} B"


def wav_row(name, raw, work: Path, dst=None):
    src = work / "in.wav"
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
    rc, err = run(ROOT / "decode", out, work / "back.wav")
    same = rc == 0 and (work / "back.wav").read_bytes() == src.read_bytes()
    return f"| {name} | {'round trip' if same else 'DECODE FAILED: ' + err}: {describe(encoded, src.stat().st_size)} |"


def stream_row(name, data, originals, work: Path):
    (work / "in.bw").write_bytes(data)
    rc, err = run(ROOT / "decode", work / "in.bw", work / "back.wav")
    if rc:
        return f"| {name} | refused, exit {rc}: `{err}` |"
    back = (work / "back.wav").read_bytes()
    return f"| {name} | {'decodes to the original' if back in originals else 'WRONG OUTPUT'} |"


def wav_cases():
    rng = np.random.default_rng(0)
    values = adc_table().values
    real = np.frombuffer(SAMPLES[0].read_bytes()[44:], dtype="<i2").copy()
    off = real.copy()
    off[[10, 5000, 50000]] = [1, -7, 12345]
    n = 100_000
    smooth = (3000 * np.sin(np.arange(n) / 50) + rng.normal(0, 20, n)).astype(np.int16)
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
        ("mono, 8-bit", wav(bytes(range(256)) * 8, fmt=(1, 1, 8))),
        ("mono, 24-bit", wav(b"\1\2\3" * 1000, fmt=(1, 1, 24))),
        ("mono, 32-bit PCM", wav(real[:2000].tobytes(), fmt=(1, 1, 32))),
        ("mono, 32-bit float", wav(np.linspace(-1, 1, 1000, dtype="<f4").tobytes(), fmt=(3, 1, 32))),
        ("16-bit mono as WAVE_FORMAT_EXTENSIBLE", extensible),
    ]


def stream_cases(raw: bytes, other_raw: bytes):
    data, other = codec.encode(raw), codec.encode(other_raw)
    s = stream.read(data, codec.model_id())
    rng = np.random.default_rng(1)

    def forged(**fields):
        return stream.write(stream.Stream(**{**vars(s), **fields}))

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    header_flip = bytearray(data)
    header_flip[11] ^= 0x01
    return [
        ("empty stream", b"", set()),
        ("a WAV given to ./decode", raw, set()),
        ("random bytes (1000)", rng.bytes(1000), set()),
        ("random bytes behind a valid SPKY/version/model prefix", data[:9] + rng.bytes(1000), set()),
        ("truncated by 1 byte", data[:-1], set()),
        ("truncated to half", data[: len(data) // 2], set()),
        ("one bit flipped in the payload", bytes(flipped), set()),
        ("one bit flipped in the header", bytes(header_flip), set()),
        ("two streams spliced at their middles", data[: len(data) // 2] + other[len(other) // 2:], set()),
        ("foreign model id (CRC recomputed)", fix_crc(data[:5] + b"\xde\xad\xbe\xef" + data[9:]), set()),
        ("newer version 2 (CRC recomputed)", fix_crc(data[:4] + b"\2" + data[5:]), set()),
        ("version 0", data[:4] + b"\0" + data[5:], set()),
        ("unknown flag bits (CRC recomputed)", fix_crc(data[:9] + bytes([data[9] | 0x80]) + data[10:]), set()),
        ("forged: n_samples + 1 (CRC recomputed)", forged(n_samples=s.n_samples + 1), set()),
        ("forged: region head 200 (CRC recomputed)", forged(head=200), set()),
        ("forged: canonical sample rate 2^31 (CRC recomputed)", forged(sample_rate=2**31), set()),
        ("forged: canonical header with 2^31 samples (CRC recomputed)", forged(n_samples=2**31), set()),
        ("forged: payload cut to half (CRC recomputed)", forged(payload=s.payload[: len(s.payload) // 2]), set()),
        ("forged: payload with 9 bytes appended (CRC recomputed)", forged(payload=s.payload + b"123456789"),
         {raw}),
        ("forged: wrong file CRC (CRC recomputed)", forged(file_crc=s.file_crc ^ 1), set()),
    ]


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
    rows.append(f"| input from a pipe (/dev/stdin) | exit {r.returncode}; "
                f"{'decodes to the original' if codec.decode((work / 'piped.bw').read_bytes()) == src.read_bytes() else 'WRONG'} |")
    copy = work / "same.wav"
    copy.write_bytes(src.read_bytes())
    rc, err = run(ROOT / "encode", copy, copy)
    rows.append(f"| output path = input path | exit {rc}; the input is left as it was: "
                f"{copy.read_bytes() == src.read_bytes()} |")
    left = sorted(p.name for p in work.iterdir() if p.name.startswith("."))
    rows.append(f"| (temporary files left in the folder after all of the above) | {left or 'none'} |")
    return rows


def signal_rows(work: Path):
    """SIGINT/SIGTERM 3 s into encoding 8M samples (inside the coder loop), and before the coder starts."""
    recording = np.frombuffer(SAMPLES[0].read_bytes()[44:], dtype="<i2")
    big = work / "big.wav"
    big.write_bytes(wav(np.resize(recording, 8_000_000)))
    rows = []
    for sig, delay in [(2, 0.3), (15, 0.3), (2, 4.0), (15, 4.0)]:
        out = work / "sig" / "out.brainwire"
        out.parent.mkdir(exist_ok=True)
        proc = subprocess.Popen([ROOT / "encode", big, out], stderr=subprocess.PIPE, text=True, env=ENV)
        time.sleep(delay)
        sent = time.monotonic()
        proc.send_signal(sig)
        err = proc.communicate()[1].strip().splitlines()
        name = {2: "SIGINT", 15: "SIGTERM"}[sig]
        rows.append(f"| {name} {delay} s into `./encode` of 8M samples | exit {proc.returncode} after "
                    f"{time.monotonic() - sent:.1f} s; stderr: `{err[-1] if err else ''}`; files left: "
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
