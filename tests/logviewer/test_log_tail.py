"""Reading logs from the end: last lines, following across rotation and truncation, search."""

import os
from pathlib import Path

import pytest

from logviewer import tail


def write(path, text, mode="w"):
    with path.open(mode) as f:
        f.write(text)


def test_last_lines_returns_only_complete_lines_with_offsets(tmp_path):
    log = tmp_path / "a.log"
    write(log, "".join(f"line {i}\n" for i in range(100_000)) + "partial")
    result = tail.last_lines(log, 3)
    assert result.lines == ["line 99997", "line 99998", "line 99999"]
    assert log.read_bytes()[result.start:result.end] == b"line 99997\nline 99998\nline 99999\n"


def test_last_lines_of_short_and_empty_files(tmp_path):
    log = tmp_path / "a.log"
    write(log, "a\nb\n")
    assert tail.last_lines(log, 10).lines == ["a", "b"]
    write(log, "")
    assert tail.last_lines(log, 10).lines == []


class CountingPath(type(Path())):
    """A path whose opened files count the bytes read from them."""

    read_bytes_total = 0

    def open(self, *args, **kwargs):
        f = super().open(*args, **kwargs)
        path, real_read = self, f.read

        def read(n=-1):
            data = real_read(n)
            type(path).read_bytes_total += len(data)
            return data

        f.read = read
        return f


def test_last_lines_reads_only_the_end(tmp_path):
    log = CountingPath(tmp_path / "big.log")
    with log.open("wb") as f:
        f.write(b"x" * 99 + b"\n")
        f.truncate(50 * 1024 * 1024)  # a sparse 50 MB file ...
        f.seek(0, os.SEEK_END)
        f.write(b"\nlast one\n")  # ... ending in one real line
    CountingPath.read_bytes_total = 0
    assert tail.last_lines(log, 1).lines == ["last one"]
    assert CountingPath.read_bytes_total <= 2 * tail.BLOCK


def test_a_line_longer_than_the_read_limit_is_shown_cut(tmp_path, monkeypatch):
    monkeypatch.setattr(tail, "MAX_TAIL", 1000)
    log = tmp_path / "a.log"
    log.write_bytes(b"first\n" + b"y" * 500_000 + b"END\n")
    (line,) = tail.last_lines(log, 2).lines
    assert line.startswith("[cut] …yyy") and line.endswith("yEND")
    assert len(line) <= tail.MAX_LINE + 20


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"ok\n\xff\xfe bad\n")
    assert tail.last_lines(log, 2).lines == ["ok", "\ufffd\ufffd bad"]


def test_read_after_returns_new_complete_lines(tmp_path):
    log = tmp_path / "a.log"
    write(log, "one\n")
    start = tail.last_lines(log, 10)
    write(log, "two\nthr", "a")
    chunk = tail.read_after(log, start.end, start.inode)
    assert chunk.lines == ["two"] and not chunk.reset
    write(log, "ee\n", "a")
    chunk = tail.read_after(log, chunk.offset, chunk.inode)
    assert chunk.lines == ["three"]


def test_read_after_survives_truncation(tmp_path):
    log = tmp_path / "a.log"
    write(log, "old line one\nold line two\n")
    start = tail.last_lines(log, 10)
    write(log, "new\n")  # truncated and rewritten, shorter than the offset
    chunk = tail.read_after(log, start.end, start.inode)
    assert chunk.reset and chunk.lines == ["new"]


def test_read_after_survives_rotation(tmp_path):
    log = tmp_path / "a.log"
    write(log, "before rotation\n")
    start = tail.last_lines(log, 10)
    log.rename(tmp_path / "a.log.1")
    write(log, "after rotation, a longer first line than before\n")
    chunk = tail.read_after(log, start.end, start.inode)
    assert chunk.reset and chunk.lines == ["after rotation, a longer first line than before"]


def test_read_after_skips_ahead_when_the_writer_is_faster(tmp_path, monkeypatch):
    monkeypatch.setattr(tail, "MAX_CHUNK", 1000)
    log = tmp_path / "a.log"
    write(log, "".join(f"{i:09d}\n" for i in range(1000)))
    chunk = tail.read_after(log, 0, None)
    assert chunk.skipped > 0 and chunk.lines[-1] == "000000999"
    assert len(chunk.lines) <= 100


def test_search_plain_text_is_literal_and_keeps_the_newest(tmp_path):
    log = tmp_path / "a.log"
    write(log, "".join(f"req {i} a.b\n" for i in range(10)) + "axb\n")
    result = tail.search(log, tail.compile_query("a.b", regex=False, ignore_case=True), limit=3)
    assert result.total == 10
    assert [n for n, _ in result.matches] == [8, 9, 10]


def test_search_regex_and_case(tmp_path):
    log = tmp_path / "a.log"
    write(log, "ERROR one\nerror two\nINFO three\n")
    exact = tail.compile_query(r"^ERR\w+", regex=True, ignore_case=False)
    assert [t for _, t in tail.search(log, exact, 10).matches] == ["ERROR one"]
    loose = tail.compile_query("error", regex=False, ignore_case=True)
    assert tail.search(log, loose, 10).total == 2


def test_bad_regex_names_the_problem():
    with pytest.raises(tail.BadPattern, match="not a valid regular expression: .*position 0"):
        tail.compile_query("(unclosed", regex=True, ignore_case=False)


@pytest.mark.parametrize("query, regex, ignore_case", [
    ("req 7", False, True), ("REQ 7", False, False), (r"req \d5$", True, True)])
def test_block_prefilter_gives_the_same_matches_and_line_numbers(tmp_path, monkeypatch,
                                                                 query, regex, ignore_case):
    monkeypatch.setattr(tail, "SEARCH_BLOCK", 64)  # many blocks, lines across their edges
    log = tmp_path / "a.log"
    write(log, "".join(f"req {i} {'x' * (i % 13)}\n" for i in range(200)) + "req 77 no newline")
    pattern = tail.compile_query(query, regex, ignore_case)
    quick = tail.prefilter(query, regex, ignore_case)
    assert (quick is None) == regex
    fast = tail.search(log, pattern, 50, quick)
    slow = [(n, line) for n, line in enumerate(log.read_text().splitlines(), 1)
            if pattern.search(line)]
    assert fast.total == len(slow) and list(fast.matches) == slow[-50:]
