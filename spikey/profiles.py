"""Compression levels: one row of named knobs each, the stream's level byte its index here.

Adding a level is adding a row. The decoder needs only `coder` and `middleout` (which per-sample loop
a payload was made by) and the model, which the stream names by id; the other knobs are how hard the
encoder looks, so a stream decodes without knowing them.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    coder: str            # "rls": spikey/coder.py, float64 RLS + learned head; "lms": spikey/fastcoder.py, integers
    networks: tuple       # the model's head files in weights/, whose heads the encoder tries in turn
                          # and a record names by number (spikey/model.py)
    max_refs: int         # cross-channel links per channel (spikey/crosschannel.py)
    min_r: float          # the weakest link tried: |r| of the first differences over the first block
    heads: bool           # the learned heads are tried
    no_head: bool         # coding without a head is tried on code sets other than the ADC's (whose head was
                          # fitted to them); always, where heads is off
    trial_samples: int    # the encoder's options are judged on this many samples; 0: on the whole block
    middleout: bool       # a linked channel's mean moves by its refs' surprises (spikey/middleout.py; rls only)


PROFILES = (  # name      coder  networks                      max_refs min_r heads  no_head trial_samples middleout
    Profile("default", "rls", ("network.npz",),              4,       0.2,  True,  True,   16384,        False),
    Profile("fast",    "lms", ("network.npz",),              4,       0.2,  False, True,   16384,        False),
    Profile("max",     "rls", ("network.npz", "lstm.npz"),   8,       0.05, True,  True,   0,            True),
)
NAMES = tuple(p.name for p in PROFILES)


def index(name: str) -> int:
    if name not in NAMES:
        from spikey import SpikeyError
        raise SpikeyError(f"unknown level {name!r}: choose {', '.join(NAMES)}")
    return NAMES.index(name)
