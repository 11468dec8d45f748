"""index.html in headless Chromium: file size, time to a loaded page and time for the first drill-down click."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "report"))

from report_browser import Browser

# One click on the first blocked cell (else the first cell), timed in the page up to a laid-out drill-down.
CLICK = """(() => {
  const td = document.querySelector("td.cell[data-verdict='blocked']") || document.querySelector("td.cell");
  const start = performance.now();
  td.click();
  const svg = document.querySelector("#drill svg");
  document.getElementById("drill").getBoundingClientRect();
  return [performance.now() - start, svg ? svg.querySelectorAll("g.step").length : -1];
})()"""
LOADED = """(() => {
  const n = performance.getEntriesByType("navigation")[0];
  return [n.domInteractive, n.loadEventEnd];
})()"""


def measure(page: Path) -> tuple[float, float, float, float, int]:
    """(wall ms to the load event, in-page ms to interactive, in-page ms to loaded, first click ms, steps drawn)."""
    with Browser() as browser:
        start = time.perf_counter()
        browser.open(page)
        wall = (time.perf_counter() - start) * 1000
        interactive, loaded = browser.evaluate(LOADED)
        click, steps = browser.evaluate(CLICK)
    return wall, interactive, loaded, click, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pages", nargs="+", type=Path, help="index.html files to open")
    parser.add_argument("--repeat", type=int, default=3, help="fresh browsers per page (median reported)")
    args = parser.parse_args()
    for page in args.pages:
        rounds = [measure(page) for _ in range(args.repeat)]
        wall, interactive, loaded, click = (statistics.median(r[i] for r in rounds) for i in range(4))
        print(f"{page}: {page.stat().st_size / 1e6:.2f} MB, median of {args.repeat} fresh Chromium pages")
        print(f"  open -> load event (wall)  {wall:8.1f} ms")
        print(f"  DOM interactive (page)     {interactive:8.1f} ms")
        print(f"  load event end (page)      {loaded:8.1f} ms")
        print(f"  first drill-down click     {click:8.1f} ms ({rounds[0][4]} evidence steps drawn)")


if __name__ == "__main__":
    main()
