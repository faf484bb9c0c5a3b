"""The optional password: open without one; with one, a login page and a session cookie."""

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

PASSWORD = "correct horse"
LOCKED = [f"logviewer.password = {generate_password_hash(PASSWORD)}\n"]
PAGES = ["/logs/", "/logs/model_server.log", "/logs/model_server.log/download",
         "/logs/model_server.log/search?q=x", "/access/", "/models/",
         "/models/resnet/versions/1", "/cluster/", "/cluster/hosts", "/config/"]


@pytest.mark.parametrize("url", PAGES)
def test_open_without_a_password(client, url):
    assert client.get(url).status_code == 200
    assert client.get("/login").status_code == 302  # nothing to log in to


@pytest.mark.parametrize("conf_text", LOCKED, indirect=True)
@pytest.mark.parametrize("url", PAGES)
def test_every_page_needs_a_login(client, url):
    resp = client.get(url)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")
    assert b"line 1000" not in resp.data


@pytest.mark.parametrize("conf_text", LOCKED, indirect=True)
def test_follow_endpoint_answers_401_json(client):
    resp = client.get("/logs/model_server.log/follow.json?offset=0")
    assert resp.status_code == 401 and resp.get_json() == {"error": "login required"}


@pytest.mark.parametrize("conf_text", LOCKED, indirect=True)
def test_login_page_and_static_files_are_open(client):
    assert b'type="password"' in client.get("/login").data
    assert client.get("/static/style.css").status_code == 200


@pytest.mark.parametrize("conf_text", LOCKED, indirect=True)
def test_wrong_password_is_refused(client, auth):
    resp = auth.login("wrong")
    assert resp.status_code == 401 and b"Wrong password." in resp.data
    assert client.get("/logs/").status_code == 302


@pytest.mark.parametrize("conf_text", LOCKED, indirect=True)
def test_login_then_logout(client, auth):
    resp = auth.login(next_url="/models/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/models/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/logs/model_server.log").status_code == 200
    assert b"Log out" in client.get("/logs/").data
    auth.logout()
    assert client.get("/logs/").status_code == 302


@pytest.mark.parametrize("conf_text", LOCKED, indirect=True)
@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(auth, target):
    assert auth.login(next_url=target).headers["Location"] == "/"


@pytest.mark.parametrize("conf_text", LOCKED, indirect=True)
def test_changing_the_password_ends_sessions(app, client, auth):
    from dataclasses import replace

    auth.login()
    ctx = app.extensions["logviewer"]
    values = dict(ctx.settings.values, **{"logviewer.password": generate_password_hash("new")})
    app.extensions["logviewer"] = replace(ctx, settings=replace(ctx.settings, values=values))
    assert client.get("/logs/").status_code == 302


def test_hash_password_cli_command(runner):
    result = runner.invoke(args=["hash-password"], input="s3cret\ns3cret\n")
    digest = result.output.strip().splitlines()[-1]
    assert result.exit_code == 0 and check_password_hash(digest, "s3cret")
