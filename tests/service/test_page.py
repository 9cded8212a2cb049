"""The page at `GET /`: its files on fakes, then a real headless Chromium against a live gunicorn.

The browser test types the bundled corpus's Cheongung claim with the keyboard, submits, and checks
that what the page renders is exactly what `/verify` answers for the same request (verdict,
confidence, each passage on its side with outlet, date, scores and context, unknown shown as
"unknown"). It saves `var/page.png` and `var/page-phone.png` for people to look at. It is skipped,
with the reason, only when no browser can be had (no selenium, chromium or chromedriver).
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # importlib mode: tests/ is not on sys.path
from servers import GunicornServer

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "service" / "static"
VAR = REPO / "var"
CLAIM = "Ukraine asked South Korea for the Cheongung air defence system"
VERDICTS = {
    "supported": "Supported",
    "refuted": "Refuted",
    "conflicting": "Conflicting",
    "not_enough_info": "Not enough information",
}


# --- the files, on fakes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [("/", "text/html"), ("/static/page.css", "text/css"), ("/static/page.js", "text/javascript")],
)
def test_page_files_are_served_with_a_strict_policy(client: FlaskClient, path: str, mimetype: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == mimetype and response.mimetype_params.get("charset") == "utf-8"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_has_the_form_and_links_the_api_document(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for needle in (
        '<textarea id="claim"',
        'id="outlets"',
        'type="date" id="date-from"',
        'type="date" id="date-to"',
        'id="supporting"',
        'id="contradicting"',
        'href="/openapi.yaml"',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<label for="claim">',
    ):
        assert needle in html, needle


def test_nothing_is_loaded_from_elsewhere() -> None:
    """Offline: no CDN, no web font, no absolute URL in any of the page's files."""
    for file in STATIC.iterdir():
        text = file.read_text()
        assert not re.search(r"https?://", text), file.name
        assert "@import" not in text and "@font-face" not in text and "url(" not in text, file.name
        assert not re.search(r"""(?:src|href)\s*=\s*["']//""", text), file.name
    html = (STATIC / "index.html").read_text()
    assert set(re.findall(r"""(?:src|href)=["']([^"'#]+)""", html)) == {
        "data:,",
        "/",
        "/static/page.css",
        "/static/page.js",
        "/openapi.yaml",
    }
    assert ".innerHTML" not in (STATIC / "page.js").read_text()  # API text goes in as text only


@pytest.mark.parametrize(
    "path", ["/static/x.js", "/static/../pyproject.toml", "/static/index.html", "/index.html"]
)
def test_only_the_listed_files_are_served(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_page_is_not_part_of_the_api_document() -> None:
    spec = yaml.safe_load((REPO / "openapi.yaml").read_text())
    assert "/" not in spec["paths"] and not any(p.startswith("/static") for p in spec["paths"])


# --- a real browser -----------------------------------------------------------------------------


def _browser() -> tuple[str, str]:
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("no browser: selenium is not installed (pip install -e '.[dev]')")
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip(
            "no browser: chromium and chromedriver are not installed "
            "(apt-get install chromium chromium-driver; `make test` does it when run as root)"
        )
    return binary, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    binary, driver_path = _browser()
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--lang=en-US",
        "--force-device-scale-factor=1",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    except WebDriverException as exc:
        pytest.skip(f"no browser: {binary} with {driver_path} does not start: {exc.msg}")
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def live(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    log = tmp_path_factory.mktemp("page-live") / "gunicorn.log"
    with GunicornServer(sample_index, log, workers=1, threads=4) as server:
        yield server


def wait(condition: Callable[[], Any], timeout: float = 180.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def screenshot(driver: Any, path: Path, width: int) -> None:
    """The whole page at `width` CSS pixels wide."""
    driver.set_window_size(width, 1000)
    height, chrome = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]"
    )
    driver.set_window_size(width, min(int(height) + int(chrome), 8000))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))


def rendered(driver: Any, side: str) -> list[dict[str, Any]]:
    """The evidence cards of one column, read back from the page."""
    script = """
      const cards = document.querySelectorAll('#' + arguments[0] + ' li.evidence:not(.empty)');
      const text = (card, css) => { const n = card.querySelector(css); return n ? n.textContent : null; };
      return Array.from(cards).map((card) => ({
        passage_id: card.dataset.passageId,
        text: text(card, '.passage-text'),
        before: text(card, '.context-before .context-text'),
        after: text(card, '.context-after .context-text'),
        outlet: text(card, 'dd.outlet'),
        outlet_unknown: card.querySelector('dd.outlet').classList.contains('unknown'),
        date: text(card, 'dd.date'),
        date_unknown: card.querySelector('dd.date').classList.contains('unknown'),
        similarity: text(card, 'dd.similarity'),
        stance_score: text(card, 'dd.stance-score'),
      }));
    """
    cards: list[dict[str, Any]] = driver.execute_script(script, side)
    return cards


def expected(evidence: dict[str, Any]) -> dict[str, Any]:
    """How the page must show one passage of the API's answer."""
    return {
        "passage_id": evidence["passage_id"],
        "text": evidence["text"],
        "before": evidence["context"]["before"],
        "after": evidence["context"]["after"],
        "outlet": evidence["outlet"] if evidence["outlet"] is not None else "unknown",
        "outlet_unknown": evidence["outlet"] is None,
        "date": evidence["date"] if evidence["date"] is not None else "unknown",
        "date_unknown": evidence["date"] is None,
        "similarity": f"{evidence['similarity']:.2f}",
        "stance_score": f"{evidence['stance_score']:.2f}",
    }


