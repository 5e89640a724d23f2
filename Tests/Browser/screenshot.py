"""`make screenshot`: renders the Netflix example's HTML report and saves the top of it,
as Chromium draws it at a desktop width, to docs/images/report.png (used by the README)."""
import base64
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from conftest import ROOT, new_driver, strat_bin  # noqa: E402

WIDTH, HEIGHT = 1280, 1560


def main():
    target = ROOT / "docs" / "images" / "report.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        html = pathlib.Path(d) / "report.html"
        subprocess.run([strat_bin(), "run", "examples/netflix-engineering.strat", "--format", "html", "-o", str(html)],
                       cwd=ROOT, check=True)
        driver = new_driver(WIDTH, HEIGHT)
        try:
            driver.get(html.as_uri())
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "scale": 1}})
        finally:
            driver.quit()
    target.write_bytes(base64.b64decode(shot["data"]))
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
