import os

import pytest

from spikey import SpikeyError, fileio
from spikey.stream import Sidecar


@pytest.mark.parametrize("dst,sidecar,root,expected", [
    ("out/run.ap.bin", Sidecar(".meta", b""), None, "out/run.ap.meta"),          # the pair keeps its name
    ("out/other.bin", Sidecar(".meta", b""), "out", "out/other.meta"),
    ("out/continuous.dat", Sidecar("structure.oebin", b"", 2), None, "out/structure.oebin"),     # beside
    ("out/continuous.dat", Sidecar("structure.oebin", b"", 2), "out", "out/structure.oebin"),    # not above root
    ("out/a/continuous.dat", Sidecar("structure.oebin", b"", 2), "out", "out/a/structure.oebin"),
    ("out/r/continuous/P-100.0/continuous.dat", Sidecar("structure.oebin", b"", 2), "out", "out/r/structure.oebin"),
], ids=["extension", "renamed", "alone", "at the root", "one folder deep", "a mirrored tree"])
def test_a_sidecar_goes_beside_its_file_or_where_it_was_in_a_mirrored_tree(dst, sidecar, root, expected):
    assert fileio.sidecar_path(dst, sidecar, root) == os.path.normpath(expected)


def test_a_sidecar_is_never_written_over_its_decoded_file():
    with pytest.raises(SpikeyError, match="over the decoded file"):
        fileio.sidecar_path("out/x.bin", Sidecar(".BIN", b""))
