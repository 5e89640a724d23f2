"""Strat for Python: load a strategy model, query it, run what-ifs, scenarios and goal seeks.

A thin layer over libstrat's C API (ctypes, no compiler needed)::

    import strat
    with strat.Engine() as e:
        e.load_file("examples/netflix-engineering.strat")
        print(e.eval("plan.score"))
        for c in e.whatif({"churn": "3.2%"}):
            print(c)

The library is found through ``$STRAT_LIB``, next to this package, or on the system's
library path. One engine is used by one thread at a time; engines on different threads
run in parallel (calls release the GIL).
"""

from __future__ import annotations

import ctypes
import enum
import inspect
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _lib

__all__ = [
    "Engine", "StratError", "Diagnostic", "Quantity", "Distribution", "Change", "Solution", "Status",
    "Value", "version",
]


class Status(enum.IntEnum):
    """The status codes of include/strat.h."""

    OK = 0
    ARGUMENT = 1
    JSON = 2
    COMPILE = 3
    RUNTIME = 4
    ASSERTION = 5
    IO = 6
    REENTRANT = 7


@dataclass(frozen=True)
class Diagnostic:
    """One problem, as the CLI reports it in JSON (line and column are 1-based; 0 if unknown)."""

    severity: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    hint: Optional[str] = None

    def __str__(self) -> str:
        where = self.file + ":" if self.file else ""
        if self.line:
            where += f"{self.line}:{self.column}:"
        text = f"{where} {self.severity}: {self.message}" if where else f"{self.severity}: {self.message}"
        return text + (f" (help: {self.hint})" if self.hint else "")


class StratError(Exception):
    """A failed call: its status and the diagnostics that explain it."""

    def __init__(self, status: int, diagnostics: Sequence[Diagnostic]):
        self.status = Status(status) if status in Status._value2member_map_ else status
        self.diagnostics: List[Diagnostic] = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"] or self.diagnostics
        super().__init__("\n".join(str(d) for d in errors) or f"strat call failed with status {status}")

    @property
    def errors(self) -> List[Diagnostic]:
        """The diagnostics whose severity is "error"."""
        return [d for d in self.diagnostics if d.severity == "error"]


@dataclass(frozen=True)
class Quantity:
    """A number with a unit. ``value`` is in base units (seconds, US dollars; 3.8% is 0.038);
    ``display`` is how Strat shows it ("3.8%", "$2.5M", "120ms")."""

    value: float
    unit: str
    display: str

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        return self.display


@dataclass(frozen=True)
class Distribution:
    """An uncertain number, summarised: ``value`` is its mean, in base units."""

    value: float
    unit: str
    display: str
    samples: int
    mean: float
    sd: float
    min: float
    max: float
    #: Percentile (5, 25, 50, 75, 95) → value.
    percentiles: Dict[int, float] = field(default_factory=dict)
    #: Bin edges (one more than counts) and counts.
    histogram_edges: List[float] = field(default_factory=list)
    histogram_counts: List[int] = field(default_factory=list)

    def __float__(self) -> float:
        return float(self.mean)

    def __str__(self) -> str:
        return self.display

    def percentile(self, p: int) -> float:
        """The p-th percentile (p one of the summarised ones: 5, 25, 50, 75, 95)."""
        return self.percentiles[p]


#: What a Strat value becomes in Python.
Value = Union[float, str, bool, None, List[Any], Quantity, Distribution]


@dataclass(frozen=True)
class Change:
    """A value a what-if, a set or a scenario changed."""

    path: str
    before: Value
    after: Value
    #: How Strat shows the two values ("159.0792563M", "3.8%"), as the CLI prints them.
    before_display: str = field(default="", compare=False, repr=False)
    after_display: str = field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.path}: {self.before_display or _show(self.before)} → {self.after_display or _show(self.after)}"


@dataclass(frozen=True)
class Solution:
    """The answer of a goal seek (``strat solve --format json``)."""

    input: str
    for_: str
    target: Value
    #: The input's value at the solution, in the input's unit.
    value: Value
    #: The expression's value there (within 1e-9 × max(1, |target|) unless ``boundary``).
    achieved: Value
    #: The input's value before the search.
    start: Value
    bracket: Tuple[Value, Value]
    evaluations: int
    #: True when the expression jumps across the target at ``value`` (a step function).
    boundary: bool
    scenario: str
    display: str = field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.input} = {self.display or _show(self.value)}"


