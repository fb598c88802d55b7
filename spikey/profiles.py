"""Compression levels: one row of named knobs each, the stream's level byte its index here.

Adding a level is adding a row. The decoder needs only the level's own loop (`loops[0]`: what a record that
names no loop was made by) and the model, which the stream names by id; the other knobs are how hard
the encoder looks, so a stream decodes without knowing them.
"""
from dataclasses import dataclass


# A record's per-sample loop (docs/format.md section 4): spikey/coder.py's float64 RLS + learned head;
# spikey/fastcoder.py's integers; the RLS with MiddleOut, a linked channel's mean moved by its refs'
# surprises (spikey/middleout.py), which for a channel without links is the RLS itself; spikey/cascade.py's
# RLS -> normalised LMS stages -> robust scale -> head, of a shape (its RLS order and stages: cascade.shape_of);
# the fast loop with an integer normalised LMS stage (spikey/fastcascade.py); the cascades again with the
# context scale after the head (spikey/contextscale.py), shapes 4-7; the fast loop with a stage that learns
# four times as fast; the one-stage cascades with the refs' context (the context scale's cells by the linked
# refs' surprise as well), shapes 12-13, for linked records only; those with the context scale and the
# refs' context again, warped (spikey/warp.py), shapes 20-21 and 28-29, which the levels try in place of
# shapes 4-5 and 12-13 (those stay in the format: streams made before name them).
RLS, LMS, MIDDLEOUT, CASCADE, LMS_STAGE, CONTEXT_CASCADE, LMS_QUICK_STAGE, BURST_CASCADE = 0, 1, 2, 3, 7, 8, 12, 13
WARPED_CASCADE = 15
LOOPS = ("rls", "lms", "rls+middleout", "cascade-8", "cascade-16", "cascade-8x2", "cascade-16x2", "lms+stage",
         "cascade-8c", "cascade-16c", "cascade-8x2c", "cascade-16x2c", "lms+quick-stage", "cascade-8r", "cascade-16r",
         "cascade-8cw", "cascade-16cw", "cascade-8rw", "cascade-16rw")
C8, C16, C8X2, C16X2 = tuple(range(CASCADE, CASCADE + 4))
C8C, C16C, C8X2C, C16X2C = tuple(range(CONTEXT_CASCADE, CONTEXT_CASCADE + 4))
C8R, C16R = BURST_CASCADE, BURST_CASCADE + 1
C8CW, C16CW, C8RW, C16RW = tuple(range(WARPED_CASCADE, WARPED_CASCADE + 4))
SHAPES = {C8: 0, C16: 1, C8X2: 2, C16X2: 3, C8C: 4, C16C: 5, C8X2C: 6, C16X2C: 7, C8R: 12, C16R: 13,
          C8CW: 20, C16CW: 21, C8RW: 28, C16RW: 29}
CASCADES = tuple(SHAPES)
BURSTS = (C8R, C16R, C8RW, C16RW)    # the loops that read the refs' surprises: a record of one is linked
INTEGER = (LMS, LMS_STAGE, LMS_QUICK_STAGE)   # the loops that take their refs on the fixed-point axis, no head
STAGE_STEP_BITS = {LMS_STAGE: 6, LMS_QUICK_STAGE: 4}   # the integer stage's step 2^-bits (spikey/fastcascade.py)
# a loop and its form with more: RLS-16, MiddleOut
DEEPER = {RLS: MIDDLEOUT, C8: C16, C8X2: C16X2, C8CW: C16CW, C8RW: C16RW}


def shape(loop: int) -> int:
    """The cascade shape (spikey/cascade.py) of a loop in CASCADES."""
    return SHAPES[loop]


@dataclass(frozen=True)
class Profile:
    name: str
    loops: tuple          # the per-sample loops the encoder tries per channel and block (LOOPS), the level's own
                          # first: a record names the loop that made it where it is another (docs/format.md 4)
    networks: tuple       # the model's head files in weights/, whose heads the encoder tries in turn
                          # and a record names by number (spikey/model.py)
    max_refs: int         # cross-channel links per channel (spikey/crosschannel.py)
    ref_counts: tuple     # how many of its first refs a linked record may also be predicted from, besides all
    min_r: float          # the weakest link tried: |r| of the first differences over the first block
    heads: bool           # the learned heads are tried
    no_head: bool         # coding without a head is tried on code sets other than the ADC's (whose head was
                          # fitted to them); always, where heads is off
    trial_samples: int    # the encoder's options are judged on this many samples; 0: on the whole block
    simpler: str | None   # the level whose search this one repeats, keeping its record where shorter
    deepens: bool         # the level's own search only deepens the simpler level's choice (codec._deeper): its
                          # loop's deeper form (DEEPER), with all refs, with the heads the simpler level lacks
    own_margin: float     # how much shorter another loop's record must be to be chosen over the level's own
                          # (fast: its own loop decodes twice as fast as the one with the stage)
    head_margin: float    # how much shorter a record with a learned head must be to be chosen over one without
                          # (the fully connected head costs the decoder 272 multiply-adds a sample, an RLS-8 160)
    greedy: bool          # the trials change one choice at a time (codec._greedy), keeping the best, instead of
                          # trying every combination: 27-40% of the trials, within 0.02% of the bytes (docs/levels.md)


PROFILES = (
    Profile("default", loops=(RLS, C8, C8X2, C8CW, C8RW), networks=("network.npz",), max_refs=4,
            ref_counts=(1,), min_r=0.05, heads=True, no_head=True, trial_samples=32768, simpler="fast", deepens=False,
            own_margin=0.0, head_margin=0.001, greedy=True),
    Profile("fast", loops=(LMS, LMS_STAGE, LMS_QUICK_STAGE), networks=("network.npz",), max_refs=4, ref_counts=(1,),
            min_r=0.05, heads=False, no_head=True, trial_samples=32768, simpler=None, deepens=False, own_margin=0.01,
            head_margin=0.0, greedy=True),
    Profile("max", loops=(MIDDLEOUT, C16, C16X2, C16CW, C16RW), networks=("network.npz", "lstm.npz"),
            max_refs=8, ref_counts=(1,), min_r=0.05, heads=True, no_head=True, trial_samples=32768, simpler="default",
            deepens=True, own_margin=0.0, head_margin=0.001, greedy=True),
)
NAMES = tuple(p.name for p in PROFILES)


def index(name: str) -> int:
    if name not in NAMES:
        from spikey import SpikeyError
        raise SpikeyError(f"unknown level {name!r}: choose {', '.join(NAMES)}")
    return NAMES.index(name)
