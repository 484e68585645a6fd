"""The studio in headless Chromium against a live Kensa (uvicorn + a real video worker):
what a person does, with screenshots and an accessibility check of every page."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.live import free_port
from tests.studio.browser import (
    ARTIFACTS,
    PASSWORD,
    chrome,
    chromium_available,
    inspect_page,
    live_stack,
    settled,
    wait_until,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="chromium and chromedriver are not installed"),
]

AXE_REPORT: dict = {}


@pytest.fixture(scope="module")
def base(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), live_stack(tmp_path_factory.mktemp("studio-stack")) as url:
        yield url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(AXE_REPORT, indent=1, sort_keys=True))


@pytest.fixture(scope="module")
def module_browser():
    with chrome() as driver:
        yield driver


@pytest.fixture
def browser(module_browser, base):
    module_browser.get(f"{base}/healthz")
    module_browser.delete_all_cookies()
    return module_browser


def sign_up(browser, base: str, email: str) -> None:
    browser.get(f"{base}/signup")
    browser.find_element(By.ID, "signup-name").send_keys("Ada")
    browser.find_element(By.ID, "signup-email").send_keys(email)
    browser.find_element(By.ID, "signup-password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#signup-form button[type=submit]").click()
    wait_until(browser, lambda d: d.current_url == f"{base}/studio", what="the studio after signing up")
    settled(browser)


def balance_shown(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, "#nav-balance [data-balance]").text


def choose_model(browser, model_id: str) -> None:
    Select(browser.find_element(By.ID, "gen-model")).select_by_value(model_id)


def test_sign_up_buy_generate_watch_play_and_delete(browser, base):
    browser.get(base + "/")
    inspect_page(browser, "home", AXE_REPORT)
    browser.get(f"{base}/signup")
    inspect_page(browser, "signup", AXE_REPORT)
    browser.get(f"{base}/login")
    inspect_page(browser, "login", AXE_REPORT)
    sign_up(browser, base, "ada@example.com")
    assert balance_shown(browser) == "2"

    # Buy the starter pack (280 credits) with the demo provider.
    browser.get(f"{base}/credits")
    settled(browser)
    browser.find_element(By.CSS_SELECTOR, "button[data-product='starter-pack']").click()
    wait_until(browser, lambda d: "/billing/demo/checkout/" in d.current_url, what="the demo checkout")
    browser.find_element(By.ID, "pay").click()
    wait_until(browser, lambda d: d.current_url == f"{base}/", what="the way back from paying")
    wait_until(browser, lambda d: balance_shown(d) == "282", what="the balance after paying")

    # Generate on the studio page and watch it finish without reloading.
    browser.get(f"{base}/studio")
    settled(browser)
    wait_until(
        browser, lambda d: d.execute_script("return document.documentElement.dataset.live") == "stream"
    )
    browser.find_element(By.ID, "gen-prompt").send_keys("A red fox trotting through fresh snow at dawn")
    choose_model(browser, "sora-2")
    Select(browser.find_element(By.ID, "gen-duration")).select_by_value("10")
    Select(browser.find_element(By.ID, "gen-aspect")).select_by_value("16:9")
    assert browser.find_element(By.ID, "gen-price").text == "2 credits"
    browser.execute_script("window.__notReloaded = true")
    browser.find_element(By.ID, "gen-submit").click()
    card = wait_until(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#recent-videos li[data-video]"),
        what="the new video in the list",
    )[0]
    uuid = card.get_attribute("data-video")
    wait_until(
        browser,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f"li[data-video='{uuid}']").get_attribute("data-status")
            == "COMPLETED"
        ),
        timeout=60,
        what="the video to complete",
    )
    assert browser.execute_script("return window.__notReloaded") is True
    assert browser.find_element(By.CSS_SELECTOR, f"li[data-video='{uuid}'] img.thumb").get_attribute("src")
    wait_until(browser, lambda d: balance_shown(d) == "280", what="the balance after the video was charged")
    inspect_page(browser, "studio", AXE_REPORT)

    browser.get(f"{base}/videos")
    settled(browser)
    assert browser.find_element(By.ID, "gallery-summary").text == "Videos 1–1 of 1"
    inspect_page(browser, "videos", AXE_REPORT)
    browser.find_element(By.CSS_SELECTOR, f"li[data-video='{uuid}'] .prompt-text a").click()

    # The player plays the stored file.
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#player video"), what="the player")
    playing = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const video = document.querySelector('#player video');
        video.muted = true;
        video.play().then(() => setTimeout(() => done({
            readyState: video.readyState, duration: video.duration, currentTime: video.currentTime,
            paused: video.paused, error: video.error && video.error.message}), 700))
          .catch((e) => done({error: String(e)}));
        """
    )
    assert playing.get("error") is None, playing
    assert playing["readyState"] >= 2
    assert abs(playing["duration"] - 10) < 0.5
    assert playing["currentTime"] > 0
    download = browser.find_element(By.ID, "video-download")
    assert download.get_attribute("download") is not None
    assert requests.get(download.get_attribute("href"), timeout=10).headers["Content-Type"] == "video/mp4"
    browser.execute_script("document.querySelector('#player video').pause()")
    inspect_page(browser, "video", AXE_REPORT)

    browser.get(f"{base}/credits")
    settled(browser)
    wait_until(browser, lambda d: "paid" in d.find_element(By.CSS_SELECTOR, "#orders tbody").text)
    assert browser.find_element(By.ID, "balance-available").text == "280"
    assert browser.find_element(By.ID, "balance-used").text == "2"
    inspect_page(browser, "credits", AXE_REPORT)
    Select(browser.find_element(By.ID, "history-type")).select_by_value("VIDEO_CONSUME")
    browser.find_element(By.CSS_SELECTOR, "#history-filter button").click()
    wait_until(browser, lambda d: "type=VIDEO_CONSUME" in d.current_url)
    settled(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "#history tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows] == ["-2"]

    browser.get(f"{base}/settings/webhooks")
    settled(browser)
    inspect_page(browser, "webhooks", AXE_REPORT)
    browser.get(f"{base}/logout")
    inspect_page(browser, "logout", AXE_REPORT)

    # Delete it, confirming in the dialog.
    browser.get(f"{base}/videos/{uuid}")
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#player video"))
    browser.find_element(By.ID, "video-delete").click()
    assert browser.find_element(By.ID, "delete-dialog").get_attribute("open") is not None
    browser.find_element(By.ID, "delete-confirm").click()
    wait_until(
        browser, lambda d: d.current_url == f"{base}/videos?deleted=1", what="the gallery after deleting"
    )
    settled(browser)
    assert browser.find_element(By.CSS_SELECTOR, "[data-page-error]").text == "The video was deleted."
    assert browser.find_element(By.ID, "gallery-summary").text.startswith("No videos yet")
    from videos.models import Video

    assert Video.objects.get(uuid=uuid).deleted_at is not None


def signed_up_by_api(base: str, email: str) -> None:
    answer = requests.post(
        f"{base}/api/v1/auth/signup", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == 201, answer.text


def test_a_price_above_the_balance_is_explained_with_a_link_to_buy_credits(browser, base):
    sign_up(browser, base, "short@example.com")
    choose_model(browser, "veo-3-1")
    assert browser.find_element(By.ID, "gen-price").text == "10 credits"
    assert browser.find_element(By.ID, "gen-short").is_displayed()
    browser.find_element(By.ID, "gen-prompt").send_keys("A lighthouse in a storm")
    browser.find_element(By.ID, "gen-submit").click()

    alert = wait_until(
        browser,
        lambda d: (
            (a := d.find_element(By.CSS_SELECTOR, "#generate-form [data-form-error]")).is_displayed() and a
        ),
        what="the 402 explained",
    )
    assert alert.text.startswith("Insufficient credits: required 10, available 2")
    assert alert.find_element(By.LINK_TEXT, "Buy credits").get_attribute("href") == f"{base}/credits"
    assert browser.find_elements(By.CSS_SELECTOR, "#recent-videos li[data-video]") == []


def test_a_validation_error_is_shown_at_its_field(browser, base):
    sign_up(browser, base, "blank@example.com")
    browser.find_element(By.ID, "gen-prompt").send_keys("   ")
    browser.find_element(By.ID, "gen-submit").click()

    error = wait_until(browser, lambda d: d.find_element(By.ID, "gen-prompt-error").text, what="the error")
    prompt = browser.find_element(By.ID, "gen-prompt")
    assert error == "This field may not be blank."
    assert prompt.get_attribute("aria-invalid") == "true"
    assert "gen-prompt-error" in prompt.get_attribute("aria-describedby").split()
    assert browser.switch_to.active_element == prompt
    assert browser.find_element(By.ID, "gen-model-error").text == ""


def test_signing_in_works_with_the_keyboard_alone_and_focus_is_visible(browser, base):
    signed_up_by_api(base, "keys@example.com")
    browser.get(f"{base}/login")
    actions = ActionChains(browser)
    for _ in range(20):
        actions.send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", focused)
        assert outline != "none", f"no visible focus on {focused.get_attribute('outerHTML')[:80]}"
        if focused.get_attribute("id") == "login-email":
            break
    else:
        raise AssertionError("Tab never reached the email field")
    actions.send_keys("keys@example.com", Keys.TAB, PASSWORD, Keys.ENTER).perform()

    wait_until(browser, lambda d: d.current_url == f"{base}/studio", what="the studio after signing in")


def test_without_the_event_stream_the_page_polls_until_the_video_completes(browser, base):
    sign_up(browser, base, "poll@example.com")
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "delete window.EventSource;"})
    try:
        browser.get(f"{base}/studio")
        settled(browser)
        browser.find_element(By.ID, "gen-prompt").send_keys("Rain on a tin roof")
        browser.find_element(By.ID, "gen-submit").click()
        wait_until(
            browser,
            lambda d: (
                [li.get_attribute("data-status") for li in d.find_elements(By.CSS_SELECTOR, "li[data-video]")]
                == ["COMPLETED"]
            ),
            timeout=60,
            what="the video to complete by polling",
        )
        assert browser.execute_script("return typeof EventSource") == "undefined"
    finally:
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ""})


