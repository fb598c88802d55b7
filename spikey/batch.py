"""Many files at once (`spikey encode|decode … -o DIR`): every input is written or reported, nothing
is replaced unless asked, and a worker that dies costs only its own file.

A folder is mirrored: each file under it keeps its path relative to it under DIR. A recording's
sidecars (spikey/containers/: a SpikeGLX .meta, an Open Ephys .oebin, a .cbin's .ch) travel in its
stream and are not coded apart; a file in a folder that is no recording is stored whole (a generic
stream) and named in a note, so that the tree decodes back whole; a file named that is none is refused.

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

from spikey import SpikeyError, containers, fileio, stream
from spikey.progress import progress


@dataclass
class Plan:
    jobs: list = field(default_factory=list)       # (source, destination)
    failed: list = field(default_factory=list)     # messages for inputs that could not even be planned
    in_folders: set = field(default_factory=set)   # sources found in an input folder (not named)


def expand(inputs, outdir=None) -> tuple[list, list]:
    """(files: (path, its folder relative to the output folder, or None for a file named) of each input
    file, and of every file in an input folder's tree (but the output folder's, where it lies inside),
    sorted, less the sidecars that a recording among them consumes (a .meta, an .oebin, a .ch: they travel
    in its stream); messages for inputs that do not exist)."""
    found, failed = [], []
    skip = os.path.realpath(outdir) if outdir is not None else None
    for p in map(Path, inputs):
        if p.is_dir():
            found += _tree(p, skip)
        elif p.exists():
            found.append((p, None))
        else:
            failed.append(f"error: {p}: no such file")
    consumed = {os.path.abspath(s) for p, _ in found for s in containers.sidecars(str(p))}
    return [(p, rel) for p, rel in found if os.path.abspath(p) not in consumed], failed


def _tree(top: Path, skip=None) -> list:
    """(file, folder relative to top) of every file under top, folder by folder, sorted; not under skip."""
    found = []
    for folder, subfolders, names in os.walk(top):
        subfolders[:] = sorted(d for d in subfolders if os.path.realpath(os.path.join(folder, d)) != skip)
        rel = os.path.relpath(folder, top)
        found += [(Path(folder) / n, "" if rel == "." else rel) for n in sorted(names) if (Path(folder) / n).is_file()]
    return found


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
    """Each input's output, at its path relative to its input folder under outdir (a tree is mirrored);
    a decoded recording's sidecar is planned too, so that it collides with no output."""
    _output_folder(outdir)
    found, failed = expand(inputs, outdir)
    result = Plan(failed=failed)
    sidecars = []
    for src, rel in found:
        try:
            name, sidecar = _output_name(work, src)
            dst = Path(outdir) / (rel or "") / name
            result.jobs.append((src, dst))
            if rel is not None:
                result.in_folders.add(src)
            if sidecar is not None:
                sidecars.append((src, Path(fileio.sidecar_path(dst, sidecar, outdir)), sidecar.data))
        except SpikeyError as e:
            result.failed.append(f"error: {src}: {e}")
    _refuse_collisions(result.jobs, force)
    _refuse_sidecar_collisions(result.jobs, sidecars, force)
    return result


def _output_name(work: str, src: Path) -> tuple:
    """(the name src's output gets in its folder: one name there, never a path out of it; for a stream,
    the sidecar it decodes to, or None)."""
    extension, sidecar = (".brainwire", None) if work == "encode" else fileio.decoded(src)
    name = src.stem + extension
    if os.path.basename(name) != name or name in (".", ".."):
        raise SpikeyError(f"its output name {name!r} is not a file name")
    return name, sidecar


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


def _refuse_sidecar_collisions(jobs, sidecars, force: bool):
    """Sidecars (source, path, bytes) land on no output, nor on each other unless they hold the same bytes
    (the one .oebin of several Open Ephys streams), nor, unless forced, on a file of other bytes."""
    outputs = {str(dst).casefold(): src for src, dst in jobs}
    written = {}
    for src, path, data in sidecars:
        key = str(path).casefold()
        if key in outputs:
            raise SpikeyError(f"{src}'s sidecar and {outputs[key]} would both be written to {path}; nothing was done")
        if written.setdefault(key, (src, data))[1] != data:
            raise SpikeyError(f"{written[key][0]} and {src} would write other sidecars to {path}; nothing was done")
        if not force and path.exists() and (not path.is_file() or path.read_bytes() != data):
            raise SpikeyError(f"{path} exists already and differs from the sidecar {src} holds; --force replaces it; "
                              "nothing was done")


def check_options(options: dict):
    """Every option within what a stream or a slice can hold, before any work: one line, nothing done."""
    bounds = {"channels": (1, stream.MAX_CHANNELS), "rate": (0, stream.MAX_RATE), "start": (0, stream.MAX_FRAMES),
              "stop": (options.get("start") or 0, stream.MAX_FRAMES)}
    for key, (low, high) in bounds.items():
        if options.get(key) is not None:
            stream.check_range(f"--{key}", options[key], low, high)
    if options.get("max_error") is not None:
        from spikey import quantiser
        try:
            quantiser.check(options["max_error"])
        except SpikeyError as e:
            raise SpikeyError(f"--max-error: {e}") from None


