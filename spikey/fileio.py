"""Reading inputs and writing outputs atomically: a file appears whole under its name or not at all.

Plain os.path, not pathlib: pathlib's import alone is ~8 ms of a per-file process's start-up."""
import contextlib
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


def write_atomic(path, data: bytes) -> None:
    with atomic_output(path) as f:
        f.write(data)


@contextlib.contextmanager
def atomic_output(path):
    """A file opened for writing and reading: it is renamed to path once the block ends without an
    error; on any failure or signal nothing is left. A device or pipe gets the bytes at the end from
    a temporary file, since renaming over it would replace it."""
    if _is_special(path):
        import tempfile
        with tempfile.TemporaryFile() as tmp:
            yield tmp
            tmp.seek(0)
            try:
                with open(path, "wb") as f:
                    while chunk := tmp.read(1 << 20):
                        f.write(chunk)
            except OSError as e:
                raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
        return
    target = os.path.realpath(path)   # through a symlink, replace its target rather than the link
    # Named before it exists, so that a signal at any point leaves a name to remove.
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name[:64]}.{os.urandom(8).hex()}")
    with _signals_raise():
        try:
            with open(tmp, "x+b") as f:
                yield f
            os.replace(tmp, target)
        except BaseException as e:
            if not isinstance(e, FileExistsError):
                with contextlib.suppress(OSError):      # not created yet, or already renamed
                    os.unlink(tmp)
            if isinstance(e, OSError):
                raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
            raise
