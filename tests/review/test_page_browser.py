"""The review page in real headless Chromium (Selenium + Debian's chromium-driver), keyboard only:
enter a reviewer name, judge two items with single keys, find the verdicts in the store.

The page is served by the real service: ``khitab serve --review-store`` on the tiny TF-IDF
bundle, a uvicorn process on loopback, over the test's store."""
import shutil
import time

import pytest

from khitab.review import new_item, verdict_history
from tests.review.conftest import LABELS, THRESHOLDS
from tests.serving.conftest import STOPPED, Server, serve_command

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver")


@pytest.fixture
def service(review_url, tiny_bundle, tmp_path):
    running = Server(serve_command(tiny_bundle, "--review-store", review_url), tmp_path / "server.log")
    try:
        running.wait("/readyz")
        yield running
    finally:
        assert running.stop() in STOPPED


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    yield driver
    driver.quit()


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_judge_two_items_with_the_keyboard_in_chromium(store, service, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    threat = "سنحرق بيوتهم إن لم يرحلوا من الحي"
    cue = {"threat": [{"start": 100, "end": 105, "text": "سنحرق", "weight": 0.4}]}  # document offsets
    first = new_item(threat, "d", 100, 100 + len(threat), dict(zip(LABELS, (0.55, 0.35, 0.01))), THRESHOLDS,
                     "tiny", "v1", cues=cue)  # asks threat and sectarian
    second = new_item("هذه الصور مفبركة ولا صحة لها", "d", 200, 228, dict(zip(LABELS, (0.05, 0.03, 0.9))),
                      THRESHOLDS, "tiny", "v1")  # asks denial
    store.enqueue([first, second])
    browser.get(f"{service.url}/review")
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("dir"), html.get_attribute("lang")) == ("rtl", "ar")
    name = browser.find_element(By.ID, "reviewer")
    assert browser.switch_to.active_element == name  # no name yet: the field has focus
    name.send_keys("مراجع-1", Keys.ENTER)
    wait_for(lambda: browser.find_element(By.ID, "item").is_displayed())
    assert browser.find_element(By.CSS_SELECTOR, "mark.cue").text == "سنحرق"
    assert browser.find_element(By.ID, "text").text == threat
    keys = ActionChains(browser)
    keys.send_keys("y").pause(0.5).send_keys("n").pause(0.5)  # item 1: confirm threat, reject sectarian
    keys.send_keys("y").perform()  # item 2: confirm denial
    history = wait_for(lambda: len(verdict_history(store)) == 3 and verdict_history(store))
    got = [(v["item_id"], v["label"], v["verdict"], v["reviewer"]) for v in history]
    assert got == [(first.item_id, "threat", "confirm", "مراجع-1"),
                   (first.item_id, "sectarian", "reject", "مراجع-1"),
                   (second.item_id, "denial", "confirm", "مراجع-1")]
    assert browser.execute_script("return localStorage.getItem('khitab.review.reviewer')") == "مراجع-1"
    wait_for(lambda: browser.find_element(By.ID, "empty").is_displayed())  # the queue is done
