"""Logs of the node: list, last lines, follow (JSON polling by byte offset), search, download."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, send_file, url_for

from logviewer import context, tail
from logviewer.paths import PathRefused, inside, is_safe_component

bp = Blueprint("logs", __name__, url_prefix="/logs")
SEARCH_LIMIT = 1000
DESCRIPTIONS = {  # docs/CONTRACTS.md
    "model_server.log": "model server (serving role)",
    "envoy.log": "Envoy access log: one JSON line per request",
    "envoy_proxy.log": "Envoy's own log",
    "logviewer.log": "this log browser",
    "model_sync.log": "model sync from the bucket",
    "minio.log": "MinIO (repo role)",
    "supervisord.log": "supervisord",
}


def index():
    return redirect(url_for("logs.listing"))


def _describe(name: str) -> str:
    base = name.split(".log", 1)[0] + ".log" if ".log" in name else name
    text = DESCRIPTIONS.get(base, "")
    return f"{text} (rotated)" if text and base != name else text


def log_files() -> list[dict]:
    """Every plain file of the log directory that resolves inside it."""
    root = context().layout.log_dir
    files = []
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            try:
                path = inside(root, entry.name)
            except PathRefused:
                continue
            if path.is_file():
                stat = path.stat()
                files.append({"name": entry.name, "size": stat.st_size, "mtime": stat.st_mtime,
                              "about": _describe(entry.name)})
    return files


def _log(name: str):
    path = inside(context().layout.log_dir, name)
    if not path.is_file():
        raise PathRefused(name)
    return path


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(request.args.get(name, default))))
    except ValueError:
        return default


@bp.route("/")
def listing():
    return render_template("logs/index.html", files=log_files())


@bp.route("/<name>")
def view(name: str):
    path = _log(name)
    count = _int_arg("lines", context().settings["logviewer.tail.lines"], 1, 10000)
    result = tail.last_lines(path, count)
    stat = path.stat()
    return render_template("logs/view.html", name=name, tail=result, count=count,
                           size=stat.st_size, mtime=stat.st_mtime,
                           follow=request.args.get("follow") == "1", files=log_files())


@bp.route("/<name>/follow.json")
def follow(name: str):
    """New complete lines after `offset`; `reset` when the file was rotated or truncated."""
    path = _log(name)
    offset = _int_arg("offset", 0, 0, 1 << 62)
    inode = request.args.get("inode", type=int)
    chunk = tail.read_after(path, offset, inode)
    return jsonify(lines=chunk.lines, offset=chunk.offset, inode=chunk.inode, reset=chunk.reset,
                   skipped=chunk.skipped)


def _segments(pattern, text: str) -> list[tuple[str, bool]]:
    """The line cut into (text, is_match) pieces for highlighting; the template escapes each."""
    out, pos = [], 0
    for m in pattern.finditer(text):
        if m.end() == m.start():
            continue
        out += [(text[pos:m.start()], False), (m.group(), True)]
        pos = m.end()
    out.append((text[pos:], False))
    return out


@bp.route("/<name>/search")
def search(name: str):
    path = _log(name)
    query = request.args.get("q", "")
    regex = request.args.get("regex") == "1"
    ignore_case = request.args.get("case") != "1"
    error, result, rows = "", None, []
    if query:
        try:
            pattern = tail.compile_query(query, regex, ignore_case)
        except tail.BadPattern as exc:
            error = str(exc)
        else:
            quick = tail.prefilter(query, regex, ignore_case)
            result = tail.search(path, pattern, SEARCH_LIMIT, quick)
            rows = [(n, _segments(pattern, text)) for n, text in result.matches]
    status = 400 if error else 200
    return render_template("logs/search.html", name=name, query=query, regex=regex,
                           ignore_case=ignore_case, error=error, result=result, rows=rows,
                           limit=SEARCH_LIMIT, files=log_files()), status


@bp.route("/<name>/download")
def download(name: str):
    path = _log(name)
    return send_file(path, mimetype="text/plain", as_attachment=True,
                     download_name=name if is_safe_component(name) else "log.txt")