def result_shown(driver: Any) -> bool:
    shown: bool = driver.execute_script(
        "const byId = (id) => document.getElementById(id);"
        "return !byId('result').hidden && !byId('verify-button').disabled"
    )
    return shown


@pytest.mark.slow
def test_a_fact_checker_verifies_the_cheongung_claim_in_a_real_browser(
    browser: Any, live: GunicornServer
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.set_window_size(1280, 1000)
    driver.get(f"{live.url}/")
    index = httpx.get(f"{live.url}/index", timeout=30).json()
    wait(lambda: "passages" in driver.find_element(By.ID, "index-info").text, 60, "the index line")
    outlets = [
        e.get_attribute("value") for e in driver.find_elements(By.CSS_SELECTOR, 'input[name="outlet"]')
    ]
    assert outlets == index["outlets"]

    # Keyboard only: Tab to the skip link, Enter jumps to the claim box, type, Ctrl+Enter submits.
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("class") == "skip-link"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    claim_box = driver.switch_to.active_element
    assert claim_box.get_attribute("id") == "claim"
    claim_box.send_keys(CLAIM)
    claim_box.send_keys(Keys.CONTROL, Keys.ENTER)
    wait(lambda: result_shown(driver), 240, "the verdict")

    # The page shows exactly what the API answers for the same request (the page asks for 5 a side).
    answer = httpx.post(f"{live.url}/verify", json={"claim": CLAIM, "top_k": 5}, timeout=240).json()
    assert answer["supporting"] or answer["contradicting"], "no evidence at all for the Cheongung claim"
    assert driver.find_element(By.ID, "verdict").text == VERDICTS[answer["verdict"]]
    assert driver.find_element(By.ID, "confidence").text == f"{round(answer['confidence'] * 100)}%"
    assert answer["verdict"] in driver.find_element(By.ID, "verdict-card").get_attribute("class")
    assert driver.switch_to.active_element.get_attribute("id") == "verdict-heading"  # focus follows
    for side in ("supporting", "contradicting"):
        assert rendered(driver, side) == [expected(e) for e in answer[side]], side
        assert driver.find_element(By.ID, f"{side}-count").text == str(len(answer[side]))
        if not answer[side]:
            assert driver.find_element(By.CSS_SELECTOR, f"#{side} li.empty").text.startswith("No ")
    cheongung = [e for e in answer["supporting"] + answer["contradicting"] if "Cheongung" in e["text"]]
    assert cheongung, "no passage naming Cheongung was shown"
    # The two columns sit side by side on a wide screen.
    left = driver.find_element(By.CSS_SELECTOR, ".column.supporting").rect
    right = driver.find_element(By.CSS_SELECTOR, ".column.contradicting").rect
    assert right["x"] > left["x"] + left["width"] - 1 and abs(right["y"] - left["y"]) < 2
    screenshot(driver, VAR / "page.png", 1280)

    # "Why": every candidate the model read and the rule's reason, behind a disclosure (keyboard).
    explained = httpx.post(
        f"{live.url}/verify", json={"claim": CLAIM, "top_k": 5, "explain": True}, timeout=240
    ).json()["explanation"]
    driver.find_element(By.CSS_SELECTOR, "#explain summary").send_keys(Keys.ENTER)
    assert driver.find_element(By.ID, "explain").get_attribute("open") is not None
    rows = driver.find_elements(By.CSS_SELECTOR, "#explain-rows tr")
    assert len(rows) == len(explained) > 0
    for row, entry in zip(rows, explained, strict=True):
        assert entry["reason"] in row.text and entry["decision"].replace("_", " ") in row.text

    # A phone-width screen: one column, nothing wider than the screen.
    driver.set_window_size(390, 900)
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    left = driver.find_element(By.CSS_SELECTOR, ".column.supporting").rect
    right = driver.find_element(By.CSS_SELECTOR, ".column.contradicting").rect
    assert right["y"] >= left["y"] + left["height"] - 1
    screenshot(driver, VAR / "page-phone.png", 390)
    driver.set_window_size(1280, 1000)

    # The outlet filter, ticked with the keyboard, reaches /verify.
    herald = driver.find_element(By.CSS_SELECTOR, 'input[name="outlet"][value="The Korea Herald"]')
    herald.send_keys(Keys.SPACE)
    assert herald.is_selected()
    driver.find_element(By.ID, "claim").send_keys(Keys.CONTROL, Keys.ENTER)
    filtered = httpx.post(
        f"{live.url}/verify", json={"claim": CLAIM, "top_k": 5, "outlets": ["The Korea Herald"]}, timeout=240
    ).json()
    want = [expected(e) for e in filtered["contradicting"]]
    wait(
        lambda: result_shown(driver) and rendered(driver, "contradicting") == want, 240, "the filtered answer"
    )
    for side in ("supporting", "contradicting"):
        assert {card["outlet"] for card in rendered(driver, side)} <= {"The Korea Herald"}

    # A problem from the service is shown with the field it names.
    herald.send_keys(Keys.SPACE)
    driver.find_element(By.ID, "date-from").send_keys("12012024")
    driver.find_element(By.ID, "date-to").send_keys("11012024")
    driver.find_element(By.ID, "claim").send_keys(Keys.CONTROL, Keys.ENTER)
    error = wait(
        lambda: driver.find_element(By.ID, "error").is_displayed() and driver.find_element(By.ID, "error")
    )
    assert "date_to" in error.text and "date_from is after date_to" in error.text
    assert not driver.find_element(By.ID, "result").is_displayed()
