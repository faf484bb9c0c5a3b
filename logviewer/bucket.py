"""THE HOOK for the bucket view (s3.type = minio or s3): the listing itself belongs to modelrepo/.

Contract for the lister that modelrepo provides: `list_models(settings) -> list[modelstore.Model]`
(model name, integer versions, per-version files and sizes, formats from
`modelstore.detect_formats`), raising any exception with an operator-readable message when the
bucket cannot be read. Until `modelrepo.listing.list_models` exists the page says the bucket
listing is not available; it never shows made-up bucket data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

LISTER_MODULE = "modelrepo.listing"
LISTER_NAME = "list_models"


def default_lister() -> Callable | None:
    """modelrepo's lister when that module provides one, else None."""
    try:
        module = __import__(LISTER_MODULE, fromlist=[LISTER_NAME])
    except ImportError:
        return None
    return getattr(module, LISTER_NAME, None)


@dataclass
class BucketView:
    configured: bool  # s3.type is not none
    location: str = ""
    models: list = field(default_factory=list)
    message: str = ""  # why there is no listing, shown instead of it


def view(settings, lister: Callable | None) -> BucketView:
    """What the models page shows for the bucket; never raises."""
    if settings["s3.type"] == "none":
        return BucketView(configured=False)
    location = settings["model.base.path"] or "(bucket from the S3 settings)"
    if lister is None:
        return BucketView(True, location, message="The bucket listing is not available in this "
                          "build yet (it comes with the model repository part).")
    try:
        return BucketView(True, location, models=list(lister(settings)))
    except Exception as exc:  # noqa: BLE001 - any client error is shown, never raised
        return BucketView(True, location, message=f"Cannot list the bucket: {exc}")
