"""The model store on disk, this node's model server's view of it, and the bucket hook."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from logviewer import bucket, context, modelstore, servingapi
from logviewer.paths import PathRefused, is_safe_component
from logviewer.upstream import HTTPStatus, Unreachable

bp = Blueprint("models", __name__, url_prefix="/models")


def _server_states(names: list[str]):
    """({model: {version: VersionState}}, extra served names, error text or "")."""
    fetch = current_app.config["FETCH_JSON"]
    base = servingapi.base_url(context().settings)
    try:
        listed = servingapi.server_models(fetch, base)
        names = sorted(set(names) | set(listed))
        return {n: servingapi.model_status(fetch, base, n) for n in names}, listed, ""
    except Unreachable as exc:
        return {}, [], f"The model server on this node is not answering ({exc})."


@bp.route("/")
def listing():
    settings = context().settings
    root = modelstore.store_dir(settings, context().layout)
    on_disk = modelstore.scan(root)
    names = sorted({m.name for m in on_disk} | set(settings.models))
    states, _listed, server_error = _server_states(names)
    disk_names = {m.name for m in on_disk}
    elsewhere = sorted(n for n in set(states) | set(settings.models) if n not in disk_names)
    return render_template("models/index.html", root=root, models=on_disk, states=states,
                           server_error=server_error, configured=set(settings.models),
                           elsewhere=elsewhere,
                           bucket=bucket.view(settings, current_app.config["BUCKET_LISTER"]))


@bp.route("/<name>/versions/<int:version>")
def version(name: str, version: int):
    if not is_safe_component(name):
        raise PathRefused(name)
    settings = context().settings
    root = modelstore.store_dir(settings, context().layout)
    disk = None
    if modelstore.contained(root, root / name):
        disk = modelstore.find_version(root, name, version)
    fetch = current_app.config["FETCH_JSON"]
    base = servingapi.base_url(settings)
    state, signatures, error = None, [], ""
    try:
        state = servingapi.model_status(fetch, base, name).get(version)
        if state is not None and state.state == "AVAILABLE":
            signatures = servingapi.metadata(fetch, base, name, version)
    except HTTPStatus as exc:
        error = (exc.body or {}).get("error") if isinstance(exc.body, dict) else str(exc)
    except Unreachable as exc:
        error = f"The model server on this node is not answering ({exc})."
    if disk is None and state is None and not error:
        raise PathRefused(name)
    return render_template("models/version.html", name=name, version=version, disk=disk,
                           state=state, signatures=signatures, error=error or "")
