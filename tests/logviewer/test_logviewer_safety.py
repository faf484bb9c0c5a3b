"""Read-only, nothing outside the log and model directories, secrets hidden, output escaped."""

import re
from pathlib import Path

import pytest

import logviewer

ESCAPES = [
    "/logs/..%2f..%2foutside%2fpasswd",
    "/logs/%2e%2e/%2e%2e/outside/passwd",
    "/logs/..",
    "/logs/../appliance.conf",
    "/logs/%2e%2e%2fappliance.conf",
    "/logs/%2Fetc%2Fpasswd",
    "/logs/.hidden",
    "/logs/escape.log",  # a symlink in the log directory pointing out of it
    "/logs/escape.log/download",
    "/logs/escape.log/follow.json",
    "/logs/escape.log/search?q=root",
    "/logs/..%5c..%5cappliance.conf",
    "/logs/envoy.log%00.txt",
    "/models/..%2f..%2foutside/versions/1",
    "/models/sneaky/versions/1",  # a model symlinked out of the store
    "/models/%2e%2e/versions/1",
    "/static/..%2f..%2fappliance.conf",
    "/static/../../appliance.conf",
]


@pytest.mark.parametrize("url", ESCAPES)
def test_no_path_escapes(client, url):
    resp = client.get(url)
    assert resp.status_code in (400, 404), url
    assert b"root:x:0:0" not in resp.data and b"s3.secret.key" not in resp.data


def test_escape_symlink_is_not_listed(client):
    assert "escape.log" not in client.get("/logs/").get_data(as_text=True)


def test_symlinks_out_of_the_model_store_are_not_followed(client):
    page = client.get("/models/").get_data(as_text=True)
    assert "sneaky" not in page and "stolen" not in page
    version = client.get("/models/resnet/versions/1").get_data(as_text=True)
    assert "model.bin" in version and "leak.onnx" not in version
    assert client.get("/models/iris/versions/2").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
@pytest.mark.parametrize("url", ["/logs/model_server.log", "/logs/model_server.log/download",
                                 "/models/", "/config/", "/cluster/"])
def test_read_only(client, method, url):
    assert getattr(client, method)(url).status_code == 405


def test_log_content_is_escaped(client):
    page = client.get("/logs/model_server.log").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    search = client.get("/logs/model_server.log/search?q=script").get_data(as_text=True)
    assert "<script>alert" not in search and "&lt;<mark>script</mark>&gt;" in search


def test_model_server_errors_are_escaped(client):
    page = client.get("/models/").get_data(as_text=True)
    assert "Could not load &lt;v1&gt;" in page


def test_secrets_never_shown(client, app):
    settings = app.extensions["logviewer"].settings
    secret, access = settings["s3.secret.key"], settings["s3.access.key"]
    assert secret and access
    for url in ("/config/", "/logs/", "/models/", "/cluster/", "/access/"):
        page = client.get(url).get_data(as_text=True)
        assert secret not in page and access not in page


def test_security_headers(client):
    resp = client.get("/logs/")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_no_external_assets_or_inline_scripts():
    root = Path(logviewer.__file__).parent
    for path in (root / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert " on" + "click=" not in text and "onchange=" not in text, path
    assert "http" not in (root / "static" / "style.css").read_text()


def test_static_assets_are_served(client):
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200
