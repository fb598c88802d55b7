"""Spikey: lossless compression of raw neural electrode recordings."""

__version__ = "0.1.0"


class SpikeyError(Exception):
    """A refusal with a one-line reason: bad input, corrupt or foreign stream."""
