"""``tocsin feed …`` / ``tocsin sensor-emulator``: user errors are one line and exit 2;
a scenario goes from emulator to server to journal end to end."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import feed_cmd
from app.feeds.journal import SqliteJournal

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = """
seed = 3
duration_s = 40
[layout]
area_sq_mi = 0.5
density_per_sq_mi = 16
[[event]]
kind = "round_string"
at_s = 5
x_m = 50
y_m = 50
rounds = 3
"""


def _cli(*argv, timeout=60):
    return subprocess.run([sys.executable, "-m", "app.cli.feed_cmd", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("argv, message", [
    (["serve", "--keys", "KEYS"], "TLS is on outside demo mode"),
    (["serve", "--keys", "KEYS", "--demo", "--listen", "nowhere"], "expected HOST:PORT"),
    (["serve", "--keys", "missing.toml", "--demo"], "does not exist"),
    (["feed", "simulate", "--scenario", "carnival"], "does not exist"),
    (["feed", "simulate", "--scenario", "busy_weekend", "--speed", "100"], "speed must be 0"),
])
def test_user_errors_are_one_line_exit_2(tmp_path, argv, message):
    keys = tmp_path / "k.toml"
    assert feed_cmd.main(["feed", "keygen", "--out", str(keys), "--count", "2"]) == 0
    argv = [str(keys) if a == "KEYS" else a for a in argv]
    r = _cli(*argv)
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_world_readable_keys_are_refused(tmp_path):
    keys = tmp_path / "k.toml"
    feed_cmd.main(["feed", "keygen", "--out", str(keys), "--count", "2"])
    assert oct(os.stat(keys).st_mode & 0o777) == "0o600"
    os.chmod(keys, 0o644)
    r = _cli("serve", "--keys", str(keys), "--demo")
    assert r.returncode == 2 and "chmod 600" in r.stderr


def test_emulator_to_server_to_journal(tmp_path):
    scen = tmp_path / "s.toml"
    scen.write_text(SCENARIO)
    keys = tmp_path / "k.toml"
    assert feed_cmd.main(["feed", "keygen", "--out", str(keys), "--scenario", str(scen)]) == 0
    journal, port_file = tmp_path / "j.sqlite", tmp_path / "port"
    srv = subprocess.Popen([sys.executable, "-m", "app.cli.feed_cmd", "serve", "--keys", str(keys), "--demo",
                            "--listen", "127.0.0.1:0", "--port-file", str(port_file), "--journal", str(journal),
                            "--for", "60", "--stats-every", "0"], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        for _ in range(200):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        r = _cli("sensor-emulator", "--connect", f"127.0.0.1:{port_file.read_text()}", "--keys", str(keys),
                 "--scenario", str(scen), "--speed", "0", "--no-tls")
        assert r.returncode == 0, r.stderr
        assert '"all_acknowledged": true' in r.stdout
    finally:
        srv.terminate()
        out, _ = srv.communicate(timeout=30)
    kinds = SqliteJournal.read_counts(journal)["kinds"]
    assert kinds["pulse"] >= 3 * 3 and kinds["health"] >= 8 * 4
    assert "status S001 ok" in out
