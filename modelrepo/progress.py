"""A plain-text progress bar for uploads, in the shape the `minio` client reports progress.

On a TTY one line is redrawn; elsewhere (logs, CI) a line is printed every 10% so large pushes
still show they are moving without flooding the output.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Bytes done of `total` across every object of one push; `set_meta`/`update` per minio."""

    def __init__(self, total: int, out: TextIO | None = None, label: str = "uploading") -> None:
        self.total, self.done, self.label = max(total, 1), 0, label
        self.out = out or sys.stderr
        self.tty = self.out.isatty()
        self.started = time.monotonic()
        self._last_tenth = -1

    def set_meta(self, object_name: str, total_length: int) -> None:
        self.current = object_name

    def update(self, length: int) -> None:
        self.done += length
        fraction = min(self.done / self.total, 1.0)
        rate = self.done / max(time.monotonic() - self.started, 1e-6) / 2**20
        text = (f"{self.label} [{'#' * int(fraction * 30):<30}] {fraction:4.0%} "
                f"{self.done / 2**20:.1f}/{self.total / 2**20:.1f} MiB {rate:.1f} MiB/s")
        if self.tty:
            self.out.write("\r" + text)
        elif int(fraction * 10) > self._last_tenth:
            self._last_tenth = int(fraction * 10)
            self.out.write(text + "\n")
        self.out.flush()

    def finish(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()
