"""Many files at once (`spikey encode|decode … -o DIR`): every input is written or reported, nothing
is replaced unless asked, and a worker that dies costs only its own file.

Planning happens before any work: inputs are listed, output names derived, and the batch refused in
one line if two inputs would write one output, an output exists already (without --force), or an
output would replace an input; without --force, an output that appears after the plan (another run
writing the same folder) is kept and its input reported as failed. Files then go to a pool of
processes (or a Dask cluster); a worker killed by the system (out of memory, a signal) breaks the
pool, so the files it left unfinished are tried again in a fresh pool, then one at a time, and one
that kills its worker alone is reported.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from spikey import SpikeyError, fileio, stream
from spikey.progress import progress


@dataclass
class Plan:
    jobs: list = field(default_factory=list)       # (source, destination)
    failed: list = field(default_factory=list)     # messages for inputs that could not even be planned


def expand(inputs) -> tuple[list, list]:
    """(files: each input file, and each folder's files sorted; messages for inputs that do not exist)."""
    paths, failed = [], []
    for p in map(Path, inputs):
        if p.is_dir():
            paths += sorted(q for q in p.iterdir() if q.is_file())
        elif p.exists():
            paths.append(p)
        else:
            failed.append(f"error: {p}: no such file")
    return paths, failed


def _output_folder(outdir):
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise SpikeyError(f"-o {outdir}: not a folder")
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as e:
        raise SpikeyError(f"-o {outdir}: cannot create the folder: {e.strerror}") from None
    if not os.access(outdir, os.W_OK):
        raise SpikeyError(f"-o {outdir}: not writable")


def plan(work: str, inputs, outdir, force: bool) -> Plan:
    _output_folder(outdir)
    paths, failed = expand(inputs)
    result = Plan(failed=failed)
    for src in paths:
        try:
            result.jobs.append((src, Path(outdir) / _output_name(work, src)))
        except SpikeyError as e:
            result.failed.append(f"error: {src}: {e}")
    _refuse_collisions(result.jobs, force)
    return result


def _output_name(work: str, src: Path) -> str:
    """The name src's output gets in the output folder: one name there, never a path out of it."""
    name = src.stem + (".brainwire" if work == "encode" else fileio.decoded_extension(src))
    if os.path.basename(name) != name or name in (".", ".."):
        raise SpikeyError(f"its output name {name!r} is not a file name")
    return name


def _refuse_collisions(jobs, force: bool):
    seen = {}
    for src, dst in jobs:
        key = str(dst).casefold()           # x.wav and x.WAV collide on case-insensitive file systems too
        if key in seen:
            raise SpikeyError(f"{seen[key]} and {src} would both be written to {dst}; nothing was done")
        seen[key] = src
    sources = [src for src, _ in jobs]
    for _, dst in jobs:
        if dst.exists() and any(os.path.samefile(dst, s) for s in sources):
            raise SpikeyError(f"{dst} would be replaced by an output, but it is an input; nothing was done")
    existing = [dst for _, dst in jobs if dst.exists()]
    if existing and not force:
        raise SpikeyError(f"{len(existing)} output(s) exist already, e.g. {existing[0]}; --force replaces them; "
                          "nothing was done")


def check_options(options: dict):
    """Every option within what a stream or a slice can hold, before any work: one line, nothing done."""
    bounds = {"channels": (1, stream.MAX_CHANNELS), "rate": (0, stream.MAX_RATE), "start": (0, stream.MAX_FRAMES),
              "stop": (options.get("start") or 0, stream.MAX_FRAMES)}
    for key, (low, high) in bounds.items():
        if options.get(key) is not None:
            stream.check_range(f"--{key}", options[key], low, high)


def code_one(work: str, src, dst, options: dict):
    """None, or a one-line message saying why src failed. Runs in a worker process."""
    try:
        (fileio.encode_path if work == "encode" else fileio.decode_path)(str(src), str(dst), **options)
    except SpikeyError as e:
        return f"error: {src}: {e}"
    except MemoryError:
        return f"error: {src}: out of memory"
    except Exception as e:            # a fault of ours: reported with the file, the batch goes on
        return f"error: {src}: {type(e).__name__}: {e}"
    return None


def _pool_run(work, jobs, options, workers, advance) -> tuple[dict, list]:
    """({job: message or None} for the jobs that finished, [jobs left when the pool broke])."""
    done = {}
    with ProcessPoolExecutor(workers) as pool:
        futures = {pool.submit(code_one, work, src, dst, options): (src, dst) for src, dst in jobs}
        for future in as_completed(futures):
            try:
                done[futures[future]] = future.result()
            except BrokenProcessPool:
                return done, [job for job in jobs if job not in done]
            except Exception as e:    # the file's task could not even run (it did not pickle, say)
                done[futures[future]] = f"error: {futures[future][0]}: {type(e).__name__}: {e}"
            advance()
    return done, []


def run_local(work, jobs, options, workers, advance=lambda: None) -> list:
    done, left = _pool_run(work, jobs, options, workers, advance)
    if left:                          # the pool broke: once more with a fresh one ...
        again, left = _pool_run(work, left, options, workers, advance)
        done.update(again)
    for job in left:                  # ... then one at a time, so that a dying file names itself
        alone, lost = _pool_run(work, [job], options, 1, advance)
        done.update(alone)
        if lost:
            done[job] = f"error: {job[0]}: its worker process died (killed by a signal or out of memory)"
            advance()
    return [done[job] for job in jobs]


def run_dask(work, jobs, options, address, advance=lambda: None) -> list:
    try:
        from distributed import Client
        from distributed import as_completed as completed
    except ImportError:
        raise SpikeyError("--scheduler needs Dask: install Spikey's dask extra "
                          "(pip install -e '.[dask]' in its checkout)") from None
    with Client(address) as client:
        if work == "encode":            # a file's blocks spread over the workers (spikey/cluster.py)
            from spikey import cluster
            return cluster.encode_files(client, jobs, options, advance, code_one)
        futures = client.map(code_one, [work] * len(jobs), [s for s, _ in jobs], [d for _, d in jobs],
                             [options] * len(jobs), pure=False)
        for _ in completed(futures):
            advance()
        results = []
        for (src, _), future in zip(jobs, futures, strict=True):
            try:
                results.append(future.result())
            except Exception as e:    # the task itself failed on the cluster (its worker died)
                results.append(f"error: {src}: on the cluster: {type(e).__name__}: {e}")
        return results


def run(work: str, inputs, outdir, jobs=None, force=False, scheduler=None, **options) -> int:
    """The batch's exit status: 0 if every input was written, 1 if any failed, 2 if refused whole."""
    if jobs is not None and jobs < 1:
        print("error: -j must be at least 1", file=sys.stderr)
        return 2
    try:
        check_options(options)
        p = plan(work, inputs, outdir, force)
    except SpikeyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    options = dict(options, replace=force)     # unless forced, an output another run writes meanwhile is kept
    try:
        with progress(len(p.jobs), f"{work[:-1]}ing") as advance:
            if not p.jobs:
                results = []
            elif scheduler:
                results = run_dask(work, p.jobs, options, scheduler, advance)
            elif len(p.jobs) == 1:      # one file: coded in this process, its blocks on threads sharing the cores
                results = [code_one(work, *p.jobs[0], dict(options, workers=jobs or os.cpu_count()))]
                advance()
            else:
                results = run_local(work, p.jobs, options, jobs, advance)
    except KeyboardInterrupt:       # SIGINT, or SIGTERM while an output is open (spikey/fileio.py)
        print(f"{work} interrupted: the files finished are whole, and none is left half-written", file=sys.stderr)
        return 130
    failed = p.failed + [r for r in results if r]
    for message in failed:
        print(message, file=sys.stderr)
    total = len(p.jobs) + len(p.failed)
    print(f"{work}d {total - len(failed)} of {total} files, {len(failed)} failed")
    return 1 if failed else 0
