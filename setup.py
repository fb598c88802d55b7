"""A built wheel carries the coding kernels compiled ahead of time (spikey/aot.py) for the Python and machine
that build it, so a fresh install codes at once: from the JIT, the first use of each level waits half a
minute while it compiles, in every new environment and every Dask worker's. The wheel is tagged for
that Python and platform, not py3-none-any. An editable install leaves the kernels out: it runs the
source as edited (python -m spikey.aot builds them there). pyproject.toml holds everything else."""
import os
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

BUILD = "import sys; from spikey import aot; aot.build(sys.argv[1], sys.argv[2])"


class BuildWithKernels(build_py):
    def run(self):
        super().run()
        if not self.editable_mode:      # compiled from the copy the wheel holds, so its source hash is theirs
            package = os.path.join(os.path.abspath(self.build_lib), "spikey")
            cpu = os.environ.get("SPIKEY_AOT_CPU", "host")     # a wheel for other machines: e.g. x86-64-v2
            subprocess.run([sys.executable, "-c", BUILD, package, cpu], cwd=self.build_lib, check=True)


class WithKernels(Distribution):
    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithKernels}, distclass=WithKernels)
