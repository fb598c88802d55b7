"""Near-lossless on one recording: the rate-distortion curve (ratio against error at each bound asked
for) and the error's spectrum beside the signal's (`spikey report --max-error 1,2,4,auto:0.5`).

Each bound codes the recording's first MAX_SAMPLES samples (all channels) at the default level and
decodes them back; a sample outside its bound is a fault of ours and fails the input. Spectra are
Welch's, averaged over channels, in the file's units squared per Hz (per cycle/sample where the rate
is unknown)."""
import io

import numpy as np
from scipy.signal import welch

from spikey import SpikeyError, codec

MAX_SAMPLES = 1 << 21       # a few seconds of a probe's channels: the curve's shape, in seconds of work
SEGMENT = 4096              # Welch's segment: 0.1-0.2 s at 20-40 kHz, a few Hz apart


def _spectrum(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    f, p = welch(x, fs=rate or 1.0, nperseg=min(SEGMENT, len(x)), axis=0)
    return f, p.mean(axis=1)


def curve(x: np.ndarray, rate: int, bounds) -> dict:
    """Per bound: ratio, bounds as the stream states them, largest and RMS error, and the error's spectrum;
    and the signal's spectrum. x: (frames, channels) int16."""
    x = x[:max(2, MAX_SAMPLES // x.shape[1])]
    frequencies, signal = _spectrum(x.astype(np.float64), rate)
    points = []
    for spec in bounds:
        data = codec.encode_samples(x, rate, max_error=spec)
        error = codec.decode_samples(data).reshape(x.shape).astype(np.float64) - x
        stated = codec.Opened(io.BytesIO(data), len(data)).header.max_errors or [0] * x.shape[1]
        if (np.abs(error) > stated).any():
            raise SpikeyError(f"max error {spec}: a sample decodes outside its bound (a fault of ours)")
        points.append({"max error": str(spec), "bounds": stated, "ratio": x.nbytes / len(data),
                       "largest": int(np.abs(error).max()), "rms": float(np.sqrt((error ** 2).mean())),
                       "spectrum": _spectrum(error, rate)[1]})
    return {"frequencies": frequencies, "signal": signal, "points": points}
