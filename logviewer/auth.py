"""Optional password (`logviewer.password`, a werkzeug hash): login page and session cookie.

With no password set every page is open. With one, every request but the login page and static
files needs a session whose token was derived from the current hash, so changing the password
ends every session.
"""

from __future__ import annotations

import getpass
import hashlib

import click
from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from logviewer import context

bp = Blueprint("auth", __name__, cli_group=None)  # `flask hash-password`
OPEN_ENDPOINTS = {"auth.login", "static"}


def _hash() -> str:
    return context().settings["logviewer.password"]


def _token(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def _safe_next(target: str | None) -> str:
    """Only local paths: a login must not redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index")


@bp.before_app_request
def require_login():
    password_hash = _hash()
    if not password_hash or request.endpoint in OPEN_ENDPOINTS:
        return None
    if session.get("auth") == _token(password_hash):
        return None
    if request.path.endswith(".json") or request.args.get("format") == "json":
        return jsonify(error="login required"), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.route("/login", methods=("GET", "POST"))
def login():
    password_hash = _hash()
    if not password_hash:
        return redirect(url_for("index"))
    if request.method == "POST":
        if check_password_hash(password_hash, request.form.get("password", "")):
            session.clear()
            session["auth"] = _token(password_hash)
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong password.")
        return render_template("auth/login.html"), 401
    return render_template("auth/login.html")


@bp.route("/logout", methods=("POST",))
def logout():
    session.clear()
    return redirect(url_for("auth.login"))


def hash_password(password: str) -> str:
    """The value for `logviewer.password`: a salted werkzeug hash, never the password."""
    return generate_password_hash(password)


def read_password(stream) -> str:
    """Twice without echo on a terminal ("" when they differ), else one line of the stream."""
    if stream.isatty():
        first = getpass.getpass("Password: ")
        return first if first == getpass.getpass("Again: ") else ""
    return stream.readline().rstrip("\n")


@bp.cli.command("hash-password")
@click.password_option()
def hash_password_command(password: str) -> None:
    """Print a hash for logviewer.password (also: python -m logviewer hash-password)."""
    click.echo(hash_password(password))
