"""Serving backends as this node's Envoy sees them; the page refreshes its table every 2 s."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from logviewer import context, envoyadmin
from logviewer.upstream import Unreachable

bp = Blueprint("cluster", __name__, url_prefix="/cluster")


def _state():
    base = envoyadmin.base_url(context().settings)
    try:
        return envoyadmin.clusters(current_app.config["FETCH_JSON"], base), "", base
    except Unreachable as exc:
        return [], f"Envoy's admin view is not answering ({exc}).", base


@bp.route("/")
def overview():
    clusters, error, base = _state()
    return render_template("cluster/index.html", clusters=clusters, error=error, base=base)


@bp.route("/hosts")
def hosts():
    """The table alone, fetched by the page's script for the live refresh."""
    clusters, error, base = _state()
    return render_template("cluster/_hosts.html", clusters=clusters, error=error, base=base)
