"""Reading inputs and writing outputs atomically: a file appears whole under its name or not at all.

Plain os.path, not pathlib: pathlib's import alone is ~8 ms of a per-file process's start-up."""
import contextlib
import os
import signal
import stat

from spikey import SpikeyError

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def read_input(path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
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
    """Write to a temporary file beside path, then rename; on any failure or signal, leave nothing."""
    if _is_special(path):
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as e:
            raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
        return
    target = os.path.realpath(path)   # through a symlink, replace its target rather than the link
    # Named before it exists, so that a signal at any point leaves a name to remove.
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name[:64]}.{os.urandom(8).hex()}")
    with _signals_raise():
        try:
            with open(tmp, "xb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException as e:
            if not isinstance(e, FileExistsError):
                with contextlib.suppress(OSError):      # not created yet, or already renamed
                    os.unlink(tmp)
            if isinstance(e, OSError):
                raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
            raise
