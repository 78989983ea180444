"""Fixtures of the portal, exports and scheduling tests.

- ``small_build``: one report (target 1.1, Limoges, latest school year) built once per test
  run by the ``drane build --quiet`` command, as cron would run it; the tests that use it
  share one xdist worker (``xdist_group("portal")``) so that it is built once.
- ``browser``: headless Chromium driven by Selenium with the system's chromedriver (no
  browser is downloaded); each visit returns the console errors, every network request the
  page made, the page's text and a screenshot. Skips where Chromium or chromedriver is
  absent (CI installs both: ``.ci/run``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DRANE = str(Path(sys.executable).with_name("drane"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
BROWSER_PAGES = ("chrome://", "chrome-untrusted://", "devtools://")  # documents of the browser itself


@dataclass
class SmallBuild:
    out: Path
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def small_build(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SmallBuild:
    out = tmp_path_factory.mktemp("portal-build")
    done = subprocess.run([DRANE, "build", "--target", "1.1", "--academy", "limoges", "--data", str(demo_dir),
                           "--out", str(out), "--jobs", "1", "--quiet"],
                          capture_output=True, text=True, timeout=1200)
    return SmallBuild(out, done.returncode, done.stdout, done.stderr)


@dataclass
class Visit:
    url: str
    console_errors: list[str]
    requests: list[str]
    text: str
    screenshot: Path
    title: str


class Browser:
    def __init__(self, driver, shots: Path):
        self.driver = driver
        self.shots = shots
        self.count = 0

    def visit(self, url: str, width: int = 1200, height: int = 1600, mobile: bool = False) -> Visit:
        """Load ``url`` at this size (``mobile``: a phone's viewport, touch, device pixel ratio 2)."""
        d = self.driver
        d.set_window_size(1200, 1600)
        if mobile:
            d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                              {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
        else:
            d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            d.set_window_size(width, height)
        d.get_log("browser")
        d.get_log("performance")  # forget what earlier pages did
        d.get(url)
        text = d.execute_script("return document.body ? document.body.innerText : ''")
        self.count += 1
        shot = self.shots / f"page-{self.count}.png"
        d.save_screenshot(str(shot))
        console = [f"{e['level']}: {e['message']}" for e in d.get_log("browser")
                   if e.get("level") in ("SEVERE", "WARNING")]
        requests = []
        for entry in d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                # The browser's own pages (the new-tab page Chromium opens at start, loading its
                # chrome:// resources while the first visit begins) are not the visited page's.
                if msg["params"].get("documentURL", "").startswith(BROWSER_PAGES):
                    continue
                requests.append(msg["params"]["request"]["url"])
        return Visit(url, console, requests, text, shot, d.title)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("Chromium et chromedriver absents (apt-get install chromium chromium-driver ; .ci/run les "
                    "installe)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-default-apps", "--disable-extensions", "--lang=fr-FR",
                f"--user-data-dir={profile}",
                # Any name but the loopback resolves to nothing: a request out would fail, and it is logged.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        yield Browser(driver, tmp_path_factory.mktemp("screenshots"))
    finally:
        driver.quit()
