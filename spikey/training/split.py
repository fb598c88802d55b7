"""The train/validation split: a fixed rule on the file name, so it needs no list and never drifts."""
import hashlib
from pathlib import Path

import numpy as np

from spikey import containers


def is_validation(path) -> bool:
    """About 1 file in 5, chosen by a hash of its name."""
    return hashlib.sha1(Path(path).name.encode()).digest()[0] % 5 == 0


def wav_files(folder) -> list[Path]:
    return sorted(Path(folder).glob("*.wav"))


def split(folder) -> tuple[list[Path], list[Path]]:
    files = wav_files(folder)
    return [f for f in files if not is_validation(f)], [f for f in files if is_validation(f)]


def read_samples(path) -> np.ndarray:
    layout, x = containers.read_recording(path)
    if layout.channels != 1:
        raise ValueError(f"{path}: not a mono recording")
    return x[:, 0]
