"""Take the screenshots of docs/img/ from the reports of a finished run.

Run: ``.venv/bin/python docs/screenshots.py OUT`` after ``forecast run --out OUT`` (the default fit:
the pictures show its numbers) and ``forecast report --lang en --out OUT_en --scenarios OUT/scenarios``
(written by this script when ``OUT_en`` is missing). It opens the pages in Debian's chromium, headless
(as the report tests do; ``make browser`` installs it), and writes:

* ``report-first-screen-nl.png`` and ``report-first-screen-en.png``: the first screen of the index
  page, 1100 x 760 pixels;
* ``explorer-nl.png``: the Dutch explorer with kabinetsbeleid chosen, its controls, charts and
  per-fase table (1200 x 1550);
* ``explorer-target-en.png``: the English explorer's "what does it take" answer to
  P(need > capacity) <= 0.10 in normalisatie (the page's default question).

Nothing is fetched from the network: every request other than ``file://`` is refused.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

IMG = Path(__file__).resolve().parent / "img"


def main(out: Path) -> None:
    """Write the four screenshots from ``out/reports`` and ``<out>_en/reports``."""
    from playwright.sync_api import sync_playwright

    english = out.with_name(out.name + "_en")
    if not (english / "reports" / "index.html").exists():
        report = ["report", "--lang", "en", "--scenarios", str(out / "scenarios"), "--out", str(english)]
        subprocess.run([sys.executable, "-m", "forecast", *report], check=True)
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise SystemExit("chromium is not installed: run `make browser`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])

        def page(path: Path, width: int, height: int):
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            tab.goto(path.resolve().as_uri())
            tab.wait_for_load_state("load")
            return tab

        for lang, folder in (("nl", out), ("en", english)):
            page(folder / "reports" / "index.html", 1100, 760).screenshot(
                path=IMG / f"report-first-screen-{lang}.png"
            )
        tab = page(out / "reports" / "explorer.html", 1200, 1550)
        tab.get_by_role("button", name="Kabinetsbeleid").first.click()
        tab.screenshot(path=IMG / "explorer-nl.png")
        tab = page(out / "reports" / "explorer.html", 1200, 600)
        tab.get_by_role("button", name="English").click()
        tab.locator("text=What does it take?").scroll_into_view_if_needed()
        tab.locator("text=What does it take?").evaluate("e => e.scrollIntoView()")
        tab.screenshot(path=IMG / "explorer-target-en.png")
        browser.close()
    print(f"wrote {', '.join(sorted(p.name for p in IMG.glob('*.png')))} to {IMG}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python docs/screenshots.py OUT  (the folder of `forecast run --out OUT`)")
    main(Path(sys.argv[1]))
