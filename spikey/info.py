"""`spikey info`: what a stream holds and what the codec did with it, read from its header and blocks."""
import io

from spikey import codesets, stream
from spikey.codec import Opened, extension_of
from spikey.profiles import PROFILES

CODINGS = {codesets.ADC: "ADC", codesets.LATTICE: "lattice", codesets.VALUE_SET: "value set",
           codesets.VERBATIM: "verbatim"}


def describe(data: bytes) -> dict:
    """Header fields, and per channel the bits a sample its records take, its code sets and links."""
    s = Opened(io.BytesIO(data), len(data))
    h = s.header
    out = {"format version": h.version, "level": PROFILES[h.level].name,
           "container": stream.CONTAINERS[h.container], "extension": extension_of(h), "channels": h.channels,
           "frames": h.frames, "rate": h.rate, "duration s": round(h.frames / h.rate, 3) if h.rate else None,
           "blocks": h.n_blocks, "block frames": h.block_frames, "model id": h.model_id.hex(),
           "stream bytes": len(data)}
    if h.sidecar is not None:
        out["sidecar"] = {"name": h.sidecar.name, "folders up": h.sidecar.up, "bytes": len(h.sidecar.data)}
    if h.container == stream.GENERIC:
        return out
    record_bytes = [0] * h.channels
    codings = [set() for _ in range(h.channels)]
    linked = [0] * h.channels
    for i in range(h.n_blocks):
        a, b = h.block_span(i)
        records, _ = stream.read_block(s.block_bytes(i), h, b - a)
        for c, record in enumerate(records):
            record_bytes[c] += len(stream.write_channel(record))
            codings[c].add(CODINGS[record.code_set.coding])
            linked[c] += record.linked
    samples = max(h.frames, 1)
    out["ratio"] = round(2 * h.frames * h.channels / len(data), 4) if len(data) else None
    out["per channel"] = [{"bits/sample": round(8 * record_bytes[c] / samples, 3),
                           "code sets": sorted(codings[c]), "refs": h.refs[c], "linked blocks": linked[c]}
                          for c in range(h.channels)]
    return out


def text(path: str, d: dict) -> str:
    lines = [f"{path}: {d['container']} ({d['extension']}), {d['channels']} channels x {d['frames']} frames"
             + (f" at {d['rate']} Hz ({d['duration s']} s)" if d["rate"] else "")
             + f"; level {d['level']}; {d['blocks']} blocks of {d['block frames']} frames; "
             f"format {d['format version']}, model {d['model id']}; {d['stream bytes']} bytes"
             + (f", ratio {d['ratio']} (int16 samples / stream)" if d.get("ratio") else "")
             + (f"; with its sidecar {d['sidecar']['name']} ({d['sidecar']['bytes']} bytes)" if "sidecar" in d else "")]
    for c, ch in enumerate(d.get("per channel", [])):
        links = f", predicted from {ch['refs']} in {ch['linked blocks']} blocks" if ch["refs"] else ""
        lines.append(f"  channel {c}: {ch['bits/sample']} bits/sample, {', '.join(ch['code sets'])}{links}")
    return "\n".join(lines)
