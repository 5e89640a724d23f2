"""The Python package over libstrat, tested as users call it (and against the CLI's JSON)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import strat
from strat import Change, Distribution, Engine, Quantity, Status, StratError

ROOT = Path(__file__).resolve().parents[3]
NETFLIX = ROOT / "examples" / "netflix-engineering.strat"
STRAT_BIN = os.environ.get("STRAT_BIN", str(ROOT / ".build" / "debug" / "strat"))

needs_cli = pytest.mark.skipif(not Path(STRAT_BIN).is_file(), reason="the strat binary is not built")


def cli_json(*args: str):
    out = subprocess.run([STRAT_BIN, *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture
def netflix():
    with Engine() as e:
        e.load_file(NETFLIX)
        yield e


# -- the five lines of the README --------------------------------------------------------

def test_readme_five_lines_run_the_netflix_what_if():
    readme = (ROOT / "bindings" / "python" / "README.md").read_text()
    block = re.search(r"<!-- five-lines -->\s*```python\n(.*?)```", readme, re.S)
    assert block, "the README lost its five-line example"
    code = block.group(1)
    assert len(code.strip().splitlines()) == 5
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "churn: 3.8% → 3.2%" in run.stdout
    assert "member_ltv: $123.1578947 → $146.25" in run.stdout


def test_readme_walkthrough_is_true(monkeypatch):
    import doctest
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(ROOT / "bindings" / "python" / "README.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 20 and result.failed == 0


@needs_cli
def test_readme_five_lines_print_what_the_cli_prints():
    readme = (ROOT / "bindings" / "python" / "README.md").read_text()
    code = re.search(r"<!-- five-lines -->\s*```python\n(.*?)```", readme, re.S).group(1)
    ours = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    cli = subprocess.run([STRAT_BIN, "whatif", str(NETFLIX), "--set", "churn=3.2%"], capture_output=True,
                         text=True, check=True).stdout
    squeeze = lambda t: [re.sub(r" +", " ", line) for line in t.splitlines()]
    assert squeeze(ours) == squeeze(cli)


# -- values --------------------------------------------------------------------------------

def test_eval_returns_python_values(netflix):
    assert netflix.eval("members") == 262e6
    assert isinstance(netflix.eval("members"), float)
    churn = netflix.eval("churn")
    assert isinstance(churn, Quantity)
    assert churn == Quantity(0.038, "%", "3.8%")
    assert float(churn) == 0.038 and str(churn) == "3.8%"
    arpu = netflix.eval("arpu")
    assert arpu.unit == "$" and arpu.value == pytest.approx(11.70) and arpu.display == "$11.7"
    assert netflix.eval("RETENTION.met") is False
    assert netflix.eval("RETENTION.status") == "red"
    assert netflix.eval('"caf\u00e9 " + "ok"') == "caf\u00e9 ok"
    assert netflix.eval('[1, "a", true]') == [1.0, "a", True]
    assert netflix.eval("MODERNIZE_PLATFORM") == "MODERNIZE_PLATFORM"
    assert netflix.eval("0.5 * 2") == 1.0


def test_eval_none():
    with Engine() as e:
        e.load('objective O "o" {\n  kr K "k" { target: 10, current: 5 }\n}\n')
        assert e.eval("O.K.baseline") is None


@needs_cli
def test_eval_json_is_the_cli_entry(netflix):
    exprs = ["plan.score", "churn", "members * arpu", "plan.unaddressed", "RETENTION.status"]
    args = [str(NETFLIX)] + [a for x in exprs for a in ("-e", x)] + ["--format", "json"]
    assert [netflix.eval_json(x) for x in exprs] == cli_json("eval", *args)


@needs_cli
def test_report_is_the_cli_report(netflix):
    assert netflix.report() == cli_json("run", str(NETFLIX), "--format", "json")
    assert netflix.report("churn_down") == cli_json("run", str(NETFLIX), "--scenario", "churn_down", "--format", "json")


@needs_cli
def test_whatif_matches_the_cli(netflix):
    changes = netflix.whatif({"churn": "3.2%"})
    cli = cli_json("whatif", str(NETFLIX), "--set", "churn=3.2%", "--format", "json")
    assert [c.path for c in changes] == [c["path"] for c in cli]
    assert changes[0] == Change("churn", Quantity(0.038, "%", "3.8%"), Quantity(0.032, "%", "3.2%"))
    assert str(changes[0]) == "churn: 3.8% → 3.2%"


def test_whatif_leaves_the_model_and_set_commits(netflix):
    before = netflix.eval("member_ltv")
    assert netflix.whatif(churn="3.2%")
    assert netflix.eval("member_ltv") == before
    assert netflix.whatif({}) == []
    changes = netflix.set("churn", "3.2%")
    assert "member_ltv" in [c.path for c in changes]
    assert netflix.eval("member_ltv").value == pytest.approx(146.25)
    assert netflix.report()["variables"]  # reports start from the committed override
    assert netflix.set("members", 300_000_000)[0].after == 300e6


def test_scenario_report(netflix):
    r = netflix.report("churn_down")
    assert r["scenario"] == "churn_down"
    assert "MODERNIZE_PLATFORM" in {o["name"] for o in r["objectives"]}
    assert netflix.report()["plan"]["score"] == pytest.approx(netflix.eval("plan.score"))
    with pytest.raises(StratError) as err:
        netflix.report("churn_dwn")
    assert err.value.status == Status.COMPILE
    assert err.value.diagnostics[0].hint == "did you mean 'churn_down'?"


# -- errors --------------------------------------------------------------------------------

def test_compile_error_carries_diagnostics():
    with Engine() as e:
        with pytest.raises(StratError) as err:
            e.load("let churn = 3%\nlet x = chrun * 2\n", path="plan.strat")
        d = err.value.errors[0]
        assert err.value.status == Status.COMPILE
        assert (d.file, d.line, d.column, d.message, d.hint) == ("plan.strat", 2, 9, "unknown name 'chrun'", "did you mean 'churn'?")
        assert "plan.strat:2:9: error: unknown name 'chrun'" in str(err.value)


def test_runtime_error_keeps_the_model_loaded():
    with Engine() as e:
        with pytest.raises(StratError) as err:
            e.load("let a = 2\nlet b = a / 0\n")
        assert err.value.status == Status.RUNTIME
        assert e.eval("a * 3") == 6.0
        assert "division by zero" in str(err.value)
        with pytest.raises(StratError, match="failed to evaluate"):
            e.eval("b")


def test_bad_arguments():
    with pytest.raises(StratError) as err:
        Engine(limits={"max_step": 10})
    assert err.value.status == Status.JSON and err.value.diagnostics[0].hint == "did you mean 'max_steps'?"
    with pytest.raises(StratError, match="options.imports"):
        Engine(imports=["a"])  # type: ignore[arg-type]
    e = Engine()
    with pytest.raises(TypeError):
        e.eval(3)  # type: ignore[arg-type]
    with pytest.raises(StratError) as err:
        e.whatif({"nope": "1"})
    assert err.value.status == Status.COMPILE
    with pytest.raises(StratError) as err:
        e.register("not a name", lambda: 1)
    assert err.value.status == Status.ARGUMENT
    e.close()
    e.close()
    assert e.closed
    with pytest.raises(ValueError, match="closed"):
        e.eval("1")


def test_limits_and_imports_options(tmp_path):
    with Engine(limits={"max_steps": 1000}) as e:
        with pytest.raises(StratError, match="1,000 evaluation steps"):
            e.load("fn f(n) = if n <= 0 then 0 else 1 + f(n - 1)\nlet deep = f(300)\n")
    with Engine(imports={"rates.strat": "let eur_usd = 1.08"}) as e:
        e.load('import "rates.strat"\nlet price = 40 * eur_usd\n', path="main.strat")
        assert e.eval("price") == pytest.approx(43.2)
    (tmp_path / "rates.strat").write_text("let eur_usd = 1.10\n")
    (tmp_path / "main.strat").write_text('import "rates.strat"\nlet price = 40 * eur_usd\n')
    with Engine() as e:
        e.load_file(tmp_path / "main.strat")
        assert e.eval("price") == pytest.approx(44.0)
    with Engine(imports="none") as e:
        with pytest.raises(StratError, match="imports are disabled"):
            e.load_file(tmp_path / "main.strat")


# -- host functions --------------------------------------------------------------------------

def test_host_function_in_the_dependency_graph():
    calls = []

    def fx(amount, code):
        calls.append((amount, code))
        return Quantity(amount * {"EUR": 1.08, "GBP": 1.27}[code], "$", "")

    with Engine() as e:
        e.register("fx", fx)
        e.load('let local_price = 49\nlet price = fx(local_price, "EUR")\nlet units = 1000\nlet revenue = price * units\n')
        assert calls == [(49.0, "EUR")]
        assert e.eval("price").display == "$52.92"
        changes = e.whatif({"local_price": 50})
        assert [c.path for c in changes] == ["local_price", "price", "revenue"]
        assert changes[-1].after.value == pytest.approx(54000)
        assert calls[-1] == (50.0, "EUR")
        n = len(calls)
        e.whatif({"units": 2000})
        assert len(calls) == n  # a what-if beside the host function does not call it


def test_host_function_values_round_trip():
    seen = []

    with Engine() as e:
        e.register("echo", lambda *args: (seen.append(args), list(args))[1])
        e.register("pct", lambda: Quantity(0.05, "%", ""))
        e.register("nothing", lambda: None)
        e.load('let share = pct()\nlet xs = echo(1, "a", true, 3.8%, [2, 3])\nlet n = nothing()\n')
        assert seen[0] == (1.0, "a", True, Quantity(0.038, "%", "3.8%"), [2.0, 3.0])
        assert e.eval("share") == Quantity(0.05, "%", "5%")
        assert e.eval("n") is None


def test_decorator_and_arity():
    with Engine() as e:
        @e.register("double")
        def double(x):
            return 2 * x

        with pytest.raises(StratError, match="takes 1 argument"):
            e.load("let a = double(1, 2)\n")
        e.load("let a = double(21)\n")
        assert e.eval("a") == 42.0
        assert double(2) == 4


def test_callback_exception_becomes_a_diagnostic():
    def boom(x):
        raise ValueError(f"no rate for {x:g}")

    with Engine() as e:
        e.register("boom", boom)
        e.register("ok", lambda x: x + 1)
        with pytest.raises(StratError) as err:
            e.load("let a = 1\nlet b = boom(a)\nlet c = ok(a)\n", path="cb.strat")
        d = err.value.errors[0]
        assert err.value.status == Status.RUNTIME
        assert d.message == "function 'boom' failed: ValueError: no rate for 1"
        assert (d.file, d.line) == ("cb.strat", 2)
        assert isinstance(err.value.__cause__, ValueError)
        assert e.eval("c") == 2.0  # the rest of the model loaded
        with pytest.raises(StratError, match="ValueError"):
            e.eval("boom(3)")
        assert e.eval("ok(3)") == 4.0


def test_callback_bad_results_become_diagnostics():
    with Engine() as e:
        e.register("obj", lambda: object())
        e.register("inf", lambda: float("inf"))
        e.register("dist", lambda: Distribution(1, "", "1", 1, 1, 0, 1, 1))
        for name, text in [("obj", "not a Strat value"), ("inf", "not a finite number"), ("dist", "Distribution")]:
            with pytest.raises(StratError, match=text):
                e.eval(f"{name}()")


def test_callback_reentering_its_engine_is_refused():
    with Engine() as e, Engine() as other:
        other.load("let k = 7\n")
        e.register("inner", lambda: e.eval("1"))
        e.register("elsewhere", lambda: other.eval("k * 6"))
        with pytest.raises(StratError, match="called back into its own engine"):
            e.eval("inner()")
        assert e.eval("elsewhere()") == 42.0


def test_keyboard_interrupt_in_a_callback_propagates():
    def stop():
        raise KeyboardInterrupt

    with Engine() as e:
        e.register("stop", stop)
        with pytest.raises(KeyboardInterrupt):
            e.eval("stop()")
        assert e.eval("1 + 1") == 2.0


# -- threads ---------------------------------------------------------------------------------

def test_threads_one_engine_each():
    with Engine() as e:
        e.load_file(NETFLIX)
        expected = {c: [str(x) for x in e.whatif({"churn": c})] for c in ("3%", "3.5%", "4%", "4.5%")}
    results, errors = {}, []

    def work(k):
        try:
            with Engine() as mine:
                def fails(x):
                    raise RuntimeError(f"thread {k}")
                mine.register("fails", fails)
                mine.load_file(NETFLIX)
                out = {c: [str(x) for x in mine.whatif({"churn": c})] for c in expected}
                with pytest.raises(StratError, match=f"RuntimeError: thread {k}"):
                    mine.eval("fails(1)")
                results[k] = out
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 8 and all(r == expected for r in results.values())


# -- uncertainty (SPEC §13 JSON) ---------------------------------------------------------------

DIST_ENTRY = {
    "expr": "growth", "value": 0.041, "unit": "%", "display": "4.1% (3.1% … 5.3%)",
    "distribution": {"samples": 10000, "mean": 0.041, "sd": 0.0066, "min": 0.02, "max": 0.07,
                     "percentiles": {"5": 0.031, "25": 0.037, "50": 0.041, "75": 0.045, "95": 0.053},
                     "histogram": {"edges": [0.02, 0.045, 0.07], "counts": [6000, 4000]}},
}


def test_distribution_summary_from_the_json_shape():
    d = strat._from_eval(DIST_ENTRY)
    assert isinstance(d, Distribution)
    assert (d.mean, d.sd, d.samples, d.unit) == (0.041, 0.0066, 10000, "%")
    assert d.percentile(95) == 0.053 and d.percentiles[5] == 0.031
    assert d.histogram_counts == [6000, 4000] and len(d.histogram_edges) == 3
    assert float(d) == 0.041 and str(d) == "4.1% (3.1% … 5.3%)"
    number = {k: DIST_ENTRY[k] for k in ("value", "unit", "display", "distribution")}
    assert strat._from_report(number) == d  # what-if changes and callback arguments


def test_distribution_from_the_engine_when_uncertainty_is_built():
    with Engine() as e:
        try:
            e.load("let x = normal(100, 10)\n")
        except StratError as err:
            if "unknown" in str(err):
                pytest.skip("this build has no distributions yet")
            raise
        d = e.eval("x")
        assert isinstance(d, Distribution)
        assert d.mean == pytest.approx(100, abs=1) and d.sd == pytest.approx(10, rel=0.1)
        assert d.percentile(5) < d.percentile(50) < d.percentile(95)


# -- finding the library ----------------------------------------------------------------------

def test_library_next_to_the_package(tmp_path):
    lib = Path(os.environ.get("STRAT_LIB") or strat._lib.library_path())
    pkg = tmp_path / "strat"
    shutil.copytree(Path(strat.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__", "libstrat.*"))
    shutil.copy(lib, pkg / strat._lib.LIBRARY_NAME)
    env = {k: v for k, v in os.environ.items() if k not in ("STRAT_LIB", "LD_LIBRARY_PATH")}
    code = "import strat; e = strat.Engine(); e.load('let a = 6 * 7'); print(e.eval('a'), strat._lib.library_path())"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    value, path = run.stdout.split()
    assert value == "42.0" and Path(path) == (pkg / strat._lib.LIBRARY_NAME).resolve()


def test_strat_lib_that_is_missing_is_a_clear_error(tmp_path):
    env = dict(os.environ, STRAT_LIB=str(tmp_path / "nope.so"))
    run = subprocess.run([sys.executable, "-c", "import strat; strat.Engine()"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode != 0 and "STRAT_LIB is" in run.stderr


@pytest.mark.skipif(not os.environ.get("STRAT_TEST_INSTALLED"), reason="run from a source tree")
def test_the_pip_installed_package_is_under_test():
    assert "site-packages" in Path(strat.__file__).parts
    assert Path(strat._lib.library_path()).parent == Path(strat.__file__).parent  # the copy pip installed


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", strat.version())


# -- goal seek ----------------------------------------------------------------------------------

def test_solve(netflix):
    s = netflix.solve("churn", "member_ltv", "$150")
    assert s.input == "churn" and s.for_ == "member_ltv" and not s.boundary
    assert isinstance(s.value, Quantity) and s.value.unit == "%"
    assert s.achieved.value == pytest.approx(150, rel=1e-9)
    assert s.start == Quantity(0.038, "%", "3.8%")
    low, high = s.bracket
    assert low.value <= s.value.value <= high.value
    with Engine() as check:  # the answer, put back into the model, gives the target
        check.load_file(NETFLIX)
        check.set("churn", repr(s.value.value))
        assert check.eval("member_ltv").value == pytest.approx(150, rel=1e-8)
    assert netflix.eval("churn") == Quantity(0.038, "%", "3.8%")  # the model is unchanged
    assert netflix.solve("churn", "member_ltv", "$150", in_=("1%", "10%")).value.value == pytest.approx(s.value.value, rel=1e-7)
    under = netflix.solve("arpu", "member_ltv", "$150", scenario="churn_up")
    assert under.scenario == "churn_up" and str(under).startswith("arpu = $")


@needs_cli
def test_solve_matches_the_cli(netflix):
    ours = netflix._json_call(netflix._c.strat_solve_json,
                              json.dumps({"input": "churn", "for": "member_ltv", "value": "$150"}).encode())
    cli = cli_json("solve", str(NETFLIX), "churn", "--for", "member_ltv=$150", "--format", "json")
    assert ours == cli


def test_solve_through_a_python_function_and_its_errors():
    with Engine() as e:
        calls = []
        e.register("fx", lambda a: (calls.append(a), Quantity(a * 1.08, "$", ""))[1])
        e.load("let local_price = 49\nlet price = fx(local_price)\nlet revenue = price * 3000\n")
        s = e.solve("local_price", "revenue", "$60000")
        assert s.value == pytest.approx(60000 / 3000 / 1.08) and len(calls) > 3
        with pytest.raises(StratError) as err:
            e.solve("local_price", "revenue", "-$5", in_=(1, 10))
        assert err.value.status == Status.RUNTIME and "no solution" in str(err.value)
        with pytest.raises(StratError) as err:
            e.solve("local_pric", "revenue", "$1")
        assert err.value.status == Status.COMPILE and "local_price" in str(err.value)
        with pytest.raises(TypeError):
            e.solve("local_price", "revenue", "$1", bogus=1)