def _show(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _display(v: Any) -> str:
    """The display text of a report-shaped value (what the CLI prints for it)."""
    if isinstance(v, dict):
        return str(v.get("display", ""))
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "[" + ", ".join(_display(x) if not isinstance(x, str) else json.dumps(x) for x in v) + "]"
    return ""


def _changes(items: Any) -> List[Change]:
    return [Change(c["path"], _from_report(c["before"]), _from_report(c["after"]),
                   _display(c["before"]), _display(c["after"])) for c in items]


def _distribution(number: Mapping[str, Any], dist: Mapping[str, Any]) -> Distribution:
    hist = dist.get("histogram") or {}
    return Distribution(
        value=float(number.get("value", dist.get("mean", math.nan))),
        unit=str(number.get("unit", "")),
        display=str(number.get("display", "")),
        samples=int(dist.get("samples", 0)),
        mean=float(dist.get("mean", math.nan)),
        sd=float(dist.get("sd", math.nan)),
        min=float(dist.get("min", math.nan)),
        max=float(dist.get("max", math.nan)),
        percentiles={int(k): float(v) for k, v in (dist.get("percentiles") or {}).items()},
        histogram_edges=[float(x) for x in hist.get("edges", [])],
        histogram_counts=[int(x) for x in hist.get("counts", [])],
    )


def _number(value: Any, unit: str, display: str, dist: Any = None, *, whole: Any = None) -> Value:
    if isinstance(dist, dict):
        return _distribution(whole if whole is not None else {"value": value, "unit": unit, "display": display}, dist)
    if value is None:  # a number that is not finite
        return math.nan if not unit else Quantity(math.nan, unit, display)
    return float(value) if not unit else Quantity(float(value), unit, display)


def _plain(v: Any) -> Value:
    """A plain JSON value (the elements of an eval entry's list) as Python."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return _from_report(v)
    raise TypeError(f"unexpected JSON value {v!r}")


def _from_report(v: Any) -> Value:
    """A value in the report shape (numbers as {"value","unit","display"}) as Python."""
    if isinstance(v, dict) and "value" in v:
        return _number(v.get("value"), str(v.get("unit", "")), str(v.get("display", "")),
                       v.get("distribution"), whole=v)
    if isinstance(v, list):
        return [_from_report(x) for x in v]
    return _plain(v)


def _from_eval(entry: Mapping[str, Any]) -> Value:
    """An entry of `strat eval --format json` as Python."""
    value = entry.get("value")
    unit = str(entry.get("unit", ""))
    if isinstance(entry.get("distribution"), dict) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return _number(value, unit, str(entry.get("display", "")), entry.get("distribution"), whole=entry)
    return _plain(value)


def _to_json(v: Any) -> Any:
    """A host function's Python result as the JSON libstrat takes."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float)):
        if not math.isfinite(v):
            raise ValueError(f"returned {v}, which is not a finite number")
        return v
    if isinstance(v, Quantity):
        return {"value": v.value, "unit": v.unit}
    if isinstance(v, Distribution):
        raise TypeError("a host function cannot return a Distribution (return its mean or a Quantity)")
    if isinstance(v, (list, tuple)):
        return [_to_json(x) for x in v]
    if hasattr(v, "__float__"):
        return _to_json(float(v))
    raise TypeError(f"returned a {type(v).__name__}, which is not a Strat value")


def _expression(v: Any) -> str:
    """An override's right side: a Strat expression, or a Python number or bool."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        if not math.isfinite(v):
            raise ValueError(f"{v} is not a finite number")
        text = repr(float(v)) if isinstance(v, float) else str(v)
        if "e" in text or "E" in text:
            text = format(v, "f").rstrip("0").rstrip(".") if abs(v) >= 1 else format(v, ".20f").rstrip("0").rstrip(".")
        return text
    if isinstance(v, Quantity):
        raise TypeError("give a Quantity override as Strat text, such as '3.2%' or '$45'")
    raise TypeError(f"an override is a Strat expression (str) or a number, not a {type(v).__name__}")


def version() -> str:
    """libstrat's version."""
    return str(_lib.lib().strat_version().decode())


class Engine:
    """A Strat interpreter with its loaded model.

    ``Engine(limits={"max_steps": 1_000_000}, imports="none")``: ``limits`` takes the
    keys of strat_engine_new (max_steps, max_call_depth, max_nesting, max_periods, …);
    ``imports`` is "folder" (files under the loaded file's folder; the default), "none",
    or a dict of path → Strat source served from memory.
    """

    def __init__(self, *, limits: Optional[Mapping[str, int]] = None,
                 imports: Union[str, Mapping[str, str], None] = None):
        self._c = _lib.lib()
        self._handle: Optional[int] = None
        self._callbacks: Dict[str, Any] = {}
        self._pending: Optional[BaseException] = None
        options: Dict[str, Any] = {}
        if limits is not None:
            options["limits"] = dict(limits)
        if imports is not None:
            options["imports"] = dict(imports) if isinstance(imports, Mapping) else imports
        handle = ctypes.c_void_p()
        text = json.dumps(options).encode() if options else None
        status = self._c.strat_engine_new(text, ctypes.byref(handle))
        if status != Status.OK:
            raise self._error(status, None)
        self._handle = handle.value

    # -- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the engine (also done by ``with`` and by garbage collection)."""
        if self._handle is not None:
            self._c.strat_engine_free(self._handle)
            self._handle = None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        return self._handle is None

    # -- plumbing ------------------------------------------------------------------------

    def _h(self) -> int:
        if self._handle is None:
            raise ValueError("the engine is closed")
        return self._handle

    def _error(self, status: int, handle: Optional[int]) -> StratError:
        raw = self._c.strat_last_error_json(handle)
        try:
            items = json.loads(raw.decode()) if raw else []
        except ValueError:
            items = []
        diags = [Diagnostic(severity=d.get("severity", "error"), message=d.get("message", ""),
                            file=d.get("file", ""), line=int(d.get("line", 0)),
                            column=int(d.get("column", 0)), hint=d.get("hint")) for d in items]
        return StratError(status, diags)

    def _check(self, status: int) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and not isinstance(pending, Exception):
            raise pending  # KeyboardInterrupt, SystemExit: never swallowed by a callback
        if status != Status.OK:
            err = self._error(status, self._handle)
            if pending is not None:
                raise err from pending
            raise err

    def _json_call(self, fn: Callable[..., int], *args: Any) -> Any:
        out = ctypes.c_void_p()
        self._check(fn(self._h(), *args, ctypes.byref(out)))
        try:
            return json.loads(ctypes.string_at(out).decode())
        finally:
            self._c.strat_string_free(out)

    @staticmethod
    def _utf8(s: str, name: str) -> bytes:
        if not isinstance(s, str):
            raise TypeError(f"{name} must be a str, not {type(s).__name__}")
        return s.encode("utf-8")

    # -- loading -------------------------------------------------------------------------

    def load(self, source: str, path: Optional[str] = None) -> None:
        """Loads a model from source text (replacing any model loaded before). ``path`` is
        the name diagnostics show and, with folder imports, where ``import`` may read.
        Raises StratError; with status RUNTIME or ASSERTION the model is still loaded."""
        data = self._utf8(source, "source")
        self._check(self._c.strat_load(self._h(), data, len(data),
                                       None if path is None else self._utf8(path, "path")))

    def load_file(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Loads a model file; its folder is where ``import`` may read."""
        p = os.fspath(path)
        with open(p, "rb") as f:
            data = f.read()
        self._check(self._c.strat_load(self._h(), data, len(data), self._utf8(p, "path")))

    # -- queries -------------------------------------------------------------------------

    def eval_json(self, expr: str) -> Dict[str, Any]:
        """The ``strat eval --format json`` entry of an expression: expr, value, unit, display."""
        entry: Dict[str, Any] = self._json_call(self._c.strat_eval_json, self._utf8(expr, "expr"))
        return entry

    def eval(self, expr: str) -> Value:
        """The value of a Strat expression: float, str, bool, list, None, Quantity (a number
        with a unit) or Distribution (an uncertain number)."""
        return _from_eval(self.eval_json(expr))

    def whatif(self, overrides: Optional[Mapping[str, Any]] = None, **more: Any) -> List[Change]:
        """Every value that changes under the overrides (path → Strat expression or number),
        in dependency order; the model is left unchanged. ``e.whatif({"churn": "3.2%"})``."""
        all_overrides = dict(overrides or {}, **more)
        text = json.dumps({k: _expression(v) for k, v in all_overrides.items()})
        return _changes(self._json_call(self._c.strat_whatif_json, text.encode()))

    def set(self, path: str, expr: Any) -> List[Change]:
        """Commits an override: later queries start from it. Returns what changed."""
        out = ctypes.c_void_p()
        self._check(self._c.strat_set(self._h(), self._utf8(path, "path"),
                                      self._utf8(_expression(expr), "expr"), ctypes.byref(out)))
        try:
            changes = json.loads(ctypes.string_at(out).decode())
        finally:
            self._c.strat_string_free(out)
        return _changes(changes)

    def report(self, scenario: Optional[str] = None) -> Dict[str, Any]:
        """The report (the ``strat run --format json`` object) under a scenario."""
        report: Dict[str, Any] = self._json_call(self._c.strat_report_json,
                                                 None if scenario is None else self._utf8(scenario, "scenario"))
        return report

    def solve(self, input: str, for_: str, value: Any, in_: Optional[Sequence[Any]] = None, *,
              scenario: Optional[str] = None, overrides: Optional[Mapping[str, Any]] = None,
              **kw: Any) -> "Solution":
        """Goal seek: the value of ``input`` at which the expression ``for_`` equals
        ``value`` (a Strat expression such as "$50000", or a number), searched in
        ``in_ = (low, high)`` or, without it, widening from the input's value. Optionally
        under a scenario and extra overrides. The model is unchanged. Raises StratError
        when there is no solution (the message names the range searched).
        ``**{"for": ..., "in": ...}`` works too."""
        target = kw.pop("for", for_)
        bracket = kw.pop("in", in_)
        if kw:
            raise TypeError(f"unexpected arguments: {', '.join(kw)}")
        request: Dict[str, Any] = {"input": input, "for": target, "value": _expression(value)}
        if bracket is not None:
            low, high = bracket
            request["in"] = [_expression(low), _expression(high)]
        if scenario is not None:
            request["scenario"] = scenario
        if overrides:
            request["overrides"] = {k: _expression(v) for k, v in overrides.items()}
        r = self._json_call(self._c.strat_solve_json, json.dumps(request).encode())
        return Solution(input=r["input"], for_=r["for"], target=_from_report(r["target"]),
                        value=_from_report(r["value"]), achieved=_from_report(r["achieved"]),
                        start=_from_report(r["start"]),
                        bracket=(_from_report(r["bracket"][0]), _from_report(r["bracket"][1])),
                        evaluations=int(r["evaluations"]), boundary=bool(r["boundary"]),
                        scenario=r["scenario"], display=_display(r["value"]))

    # -- host functions ------------------------------------------------------------------

    def register(self, name: str, fn: Optional[Callable[..., Any]] = None, *,
                 arity: Optional[int] = None) -> Any:
        """Makes a Python callable available to Strat as ``name(args…)``. Register before
        ``load``. Arguments arrive as Python values (float, str, bool, list, Quantity…); the
        result may be any of those. An exception it raises becomes a Strat diagnostic at the
        call site ("function 'fx' failed: ValueError: …"), chained as the StratError's cause.
        ``arity`` defaults to the callable's positional parameters (-1 with ``*args``).
        Also works as a decorator: ``@engine.register("fx")``."""
        if fn is None:
            return lambda f: (self.register(name, f, arity=arity), f)[1]
        if arity is None:
            arity = _arity(fn)
        c = self._c

        def trampoline(call: int, args_json: bytes, _userdata: int) -> int:
            try:
                args = [_from_report(a) for a in json.loads(args_json.decode())]
                text = json.dumps(_to_json(fn(*args)), allow_nan=False)
            except BaseException as exc:  # nothing may unwind into C
                self._pending = exc
                c.strat_call_fail(call, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))
                return 1
            return int(c.strat_call_return(call, text.encode()))

        callback = _lib.CALLBACK(trampoline)
        self._check(c.strat_register_function(self._h(), self._utf8(name, "name"), arity, callback, None))
        self._callbacks[name] = callback  # the C side holds only a pointer: keep it alive
        return fn


def _arity(fn: Callable[..., Any]) -> int:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return -1
    n = 0
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return -1
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            n += 1
    return n
