"""Builds the C ABI library (libPlasticityC.so) with SwiftPM while the package is built, so that
`pip install ./python` on a fresh clone gives a working `import plasticity`. The Swift runtime
and Foundation are linked statically (-static-stdlib): the library needs no Swift toolchain where
it runs, only the system libraries it names (libhdf5, libsndfile, Open MPI; `ldd` lists them)."""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class BuildWithLibrary(build_py):
    def run(self):
        library = os.environ.get("PLASTICITY_PREBUILT_LIBRARY")
        if not library:
            scratch = os.path.join(ROOT, ".build", "python")
            subprocess.run(["bash", os.path.join(ROOT, ".ci", "install-system-packages.sh")], check=True)
            subprocess.run(["swift", "build", "-c", "release", "--product", "PlasticityC", "-Xswiftc", "-static-stdlib",
                            "--scratch-path", scratch], cwd=ROOT, check=True)
            library = os.path.join(scratch, "release", "libPlasticityC.so")
        super().run()
        target = os.path.join(self.build_lib, "plasticity")
        os.makedirs(target, exist_ok=True)
        shutil.copy2(library, os.path.join(target, "libPlasticityC.so"))


setup(cmdclass={"build_py": BuildWithLibrary})
