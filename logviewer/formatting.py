"""Template filters shared by every page: sizes, times, percentages."""

from __future__ import annotations

from datetime import UTC, datetime


def size(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def mtime(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def clock(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def register(app) -> None:
    app.add_template_filter(size, "size")
    app.add_template_filter(mtime, "mtime")
    app.add_template_filter(clock, "clock")
    app.add_template_filter(percent, "percent")
