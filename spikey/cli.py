"""Command line: the challenge's per-file executables, and the `spikey` tool for batches and upkeep.

encode_main/decode_main import only what one file needs (no typer), because the challenge harness
starts a process per recording and start-up time dominates there.
"""
import sys
from functools import partial

from spikey import SpikeyError
from spikey.fileio import decode_path, encode_path


def _interrupts_end_the_process():
    """Until the output is written there is nothing to clean up, and the compiled coding loop would
    hold a Python-level KeyboardInterrupt back until it returns: let SIGINT end the process at once,
    as SIGTERM does. write_atomic installs its own handlers for the write itself."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run_one(argv, name, usage, work):
    if len(argv) != 2:
        print(f"usage: {name} {usage}", file=sys.stderr)
        sys.exit(2)
    import os
    try:
        if os.path.exists(argv[1]) and os.path.exists(argv[0]) and os.path.samefile(argv[0], argv[1]):
            raise SpikeyError(f"{argv[1]}: output would overwrite the input")
        work(argv[0], argv[1])
    except SpikeyError as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        sys.exit(1)
    except MemoryError:
        print(f"{name}: error: out of memory on {argv[0]}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{name}: interrupted, no output written", file=sys.stderr)
        sys.exit(130)


def _end_the_process():
    """Exit at once, skipping the interpreter's teardown (numpy's alone is ~19 ms of a ~200 ms
    process): the output is written, closed and renamed by now, and only the standard streams remain."""
    import os
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _main(argv, name, usage):
    """./encode or ./decode; given argv (tests), it returns instead of ending the process."""
    _interrupts_end_the_process()
    work = encode_path if name == "encode" else partial(decode_path, exact=True)
    _run_one(sys.argv[1:] if argv is None else argv, name, usage, work)
    if argv is None:
        _end_the_process()


def encode_main(argv=None):
    _main(argv, "encode", "IN.wav OUT.brainwire")


def decode_main(argv=None):
    _main(argv, "decode", "IN.brainwire OUT.wav")


def verify(inputs) -> int:
    """`spikey test`: decode each stream into a temporary file, checking its checksums; 1 if any failed."""
    import tempfile
    from spikey import batch, codec, fileio
    from spikey.progress import progress
    found, missing = batch.expand(inputs)
    paths = [path for path, _ in found]
    for message in missing:
        print(message, file=sys.stderr)
    bad = len(missing)
    with progress(len(paths), "testing") as advance:
        for path in paths:
            try:
                with fileio.opened_input(path) as (f, size), tempfile.TemporaryFile() as out:
                    codec.decode_file(f, size, out)
                    print(f"{path}: ok ({out.tell()} bytes)")
            except SpikeyError as e:
                print(f"{path}: error: {e}", file=sys.stderr)
                bad += 1
            except Exception as e:      # a fault of ours: reported with its stream, the others still examined
                print(f"{path}: error: {type(e).__name__}: {e}", file=sys.stderr)
                bad += 1
            advance()
    return 1 if bad else 0


def _app():
    import typer
    app = typer.Typer(add_completion=False, no_args_is_help=True,
                      help="Spikey: lossless compression of neural recordings (.wav <-> .brainwire).")

    def version(show: bool):
        if show:
            from spikey import __version__, stream
            print(f"spikey {__version__} (stream format {stream.VERSION})")
            raise typer.Exit()

    @app.callback()
    def main(_: bool = typer.Option(False, "--version", callback=version, is_eager=True,
                                    help="print the version and the stream format it writes")):
        """Spikey: lossless compression of neural recordings."""

    out_option = typer.Option(..., "-o", help="output folder")
    jobs_option = typer.Option(None, "-j", help="workers: a process a file, or threads for one file's blocks "
                                                "(default: all cores)")
    force_option = typer.Option(False, "--force", help="replace outputs that exist already")
    scheduler_option = typer.Option(None, "--scheduler", help="a Dask scheduler's address: each block a task there "
                                                             "(decoding: each file)")

    @app.command()
    def encode(inputs: list[str], out: str = out_option, jobs: int = jobs_option, force: bool = force_option,
               scheduler: str = scheduler_option,
               channels: int = typer.Option(None, "--channels", help="raw int16 input: channels per frame "
                                                                      "(a rig's sidecar gives it)"),
               rate: int = typer.Option(0, "--rate", help="raw int16 input: frames per second "
                                                          "(a rig's sidecar gives it)"),
               level: str = typer.Option("default", "--level", help="fast, default or max (docs/levels.md)"),
               max_error: str = typer.Option("0", "--max-error",
                                             help="near-lossless: every sample within K of the original, in the "
                                                  "file's units, or auto:F, F times each channel's noise level "
                                                  "(docs/near-lossless.md); 0: lossless")):
        """Encode recordings (WAV, .npy, SpikeGLX .bin + .meta, Open Ephys continuous.dat, IBL .cbin, or raw
        interleaved int16 with --channels) into OUT/NAME.brainwire; a folder's tree is mirrored under OUT."""
        from spikey import batch, profiles
        try:
            profiles.index(level)
        except SpikeyError as e:
            print(f"error: --level: {e}", file=sys.stderr)
            raise typer.Exit(2) from None
        raise typer.Exit(batch.run("encode", inputs, out, jobs, force, scheduler, channels=channels, rate=rate,
                                   level=level, max_error=max_error))

    @app.command()
    def decode(inputs: list[str], out: str = out_option, jobs: int = jobs_option, force: bool = force_option,
               scheduler: str = scheduler_option,
               start: int = typer.Option(None, "--start", help="first frame of a slice"),
               stop: int = typer.Option(None, "--stop", help="frame after the slice's last")):
        """Decode .brainwire streams (or folders of them, mirrored) into OUT/NAME with the container they came
        from, and the sidecar that travelled with them (a .meta, a structure.oebin)."""
        from spikey import batch
        raise typer.Exit(batch.run("decode", inputs, out, jobs, force, scheduler, start=start, stop=stop))

    @app.command()
    def test(inputs: list[str]):
        """Verify streams or folders of them without writing anything (like flac -t): decode, check checksums."""
        raise typer.Exit(verify(inputs))

    @app.command("fit-adc")
    def fit_adc(data: str, out: str = typer.Option("weights/adc.npz", "-o")):
        """Fit the ADC bin table and code widths on the training split of a folder of recordings."""
        from spikey.training import adc, split
        train, validation = split.split(data)
        values, _, _ = adc.fit((split.read_samples(f) for f in train), out)
        print(f"{len(values)} ADC values fitted on {len(train)} training files "
              f"({len(validation)} held out) -> {out}")

    @app.command("train")
    def train_command(config: str = typer.Argument("configs/default.yaml"),
                      out: str = typer.Option("weights", "-o", help="weights folder")):
        """Train the learned head(s) with tinygrad and freeze them into OUT/network.npz."""
        from spikey.training import train
        train.run(config, out)

    @app.command()
    def topology(data: str, out: str = typer.Option("topology.json", "-o"),
                 regions: int = typer.Option(4, "--regions", help="behaviour clusters"),
                 channels: int = typer.Option(None, "--channels", help="raw int16 input: channels per frame")):
        """A folder: which recordings behave alike (regions) and were recorded together (pairs).
        A multi-channel recording: which of its channels the encoder links."""
        import os
        from spikey import stream
        from spikey.training import topology as topo
        try:
            stream.check_range("--regions", regions, 1, 1 << 16)
            if channels is not None:
                stream.check_range("--channels", channels, 1, stream.MAX_CHANNELS)
        except SpikeyError as e:
            print(f"error: {e}", file=sys.stderr)
            raise typer.Exit(2) from None
        if os.path.isfile(data):
            topo.recording(data, out, channels)
        else:
            topo.report(data, out, regions)

    @app.command()
    def report(inputs: list[str], out: str = typer.Option("report.html", "-o", help="the page to write"),
               compare: str = typer.Option("", "--compare", help="other codecs beside Spikey: flac,wavpack"),
               jobs: int = jobs_option,
               channels: int = typer.Option(None, "--channels", help="raw int16 input: channels per frame"),
               rate: int = typer.Option(0, "--rate", help="raw int16 input: frames per second"),
               max_error: str = typer.Option("", "--max-error", help="near-lossless bounds for a rate-distortion "
                                                                     "curve and error spectra: 1,2,4,auto:0.5")):
        """One offline HTML page of figures on recordings or streams (docs/report.md)."""
        from spikey import report as pages
        raise typer.Exit(pages.run(inputs, out, channels, rate, [c for c in compare.split(",") if c], jobs,
                                   [b for b in max_error.split(",") if b]))

    @app.command()
    def info(streams: list[str], as_json: bool = typer.Option(False, "--json", help="one JSON object a stream")):
        """What a stream holds: container, channels, rate, level, blocks, model; bits/sample and links per channel."""
        import json
        from spikey import fileio
        from spikey import info as about
        bad = 0
        for path in streams:
            try:
                with fileio.opened_input(path) as (f, _):
                    d = about.describe(f.read())
                print(json.dumps({"path": path, **d}) if as_json else about.text(path, d))
            except SpikeyError as e:
                print(f"{path}: error: {e}", file=sys.stderr)
                bad += 1
        raise typer.Exit(1 if bad else 0)

    return app


def app():
    _app()()
