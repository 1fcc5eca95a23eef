"""PEP 517 backend: setuptools', plus mypyc's build needs when ``TRACEGRAPH_COMPILE=1``.

Only the compiled build (setup.py) needs mypy and pydantic (for its mypy plugin) to build;
a plain install never downloads them for the build.
"""

from __future__ import annotations

import os

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the rest of the backend as it is)

#: What the compiled build adds to the build environment.
COMPILE_REQUIRES = ["mypy>=1.10,<3", "pydantic>=2.7,<3"]


def _extra() -> list[str]:
    return list(COMPILE_REQUIRES) if os.environ.get("TRACEGRAPH_COMPILE", "") == "1" else []


#: Set while setuptools runs setup.py only to list the build's requirements (mypy is not
#: installed yet then: setup.py lists no extensions).
LISTING_REQUIRES = "TRACEGRAPH_LISTING_BUILD_REQUIRES"


def get_requires_for_build_wheel(config_settings: dict[str, object] | None = None) -> list[str]:
    os.environ[LISTING_REQUIRES] = "1"
    try:
        return [*_setuptools.get_requires_for_build_wheel(config_settings), *_extra()]
    finally:
        del os.environ[LISTING_REQUIRES]


def get_requires_for_build_editable(config_settings: dict[str, object] | None = None
                                    ) -> list[str]:
    os.environ[LISTING_REQUIRES] = "1"
    try:
        return [*_setuptools.get_requires_for_build_editable(config_settings), *_extra()]
    finally:
        del os.environ[LISTING_REQUIRES]
