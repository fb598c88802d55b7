"""`spikey info`: what a stream holds and what the codec did with it, read from its header and blocks."""
import io

from spikey import codesets, quantiser, stream
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
    allowed, achieved = 0, 0
    for i in range(h.n_blocks):
        a, b = h.block_span(i)
        records, _, error = stream.read_block(s.block_bytes(i), h, b - a)
        achieved = max(achieved, error)
        for c, record in enumerate(records):
            record_bytes[c] += len(stream.write_channel(record))
            codings[c].add(CODINGS[record.code_set.coding])
            linked[c] += record.linked
            allowed = max(allowed, _allowed(record, h.max_error(c), s.model))
    if h.max_errors:
        out["near-lossless"] = {"max error": h.max_errors, "largest error its sets allow": allowed,
                                "largest error": achieved}
    samples = max(h.frames, 1)
    out["ratio"] = round(2 * h.frames * h.channels / len(data), 4) if len(data) else None
    out["per channel"] = [{"bits/sample": round(8 * record_bytes[c] / samples, 3),
                           "code sets": sorted(codings[c]), "refs": h.refs[c], "linked blocks": linked[c]}
                          for c in range(h.channels)]
    return out


def _allowed(record: stream.Channel, k: int, model) -> int:
    """The largest error a record's grouped set can make under bound k (verbatim: none)."""
    if k == 0 or record.code_set.coding == codesets.VERBATIM:
        return 0
    return quantiser.allowed(record.code_set.table(model.adc), k)


def text(path: str, d: dict) -> str:
    lines = [f"{path}: {d['container']} ({d['extension']}), {d['channels']} channels x {d['frames']} frames"
             + (f" at {d['rate']} Hz ({d['duration s']} s)" if d["rate"] else "")
             + f"; level {d['level']}; {d['blocks']} blocks of {d['block frames']} frames; "
             f"format {d['format version']}, model {d['model id']}; {d['stream bytes']} bytes"
             + (f", ratio {d['ratio']} (int16 samples / stream)" if d.get("ratio") else "")
             + (f"; with its sidecar {d['sidecar']['name']} ({d['sidecar']['bytes']} bytes)" if "sidecar" in d else "")]
    if "near-lossless" in d:
        n = d["near-lossless"]
        bounds = sorted(set(n["max error"]))
        lines.append(f"  near-lossless: every sample within {bounds[0] if len(bounds) == 1 else n['max error']} "
                     f"of the original; its code sets allow errors up to {n['largest error its sets allow']}, "
                     f"the largest made is {n['largest error']}")
    for c, ch in enumerate(d.get("per channel", [])):
        links = f", predicted from {ch['refs']} in {ch['linked blocks']} blocks" if ch["refs"] else ""
        lines.append(f"  channel {c}: {ch['bits/sample']} bits/sample, {', '.join(ch['code sets'])}{links}")
    return "\n".join(lines)
