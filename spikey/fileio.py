"""Reading inputs and writing outputs atomically: a file appears whole under its name or not at all."""
import os
import signal
import tempfile
from pathlib import Path

from spikey import SpikeyError


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


def write_atomic(path, data: bytes) -> None:
    """Write to a temporary file beside path, then rename; on any failure or signal, leave nothing."""
    path = Path(path)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.")
    except OSError as e:
        raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as e:
        os.unlink(tmp)
        if isinstance(e, OSError):
            raise SpikeyError(f"cannot write {path}: {e.strerror}") from None
        raise