ATTACK_PAGE = """<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>
<form id="attack" method="post" enctype="text/plain" action="{api}/video/generate">
<input name='{{"prompt":"forged","model":"sora-2","duration":10,"aspectRatio":"16:9","pad":"' value='"}}'>
</form>
<script>
(async () => {{
  const body = JSON.stringify({{prompt: "forged", model: "sora-2", duration: 10, aspectRatio: "16:9"}});
  const simple = {{method: "POST", mode: "no-cors", credentials: "include"}};
  await fetch("{api}/auth/logout", simple);
  await fetch("{api}/video/generate", {{...simple, headers: {{"Content-Type": "text/plain"}}, body}});
  document.title = "attempted";
}})();
</script></body></html>"""


class AttackSite:
    """A page on another origin (another loopback port: same site, so the browser sends
    the Lax session cookie with its requests) that tries to act on the visitor's session."""

    def __init__(self, api: str) -> None:
        page = ATTACK_PAGE.format(api=api).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"

    def __enter__(self) -> AttackSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_page_on_another_origin_cannot_act_on_the_signed_in_session(browser, base):
    from videos.models import Video

    sign_up(browser, base, "victim@example.com")
    with AttackSite(f"{base}/api/v1") as attacker:
        browser.get(attacker.url)
        wait_until(browser, lambda d: d.title == "attempted", what="the attack scripts")
        browser.find_element(By.ID, "attack").submit()  # a form POST cannot send JSON, but try
        wait_until(browser, lambda d: d.current_url.startswith(base), what="the form's answer")
        refusal = json.loads(browser.find_element(By.TAG_NAME, "body").text)

    assert refusal["code"] == "cross_site_refused"
    browser.get(f"{base}/studio")
    settled(browser)
    assert browser.current_url == f"{base}/studio"  # still signed in: the logout was refused
    assert balance_shown(browser) == "2"
    assert not Video.objects.filter(prompt="forged").exists()
