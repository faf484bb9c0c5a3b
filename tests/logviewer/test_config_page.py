"""The config view: every key as parsed, secrets masked."""

from appliance.schema import KEYS


def test_every_key_shown_with_secrets_masked(client, app):
    page = client.get("/config/").get_data(as_text=True)
    for key in KEYS:
        assert f"<code>{key.name}</code>" in page
    assert page.count("********") == 2  # both S3 keys set; no password set
    assert "(not set)" in page  # logviewer.password
    assert str(app.extensions["logviewer"].layout.log_dir) in page


def test_password_hash_is_masked(app, client):
    from werkzeug.security import generate_password_hash

    from appliance.settings import parse_text
    from logviewer import create_app

    digest = generate_password_hash("pw")
    other = create_app(parse_text(f"logviewer.password = {digest}"),
                       app.extensions["logviewer"].layout, {"TESTING": True})
    c = other.test_client()
    c.post("/login", data={"password": "pw"})
    page = c.get("/config/").get_data(as_text=True)
    assert "Configuration" in page and digest not in page and digest.split("$")[1] not in page
