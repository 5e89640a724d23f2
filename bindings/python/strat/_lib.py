"""Finding and loading libstrat, and the C prototypes of include/strat.h."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from pathlib import Path

_NAMES = {"darwin": "libstrat.dylib", "win32": "strat.dll"}
LIBRARY_NAME = _NAMES.get(sys.platform, "libstrat.so")

#: int (*)(strat_call *call, const char *args_json, void *userdata)
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None


def library_path() -> str:
    """Where the library is: $STRAT_LIB, else next to this package, else the system's."""
    env = os.environ.get("STRAT_LIB")
    if env:
        if not Path(env).is_file():
            raise OSError(f"STRAT_LIB is {env!r}, which is not a file")
        return env
    beside = Path(__file__).resolve().parent / LIBRARY_NAME
    if beside.is_file():
        return str(beside)
    found = ctypes.util.find_library("strat")
    if found:
        return found
    raise OSError(
        f"cannot find {LIBRARY_NAME}: build it with `make lib` in the Strat repository "
        "(which also copies it into this package before `pip install`), or set STRAT_LIB "
        "to its path"
    )


def _declare(lib: ctypes.CDLL) -> None:
    p, i, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    out = ctypes.POINTER(ctypes.c_void_p)
    table = {
        "strat_engine_new": ([s, out], i),
        "strat_engine_free": ([p], None),
        "strat_load": ([p, s, ctypes.c_size_t, s], i),
        "strat_eval_json": ([p, s, out], i),
        "strat_whatif_json": ([p, s, out], i),
        "strat_set": ([p, s, s, out], i),
        "strat_report_json": ([p, s, out], i),
        "strat_solve_json": ([p, s, out], i),
        "strat_register_function": ([p, s, i, CALLBACK, p], i),
        "strat_call_return": ([p, s], i),
        "strat_call_fail": ([p, s], i),
        "strat_last_error_json": ([p], s),
        "strat_string_free": ([p], None),
        "strat_version": ([], s),
    }
    for name, (args, res) in table.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use, once per process)."""
    global _lib
    with _lock:
        if _lib is None:
            loaded = ctypes.CDLL(library_path())
            _declare(loaded)
            _lib = loaded
        return _lib
