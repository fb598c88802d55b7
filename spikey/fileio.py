"""Reading inputs and writing outputs atomically: a file appears whole under its name or not at all; and
coding one file into another (encode_path, decode_path), which ./encode, ./decode, the CLI and its batches
share (cli -> batch -> fileio -> codec, one way).

Plain os.path, not pathlib: pathlib's import alone is ~8 ms of a per-file process's start-up."""
import contextlib
import errno
import filecmp
import os
import signal
import stat

from spikey import SpikeyError

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def opened_input(path):
    """(file, size) of an input, opened for reading; a refusal in one line where that fails."""
    try:
        with open(path, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise SpikeyError(f"{path}: not a regular file")
            yield f, os.fstat(f.fileno()).st_size
    except IsADirectoryError:
        raise SpikeyError(f"{path}: is a directory") from None
    except OSError as e:
        raise SpikeyError(f"cannot read {path}: {e.strerror}") from None


def _terminate(signum, frame):
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_raise():
    """SIGINT and SIGTERM raise KeyboardInterrupt while writing, so the temporary file is removed.

    Only the main thread may set handlers (elsewhere signal.signal refuses with ValueError, and the
    write goes on without them); a signal the process ignores (a background job) stays ignored.
    """
    old = {s: signal.getsignal(s) for s in _SIGNALS}
    try:
        for s, handler in old.items():
            if handler != signal.SIG_IGN:
                signal.signal(s, _terminate)
    except ValueError:
        old = {}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _is_special(path) -> bool:
    """A device or pipe (/dev/null, /dev/stdout, a FIFO): renaming over it would replace it, not write to it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_atomic(path, data: bytes, mode=None) -> None:
    with atomic_output(path, mode) as f:
        f.write(data)


def _umasked() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _check_target(path):
    """Refuse a folder, or a name ending in a separator whose folder does not exist, in one line."""
    if os.path.isdir(path):
        raise SpikeyError(f"{path}: is a directory")
    if str(path).endswith(os.sep):
        raise SpikeyError(f"{path}: no such folder")


@contextlib.contextmanager
def atomic_output(path, mode=None, replace=True):
    """A file opened for writing and reading that appears under path, whole, once the block ends
    without an error, with permission bits mode (the input's, as gzip does; else the umask's); on any
    failure or signal nothing is left. It is written unnamed (Linux's O_TMPFILE), synced to disk, then
    linked under a temporary name and renamed over path, so even SIGKILL leaves no stray file; where
    the file system has no O_TMPFILE, the temporary name exists from the start and a signal removes it.
    A device or pipe gets the bytes at the end from a temporary file, since renaming over it would
    replace it. Unless replace, a file at path (one that appeared while this one was written: another
    run writing the same name) is kept and this one refused, unless it holds the same bytes (the same
    input, or this run's own earlier try)."""
    _check_target(path)
    if _is_special(path):
        yield from _through_temporary(path)
        return
    target = os.path.realpath(path)   # through a symlink, replace its target rather than the link
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name[:64]}.{os.urandom(8).hex()}")
    writing = True      # an OSError of the caller's own work (reading its input) is not a write error
    with _signals_raise():
        try:
            with _open_unnamed(folder, tmp) as (f, unnamed):
                writing = False
                yield _Output(f, path)
                writing = True
                f.flush()
                os.fchmod(f.fileno(), _umasked() if mode is None else mode)
                os.fsync(f.fileno())
                if unnamed:
                    _link(f, tmp)
            if replace:
                os.replace(tmp, target)
            else:
                _link_new(tmp, target, path)
        except BaseException as e:
            if not isinstance(e, FileExistsError):
                with contextlib.suppress(OSError):      # never linked, or already renamed
                    os.unlink(tmp)
            if isinstance(e, OSError) and writing:
                raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
            raise


def _exists(path) -> str:
    return f"{path} exists already (another run wrote it?); it was kept: --force replaces it"


def _link_new(tmp, target, path):
    """The file tmp under the name target, where a file that is there stays: a link never replaces, so of
    two runs writing one name the second is refused, atomically, unless the file there holds the same
    bytes. A file system without hard links (FAT) gets a check, then the rename."""
    try:
        os.link(tmp, target)
    except OSError as e:
        linkless = e.errno in (errno.EPERM, errno.EOPNOTSUPP)
        if not (linkless or isinstance(e, FileExistsError)):
            raise
        if linkless and not os.path.lexists(target):
            os.replace(tmp, target)
            return
        if not filecmp.cmp(tmp, target, shallow=False):
            raise SpikeyError(_exists(path)) from None
    os.unlink(tmp)


class _Output:
    """The output file as the caller writes it: an OSError of its own (the disk full, a file-size limit)
    is a refusal naming the output, where the caller's reading its input would have been blamed."""

    def __init__(self, f, path):
        self._f, self._path = f, path

    def __getattr__(self, name):
        attr = getattr(self._f, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except OSError as e:
                raise SpikeyError(f"cannot write {self._path}: {e.strerror}") from None
        return call


@contextlib.contextmanager
def _open_unnamed(folder, tmp):
    """(file, True) unnamed in folder where the file system allows it, else (file, False) named tmp."""
    try:
        fd = os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o600)
    except (OSError, AttributeError):
        with open(tmp, "x+b") as f:
            yield f, False
        return
    with os.fdopen(fd, "w+b") as f:
        yield f, True


def _link(f, path):
    """Give the unnamed file f a name. linkat must follow /proc's link to the open file, which Python
    asks for only when given a folder descriptor."""
    folder = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(f"/proc/self/fd/{f.fileno()}", os.path.basename(path), dst_dir_fd=folder)
    finally:
        os.close(folder)


def _through_temporary(path):
    import tempfile
    with tempfile.TemporaryFile() as tmp:
        yield _Output(tmp, path)
        tmp.seek(0)
        try:
            with open(path, "wb") as f:
                while chunk := tmp.read(1 << 20):
                    f.write(chunk)
        except OSError as e:
            raise SpikeyError(f"cannot write {path}: {e.strerror}") from None


# ---- a file in, a file out: ./encode, ./decode, spikey encode/decode and their batches -----------------

def encode_path(src, dst, channels=None, rate=0, workers=1, level="default", replace=True, unknown_whole=False,
                max_error=0, coder=None):
    """Encode the file src into dst, which gets src's permission bits (as gzip does); unless replace, a
    file at dst, there already or appearing meanwhile, is kept and src refused; unknown_whole: a file of
    no container Spikey knows is stored whole rather than refused; coder: codec.encode_frames'. The layout
    coded, or None where src is no recording and was stored whole."""
    from spikey import codec
    with opened_input(src) as (f, size), atomic_output(dst, _mode(f), replace) as out:
        return codec.encode_file(f, size, out, channels=channels, rate=rate, extension=codec.stored_extension(src),
                                 workers=workers, level=level, path=str(src), unknown_whole=unknown_whole,
                                 max_error=max_error, coder=coder)


def decode_path(src, dst, start=None, stop=None, workers=1, replace=True, root=None, sidecar_replace=False,
                exact=False):
    """Decode the stream src into dst and, for a whole recording, its sidecar (sidecar_path) beside it or
    where it was in a mirrored tree under root (none beside a device or pipe: /dev/stdout). The sidecar
    replaces a file of other bytes only where sidecar_replace (--force): it is written before dst appears,
    so that a refusal leaves neither. exact: refuse a near-lossless stream (the challenge's ./decode,
    whose harness compares files byte for byte)."""
    from spikey import codec
    with opened_input(src) as (f, size), atomic_output(dst, _mode(f), replace) as out:
        layout = codec.decode_file(f, size, out, start=start, stop=stop, workers=workers, exact=exact)
        if layout is not None and layout.sidecar is not None and not _is_special(dst):
            with atomic_output(sidecar_path(dst, layout.sidecar, root), _mode(f), sidecar_replace) as side:
                side.write(layout.sidecar.data)


def reproduction(src) -> str | None:
    """What a near-lossless stream's decoded file is, in one line (None for an exact one)."""
    from spikey import codec
    with opened_input(src) as (f, size):
        bound = codec.Opened(f, size).header.max_errors
    return f"{src}: a close reproduction, every sample within {max(bound)} of the original " \
           "(a near-lossless stream)" if bound else None


def sidecar_path(dst, sidecar, root=None) -> str:
    """Where the sidecar of a file decoded to dst goes: named by it, or, where its name is an extension,
    dst's name with that extension (x.ap.bin's x.ap.meta); sidecar.up folders above dst where dst lies that
    deep under root (a mirrored tree: an Open Ephys structure.oebin), else beside dst. Never dst itself."""
    dst = str(dst)
    folder, name = os.path.split(dst)
    if sidecar.name.startswith("."):
        name = os.path.splitext(name)[0] + sidecar.name
    else:
        name = sidecar.name
    if root is not None and sidecar.up:
        rel = os.path.relpath(folder or ".", root)
        depth = 0 if rel == "." else len(rel.split(os.sep))
        if not rel.startswith("..") and depth >= sidecar.up:
            folder = os.path.normpath(os.path.join(folder, *[".."] * sidecar.up))
    path = os.path.join(folder, name)
    if os.path.abspath(path).casefold() == os.path.abspath(dst).casefold():     # case-insensitive file systems too
        raise SpikeyError(f"{dst}: the stream's sidecar would be written over the decoded file")
    return path


def decoded(src) -> tuple:
    """(the extension a stream decodes to (its container's), the sidecar it writes or None), read from its
    header."""
    from spikey import codec
    with opened_input(src) as (f, size):
        h = codec.Opened(f, size).header
        return codec.extension_of(h), h.sidecar


def _mode(f) -> int:
    return os.fstat(f.fileno()).st_mode & 0o777
