"""Headless Chromium (Selenium) against a live Kensa: uvicorn serving the pages, the API and
the event stream on one origin, as bin/run does, and a real video worker.

Screenshots and accessibility reports go to var/test-artifacts/ for a reviewer to look at.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from tests.live import ROOT, process_env, task_worker
from tests.webhooks.live_stack import asgi_server

ARTIFACTS = ROOT / "var" / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE = (ROOT / "tests" / "assets" / "axe.min.js").read_text()
WIDTHS = (390, 1440)
PASSWORD = "a-Strong-pass-123"


def chromium_available() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


def live_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return process_env(
        DJANGO_SETTINGS_MODULE="tests.studio.live_settings",
        MEDIA_ROOT=str(tmp_path / "media"),
        RATELIMIT_AUTH_IP="1000/m",
        RATELIMIT_GENERATE_IP="1000/m",
        EVENTS_HEARTBEAT_SECONDS="2",
        EMAIL_URL="consolemail://",  # the verification mail goes to the server log
        BILLING_PROVIDER="demo",  # the demo checkout's Pay button works with DEBUG off too
        **overrides,
    )


@contextmanager
def live_stack(tmp_path: Path) -> Iterator[str]:
    env = live_env(tmp_path)
    with asgi_server(env, tmp_path) as base, task_worker(env, tmp_path):
        yield base


@contextmanager
def chrome() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # tests may run as root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1440,900",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until(driver: webdriver.Chrome, condition: Callable, timeout: float = 15, what: str = "") -> object:
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))
    except TimeoutException as error:
        raise AssertionError(f"timed out waiting for {what or condition} on {driver.current_url}") from error


def settled(driver: webdriver.Chrome) -> None:
    """The page's scripts finished their first reads (no "Loading…" left)."""
    wait_until(
        driver,
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && !document.body.innerText.includes('Loading…')"
        ),
        what="the page to finish loading",
    )


def set_width(driver: webdriver.Chrome, width: int, height: int = 900) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def axe_violations(driver: webdriver.Chrome) -> list[dict]:
    """axe-core's serious and critical violations on the current page (WCAG 2.x A and AA)."""
    driver.execute_script(AXE)
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
        axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
          .then((r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5)}))))
          .catch((e) => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
        """
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def inspect_page(driver: webdriver.Chrome, name: str, report: dict | None = None) -> None:
    """At each width: a full-page screenshot, no sideways scrolling, and no serious or
    critical axe violation. The window is left at 1440 px."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for width in WIDTHS:
        set_width(driver, width)
        time.sleep(0.15)  # a layout pass after the resize
        height = driver.execute_script("return document.documentElement.scrollHeight")
        set_width(driver, width, min(max(height, 600), 6000))
        time.sleep(0.15)
        driver.save_screenshot(str(SCREENSHOTS / f"{name}-{width}.png"))
        overflow = driver.execute_script("return document.documentElement.scrollWidth") - width
        violations = axe_violations(driver)
        if report is not None:
            report[f"{name}-{width}"] = {"overflowPx": max(overflow, 0), "violations": violations}
        if overflow > 0 or violations:
            problems[width] = {"overflowPx": overflow, "violations": violations}
    set_width(driver, 1440)
    assert not problems, f"{name}: {json.dumps(problems, indent=1)}"
