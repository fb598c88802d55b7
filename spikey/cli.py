"""Command line: the challenge's per-file executables, and the `spikey` tool for batches and upkeep.

encode_main/decode_main import only what one file needs (no typer), because the challenge harness
starts a process per recording and start-up time dominates there.
"""
import sys

from spikey import SpikeyError


def _run_one(argv, name, usage, work):
    if len(argv) != 2:
        print(f"usage: {name} {usage}", file=sys.stderr)
        sys.exit(2)
    from spikey import fileio
    try:
        fileio.write_atomic(argv[1], work(fileio.read_input(argv[0])))
    except SpikeyError as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        sys.exit(1)
    except MemoryError:
        print(f"{name}: error: out of memory on {argv[0]}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{name}: interrupted, no output written", file=sys.stderr)
        sys.exit(130)


def encode_main(argv=None):
    from spikey import codec
    _run_one(sys.argv[1:] if argv is None else argv, "encode", "IN.wav OUT.brainwire", codec.encode)


def decode_main(argv=None):
    from spikey import codec
    _run_one(sys.argv[1:] if argv is None else argv, "decode", "IN.brainwire OUT.wav", codec.decode)
