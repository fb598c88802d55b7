"""Runs the snippets of docs/ecosystem.md marked `<!-- runnable -->` (or `<!-- runnable: needs a, b -->`,
skipped unless modules a and b import), each alone in a fresh folder and a fresh process, as a script
would run it (a Dask cluster started inside the test process can hang on what earlier tests left)."""
import re

import pytest

from conftest import ROOT, fresh_python

DOC = ROOT / "docs" / "ecosystem.md"
BLOCK = re.compile(r"<!-- runnable(?:: needs ([\w., ]+))? -->\n```python\n(.*?)```", re.S)
SNIPPETS = [(m.group(1), m.group(2)) for m in BLOCK.finditer(DOC.read_text())]


def test_the_doc_has_runnable_snippets():
    assert len(SNIPPETS) >= 5


@pytest.mark.parametrize("needs, code", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_runs(needs, code, tmp_path):
    for module in (needs or "").replace(" ", "").split(","):
        if module:
            pytest.importorskip(module, exc_type=ImportError)   # spikey.zarr under zarr 2: ImportError
    fresh_python(code, cwd=tmp_path)


def test_the_distribution_is_spikey_codec_and_registers_both_codecs():
    """`spikey` on the package index is an unrelated project: ours installs as spikey-codec, imports as spikey."""
    from importlib.metadata import distribution, entry_points

    import spikey
    assert distribution("spikey-codec").version == spikey.__version__
    for group in ("numcodecs.codecs", "zarr.codecs"):
        assert "spikey-codec" in {e.dist.name for e in entry_points(group=group) if e.name == "spikey"}