def code_one(work: str, src, dst, options: dict):
    """None; a one-line message saying why src failed ("error: ..."); or a note ("note: ...") that src is
    no recording and was stored whole (a file found in a folder; one named is refused), or that the file
    decoded from it is a close reproduction (a near-lossless stream). Runs in a worker process."""
    try:
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)       # its folder in a mirrored tree
        if work == "encode" and fileio.encode_path(str(src), str(dst), **options) is None:
            return f"note: {src}: not a recording Spikey models: stored whole (deflated)"
        if work == "decode":
            fileio.decode_path(str(src), str(dst), **options)
            close = fileio.reproduction(str(src))
            return f"note: {close}" if close else None
    except SpikeyError as e:
        return f"error: {src}: {e}"
    except MemoryError:
        return f"error: {src}: out of memory"
    except Exception as e:            # a fault of ours: reported with the file, the batch goes on
        return f"error: {src}: {type(e).__name__}: {e}"
    return None


def _pool_run(work, jobs, options_of, workers, advance) -> tuple[dict, list]:
    """({job: message or None} for the jobs that finished, [jobs left when the pool broke]);
    options_of(source): its options."""
    done = {}
    with ProcessPoolExecutor(workers) as pool:
        futures = {pool.submit(code_one, work, src, dst, options_of(src)): (src, dst) for src, dst in jobs}
        for future in as_completed(futures):
            try:
                done[futures[future]] = future.result()
            except BrokenProcessPool:
                return done, [job for job in jobs if job not in done]
            except Exception as e:    # the file's task could not even run (it did not pickle, say)
                done[futures[future]] = f"error: {futures[future][0]}: {type(e).__name__}: {e}"
            advance()
    return done, []


def run_local(work, jobs, options_of, workers, advance=lambda: None) -> list:
    done, left = _pool_run(work, jobs, options_of, workers, advance)
    if left:                          # the pool broke: once more with a fresh one ...
        again, left = _pool_run(work, left, options_of, workers, advance)
        done.update(again)
    for job in left:                  # ... then one at a time, so that a dying file names itself
        alone, lost = _pool_run(work, [job], options_of, 1, advance)
        done.update(alone)
        if lost:
            done[job] = f"error: {job[0]}: its worker process died (killed by a signal or out of memory)"
            advance()
    return [done[job] for job in jobs]


def run_dask(work, jobs, options_of, address, advance=lambda: None) -> list:
    try:
        from distributed import Client
        from distributed import as_completed as completed
    except ImportError:
        raise SpikeyError("--scheduler needs Dask: install Spikey's dask extra "
                          "(pip install -e '.[dask]' in its checkout)") from None
    with Client(address) as client:
        if work == "encode":            # a file's blocks spread over the workers (spikey/cluster.py)
            from spikey import cluster
            return cluster.encode_files(client, jobs, options_of, advance, code_one)
        futures = client.map(code_one, [work] * len(jobs), [s for s, _ in jobs], [d for _, d in jobs],
                             [options_of(s) for s, _ in jobs], pure=False)
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
    if work == "decode":
        options.update(root=str(outdir), sidecar_replace=force)

    def options_of(src) -> dict:
        """A file found in a folder that is no recording is stored whole (a tree round-trips whole); one
        named is refused (raw int16 without --channels, say)."""
        return dict(options, unknown_whole=src in p.in_folders) if work == "encode" else options
    try:
        with progress(len(p.jobs), f"{work[:-1]}ing") as advance:
            if not p.jobs:
                results = []
            elif scheduler:
                results = run_dask(work, p.jobs, options_of, scheduler, advance)
            elif len(p.jobs) == 1:      # one file: coded in this process, its blocks on threads sharing the cores
                results = [code_one(work, *p.jobs[0], dict(options_of(p.jobs[0][0]), workers=jobs or os.cpu_count()))]
                advance()
            else:
                results = run_local(work, p.jobs, options_of, jobs, advance)
    except KeyboardInterrupt:       # SIGINT, or SIGTERM while an output is open (spikey/fileio.py)
        print(f"{work} interrupted: the files finished are whole, and none is left half-written", file=sys.stderr)
        return 130
    failed = p.failed + [r for r in results if r and r.startswith("error")]
    notes = [r for r in results if r and r.startswith("note")]
    for message in failed + notes:
        print(message, file=sys.stderr)
    total = len(p.jobs) + len(p.failed)
    whole = f" ({len(notes)} not recordings, stored whole)" if notes and work == "encode" else ""
    print(f"{work}d {total - len(failed)} of {total} files{whole}, {len(failed)} failed")
    return 1 if failed else 0
