"""The `tocsin locate` contract: input formats, output fields, bad input handling."""
import json
import subprocess
import sys

import numpy as np
import pytest

from app.cli import main
from localization import LocalFrame
from localization.sim import Conditions, round_string, sensor_grid, simulate_pulses, square_bounds

T0 = 1_700_000_000 * 10**9


@pytest.fixture(scope="module")
def scenario():
    sensors = sensor_grid(density_per_sq_mi=15, bounds_m=square_bounds(area_sq_mi=2), seed=5)
    ev = round_string(incident_id="G1", x_m=80.0, y_m=-40.0, t_ns=T0, rounds=3, seed=5)
    sim = simulate_pulses(sensors=sensors, events=ev, conditions=Conditions.clean(), seed=5)
    return sensors, sim


def write_local(tmp_path, sensors, sim, inline=False):
    pul = tmp_path / "p.jsonl"
    pos = {s.id: s for s in sensors}
    lines = []
    for p in sim.pulses:
        o = {"sensor": p.sensor, "t_ns": p.t_ns, "snr_db": p.snr_db, "id": p.id, "extra": "ignored"}
        if inline:
            s = pos[p.sensor]
            o.update(x_m=s.x_m, y_m=s.y_m, z_m=s.z_m)
        lines.append(json.dumps(o))
    pul.write_text("\n".join(lines) + "\n")
    sen = tmp_path / "s.csv"
    sen.write_text("id,x_m,y_m,z_m\n" + "".join(f"{s.id},{s.x_m},{s.y_m},{s.z_m}\n" for s in sensors))
    return pul, sen


def test_local_frame_output_fields(tmp_path, scenario, capsys):
    sensors, sim = scenario
    pul, sen = write_local(tmp_path, sensors, sim)
    assert main(["locate", str(pul), "--sensors", str(sen)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 1
    inc = out[0]
    for key in ("id", "kind", "tags", "rounds", "shooters", "start_ns", "end_ns", "x_m", "y_m", "err95_m",
                "speed_mps", "heading_deg", "shots"):
        assert key in inc
    assert inc["kind"] == "multiple_gunshots" and inc["rounds"] >= 2
    assert np.hypot(inc["x_m"] - 80, inc["y_m"] + 40) < 1.0
    sh = inc["shots"][0]
    assert set(sh) == {"t_ns", "x_m", "y_m", "err95_m", "shooter", "sensors"}
    assert inc["speed_mps"] is None and inc["heading_deg"] is None
    assert inc["gunfire_p"] is None and inc["review_label"] is None  # no detector features given


def test_detector_features_give_an_audio_verdict(tmp_path, scenario, capsys):
    """Pulses as ``tocsin detect`` writes them (flat feature keys): decoy-like shapes make the
    incident possible_gunfire marked for review, still emitted."""
    from localization.audio.training import simulate_incident

    sensors, sim = scenario
    pul, sen = write_local(tmp_path, sensors, sim)
    feats = simulate_incident("balloon_pop", 1).pulse_features
    rows = [json.loads(line) for line in pul.read_text().splitlines()]
    for k, r in enumerate(rows):
        r.update({n: round(v, 4) for n, v in feats[k % len(feats)].items()}, gunfire_p=0.01)
    pul.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["locate", str(pul), "--sensors", str(sen)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 1
    assert out[0]["kind"] == "possible_gunfire" and out[0]["review_label"] == "non_gunfire"
    assert 0.0 <= out[0]["gunfire_p"] < 0.2 and out[0]["rounds"] >= 2


def test_inline_positions_make_sensors_optional(tmp_path, scenario, capsys):
    sensors, sim = scenario
    pul, _ = write_local(tmp_path, sensors, sim, inline=True)
    assert main(["locate", str(pul)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_geodetic_input_gives_lat_lon_and_iso_times(tmp_path, scenario, capsys):
    sensors, sim = scenario
    frame = LocalFrame(37.0, -122.0, 10.0)
    sen = tmp_path / "s.csv"
    rows = []
    for s in sensors:
        la, lo, al = frame.to_geodetic(s.x_m, s.y_m, s.z_m)
        rows.append(f"{s.id},{float(la):.9f},{float(lo):.9f},{float(al):.3f}\n")
    sen.write_text("id,lat,lon,alt_m\n" + "".join(rows))
    from datetime import datetime, timezone
    pul = tmp_path / "p.jsonl"
    lines = []
    for p in reversed(sim.pulses):  # any order
        sec, ns = divmod(p.t_ns, 10**9)
        iso = datetime.fromtimestamp(sec, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"
        lines.append(json.dumps({"sensor": p.sensor, "t": iso}))
    pul.write_text("\n".join(lines) + "\n")
    out_file = tmp_path / "out.jsonl"
    assert main(["locate", str(pul), "--sensors", str(sen), "--out", str(out_file)]) == 0
    inc = json.loads(out_file.read_text().splitlines()[0])
    assert "lat" in inc and "x_m" not in inc
    e, n, _ = frame.to_local(inc["lat"], inc["lon"], 10.0)
    assert np.hypot(e - 80, n + 40) < 2.0


def test_bad_lines_reported_with_line_numbers_and_rest_processed(tmp_path, scenario, capsys):
    sensors, sim = scenario
    pul, sen = write_local(tmp_path, sensors, sim)
    good = pul.read_text().splitlines()
    bad = ["{not json", json.dumps({"t_ns": T0}), json.dumps({"sensor": "ZZZ", "t_ns": T0}),
           json.dumps({"sensor": sensors[0].id, "t_ns": 5}), json.dumps({"sensor": sensors[0].id}),
           json.dumps({"sensor": sensors[0].id, "t": "yesterday"}), json.dumps([1, 2])]
    pul.write_text("\n".join(bad + good) + "\n")
    assert main(["locate", str(pul), "--sensors", str(sen)]) == 2
    cap = capsys.readouterr()
    assert len(cap.out.splitlines()) == 1  # the good lines still produced the incident
    err = cap.err
    for n, why in [(1, "not valid JSON"), (2, "missing field 'sensor'"), (3, "unknown sensor 'ZZZ'"),
                   (4, "impossible time"), (5, "missing time"), (6, "bad time"), (7, "expected a JSON object")]:
        assert f"p.jsonl:{n}: {why}" in err
    assert "Traceback" not in err


def test_strict_stops_at_first_bad_line(tmp_path, scenario, capsys):
    sensors, sim = scenario
    pul, sen = write_local(tmp_path, sensors, sim)
    pul.write_text(pul.read_text() + "garbage\n")
    assert main(["locate", str(pul), "--sensors", str(sen), "--strict"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "--strict" in cap.err


def test_bad_sensor_file_and_missing_file_are_clear_errors(tmp_path, capsys):
    sen = tmp_path / "s.csv"
    sen.write_text("name,a,b\nx,1,2\n")
    pul = tmp_path / "p.jsonl"
    pul.write_text("")
    assert main(["locate", str(pul), "--sensors", str(sen)]) == 2
    assert "header must start with" in capsys.readouterr().err
    assert main(["locate", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read pulses file" in capsys.readouterr().err


def test_console_script_runs_without_traceback(tmp_path):
    bad = tmp_path / "p.jsonl"
    bad.write_text("{oops\n")
    r = subprocess.run([sys.executable, "-m", "app", "locate", str(bad)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "p.jsonl:1: not valid JSON" in r.stderr and "Traceback" not in r.stderr
