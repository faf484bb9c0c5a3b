"""The log pages through Flask's test client: list, tail, follow, search, download."""

import re


def test_index_redirects_to_the_log_list(client):
    assert client.get("/").headers["Location"].endswith("/logs/")


def test_list_shows_every_log_with_size_and_mtime(client):
    page = client.get("/logs/").get_data(as_text=True)
    for name in ("model_server.log", "envoy.log", "envoy.log.1", "supervisord.log"):
        assert f'href="/logs/{name}"' in page
    assert "Envoy access log" in page and "(rotated)" in page
    assert re.search(r"\d+\.\d KiB", page) and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)


def test_view_shows_the_last_lines_from_settings(client):
    page = client.get("/logs/model_server.log").get_data(as_text=True)
    assert page.count('<div class="line">') == 500  # logviewer.tail.lines default
    assert "line 1000" in page and "line 501<" not in page and "line 502<" in page


def test_view_lines_parameter_and_bounds(client):
    page = client.get("/logs/model_server.log?lines=3").get_data(as_text=True)
    assert page.count('<div class="line">') == 3
    assert client.get("/logs/model_server.log?lines=abc").status_code == 200


def test_view_carries_the_follow_offset(client, app):
    page = client.get("/logs/model_server.log").get_data(as_text=True)
    size = (app.extensions["logviewer"].layout.log_dir / "model_server.log").stat().st_size
    assert f'data-offset="{size}"' in page
    assert 'data-follow-url="/logs/model_server.log/follow.json"' in page


def test_follow_returns_appended_lines_and_next_offset(client, app):
    log = app.extensions["logviewer"].layout.log_dir / "model_server.log"
    size = log.stat().st_size
    first = client.get(f"/logs/model_server.log/follow.json?offset={size}").get_json()
    assert first["lines"] == [] and first["offset"] == size
    with log.open("a") as f:
        f.write("appended <b>one</b>\nhalf")
    data = client.get(f"/logs/model_server.log/follow.json?offset={size}&inode={first['inode']}")
    body = data.get_json()
    assert body["lines"] == ["appended <b>one</b>"] and not body["reset"]
    assert body["offset"] == size + len("appended <b>one</b>\n")


def test_follow_reports_rotation(client, app):
    log = app.extensions["logviewer"].layout.log_dir / "model_server.log"
    old = client.get("/logs/model_server.log/follow.json?offset=0").get_json()
    log.rename(log.with_name("model_server.log.1"))
    log.write_text("fresh\n")
    body = client.get(f"/logs/model_server.log/follow.json?offset={old['offset']}"
                      f"&inode={old['inode']}").get_json()
    assert body["reset"] and body["lines"] == ["fresh"]


def test_search_plain_highlights_matches(client):
    page = client.get("/logs/model_server.log/search?q=line+99").get_data(as_text=True)
    assert "11 matching lines" in page  # line 99, 990..999
    assert "<mark>line 99</mark>9" in page


def test_search_regex(client):
    page = client.get("/logs/model_server.log/search?q=line+%5Cd%7B4%7D%24&regex=1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "1 matching line." in text
    assert '<span class="lineno">1000</span>' in text


def test_search_case_sensitivity(client):
    assert "0 matching lines" in client.get(
        "/logs/model_server.log/search?q=error&case=1").get_data(as_text=True)
    assert "1 matching line." in client.get(
        "/logs/model_server.log/search?q=error").get_data(as_text=True)


def test_search_bad_regex_is_a_clear_400(client):
    resp = client.get("/logs/model_server.log/search?q=%28oops&regex=1")
    assert resp.status_code == 400
    assert "not a valid regular expression: missing ), unterminated subpattern at position 0" \
        in resp.get_data(as_text=True)


def test_search_form_without_query(client):
    resp = client.get("/logs/model_server.log/search")
    assert resp.status_code == 200 and 'name="q"' in resp.get_data(as_text=True)


def test_download_is_the_whole_file_as_attachment(client, app):
    resp = client.get("/logs/supervisord.log/download")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == "attachment; filename=supervisord.log"
    assert resp.data == b"supervisord started\n"


def test_missing_log_dir_is_an_empty_list(client, app):
    import shutil

    shutil.rmtree(app.extensions["logviewer"].layout.log_dir)
    assert "No logs yet" in client.get("/logs/").get_data(as_text=True)
