"""The HTML report (`strat run --format html`) checked in headless Chromium: it loads
with no console errors and no network requests, every section and chart is there, the
SVG geometry matches the report's data, and it is readable at desktop and phone widths,
in the dark scheme and in print. Also `strat watch`."""
import io
import json
import pathlib
import re
import signal
import subprocess
import tempfile
import time

import html5lib
import pytest
from PIL import Image, ImageStat

from conftest import ROOT, strat_bin

EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.strat"))


def run(*args, check_codes=(0, 1)):
    p = subprocess.run([strat_bin(), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode in check_codes, f"strat {' '.join(args)} exited {p.returncode}: {p.stderr}"
    return p


@pytest.fixture(scope="module")
def outdir():
    with tempfile.TemporaryDirectory(prefix="strat-html-") as d:
        yield pathlib.Path(d)


def render(example, outdir):
    out = outdir / (pathlib.Path(example).stem + ".html")
    run("run", example, "--format", "html", "-o", str(out))
    data = json.loads(run("run", example, "--format", "json").stdout)
    compare = json.loads(run("compare", example, "--format", "json").stdout)
    return out, data, compare


def load(driver, path, width=1280, height=900):
    # Device metrics rather than the window size: a window has a minimum width wider
    # than a phone's, a device override lays the page out at exactly this width.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(path.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def network_requests(driver, page_url):
    urls = []
    for e in driver.get_log("performance"):
        msg = json.loads(e["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if url != page_url:
                urls.append(url)
    return urls


def pixel_stddev(png):
    im = Image.open(io.BytesIO(png)).convert("L")
    return ImageStat.Stat(im).stddev[0]


def expected_sections(data, compare):
    ids = ["summary"]
    if data["prints"]:
        ids.append("output")
    ids += [f"swot-{k}" for k in range(len(data["swots"]))]
    if data["objectives"]:
        ids.append("objectives")
    if data["metrics"]:
        ids.append("metrics")
    tracked = [k for o in data["objectives"] for k in o["krs"]] + data["metrics"]
    if any("history" in k for k in tracked) or data["plan"].get("overdue"):
        ids.append("tracking")
    if any(p["series"] for p in data["projections"]):
        ids.append("projections")
    if len(compare["scenarios"]) > 1:
        ids.append("scenarios")
    aligned = [i for s in data["swots"] for i in s["items"] if i["category"] in ("priority", "weakness", "threat")]
    if data["objectives"] and aligned:
        ids.append("alignment")
    if any(r["items"] for r in data["retros"]):
        ids.append("retros")
    if data["assertions"]:
        ids.append("asserts")
    return ids


@pytest.mark.parametrize("example", EXAMPLES)
def test_valid_self_contained_html5(example, outdir):
    out, _, _ = render(example, outdir)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    doc = parser.parse(text)  # raises on the first parse error
    assert parser.errors == []
    for el in doc.iter():
        for attr in ("src", "href", "action", "srcset", "poster", "data"):
            v = el.get(attr)
            if v is not None and attr == "href":
                assert v.startswith("#"), f"{example}: link out of the document: {v}"
            elif v is not None and attr != "data":
                pytest.fail(f"{example}: <{el.tag} {attr}={v!r}> loads something")
        if el.tag in ("script", "link", "iframe", "img", "object", "embed"):
            pytest.fail(f"{example}: <{el.tag}> in a self-contained report")
    assert "@import" not in text and "url(" not in text


@pytest.mark.parametrize("example", EXAMPLES)
def test_loads_clean_with_every_section_and_chart(example, outdir, driver):
    out, data, compare = render(example, outdir)
    load(driver, out)
    assert console_errors(driver) == []
    assert network_requests(driver, out.as_uri()) == []
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    ids = driver.execute_script("return [...document.querySelectorAll('main > section')].map(s => s.id)")
    assert ids == expected_sections(data, compare)
    # Every chart has a <title> as its first child, and text labels.
    charts = driver.execute_script("""
        return [...document.querySelectorAll('svg')].map(s => ({
            title: s.firstElementChild && s.firstElementChild.tagName === 'title' ? s.firstElementChild.textContent : null,
            texts: s.querySelectorAll('text').length,
            w: s.getBoundingClientRect().width}))""")
    assert charts, "no charts"
    for c in charts:
        assert c["title"], c
        assert c["texts"] > 0, c
        assert c["w"] > 100, c
    # Counts per kind: one quadrant chart per SWOT, one IE matrix per scored SWOT,
    # one KR chart per objective with KRs, one line chart per projection.
    count = lambda sel: driver.execute_script(f"return document.querySelectorAll({json.dumps(sel)}).length")
    assert count("div.swot") == len(data["swots"])
    assert count("div.swot > svg.quadrant") == 4 * len(data["swots"])
    quadrants = driver.execute_script("return [...document.querySelectorAll('div.swot')].map(d => [...d.querySelectorAll('svg.quadrant')].map(q => [q.dataset.category, +q.dataset.count]))")
    for q, s in zip(quadrants, data["swots"]):
        assert q == [[c, sum(1 for i in s["items"] if i["category"] == c)] for c in ("strength", "weakness", "opportunity", "threat")]
    assert count("svg.ie") == sum(1 for s in data["swots"] if s["ife"] is not None and s["efe"] is not None)
    assert count("#objectives svg.bars") == sum(1 for o in data["objectives"] if o["krs"])
    assert count("#projections svg.line") == sum(1 for p in data["projections"] if p["series"])
    if len(compare["scenarios"]) > 1:
        assert count("#scenarios svg.scenarios") == 1
    # The whole text report is in it: every KR, metric, item and projection by name.
    body = driver.execute_script("return document.body.innerText")
    for o in data["objectives"]:
        assert o["name"] in body
        for k in o["krs"]:
            assert k["name"] in body
    for s in data["swots"]:
        for i in s["items"]:
            assert i["name"] in body and (i["text"] or "") in body
    for m in data["metrics"]:
        assert m["name"] in body
    for p in data["prints"]:
        assert p in body
    if data.get("as_of"):
        assert "As of" in body and data["as_of"] in body
    if data["plan"]["score"] is not None:
        assert f"{data['plan']['score']:.2f}" in driver.find_element("css selector", "#summary .big").text


@pytest.mark.parametrize("example", EXAMPLES)
def test_geometry_matches_the_data(example, outdir, driver):
    out, data, _ = render(example, outdir)
    load(driver, out)
    # IE matrix: the point sits inside the reported cell, at (IFE, EFE) on the axes.
    ies = driver.execute_script("""
        return [...document.querySelectorAll('svg.ie')].map(s => {
            const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
            const p = s.querySelector('.ie-point');
            const cells = {};
            s.querySelectorAll('rect.ie-cell').forEach(c => cells[c.dataset.cell] = box(c));
            return {cell: s.dataset.cell, point: box(p), cells, current: [...s.querySelectorAll('rect.ie-cell.current')].map(c => c.dataset.cell)};
        })""")
    swots = [s for s in data["swots"] if s["ife"] is not None and s["efe"] is not None]
    assert len(ies) == len(swots)
    for ie, s in zip(ies, swots):
        assert ie["cell"] == s["ie_cell"] and ie["current"] == [s["ie_cell"]]
        l, t, r, b = ie["point"]
        cx, cy = (l + r) / 2, (t + b) / 2
        cl, ct, cr, cb = ie["cells"][s["ie_cell"]]
        assert cl < cx < cr and ct < cy < cb, f"{s['name']}: point {cx},{cy} not in cell {s['ie_cell']}"
        # The axis: cell I's left edge is IFE 4 / EFE 4, cell IX's right/bottom edge is 1.
        x4, y4 = ie["cells"]["I"][0], ie["cells"]["I"][1]
        x1, y1 = ie["cells"]["IX"][2], ie["cells"]["IX"][3]
        ex = x4 + (4 - min(4, max(1, s["ife"]))) / 3 * (x1 - x4)
        ey = y4 + (4 - min(4, max(1, s["efe"]))) / 3 * (y1 - y4)
        tol = 7 * (x1 - x4) / 276  # the point may be nudged 6 units into the reported cell
        assert abs(cx - ex) <= tol and abs(cy - ey) <= tol, (s["name"], cx, ex, cy, ey)

    # Projections: N+1 points inside the plot area, heights proportional to the values.
    lines = driver.execute_script("""
        return [...document.querySelectorAll('#projections figure.projection')].map(f => {
            const plot = f.querySelector('rect.plot');
            const line = f.querySelector('polyline.series');
            return {name: f.dataset.name, points: line.getAttribute('points'),
                    plot: ['x','y','width','height'].map(a => +plot.getAttribute(a))};
        })""")
    drawn = [p for p in data["projections"] if p["series"]]
    assert [l["name"] for l in lines] == [p["name"] for p in drawn]
    for l, p in zip(lines, drawn):
        pts = [tuple(map(float, xy.split(","))) for xy in l["points"].split()]
        assert len(pts) == p["periods"] + 1 == len(p["series"])
        x, y, w, h = l["plot"]
        for px, py in pts:
            assert x - 0.06 <= px <= x + w + 0.06 and y - 0.06 <= py <= y + h + 0.06, (p["name"], px, py)
        xs = [q[0] for q in pts]
        assert abs(xs[0] - x) < 0.1 and abs(xs[-1] - (x + w)) < 0.1
        steps = [b - a for a, b in zip(xs, xs[1:])]
        assert max(steps) - min(steps) < 0.25  # evenly spaced periods
        vals = p["series"]
        lo, hi = min(vals), max(vals)
        if hi - lo > 1e-9 * max(1, abs(hi)):
            # y is linear in the value: fit on the extremes, every point within rounding.
            ylo, yhi = pts[vals.index(lo)][1], pts[vals.index(hi)][1]
            assert yhi < ylo  # larger values are higher up
            for v, (_, py) in zip(vals, pts):
                assert abs(py - (ylo + (v - lo) / (hi - lo) * (yhi - ylo))) < 0.2, (p["name"], v, py)

    # KR bars: width proportional to the score (clamped to 0…1) on each objective's track.
    bars = driver.execute_script("""
        return [...document.querySelectorAll('#objectives article.objective')].map(a =>
            [...a.querySelectorAll('svg.bars rect.bar')].map(r => [+r.getAttribute('width'), +r.dataset.track, r.getAttribute('class')]))""")
    assert len(bars) == len(data["objectives"])
    for rows, o in zip(bars, data["objectives"]):
        assert len(rows) == len(o["krs"])
        for (w, track, cls), k in zip(rows, o["krs"]):
            expect = 0 if k["score"] is None else min(1, max(0, k["score"])) * track
            assert abs(w - expect) <= 0.06, (o["name"], k["name"], w, expect)
            assert f"s-{k['status']}" in cls if k["status"] else "s-none" in cls
    # Colour is never the only signal: every status bar has its status word beside it.
    labels = driver.execute_script("return [...document.querySelectorAll('#objectives svg.bars text.value')].map(t => t.textContent)")
    statuses = [k["status"] or "unscored" for o in data["objectives"] for k in o["krs"]]
    assert len(labels) == len(statuses)
    for lab, st in zip(labels, statuses):
        assert lab.endswith(st), (lab, st)


@pytest.mark.parametrize("example", EXAMPLES)
def test_screenshots_phone_dark_and_print(example, outdir, driver):
    out, _, _ = render(example, outdir)
    for width, height in ((1280, 900), (390, 844)):
        load(driver, out, width, height)
        png = driver.get_screenshot_as_png()
        assert pixel_stddev(png) > 12, f"{example} looks blank at {width}px"
        # No horizontal scrolling of the page at this width (wide tables scroll inside their box).
        assert driver.execute_script("return window.innerWidth") == width
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{example} is {overflow}px too wide at {width}px"
    # Dark scheme: a dark background with light text.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        load(driver, out)
        bg, fg = driver.execute_script("""
            const lum = c => { const m = c.match(/\\d+(\\.\\d+)?/g).map(Number); return (0.2126*m[0] + 0.7152*m[1] + 0.0722*m[2]) / 255; };
            const s = getComputedStyle(document.body); return [lum(s.backgroundColor), lum(s.color)];""")
        assert bg < 0.2 and fg > 0.7, (bg, fg)
        assert pixel_stddev(driver.get_screenshot_as_png()) > 12
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    # Print: at the width of an A4 page's text (180 mm ≈ 680 px) every chart fits.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        load(driver, out, 680, 1000)
        too_wide = driver.execute_script("""
            const w = document.documentElement.clientWidth;
            return [...document.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().right > w + 0.5).length""")
        assert too_wide == 0
        pdf = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})
        assert len(pdf["data"]) > 1000
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


HOSTILE = '''org "Acme <script>alert(1)</script> & \\"Co\\" 'x'"
mission "</title><img src=x onerror=alert(2)>"
swot S "<b>bold</b>" {
  strength A "<!-- not a comment --> & &amp;" { weight: 0.5, rating: 4 }
  weakness B "]]> </svg> <svg onload=alert(3)>" { weight: 0.5, rating: 1 }
  priority P "</style><style>body{display:none}</style>"
}
objective O "<i>obj</i>" {
  supports: [S.priorities.P]
  kr K "</text><text>x" { baseline: 0, target: 10, current: 5 }
}
print "<marquee>printed</marquee>"
'''


def test_user_text_is_escaped(outdir, driver):
    src = outdir / "hostile.strat"
    src.write_text(HOSTILE, encoding="utf-8")
    out = outdir / "hostile.html"
    run("run", str(src), "--format", "html", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    doc = parser.parse(text)
    tags = {el.tag for el in doc.iter() if isinstance(el.tag, str)}
    assert not tags & {"script", "img", "marquee", "i"}
    assert not [el for el in doc.iter() if el.tag == "b" and el.text == "bold"]
    load(driver, out)
    assert console_errors(driver) == []
    assert driver.find_element("css selector", "h1").text == "Acme <script>alert(1)</script> & \"Co\" 'x'"
    body = driver.execute_script("return document.body.innerText")
    for s in ("</title><img src=x onerror=alert(2)>", "<!-- not a comment --> & &amp;", "]]> </svg> <svg onload=alert(3)>",
              "<marquee>printed</marquee>", "</text><text>x"):
        assert s in body, s
    assert driver.execute_script("return document.title").startswith("Acme <script>")
    assert driver.execute_script("return getComputedStyle(document.body).display") != "none"


def test_output_file_is_replaced_atomically(outdir):
    out = outdir / "atomic.html"
    out.write_text("old", encoding="utf-8")
    run("run", "examples/quickstart.strat", "--format", "html", "-o", str(out))
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in outdir.iterdir() if p.name.startswith(".atomic")] == []  # no temporary left
    bad = run("run", "examples/quickstart.strat", "--format", "html", "-o", str(outdir / "missing" / "r.html"), check_codes=(70,))
    assert "cannot create" in bad.stderr


def wait_for(pred, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_watch_rerenders_and_keeps_the_last_good_report(outdir):
    src = outdir / "watched.strat"
    out = outdir / "watched.html"
    src.write_text('org "First"\nlet x = 1\n', encoding="utf-8")
    p = subprocess.Popen([strat_bin(), "watch", str(src), "-o", str(out), "--interval", "50"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        read = lambda: out.read_text(encoding="utf-8") if out.exists() else ""
        assert wait_for(lambda: "<h1>First</h1>" in read())
        time.sleep(0.05)
        src.write_text('org "Second"\nlet x = 2\n', encoding="utf-8")
        assert wait_for(lambda: "<h1>Second</h1>" in read())
        time.sleep(0.05)
        src.write_text('org "Third"\nlet x = \n', encoding="utf-8")  # a syntax error
        time.sleep(1.0)
        assert "<h1>Second</h1>" in read()
        # An editor that saves by renaming a new file over the old one.
        tmp = outdir / "watched.tmp"
        tmp.write_text('org "Fourth"\nlet x = 4\n', encoding="utf-8")
        tmp.rename(src)
        assert wait_for(lambda: "<h1>Fourth</h1>" in read())
    finally:
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=10)
    assert p.returncode == 0
    assert "watched.strat:3:1: error: expected expression" in stderr
    assert "kept the last good report" in stdout
    assert stdout.strip().endswith("stopped")
    assert re.search(r"wrote .*watched\.html", stdout)


def test_watch_help_and_usage():
    h = run("watch", "--help", check_codes=(0,))
    assert "Usage: strat watch" in h.stdout and "--output" in h.stdout
    u = run("watch", "examples/quickstart.strat", check_codes=(64,))
    assert "-o" in u.stderr


def test_sensitivity_tornado(outdir, driver):
    ex = "examples/netflix-engineering.strat"
    out = outdir / "tornado.html"
    run("run", ex, "--format", "html", "-o", str(out), "--sensitivity", "plan.score")
    sens = json.loads(run("sensitivity", ex, "plan.score", "--format", "json").stdout)
    load(driver, out)
    assert console_errors(driver) == []
    assert "sensitivity" in driver.execute_script("return [...document.querySelectorAll('main > section')].map(s => s.id)")
    bars = driver.execute_script("""
        const s = document.querySelector('#sensitivity svg.tornado');
        const c = s.querySelector('line.centre');
        return {centre: +c.getAttribute('x1'), title: s.querySelector('title').textContent,
                bars: [...s.querySelectorAll('rect.tbar')].map(r => ({input: r.dataset.input, low: r.classList.contains('t-low'),
                    x: +r.getAttribute('x'), w: +r.getAttribute('width')}))}""")
    rows = [r for r in sens["rows"] if r["low"] is not None and r["high"] is not None][:12]
    assert [b["input"] for b in bars["bars"]] == [r["input"] for r in rows for _ in (0, 1)]
    base = sens["base"]["value"]
    # Widths in proportion to |target(low) − base| and |target(high) − base|, one scale for all.
    lengths = [abs(r[k]["value"] - base) for r in rows for k in ("low", "high")]
    scale = max(b["w"] for b in bars["bars"]) / max(lengths)
    for b, length in zip(bars["bars"], lengths):
        assert abs(b["w"] - length * scale) <= 0.15, (b, length * scale)
        # Every bar starts or ends at the centre line (the base value).
        assert abs(b["x"] - bars["centre"]) <= 0.06 or abs(b["x"] + b["w"] - bars["centre"]) <= 0.15
    assert "plan.score" in bars["title"]
    u = run("run", ex, "--sensitivity", "plan.score", check_codes=(64,))
    assert "--format html" in u.stderr


def test_tracking_charts(outdir, driver):
    """SPEC §15/§17: one tracking chart per tracked KR or metric as of a date: actuals
    solid through the baseline and the check-ins known on that date, the forecast dashed
    to the end date, today's line at the elapsed fraction with the expected-pace marker on
    it, and the KR bars' pace markers at the elapsed fraction of their track."""
    ex = "examples/netflix-engineering.strat"
    out = outdir / "tracking.html"
    run("run", ex, "--format", "html", "-o", str(out), "--as-of", "2026-07-01")
    data = json.loads(run("run", ex, "--format", "json", "--as-of", "2026-07-01").stdout)
    load(driver, out)
    assert console_errors(driver) == []
    assert "tracking" in driver.execute_script("return [...document.querySelectorAll('main > section')].map(s => s.id)")
    charts = driver.execute_script("""
        return [...document.querySelectorAll('#tracking svg.tracking')].map(s => {
            const plot = s.querySelector('rect.plot');
            const today = s.querySelector('line.today');
            const marker = s.querySelector('circle.expected-marker');
            const actual = s.querySelector('polyline.actual');
            const forecast = s.querySelector('polyline.forecast');
            return {path: s.dataset.path, health: s.dataset.health, elapsed: +s.dataset.elapsed / 1000,
                    title: s.firstElementChild.textContent,
                    plot: ['x','y','width','height'].map(a => +plot.getAttribute(a)),
                    today: today ? +today.getAttribute('x1') : null,
                    marker: marker ? [+marker.getAttribute('cx'), +marker.getAttribute('cy')] : null,
                    actual: actual ? actual.getAttribute('points') : null,
                    dots: [...s.querySelectorAll('circle.dot')].map(c => c.dataset.date),
                    forecast: forecast ? forecast.getAttribute('points') : null,
                    dashed: forecast ? getComputedStyle(forecast).strokeDasharray : null};
        })""")
    tracked = [(f"{o['name']}.{k['name']}", k) for o in data["objectives"] for k in o["krs"] if "history" in k]
    tracked += [(m["name"], m) for m in data["metrics"] if "history" in m]
    assert [c["path"] for c in charts] == [p for p, _ in tracked]
    for c, (path, k) in zip(charts, tracked):
        x, y, w, h = c["plot"]
        assert c["health"] == (k["health"] or "")
        assert path in c["title"]
        assert abs(c["elapsed"] - k["elapsed"]) < 1e-3
        # Today's line sits at the elapsed fraction of the period; the marker is on it.
        assert abs(c["today"] - (x + k["elapsed"] * w)) < 0.1, (path, c["today"])
        if k["expected"] is not None:
            assert abs(c["marker"][0] - c["today"]) < 0.01
            assert y - 0.1 <= c["marker"][1] <= y + h + 0.1
        known = [e["date"] for e in k["history"] if not e["future"]]
        assert c["dots"] == known
        pts = [tuple(map(float, xy.split(","))) for xy in c["actual"].split()] if c["actual"] else []
        assert len(pts) == len(known) + (1 if k["baseline"] is not None else 0)
        xs = [p[0] for p in pts]
        assert xs == sorted(xs) and all(x - 0.06 <= px <= x + w + 0.06 for px in xs)
        if k["forecast"] is not None and pts:
            f = [tuple(map(float, xy.split(","))) for xy in c["forecast"].split()]
            assert f[0] == pts[-1] and abs(f[-1][0] - (x + w)) < 0.1  # from the last actual to the end date
            assert c["dashed"] not in (None, "", "none")
    # KR bars carry the expected-pace marker at the elapsed fraction of their track.
    paces = driver.execute_script("""
        return [...document.querySelectorAll('#objectives svg.bars')].map(s => {
            const track = s.querySelector('rect.track');
            return {x: +track.getAttribute('x'), w: +track.getAttribute('width'),
                    paces: [...s.querySelectorAll('line.pace')].map(l => +l.getAttribute('x1'))};
        })""")
    for bars, o in zip(paces, data["objectives"]):
        assert len(bars["paces"]) == len(o["krs"])
        for px, k in zip(bars["paces"], o["krs"]):
            assert abs(px - (bars["x"] + k["elapsed"] * bars["w"])) < 0.1
    body = driver.execute_script("return document.body.innerText")
    assert "As of" in body and "2026-07-01" in body
    assert "needs attention" in body and "on track" in body


def test_uncertainty_bands_and_histograms(outdir, driver):
    """An uncertain model (SPEC §13, §17): projection charts shade p5–p95 with a p50 line
    on the chart's own scale, and each uncertain key result or metric value has a
    histogram whose bars are the report's counts, spanning exactly the sampled range."""
    for ex in ("examples/launch-decision.strat", "examples/netflix-engineering.strat"):
        out, data, _ = render(ex, outdir)
        load(driver, out)
        assert console_errors(driver) == []
        body = driver.execute_script("return document.body.innerText")
        sim = data["simulation"]
        assert f"{sim['samples']:,} samples · seed {sim['seed']}" in body

        # Bands: the p5 and p95 edges and the p50 line, at the series' x positions and scale.
        charts = driver.execute_script("""
            return [...document.querySelectorAll('#projections figure.projection')].map(f => ({
                name: f.dataset.name,
                series: f.querySelector('polyline.series').getAttribute('points'),
                band: f.querySelector('polygon.band') && f.querySelector('polygon.band').getAttribute('points'),
                median: f.querySelector('polyline.median') && f.querySelector('polyline.median').getAttribute('points')}))""")
        parse = lambda s: [tuple(map(float, xy.split(","))) for xy in s.split()]
        byname = {p["name"]: p for p in data["projections"]}
        uncertain = [c for c in charts if "percentiles" in byname[c["name"]]]
        assert uncertain or ex.endswith("launch-decision.strat"), ex
        for c in charts:
            p = byname[c["name"]]
            if "percentiles" not in p:
                assert c["band"] is None and c["median"] is None
                continue
            n = len(p["series"])
            series, band, median = parse(c["series"]), parse(c["band"]), parse(c["median"])
            assert len(band) == 2 * n and len(median) == n
            upper, lower = band[:n], band[n:][::-1]
            pc = p["percentiles"]
            # One linear y scale for the mean line and the band (fit on two distinct values).
            pairs = [(v, y) for v, (_, y) in zip(p["series"], series)] + [(v, y) for v, (_, y) in zip(pc["95"], upper)] \
                + [(v, y) for v, (_, y) in zip(pc["5"], lower)] + [(v, y) for v, (_, y) in zip(pc["50"], median)]
            (v0, y0), (v1, y1) = min(pairs), max(pairs)
            assert v1 > v0 and y1 < y0, (c["name"], "larger values are higher up")
            for v, y in pairs:
                assert abs(y - (y0 + (v - v0) / (v1 - v0) * (y1 - y0))) < 0.2, (c["name"], v, y)
            for i in range(n):
                assert abs(upper[i][0] - series[i][0]) < 0.06 and abs(median[i][0] - series[i][0]) < 0.06
                assert upper[i][1] <= median[i][1] + 0.06 <= lower[i][1] + 0.12

        # Histograms: one per uncertain KR or metric value, bars = the JSON histogram.
        scored = [k for o in data["objectives"] for k in o["krs"]] + data["metrics"]
        expected = {k["name"]: k["current"]["distribution"] for k in scored
                    if isinstance(k.get("current"), dict) and "distribution" in k["current"]}
        hists = driver.execute_script("""
            return [...document.querySelectorAll('figure.hist svg.histogram')].map(s => ({
                name: s.dataset.name, min: +s.dataset.min, max: +s.dataset.max,
                title: s.querySelector('title').textContent,
                smooth: s.querySelectorAll('path, polyline, polygon').length,
                bars: [...s.querySelectorAll('rect.hbar')].map(r => ({lo: +r.dataset.lo, hi: +r.dataset.hi, count: +r.dataset.count,
                    x: +r.getAttribute('x'), w: +r.getAttribute('width'), h: +r.getAttribute('height')}))}))""")
        assert sorted(h["name"] for h in hists) == sorted(expected), ex
        for h in hists:
            d = expected[h["name"]]
            assert h["smooth"] == 0, "bars only, never a smoothed density"
            assert [b["count"] for b in h["bars"]] == d["histogram"]["counts"]
            assert sum(b["count"] for b in h["bars"]) == d["samples"]
            edges = d["histogram"]["edges"]
            assert [b["lo"] for b in h["bars"]] == edges[:-1] and [b["hi"] for b in h["bars"]] == edges[1:]
            # No bar beyond the sample range: the bars run from the smallest to the largest sample.
            assert h["min"] == d["min"] == edges[0] and h["max"] == d["max"] == edges[-1]
            xs = [b["x"] for b in h["bars"]]
            assert xs == sorted(xs)
            if len(xs) > 1:
                assert abs((h["bars"][-1]["x"] + h["bars"][-1]["w"]) - (xs[0] + (xs[-1] - xs[0]) * len(xs) / (len(xs) - 1))) < 1.0
            peak = max(b["count"] for b in h["bars"])
            tallest = max(b["h"] for b in h["bars"])
            for b in h["bars"]:
                assert abs(b["h"] - b["count"] / peak * tallest) < 0.11
            assert f"{d['samples']} samples" in h["title"]
        if ex.endswith("launch-decision.strat"):
            assert len(hists) == 3
            heads = driver.execute_script("return [...document.querySelectorAll('#objectives table th')].map(t => t.textContent)")
            assert "Chance" in heads
