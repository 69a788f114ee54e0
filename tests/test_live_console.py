"""``tocsin console --live`` end to end on loopback: a temporary deployment (configuration,
agency profile, the demo city's GIS layers as the agency's, sensor keys, a self-signed
TLS pair, a real database with an administrator), the console opened offscreen on it,
``tocsin sensor-emulator`` playing a gunshot over TLS — and the incident arrives in the
alert queue and in the store as a real (non-training) record."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from app.cli import main
from app.paths import RESOURCES

DEMOCITY = RESOURCES / "democity"
PASSWORD = "correct horse battery 1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    from app.feeds.keys import generate_keys, write_keys
    from app.feeds.tls import make_self_signed
    from app.geo.site_dir import load_site_dir

    monkeypatch.setenv("TOCSIN_PASSWORD", PASSWORD)
    monkeypatch.delenv("TOCSIN_CONFIG", raising=False)
    sensors = load_site_dir(DEMOCITY).sensors
    write_keys(tmp_path / "keys.toml", generate_keys([s.id for s in sensors]))
    cert, key = make_self_signed(tmp_path / "tls")
    db = tmp_path / "data" / "tocsin.sqlite3"
    db.parent.mkdir()
    assert main(["db", "init", "--db", str(db), "--admin", "boss", "--name", "The Boss"]) == 0
    port = _free_port()
    cfg = tmp_path / "tocsin.toml"
    cfg.write_text(f"version = 1\n[agency]\nprofile = 'port-tocsin'\n[gis]\ndirectory = '{DEMOCITY}'\n"
                   f"[sensors]\nkeys_file = 'keys.toml'\n[feed]\nlisten = '127.0.0.1:{port}'\n"
                   "journal = 'data/intake.sqlite3'\n[tls]\ncert = 'tls/cert.pem'\nkey = 'tls/key.pem'\n"
                   "[database]\npath = 'data/tocsin.sqlite3'\n[site]\ntemperature_c = 15.0\n")
    lines = ["name = 'one round string'", "seed = 3", "duration_s = 14", "[conditions]", "preset = 'clean'"]
    for s in sensors:
        lines += ["[[sensor]]", f"id = '{s.id}'", f"x_m = {s.x_m}", f"y_m = {s.y_m}", f"z_m = {s.z_m}"]
    lines += ["[[event]]", "kind = 'round_string'", "at_s = 2", "x_m = 120", "y_m = -260", "rounds = 3"]
    (tmp_path / "scenario.toml").write_text("\n".join(lines) + "\n")
    return {"dir": tmp_path, "config": cfg, "port": port, "cert": cert, "db": db}


def test_live_console_locates_an_emulated_gunshot_over_tls(qtbot, deployment):
    from app.cli.live_console import load_checked_config, open_live_console, password_session
    from app.store import IncidentQuery

    cfg, gis = load_checked_config(str(deployment["config"]))
    live = open_live_console(cfg, password_session("boss"), gis=gis, with_map=False, use_audio=False)
    ctl = live.ctl
    qtbot.addWidget(ctl.window)
    assert not ctl.window.banner.isVisibleTo(ctl.window) and "TRAINING" not in ctl.window.windowTitle()
    assert ctl.dispatch.exercise is False and ctl.user.id == "boss"
    ctl.start()
    emulator = None
    try:
        qtbot.waitUntil(lambda: "sensor socket 127.0.0.1" in ctl.window.feed_status.text(), timeout=15_000)
        d = deployment["dir"]
        emulator = subprocess.Popen(
            [sys.executable, "-m", "app.cli.feed_cmd", "sensor-emulator", "--connect", f"127.0.0.1:{deployment['port']}",
             "--keys", str(d / "keys.toml"), "--tls-ca", str(deployment["cert"]), "--scenario", str(d / "scenario.toml"),
             "--now", "--speed", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        qtbot.waitUntil(lambda: ctl.model.rowCount() >= 1, timeout=60_000)
        out, _ = emulator.communicate(timeout=60)
        assert emulator.returncode == 0, out
        assert '"all_acknowledged": true' in out
    finally:
        if emulator is not None and emulator.poll() is None:
            emulator.kill()
            emulator.wait(10)
    rec = ctl.model.record_at(0)
    assert rec.incident.rounds >= 1 and not rec.training
    # Located near the shot (x 120 m, y -260 m in the demo city's frame).
    x, y = rec.incident.shots[0].x_m, rec.incident.shots[0].y_m
    assert abs(x - 120) < 50 and abs(y + 260) < 50, (x, y)
    rows = live.store.list_incidents(IncidentQuery(exercise=False), limit=10)
    assert len(rows) >= 1 and rows[0].uid == rec.incident_id and not rows[0].exercise
    assert live.store.list_incidents(IncidentQuery(exercise=True), limit=10) == []
    # Sensors heard over the socket are online in the store and in the Sensors panel.
    online = [s.id for s in live.store.sensors() if s.status == "online"]
    assert len(online) >= 4
    board = ctl.sensor_health.model.board
    assert board.row(online[0]).state == "ok" and board.row(online[0]).last_heard_ns is not None
    live.close()


def test_console_live_refuses_an_unready_configuration(deployment, capsys):
    cfg = deployment["config"]
    cfg.write_text(cfg.read_text().replace("keys.toml", "missing-keys.toml"))
    assert main(["console", "--live", "--config", str(cfg), "--screenshot", str(deployment["dir"] / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "not ready for a live console" in err and "sensors.keys_file" in err and "Traceback" not in err
    assert main(["console", "--config", str(cfg)]) == 2
    assert "--config goes with --live" in capsys.readouterr().err


def test_live_console_start_up_parses_the_gis_directory_once(qtbot, deployment, monkeypatch):
    """The configuration check loads the GIS directory and parses its layers; the console's
    site (sensors, address locator) is built from that same parse, not a second one."""
    from app.cli.live_console import load_checked_config, open_live_console, password_session
    from app.geo import site_dir
    from app.geo.layers import GisLayers

    parsed: list[str] = []
    from_geojson = GisLayers.from_geojson.__func__
    features = site_dir._features

    def counting_from_geojson(cls, frame, **files):
        parsed.append(f"layers from {files['addresses']}")
        return from_geojson(cls, frame, **files)

    def counting_features(path):
        parsed.append(f"sites from {path}")
        return features(path)

    monkeypatch.setattr(GisLayers, "from_geojson", classmethod(counting_from_geojson))
    monkeypatch.setattr(site_dir, "_features", counting_features)
    cfg, gis = load_checked_config(str(deployment["config"]))
    live = open_live_console(cfg, password_session("boss"), gis=gis, with_map=False, use_audio=False)
    qtbot.addWidget(live.ctl.window)
    try:
        assert sorted(parsed) == sorted([f"layers from {DEMOCITY / 'addresses.geojson'}",
                                         f"sites from {DEMOCITY / 'sensors.geojson'}",
                                         f"sites from {DEMOCITY / 'coverage.geojson'}"])
        site = live.ctl.site
        assert site.locator.layers is gis.layers() and site.sensors == list(gis.sensors)
        assert site.coverage_lonlat == list(gis.coverage_lonlat) and len(site.locator.layers.addr_x) > 1000
    finally:
        live.close()


def test_live_sign_in_needs_the_password_or_the_dialog_and_a_cancel_opens_nothing(qapp, deployment, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from app.cli import CliError
    from app.cli.live_console import dialog_session, load_checked_config, open_live_console, password_session
    from app.store import Store
    from app.ui.login_dialog import LoginDialog

    cfg, gis = load_checked_config(str(deployment["config"]))
    closed = []
    close_all = Store.close_all
    monkeypatch.setattr(Store, "close_all", lambda self: closed.append(self.path) or close_all(self))
    monkeypatch.setattr(LoginDialog, "exec", lambda dlg: QDialog.DialogCode.Rejected)
    assert open_live_console(cfg, dialog_session, gis=gis, with_map=False, use_audio=False) is None
    assert closed == [cfg.database]
    monkeypatch.setenv("TOCSIN_PASSWORD", "not the password")
    with pytest.raises(CliError, match=r"^cannot sign in as 'boss': "):
        open_live_console(cfg, password_session("boss"), gis=gis, with_map=False, use_audio=False)
    monkeypatch.delenv("TOCSIN_PASSWORD")
    with pytest.raises(CliError, match=r"--user boss needs the password in \$TOCSIN_PASSWORD"):
        open_live_console(cfg, password_session("boss"), gis=gis, with_map=False, use_audio=False)
