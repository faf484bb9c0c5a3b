"""`python -m logviewer`: the hash helper, and a clear exit on a bad configuration file."""

import subprocess
import sys

from werkzeug.security import check_password_hash

from appliance.settings import parse_text


def run(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "logviewer", *args], input=stdin, text=True, check=False,
                          capture_output=True, timeout=60)


def test_hash_password_prints_a_hash_the_schema_accepts():
    done = run("hash-password", stdin="hunter2\n")
    digest = done.stdout.strip()
    assert done.returncode == 0 and check_password_hash(digest, "hunter2")
    assert parse_text(f"logviewer.password = {digest}")["logviewer.password"] == digest


def test_hash_password_refuses_empty():
    done = run("hash-password", stdin="\n")
    assert done.returncode == 1 and "empty password" in done.stderr


def test_bad_config_exits_with_the_error(tmp_path):
    (tmp_path / "appliance.conf").write_text("logviewer.password = plaintext\n")
    done = run("--home", str(tmp_path))
    assert done.returncode == 2
    assert "logviewer.password" in done.stderr and "hash-password" in done.stderr
