"""The Envoy access log as a filterable table, with requests per upstream node per minute."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from logviewer import accesslog, context

bp = Blueprint("access", __name__, url_prefix="/access")
SCAN_LINES = 20000  # how far back the table and the counts look
ROWS = 500


@bp.route("/")
def table():
    args = request.args
    status = args.get("status", "")
    filters = accesslog.Filters(model=args.get("model", ""), node=args.get("node", ""),
                                status=status if status in accesslog.STATUS_CLASSES else "")
    try:
        minutes = max(1, min(60, int(args.get("minutes", 5))))
    except ValueError:
        minutes = 5
    path = context().layout.log_dir / accesslog.ACCESS_LOG
    view = accesslog.load(path, filters, SCAN_LINES, ROWS, minutes)
    return render_template("access/index.html", view=view, filters=filters,
                           classes=accesslog.STATUS_CLASSES, exists=path.is_file(),
                           enabled=context().settings["enable.access.log"])
