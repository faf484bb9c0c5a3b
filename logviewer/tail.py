"""Read logs from their end: the last N lines, new lines after an offset, and search.

Nothing here reads a whole file into memory: `last_lines` reads backwards in blocks until it has
N lines, `read_after` reads at most `MAX_CHUNK` bytes past an offset, and `search` streams.
Offsets are byte offsets of line starts, so a follower never sees half a line.
"""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 64 * 1024
MAX_CHUNK = 512 * 1024  # most bytes one follow poll returns; a faster writer skips ahead
MAX_LINE = 64 * 1024  # a longer line is cut when shown
SEARCH_BLOCK = 1024 * 1024
MAX_TAIL = 16 * 1024 * 1024  # the most bytes `last_lines` reads back, whatever the lines' length


def _decode(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").rstrip("\r")
    return text if len(text) <= MAX_LINE else text[:MAX_LINE] + " …[cut]"


@dataclass(frozen=True)
class Tail:
    lines: list[str]
    start: int  # byte offset of the first line returned
    end: int  # byte offset after the last complete line: where following continues
    inode: int


def last_lines(path: Path, count: int) -> Tail:
    """The last `count` complete lines; cost grows with the lines read, not the file size."""
    with path.open("rb") as f:
        stat = os.fstat(f.fileno())
        size = stat.st_size
        f.seek(0, os.SEEK_END)
        data = b""
        pos = size
        # Read backwards until the buffer holds count+1 newlines (count lines + the one before).
        while pos > 0 and size - pos < MAX_TAIL and data.count(b"\n") <= count:
            step = min(BLOCK, pos)
            pos -= step
            f.seek(pos)
            data = f.read(step) + data
    end = pos + data.rfind(b"\n") + 1
    pieces = data[: end - pos].split(b"\n")[:-1]
    partial = b""
    if pos > 0 and pieces:
        # The first piece began before what was read: drop it, or if it is all there is (a line
        # longer than MAX_TAIL), show its end marked as cut.
        first, pieces = pieces[0], pieces[1:]
        if len(pieces) < count:
            partial = first[-MAX_LINE:]
    pieces = pieces[-count:]
    start = end - sum(len(p) + 1 for p in pieces)
    lines = [_decode(p) for p in pieces]
    if partial:
        lines.insert(0, "[cut] …" + _decode(partial))
    return Tail(lines, start, end, stat.st_ino)


@dataclass(frozen=True)
class Chunk:
    lines: list[str]
    offset: int  # where the next poll continues
    inode: int
    reset: bool = False  # the file was rotated or truncated: start again from the new file
    skipped: int = 0  # bytes jumped over because the writer was faster than MAX_CHUNK per poll


def read_after(path: Path, offset: int, inode: int | None) -> Chunk:
    """Complete lines written after `offset` in the file that had inode `inode`.

    A different inode (rotated: a new file took the name) or a size below the offset (truncated)
    restarts from the beginning of the current file and says so with `reset`.
    """
    with path.open("rb") as f:
        stat = os.fstat(f.fileno())
        reset = (inode is not None and stat.st_ino != inode) or stat.st_size < offset
        if reset:
            offset = 0
        skipped = max(0, stat.st_size - offset - MAX_CHUNK)
        if skipped:
            f.seek(offset + skipped)
            f.readline()  # land on a line start
            skipped = f.tell() - offset
            offset = f.tell()
        f.seek(offset)
        data = f.read(MAX_CHUNK)
    cut = data.rfind(b"\n") + 1
    lines = [_decode(p) for p in data[:cut].split(b"\n")[:-1]]
    return Chunk(lines, offset + cut, stat.st_ino, reset, skipped)


class BadPattern(ValueError):
    """A search regex that does not compile; the message says where and why."""


@dataclass
class SearchResult:
    matches: deque = field(default_factory=deque)  # (line number, text), the last `limit`
    total: int = 0


def compile_query(query: str, regex: bool, ignore_case: bool) -> re.Pattern[str]:
    """The pattern for a search, or BadPattern with the regex error and its position."""
    flags = re.IGNORECASE if ignore_case else 0
    if not regex:
        return re.compile(re.escape(query), flags)
    try:
        return re.compile(query, flags)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise BadPattern(f"not a valid regular expression: {exc.msg}{where}") from exc


@dataclass(frozen=True)
class Literal:
    """A plain ASCII query found with bytes.find over whole blocks (case folded with
    bytes.lower, which keeps offsets), so only lines containing it are decoded and checked."""

    needle: bytes
    fold: bool


def prefilter(query: str, regex: bool, ignore_case: bool) -> Literal | None:
    """The fast finder for a plain ASCII query; None when only a per-line match is exact."""
    if regex or not query or not query.isascii():
        return None
    return Literal(query.lower().encode() if ignore_case else query.encode(), ignore_case)


def _blocks(f):
    """Blocks of whole lines (the last may lack its newline), about SEARCH_BLOCK bytes each."""
    carry = b""
    while data := f.read(SEARCH_BLOCK):
        buf = carry + data
        cut = buf.rfind(b"\n") + 1
        if cut:
            yield buf[:cut]
        carry = buf[cut:]
    if carry:
        yield carry + b"\n"


def search(path: Path, pattern: re.Pattern[str], limit: int,
           quick: Literal | None = None) -> SearchResult:
    """Stream the file and keep the last `limit` matching lines (the newest are most useful).

    With `quick` (see `prefilter`), blocks it does not match are only counted, not decoded.
    """
    result = SearchResult(matches=deque(maxlen=limit))
    number = 0
    with path.open("rb") as f:
        for block in _blocks(f):
            lines = _candidates(block, quick) if quick is not None else _all_lines(block)
            for offset, raw in lines:
                text = raw.decode("utf-8", errors="replace").rstrip("\r")
                if pattern.search(text):
                    result.total += 1
                    result.matches.append((number + offset, _decode(raw)))
            number += block.count(b"\n")
    return result


def _all_lines(block: bytes):
    """(1-based line number within the block, line) for every line."""
    return enumerate(block[:-1].split(b"\n"), start=1)


def _candidates(block: bytes, quick: Literal):
    """Only the lines containing the literal: cost follows the matches, not the block size."""
    hay = block.lower() if quick.fold else block
    pos, line_no, counted_to = 0, 0, 0
    while (found := hay.find(quick.needle, pos)) >= 0:
        start = block.rfind(b"\n", 0, found) + 1
        end = block.index(b"\n", found)
        line_no += block.count(b"\n", counted_to, start) + 1
        counted_to = end + 1
        yield line_no, block[start:end]
        pos = end + 1
