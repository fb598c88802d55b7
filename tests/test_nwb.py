"""NWB on zarr through Spikey (docs/ecosystem.md): an ElectricalSeries written by hdmf-zarr with Spikey on
its chunks, read back exact, in a fresh process too (the codec found by its entry point). hdmf-zarr 0.14
writes zarr 3 arrays, so Spikey goes in as their serializer (spikey.zarr); 0.13 writes zarr 2 arrays, so
as their numcodecs compressor. Neither fits the test environment (zarr 3.1, Python 3.11): this module
skips there, and runs in the environments bench/nwb_envs.py makes."""
from datetime import datetime, timezone

import numpy as np
import pytest

hdmf_zarr = pytest.importorskip("hdmf_zarr", reason="NWB on zarr needs hdmf-zarr and pynwb (bench/nwb_envs.py)")
pytest.importorskip("pynwb", reason="NWB on zarr needs hdmf-zarr and pynwb (bench/nwb_envs.py)")

from hdmf_zarr import ZarrDataIO
from hdmf_zarr.nwb import NWBZarrIO
from pynwb import NWBFile
from pynwb.ecephys import ElectricalSeries

from conftest import fresh_python

SERIALIZER = int(hdmf_zarr.__version__.split(".")[1]) >= 14    # 0.14: zarr 3 codecs only


def spikey_io(traces, level="default") -> ZarrDataIO:
    """The data of a series, coded by Spikey in 1 s chunks, the route this hdmf-zarr takes."""
    if SERIALIZER:
        from spikey.zarr import Spikey
        return ZarrDataIO(traces, chunks=(30_000, traces.shape[1]), serializer=Spikey(level=level), compressors=False)
    from spikey.numcodecs import Spikey
    return ZarrDataIO(traces, chunks=(30_000, traces.shape[1]), compressor=Spikey(level=level))


def write_nwb(path, traces, level="default"):
    nwbfile = NWBFile("spikey test", "session-1", datetime(2026, 1, 1, tzinfo=timezone.utc))
    group = nwbfile.create_electrode_group("shank0", description="", location="CA1",
                                           device=nwbfile.create_device("probe"))
    for _ in range(traces.shape[1]):
        nwbfile.add_electrode(group=group, location="CA1")
    region = nwbfile.create_electrode_table_region(list(range(traces.shape[1])), "all")
    nwbfile.add_acquisition(ElectricalSeries(name="raw", electrodes=region, rate=30_000.0,
                                             data=spikey_io(traces, level)))
    with NWBZarrIO(str(path), mode="w") as io:
        io.write(nwbfile)


@pytest.fixture
def traces():
    rng = np.random.default_rng(0)
    return np.cumsum(rng.normal(0, 20, (75_000, 4)), axis=0).astype("int16")   # 2.5 chunks: a padded last one


@pytest.mark.parametrize("level", ["fast", "default"])
def test_an_electrical_series_reads_back_exact(tmp_path, traces, level):
    write_nwb(tmp_path / "rec.nwb.zarr", traces, level)
    with NWBZarrIO(str(tmp_path / "rec.nwb.zarr"), mode="r") as io:
        data = io.read().acquisition["raw"].data
        assert np.array_equal(data[:], traces)
        assert np.array_equal(data[40_000:50_000, 2], traces[40_000:50_000, 2])


def test_the_chunks_are_spikey_streams(tmp_path, traces):
    """The chunks hold Spikey's streams (not zarr's default codec), at a fraction of the raw bytes."""
    write_nwb(tmp_path / "rec.nwb.zarr", traces)
    array = next(p for p in (tmp_path / "rec.nwb.zarr").rglob("raw/data"))
    chunks = [p for p in array.rglob("*") if p.is_file() and not p.name.startswith((".z", "zarr."))]
    assert len(chunks) == 3
    assert sum(p.stat().st_size for p in chunks) < traces.nbytes / 2
    assert "spikey" in "".join(p.read_text() for p in array.glob("*") if p.name in (".zarray", "zarr.json"))


def test_a_fresh_process_reads_it(tmp_path, traces):
    write_nwb(tmp_path / "rec.nwb.zarr", traces)
    np.save(tmp_path / "traces.npy", traces)
    fresh_python("import sys, numpy as np\nfrom hdmf_zarr.nwb import NWBZarrIO\n"
                 "with NWBZarrIO(sys.argv[1], mode='r') as io:\n"
                 "    assert np.array_equal(io.read().acquisition['raw'].data[:], np.load(sys.argv[2]))",
                 tmp_path / "rec.nwb.zarr", tmp_path / "traces.npy")
