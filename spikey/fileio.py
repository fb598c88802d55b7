"""Reading inputs and writing outputs atomically: a file appears whole under its name or not at all."""
import contextlib
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path

from spikey import SpikeyError

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def read_input(path) -> bytes:
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise SpikeyError(f"{path}: is a directory") from None
    except OSError as e:
        raise SpikeyError(f"cannot read {path}: {e.strerror}") from None


def _terminate(signum, frame):
    raise KeyboardInterrupt


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _signals_raise():
    """SIGINT and SIGTERM raise KeyboardInterrupt while writing, so the temporary file is removed.

    Only the main thread may set handlers; a signal the process ignores (a background job) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in _SIGNALS}
    for s, handler in old.items():
        if handler != signal.SIG_IGN:
            signal.signal(s, _terminate)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _is_special(path: Path) -> bool:
    """A device or pipe (/dev/null, /dev/stdout, a FIFO): renaming over it would replace it, not write to it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_atomic(path, data: bytes) -> None:
    """Write to a temporary file beside path, then rename; on any failure or signal, leave nothing."""
    path = Path(path)
    if _is_special(path):
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as e:
            raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
        return
    target = Path(os.path.realpath(path))   # through a symlink, replace its target rather than the link
    tmp = None
    with _signals_raise():
        # Signals wait while the temporary file is created, so that it always has a name to remove.
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:64]}.")
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)
        except BaseException as e:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):    # already renamed when the signal came
                    os.unlink(tmp)
            if isinstance(e, OSError):
                raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
            raise
