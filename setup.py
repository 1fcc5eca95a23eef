"""Optional compiled build: ``TRACEGRAPH_COMPILE=1 pip install .`` compiles the modules on
the ingest path (``[tool.tracegraph.compile]`` in pyproject.toml) to C extensions with
mypyc, beside their Python sources in the wheel (an extension module is imported before
a ``.py`` of the same name). Without the variable, nothing is compiled: editable installs
stay pure Python, so no stale extension ever shadows an edited source. Figures:
docs/performance.md.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).parent
with (HERE / "pyproject.toml").open("rb") as _f:
    _TOOL = tomllib.load(_f)["tool"]
#: The source folders (pyproject's package-dir: graph/ installs as tracegraph.graph...).
FOLDERS = sorted(set(_TOOL["setuptools"]["package-dir"].values()))


def compiled_modules() -> list[str]:
    """Paths (in the folder layout) of the modules to compile: pyproject.toml's
    ``[tool.tracegraph.compile] modules``."""
    return list(_TOOL["tracegraph"]["compile"]["modules"])


def clear_stale_builds() -> None:
    """Remove setuptools' build/lib.* and build/temp.* of an earlier build: extensions
    left there by a compiled build would go into the next wheel, compiled or not."""
    for stale in (*HERE.glob("build/lib.*"), *HERE.glob("build/temp.*"), HERE / "build" / "lib"):
        shutil.rmtree(stale, ignore_errors=True)


def ext_modules() -> list[object]:
    if (os.environ.get("TRACEGRAPH_COMPILE", "") != "1"
            or os.environ.get("TRACEGRAPH_LISTING_BUILD_REQUIRES")):  # (build_backend/)
        return []
    from mypyc.build import mypycify

    # mypyc names a module by its path: it compiles a copy of the folders laid out as the
    # packages they install as (graph/x.py as tracegraph/graph/x.py), with the mypy
    # settings of MYPY_INI
    stage = HERE / "build" / "mypyc-src"
    shutil.rmtree(stage, ignore_errors=True)
    for folder in FOLDERS:
        shutil.copytree(HERE / folder, stage / "tracegraph" / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    config = stage / "mypy.ini"
    config.write_text(MYPY_INI.format(stage=stage), encoding="utf-8")
    paths = [str(stage / "tracegraph" / m) for m in compiled_modules()]
    return list(mypycify(["--config-file", str(config), *paths], opt_level="3"))


#: mypy's settings for the compiled build, over the staged copy. The build environment
#: holds mypy and pydantic but none of the other dependencies, so their imports are Any
#: here (scripts/lint type-checks the code against them, strictly).
MYPY_INI = """[mypy]
python_version = 3.11
plugins = pydantic.mypy
namespace_packages = True
explicit_package_bases = True
mypy_path = {stage}
ignore_missing_imports = True
check_untyped_defs = True
"""


if not os.environ.get("TRACEGRAPH_LISTING_BUILD_REQUIRES"):
    clear_stale_builds()
setup(ext_modules=ext_modules())
