"""End to end in a real headless Chromium against a real node on 127.0.0.41 (`appliance up`:
supervisord running Envoy, the model server and the log browser on :8090). Its serving.nodes
also lists 127.0.0.42, where nothing runs, so the cluster page has a failing backend to show.

Screenshots of each page go to images/ for the README.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

ADDRESS = "127.0.0.41"  # the node: Envoy, model server, log browser
DEAD = "127.0.0.42"  # a serving node that is not running
BASE = f"http://{ADDRESS}:8090"
IMAGES = Path(__file__).resolve().parents[2] / "images"
MODEL = "saved_model_half_plus_two_mkl"
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
                                reason="needs Debian's chromium and chromium-driver "
                                       "(.ci/system-deps installs them)")


def wait_for(condition, timeout=20.0, what="condition"):
    """Poll `condition` until it returns something true; fail naming `what`."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except (OSError, StaleElementReferenceException):  # a live refresh replaced the element
            result = None
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _get(url: str) -> bytes:
    with NO_PROXY.open(url, timeout=2) as resp:
        return resp.read()


@pytest.fixture(scope="module")
def node(tmp_path_factory, builtin_store):
    """A whole node; its log browser is the one supervisor runs."""
    from tests.nodes import start_node

    home = tmp_path_factory.mktemp("lv-node")
    extra = (f"serving.nodes = {ADDRESS}, {DEAD}\nhealth.interval.seconds = 0.5\n"
             "s3.access.key = AKIABROWSER\ns3.secret.key = browser-secret-value\n")
    node = start_node(home, ADDRESS, extra, {MODEL: builtin_store / MODEL})
    wait_for(lambda: _get(f"{BASE}/logs/"), what="the node's log browser")
    yield node
    assert node.stop() == 0


@pytest.fixture(scope="module")
def home(node):
    return node.home


@pytest.fixture(scope="module")
def browser(tmp_path_factory, node):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                 "--no-proxy-server"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def shot(browser, name: str) -> None:
    IMAGES.mkdir(exist_ok=True)
    browser.save_screenshot(str(IMAGES / f"logviewer-{name}.png"))


def text_of(browser, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text


def test_log_page_follows_lines_as_they_are_written(browser, home):
    log = home / "logs" / "model_server.log"
    with log.open("a") as f:  # the real server's log, with lines of our own at its end
        f.writelines(f"2026-11-23 11:30:{i % 60:02d} INFO serving request {i}\n" for i in range(300))
    browser.get(f"{BASE}/logs/model_server.log?follow=1")
    assert "serving request 299" in text_of(browser, "#log-lines")
    with log.open("a") as f:
        f.write("2026-11-23 11:31:00 ERROR followed live <script>window.pwned=1</script>\n")
    wait_for(lambda: "followed live <script>window.pwned=1</script>"
             in text_of(browser, "#log-lines"), what="the appended line in the page")
    assert browser.execute_script("return window.pwned === undefined")  # shown, not run
    log.rename(log.with_name("model_server.log.1"))  # rotation: a new file takes the name
    log.write_text("2026-11-23 11:32:00 INFO after rotation\n")
    wait_for(lambda: "after rotation" in text_of(browser, "#log-lines"),
             what="the first line of the rotated log")
    assert "rotated or truncated" in text_of(browser, "#log-lines")
    shot(browser, "logs")


def test_log_list_and_search(browser):
    browser.get(f"{BASE}/logs/")
    assert "model_server.log.1" in text_of(browser, "#log-files")
    shot(browser, "log-list")
    browser.get(f"{BASE}/logs/model_server.log.1/search?q=request+29%5Cd&regex=1")
    assert "10 matching lines" in text_of(browser, "#search-count")
    shot(browser, "search")


def _predict(model: str) -> int:
    request = urllib.request.Request(f"http://{ADDRESS}:8080/v1/models/{model}:predict",
                                     data=b'{"instances": [1.0]}')
    try:
        with NO_PROXY.open(request, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _table_rows(browser):
    return browser.find_elements(By.CSS_SELECTOR, "#access-table tbody tr")


def test_access_log_table_filters(browser, home):
    assert [_predict(MODEL) for _ in range(6)] == [200] * 6
    assert [_predict("resnet") for _ in range(2)] == [404] * 2  # not served on this node
    wait_for(lambda: (home / "logs" / "envoy.log").read_text().count("/v1/models/resnet:") == 2,
             what="Envoy to write the requests to its access log")
    browser.get(f"{BASE}/access/")
    assert len(_table_rows(browser)) >= 8
    assert f"{ADDRESS}:8501" in text_of(browser, "#per-node")
    shot(browser, "access")
    Select(browser.find_element(By.NAME, "model")).select_by_value("resnet")
    WebDriverWait(browser, 10).until(lambda b: "model=resnet" in b.current_url)
    rows = _table_rows(browser)
    assert len(rows) == 2 and all("resnet" in r.text and "404" in r.text for r in rows)
    Select(browser.find_element(By.NAME, "status")).select_by_value("2xx")
    WebDriverWait(browser, 10).until(lambda b: "status=2xx" in b.current_url)
    assert "No requests match" in text_of(browser, "#access-table")
    browser.get(f"{BASE}/access/?node={ADDRESS}:8501&status=2xx")
    rows = _table_rows(browser)
    assert len(rows) >= 6 and all(f"{ADDRESS}:8501" in r.text and " 200" in r.text for r in rows)


def test_models_page_lists_the_builtin_models(browser):
    browser.get(f"{BASE}/models/")
    table = text_of(browser, "#models")
    assert MODEL in table and "tensorflow" in table and "AVAILABLE" in table
    shot(browser, "models")
    browser.find_element(By.LINK_TEXT, "123").click()
    WebDriverWait(browser, 10).until(lambda b: "/versions/123" in b.current_url)
    assert text_of(browser, "#version-state") == "AVAILABLE"
    assert "serving_default" in browser.page_source and "saved_model.pb" in browser.page_source
    shot(browser, "model-version")


def test_cluster_page_shows_backend_health_live(browser, node):
    browser.get(f"{BASE}/cluster/")

    def host_state(address):
        rows = browser.find_elements(By.CSS_SELECTOR, "#cluster-serving_rest tbody tr")
        for row in rows:
            if row.text.startswith(address):
                return row.find_element(By.CSS_SELECTOR, ".host-state").text
        return None

    wait_for(lambda: host_state(f"{ADDRESS}:8501") == "healthy"
             and host_state(f"{DEAD}:8501") == "failing health check",
             what="Envoy's health checks on the cluster page")
    def requests_shown():
        found = re.search(r"(\d+) requests", text_of(browser, "#cluster-serving_rest"))
        return int(found.group(1)) if found else None

    before = wait_for(lambda: requests_shown() is not None and requests_shown() + 1,
                      what="a request count") - 1
    for _ in range(5):  # requests through Envoy show up without reloading the page
        assert _predict(MODEL) == 200
    wait_for(lambda: requests_shown() == before + 5, what="the request count refreshed live")
    shot(browser, "cluster")


def test_config_page_masks_secrets(browser):
    browser.get(f"{BASE}/config/")
    page = text_of(browser, "#config")
    assert "browser-secret-value" not in page and "AKIABROWSER" not in page
    assert "********" in page
    shot(browser, "config")
