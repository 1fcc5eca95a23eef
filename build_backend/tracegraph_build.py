"""PEP 517 backend: setuptools', plus mypyc's build needs when ``TRACEGRAPH_COMPILE=1``.

Only the compiled build (setup.py) needs mypy and pydantic (for its mypy plugin) to build;
a plain install never downloads them for the build. An editable install is never compiled,
whatever the variable says: an extension beside the sources would shadow every later edit
of its ``.py`` (``scripts/compile`` builds a compiled tree for tests instead).
"""

from __future__ import annotations

import os
import sys

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the rest of the backend as it is)

#: The variable that asks for the compiled build.
COMPILE = "TRACEGRAPH_COMPILE"
#: What the compiled build adds to the build environment.
COMPILE_REQUIRES = ["mypy>=1.10,<3", "pydantic>=2.7,<3"]
#: Set while setuptools runs setup.py only to list the build's requirements (mypy is not
#: installed yet then) or to write the metadata (which no extension changes): setup.py lists
#: no extensions, so mypy runs once, for the wheel.
LISTING_REQUIRES = "TRACEGRAPH_LISTING_BUILD_REQUIRES"


def _extra() -> list[str]:
    return list(COMPILE_REQUIRES) if os.environ.get(COMPILE, "") == "1" else []


def get_requires_for_build_wheel(config_settings: dict[str, object] | None = None) -> list[str]:
    os.environ[LISTING_REQUIRES] = "1"
    try:
        return [*_setuptools.get_requires_for_build_wheel(config_settings), *_extra()]
    finally:
        del os.environ[LISTING_REQUIRES]


def _pure(reason: str) -> None:
    """Drop a compile request for an editable install, saying so."""
    if os.environ.pop(COMPILE, "") == "1":
        print(f"tracegraph: {COMPILE}=1 ignored for an {reason}: editable installs stay "
              "pure Python (scripts/compile builds a compiled tree)", file=sys.stderr)


def get_requires_for_build_editable(config_settings: dict[str, object] | None = None
                                    ) -> list[str]:
    _pure("editable install")
    os.environ[LISTING_REQUIRES] = "1"
    try:
        return list(_setuptools.get_requires_for_build_editable(config_settings))
    finally:
        del os.environ[LISTING_REQUIRES]


def prepare_metadata_for_build_wheel(metadata_directory: str,
                                     config_settings: dict[str, object] | None = None) -> str:
    os.environ[LISTING_REQUIRES] = "1"
    try:
        return str(_setuptools.prepare_metadata_for_build_wheel(metadata_directory,
                                                                config_settings))
    finally:
        del os.environ[LISTING_REQUIRES]


def prepare_metadata_for_build_editable(metadata_directory: str,
                                        config_settings: dict[str, object] | None = None
                                        ) -> str:
    _pure("editable install")
    return str(_setuptools.prepare_metadata_for_build_editable(metadata_directory,
                                                               config_settings))


def build_editable(wheel_directory: str, config_settings: dict[str, object] | None = None,
                   metadata_directory: str | None = None) -> str:
    _pure("editable install")
    return str(_setuptools.build_editable(wheel_directory, config_settings,
                                          metadata_directory))
