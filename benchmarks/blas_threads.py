"""Read and limit the threads of the OpenBLAS that NumPy loaded, without threadpoolctl.

NumPy's wheels bundle OpenBLAS as ``libscipy_openblas64_*.so``, which exports
``scipy_openblas_set_num_threads64_`` and its getters (plain OpenBLAS builds
export ``openblas_set_num_threads``). This module finds the library among the
process's mapped files (Linux) and calls those functions through ctypes, which
is what threadpoolctl does for it. Elsewhere ``available`` is False and the
benchmark leaves out the rows that limit threads.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

# (prefix, suffix) of the exported names: scipy-openblas64 builds, then plain builds.
_NAMINGS = (("scipy_openblas_", "64_"), ("openblas_", ""))


class BlasThreads:
    """The thread controls of NumPy's OpenBLAS, or nothing when they cannot be found."""

    def __init__(self) -> None:
        np.dot(np.ones((2, 2)), np.ones((2, 2)))  # make sure BLAS is loaded
        self.path = ""
        self._lib: ctypes.CDLL | None = None
        self._prefix = self._suffix = ""
        for path in _mapped_openblas():
            lib = ctypes.CDLL(path)
            for prefix, suffix in _NAMINGS:
                if hasattr(lib, f"{prefix}set_num_threads{suffix}"):
                    self.path, self._lib = path, lib
                    self._prefix, self._suffix = prefix, suffix
                    return

    @property
    def available(self) -> bool:
        return self._lib is not None

    def get(self) -> int:
        return int(self._function("get_num_threads", ctypes.c_int)())

    def set(self, count: int) -> None:
        self._function("set_num_threads", None)(ctypes.c_int(count))

    @contextmanager
    def limited(self, count: int | None) -> Iterator[None]:
        """Run the block with ``count`` threads, or unchanged for None."""
        if count is None or not self.available:
            yield
            return
        before = self.get()
        self.set(count)
        try:
            yield
        finally:
            self.set(before)

    def describe(self) -> str:
        if self._lib is None:
            return "not OpenBLAS, or not found: thread limits unavailable"
        config = self._function("get_config", ctypes.c_char_p)().decode()
        core = self._function("get_corename", ctypes.c_char_p)().decode()
        name = self.path.rsplit("/", 1)[-1]
        return f"{config}, kernel {core}, {self.get()} threads ({name})"

    def _function(self, name: str, restype: object) -> ctypes._CFuncPtr:
        assert self._lib is not None
        function = getattr(self._lib, f"{self._prefix}{name}{self._suffix}")
        function.restype = restype
        return function  # type: ignore[no-any-return]


def _mapped_openblas() -> list[str]:
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return []
    return sorted(path for path in paths if path.startswith("/"))
