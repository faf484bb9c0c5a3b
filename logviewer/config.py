"""The node's configuration as parsed, secrets masked (Settings.masked), with descriptions."""

from __future__ import annotations

from flask import Blueprint, render_template

from appliance.schema import KEYS_BY_NAME
from logviewer import context

bp = Blueprint("config", __name__, url_prefix="/config")


@bp.route("/")
def show():
    ctx = context()
    rows = []
    for name, text in ctx.settings.masked().items():
        key = KEYS_BY_NAME.get(name)
        rows.append({"name": name, "value": text, "secret": bool(key and key.secret),
                     "about": key.description if key else "per-model override"})
    paths = {"configuration file": ctx.layout.config_file, "logs": ctx.layout.log_dir,
             "model store": ctx.layout.models_dir}
    return render_template("config/index.html", rows=rows, paths=paths,
                           source=ctx.settings.source)
