"""`spikey report`: one self-contained HTML page of figures on what the codec did with recordings or streams.

Per file the ratio and bits/sample, per channel of a multi-channel file its bits/sample, bits/sample over
time for the hardest recordings, the predictive distribution against the standardised residuals, the
topology (pairs across files, links within a file) and, where asked, other codecs beside Spikey.

Nothing is shown from a stream that does not round-trip: a recording is encoded in memory at the default
level and decoded back byte for byte, and a stream is decoded whole against its checksums, before it is
measured. The per-sample figures rerun the coder's loop with the range coder replaced by a record of each
sample's ideal code length and predictive Gaussian (measure.ideal_bits).

One module a stage. analysis turns one input, in a worker process, into the dict the page is drawn from:
its stream checked to round-trip, spikey info's description, measure's per-sample rerun and the sizes
compare gets from the other codecs. figures draws, one function a figure; page chooses the figures these
results can show, captions them, and writes the tables and the HTML. This file is the command: refusals,
the inputs analysed in parallel, the page written atomically.
"""
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed

# measure.ideal_bits is compiled around the coder's numba functions, so the codec must run on the numba JIT
# (the same bytes as the ahead-of-time build); spikey.training sets that up, and must come first: this
# package's __init__ runs before any of its modules.
import spikey.training  # noqa: F401

from spikey import SpikeyError, batch, fileio
from spikey.progress import progress
from spikey.report.analysis import analyse
from spikey.report.compare import CODECS
from spikey.report.page import render


def _refusal(out, codecs, jobs, channels, rate, bounds=()) -> str | None:
    """Why the report cannot even start, in one line, or None: the command's own arguments first, then the
    machine's tools (an unknown codec is named whatever is installed)."""
    unknown = [c for c in codecs if c not in CODECS]
    if unknown:
        return f"--compare: unknown codec {unknown[0]!r}; known: {', '.join(CODECS)}"
    if jobs is not None and jobs < 1:
        return "-j must be at least 1"
    try:
        batch.check_options({"channels": channels, "rate": rate})
        for bound in bounds:
            batch.check_options({"max_error": bound})
    except SpikeyError as e:
        return str(e)
    if os.path.isdir(out):
        return f"-o {out}: is a folder"
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        return f"-o {out}: no such folder"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return ("spikey report draws with matplotlib: install Spikey's report extra "
                "(pip install -e '.[report]' in its checkout)")
    missing = [c for c in codecs if not shutil.which(CODECS[c][0])]
    if missing:
        return f"--compare {missing[0]}: the {CODECS[missing[0]][0]} executable is not on PATH"
    return None


def _analysed(paths, options, jobs) -> list:
    """[result dict, or a one-line error message] per path, in order, by that many processes."""
    def failed(path, e):
        return f"error: {path}: {e}" if isinstance(e, SpikeyError) else f"error: {path}: {type(e).__name__}: {e}"

    out = [None] * len(paths)
    with progress(len(paths), "reporting") as advance:
        if jobs == 1 or len(paths) == 1:
            for i, path in enumerate(paths):
                try:
                    out[i] = analyse(path, **options)
                except Exception as e:     # reported with the file; the others go on, but no report is written
                    out[i] = failed(path, e)
                advance()
            return out
        with ProcessPoolExecutor(jobs) as pool:
            futures = {pool.submit(analyse, path, **options): i for i, path in enumerate(paths)}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    out[i] = future.result()
                except Exception as e:
                    out[i] = failed(paths[i], e)
                advance()
    return out


def run(inputs, out, channels=None, rate=0, compare=(), jobs=None, bounds=()) -> int:
    """`spikey report`: 0 with the page written, 1 if any input failed (and nothing written), 2 if refused;
    bounds: near-lossless bounds whose rate-distortion curve each recording gets."""
    refusal = _refusal(out, compare, jobs, channels, rate, bounds)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    found, missing = batch.expand(inputs)
    paths = [path for path, _ in found]
    if not paths and not missing:
        print("error: no input files", file=sys.stderr)
        return 1
    options = {"channels": channels, "rate": rate, "codecs": tuple(compare), "bounds": tuple(bounds)}
    results = _analysed(paths, options, jobs or os.cpu_count())
    failed = missing + [r for r in results if isinstance(r, str)]
    for message in failed:
        print(message, file=sys.stderr)
    if failed:
        print(f"no report written: {len(failed)} of {len(paths) + len(missing)} inputs failed", file=sys.stderr)
        return 1
    try:
        fileio.write_atomic(out, render(results, tuple(compare)).encode())
    except SpikeyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"report of {len(results)} files written to {out}")
    return 0
