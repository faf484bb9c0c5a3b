"""The log and model browser served on port 8090 of every node (SPEC §8, issue 5).

`create_app` is the composition root: it receives parsed settings and the node's layout, and every
blueprint reads them through `context()`; nothing reads configuration at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, render_template

from appliance.layout import Layout
from logviewer import bucket, formatting
from logviewer.paths import PathRefused
from logviewer.upstream import fetch_json

# Same-origin scripts and styles only: no CDN, no inline script, nothing framed.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


@dataclass(frozen=True)
class Context:
    settings: Any  # appliance.settings.Settings
    layout: Layout


def context() -> Context:
    """The settings and layout of the app handling the current request."""
    return current_app.extensions["logviewer"]


def create_app(settings, layout: Layout, test_config: dict | None = None) -> Flask:
    """Build the app; `test_config` overrides Flask config (e.g. FETCH_JSON, BUCKET_LISTER)."""
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.urandom(32),  # sessions end with the process: nothing to store or leak
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=16 * 1024,  # the only bodies accepted are login forms
        FETCH_JSON=fetch_json,
        BUCKET_LISTER=bucket.default_lister(),
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["logviewer"] = Context(settings, layout)
    formatting.register(app)
    app.context_processor(lambda: {"node": settings["node.address"]})

    from logviewer import access, auth, cluster, config, logs, models

    for module in (auth, logs, access, models, cluster, config):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", endpoint="index", view_func=logs.index)

    @app.errorhandler(PathRefused)
    @app.errorhandler(404)
    def not_found(_exc):
        return render_template("error.html", title="Not found",
                               message="No such page, log or model here."), 404

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
