"""Reading inputs and writing outputs atomically: a file appears whole under its name or not at all."""
import contextlib
import os
import signal
import stat
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
    # Named before it exists, so that a signal at any point leaves a name to remove.
    tmp = target.parent / f".{target.name[:64]}.{os.urandom(8).hex()}"
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
