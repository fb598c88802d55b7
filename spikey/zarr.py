"""Spikey as a zarr v3 array -> bytes codec (the serializer slot):

    import zarr
    from spikey.zarr import Spikey
    z = zarr.create_array(store, shape=x.shape, chunks=(30000, 384), dtype="int16", serializer=Spikey())

Array metadata names it {"name": "spikey"}; zarr finds the class again through the zarr.codecs entry point,
so reopening the array needs only `import zarr` with spikey installed. Each chunk is one .brainwire stream
(docs/format.md): it decodes alone and holds everything decoding needs; the options are how hard the
encoder works (level) and the near-lossless bound (max_error: 0, lossless, unless given; a whole number K,
or "auto:F" from each chunk's own noise; docs/near-lossless.md).
zarr hands the serializer whole chunks (an edge chunk padded with the fill value) and puts what it
returns back by index, so memory order never matters here. For zarr v2 arrays use spikey.numcodecs.Spikey
as the compressor.
"""
import asyncio
from dataclasses import dataclass

try:
    from zarr.abc.codec import ArrayBytesCodec
    from zarr.core.common import parse_named_configuration
    from zarr.registry import register_codec
except ImportError as e:   # zarr 2 has no zarr.abc
    raise ImportError("spikey.zarr needs zarr >= 3 (pip install 'zarr>=3'); with zarr 2 use "
                      "spikey.numcodecs.Spikey as the array's compressor") from e


from spikey import codec, profiles, quantiser, stream


@dataclass(frozen=True)
class Spikey(ArrayBytesCodec):
    """Lossless (or near-lossless: max_error) compression of int16/uint16 electrode recordings, arrays
    shaped (frames,) or (frames, channels); one .brainwire stream a chunk."""

    level: str = "default"            # fast, default or max (docs/levels.md): how hard the encoder works
    max_error: int | str = 0          # every sample within K of the original, or "auto:F"; 0: lossless
    is_fixed_size = False

    def __post_init__(self):
        profiles.index(self.level)    # refuses an unknown level or bound now, not at the first chunk
        quantiser.check(self.max_error)

    @classmethod
    def from_dict(cls, data):
        _, configuration = parse_named_configuration(data, "spikey", require_configuration=False)
        configuration = dict(configuration or {})
        level = configuration.pop("level", "default")
        max_error = configuration.pop("max_error", 0)
        if configuration:
            raise ValueError(f"the spikey codec's settings are its level and max_error, not {configuration}")
        return cls(level, max_error)

    def to_dict(self):
        configuration = {**({} if self.level == "default" else {"level": self.level}),
                         **({} if quantiser.exact(self.max_error) else {"max_error": self.max_error})}
        return {"name": "spikey", **({"configuration": configuration} if configuration else {})}

    def validate(self, *, shape, dtype, chunk_grid) -> None:
        native = dtype.to_native_dtype()
        if native.kind not in "iu" or native.itemsize != 2:
            raise TypeError(f"the spikey codec codes int16 or uint16 arrays, not {native}")
        if len(shape) not in (1, 2):
            raise ValueError(f"the spikey codec codes arrays shaped (frames,) or (frames, channels), "
                             f"not {len(shape)}-D {shape}")
        if len(shape) == 2 and not 1 <= shape[1] <= stream.MAX_CHANNELS:
            raise ValueError(f"the spikey codec codes 1 to {stream.MAX_CHANNELS} channels, not {shape[1]}")

    def _encode_sync(self, chunk_array, chunk_spec):
        x = chunk_array.as_numpy_array()
        x = x.astype(x.dtype.newbyteorder("="), copy=False)
        return chunk_spec.prototype.buffer.from_bytes(codec.encode_samples(x, level=self.level,
                                                                           max_error=self.max_error))

    def _decode_sync(self, chunk_bytes, chunk_spec):
        y = codec.decode_samples(chunk_bytes.to_bytes())
        native = chunk_spec.dtype.to_native_dtype()
        if y.shape != tuple(chunk_spec.shape) or y.dtype.kind != native.kind:
            raise ValueError(f"a spikey chunk decodes to {y.dtype} {y.shape}, but the array's chunks are "
                             f"{native} {tuple(chunk_spec.shape)}")
        return chunk_spec.prototype.nd_buffer.from_numpy_array(y.astype(native, copy=False))

    async def _encode_single(self, chunk_array, chunk_spec):
        return await asyncio.to_thread(self._encode_sync, chunk_array, chunk_spec)

    async def _decode_single(self, chunk_bytes, chunk_spec):
        return await asyncio.to_thread(self._decode_sync, chunk_bytes, chunk_spec)

    def compute_encoded_size(self, input_byte_length, chunk_spec):
        raise NotImplementedError("spikey chunks are variable-sized")


register_codec("spikey", Spikey)
