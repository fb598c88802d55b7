"""Other codecs beside Spikey (--compare): their command lines, and what they make of a WAV original."""
import os
import subprocess

from spikey import SpikeyError, stream

CODECS = {"flac": ["flac", "-8", "-s", "-f", "--channel-map=none", "{src}", "-o", "{dst}.flac"],
          "wavpack": ["wavpack", "-hh", "-q", "-y", "{src}", "-o", "{dst}.wv"]}
FLAC_MAX_CHANNELS = 8
NAMES = {"spikey": "Spikey", "flac": "FLAC -8", "wavpack": "WavPack -hh"}


def sizes(original, header, codecs, tmp) -> dict:
    """{codec: compressed bytes, or None where it does not apply} of a WAV original (flac refuses an empty one)."""
    out = {}
    for name in codecs:
        too_many = name == "flac" and header.channels > FLAC_MAX_CHANNELS
        if header.container != stream.WAV or not header.frames or too_many:
            out[name] = None
            continue
        command = [part.format(src=original, dst=os.path.join(tmp, "other")) for part in CODECS[name]]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            why = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise SpikeyError(f"{' '.join(command[:-3])} failed on it: {why}")
        out[name] = os.path.getsize(command[-1])
    return out
