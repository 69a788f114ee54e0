"""The deployment configuration: loading, every validation branch, migrations, the
template, ``tocsin config init/show/check``."""
from __future__ import annotations

import os
import shutil

import pytest

from app.cli import main
from app.config import CONFIG_VERSION, ConfigError, check_config, has_errors, load_config
from app.config import model
from app.config.template import render
from app.geo.site_dir import load_site_dir
from app.paths import RESOURCES
from app.store import ValidationError

DEMOCITY = RESOURCES / "democity"


def write(tmp_path, body: str, name: str = "tocsin.toml"):
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


@pytest.fixture(autouse=True)
def _no_env(monkeypatch, tmp_path):
    monkeypatch.delenv("TOCSIN_CONFIG", raising=False)
    monkeypatch.setenv("TOCSIN_DB", str(tmp_path / "db" / "tocsin.sqlite3"))


# ---------------------------------------------------------------- loading
def test_defaults_and_sources_when_the_file_is_minimal(tmp_path):
    cfg = load_config(write(tmp_path, "version = 1\n"))
    assert cfg.exists and cfg.version == CONFIG_VERSION
    assert cfg.agency_profile == "default" and cfg.gis_dir is None
    assert (cfg.listen_host, cfg.listen_port) == ("127.0.0.1", 7700) and cfg.loopback
    assert cfg.database == tmp_path / "db" / "tocsin.sqlite3"
    assert cfg.sources["database.path"] == "default ($TOCSIN_DB)"
    assert cfg.journal == tmp_path / "db" / "intake.sqlite3"
    assert cfg.keys_file == tmp_path / "sensor-keys.toml"
    assert cfg.tls_enabled and cfg.temperature_c == 15.0


def test_relative_paths_are_relative_to_the_file_and_sources_name_it(tmp_path):
    p = write(tmp_path, 'version = 1\n[gis]\ndirectory = "gis"\n[database]\npath = "data/t.sqlite3"\n'
                        '[agency]\nprofile = "profiles/agency.toml"\n[feed]\nlisten = "0.0.0.0:7701"\n')
    cfg = load_config(p)
    assert cfg.gis_dir == tmp_path / "gis"
    assert cfg.database == tmp_path / "data" / "t.sqlite3"
    assert cfg.agency_profile == str(tmp_path / "profiles" / "agency.toml")
    assert cfg.sources["gis.directory"] == f"file {p}" and not cfg.loopback


def test_config_path_from_option_env_and_default(tmp_path, monkeypatch):
    assert model.resolve_config_path("x.toml")[1] == "--config"
    monkeypatch.setenv("TOCSIN_CONFIG", str(tmp_path / "env.toml"))
    assert model.resolve_config_path(None) == (tmp_path / "env.toml", "$TOCSIN_CONFIG")
    monkeypatch.delenv("TOCSIN_CONFIG")
    path, why = model.resolve_config_path(None)
    assert path.name == "tocsin.toml" and "tocsin" in str(path.parent) and why == "default location"


def test_a_missing_file_gives_defaults_or_an_error(tmp_path):
    cfg = load_config(tmp_path / "nope.toml")
    assert not cfg.exists
    with pytest.raises(ConfigError, match=r"nope.toml: file: no configuration file .*tocsin config init"):
        load_config(tmp_path / "nope.toml", missing_ok=False)


@pytest.mark.parametrize(("body", "match"), [
    ("version = ", r"file: not valid TOML"),
    ("[agency]\nprofile = 'x'\n", r"version: missing"),
    ("version = '1'\n", r"version: must be an integer"),
    ("version = 0\n", r"version: must be 1 or more"),
    (f"version = {CONFIG_VERSION + 1}\n", r"version: .*newer Tocsin"),
    ("version = 1\n[agnecy]\nprofile = 'x'\n", r"agnecy: unknown section"),
    ("version = 1\nagency = 3\n", r"agency: must be a \[section\] table"),
    ("version = 1\n[gis]\ndir = 'x'\n", r"gis.dir: unknown key; \[gis\] takes directory"),
    ("version = 1\n[tls]\nenabled = 'yes'\n", r"tls.enabled: must be true or false"),
    ("version = 1\n[site]\ntemperature_c = true\n", r"site.temperature_c: must be a number"),
    ("version = 1\n[gis]\ndirectory = ''\n", r"gis.directory: .*empty string"),
    ("version = 1\n[feed]\nlisten = '7700'\n", r"feed.listen: expected \"HOST:PORT\""),
    ("version = 1\n[feed]\nlisten = 'host:99999'\n", r"feed.listen: expected"),
    ("version = 1\n[feed]\nlisten = '10.0.0.5:7700'\n[tls]\nenabled = false\n", r"tls.enabled: false is allowed only on a loopback"),
    ("version = 1\n[site]\ntemperature_source = 'metar'\n", r"site.temperature_source: must be one of fixed"),
    ("version = 1\n[site]\ntemperature_c = 80\n", r"site.temperature_c: must be between -50 and 60"),
])
def test_each_validation_error_names_the_key(tmp_path, body, match):
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, body))


def test_require_live_names_the_missing_key(tmp_path):
    cfg = load_config(write(tmp_path, "version = 1\n"))
    with pytest.raises(ConfigError, match="gis.directory: not set"):
        cfg.require_live()
    cfg = load_config(write(tmp_path, f"version = 1\n[gis]\ndirectory = '{DEMOCITY}'\n"))
    with pytest.raises(ConfigError, match="tls.cert: not set"):
        cfg.require_live()
    cfg = load_config(write(tmp_path, f"version = 1\n[gis]\ndirectory = '{DEMOCITY}'\n[tls]\nenabled = false\n"))
    cfg.require_live()


@pytest.mark.parametrize(("body", "unset"), [
    ("", ["gis.directory", "tls.cert", "tls.key"]),
    ("[tls]\nenabled = false\n", ["gis.directory"]),
    (f"[gis]\ndirectory = '{DEMOCITY}'\n[tls]\ncert = 'c.pem'\n", ["tls.key"]),
    (f"[gis]\ndirectory = '{DEMOCITY}'\n[tls]\ncert = 'c.pem'\nkey = 'k.pem'\n", []),
])
def test_require_live_and_check_apply_the_same_rule_in_their_own_words(tmp_path, body, unset):
    cfg = load_config(write(tmp_path, "version = 1\n" + body))
    assert cfg.unset_for_live() == unset
    if unset:
        with pytest.raises(ConfigError) as err:
            cfg.require_live()
        assert err.value.key == unset[0]
    else:
        cfg.require_live()
    words = {"gis.directory": "not set: the live console needs the agency's GIS layers",
             "tls.cert": "not set while tls.enabled = true (a test pair: `tocsin feed selfsigned --out DIR`)"}
    words["tls.key"] = words["tls.cert"]
    findings = check_config(cfg)
    assert [(f.key, f.message) for f in findings if f.message.startswith("not set")] == [(k, words[k]) for k in unset]


def test_require_live_messages_say_what_to_do(tmp_path):
    cfg = load_config(write(tmp_path, "version = 1\n"))
    with pytest.raises(ConfigError, match=r"gis.directory: not set: name the directory holding the agency's GIS "
                                          r"layers \(sensors.geojson, streets.geojson, addresses.geojson …\)$"):
        cfg.require_live()
    cfg = load_config(write(tmp_path, f"version = 1\n[gis]\ndirectory = '{DEMOCITY}'\n[tls]\ncert = 'c.pem'\n"))
    with pytest.raises(ConfigError, match=r"tls.key: not set while tls.enabled = true \(make a pair for a first test "
                                          r"with `tocsin feed selfsigned --out DIR`\)$"):
        cfg.require_live()


def test_migrations_run_in_order_and_a_gap_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(model, "CONFIG_VERSION", 3)
    monkeypatch.setattr(model, "MIGRATIONS", {
        1: lambda d: {**{k: v for k, v in d.items() if k != "gis_dir"}, "gis": {"directory": d["gis_dir"]}},
        2: lambda d: {**d, "site": {"temperature_c": 20.0}},
    })
    doc, applied = model.migrate({"version": 1, "gis_dir": "g"})
    assert applied == [1, 2] and doc == {"version": 3, "gis": {"directory": "g"}, "site": {"temperature_c": 20.0}}
    cfg = load_config(write(tmp_path, "version = 1\ngis_dir = 'g'\n"))
    assert cfg.version == 3 and cfg.gis_dir == tmp_path / "g" and cfg.temperature_c == 20.0
    monkeypatch.setattr(model, "MIGRATIONS", {1: lambda d: d})
    with pytest.raises(ConfigError, match="version: no migration from version 2 to 3"):
        model.migrate({"version": 1})


def test_the_template_is_a_valid_current_configuration(tmp_path):
    cfg = load_config(write(tmp_path, render()))
    assert cfg.version == CONFIG_VERSION and cfg.agency_profile == "default" and cfg.tls_enabled


# ---------------------------------------------------------------- GIS directory
def test_the_demo_city_directory_loads_as_an_agency_gis_directory():
    city = load_site_dir(DEMOCITY)
    assert city.name == "Port Tocsin" and len(city.sensors) > 20 and city.coverage_lonlat
    assert len(city.layers().addr_x) > 1000


def test_a_loaded_gis_directory_is_parsed_once_and_passed_along_as_it_is(monkeypatch):
    from app.geo.layers import GisLayers

    city = load_site_dir(DEMOCITY)
    assert load_site_dir(city) is city
    calls = []
    from_geojson = GisLayers.from_geojson.__func__
    monkeypatch.setattr(GisLayers, "from_geojson",
                        classmethod(lambda cls, frame, **files: calls.append(files) or from_geojson(cls, frame, **files)))
    assert city.layers() is city.layers() and len(calls) == 1
    assert load_site_dir(DEMOCITY).layers() is not city.layers() and len(calls) == 2   # a new load reads the files


def test_check_hands_over_the_gis_directory_it_loaded(tmp_path):
    from app.config import check_and_load_gis

    findings, city = check_and_load_gis(load_config(write(tmp_path, f"version = 1\n[gis]\ndirectory = '{DEMOCITY}'\n")))
    assert city is not None and city.directory == DEMOCITY and city.name == "Port Tocsin"
    gis = next(f for f in findings if f.key == "gis.directory")
    assert gis.level == "ok" and f"{len(city.layers().addr_x)} addresses" in gis.message
    findings, city = check_and_load_gis(load_config(write(tmp_path, "version = 1\n[gis]\ndirectory = 'nogis'\n")))
    assert city is None and next(f for f in findings if f.key == "gis.directory").level == "error"


def _gis_copy(tmp_path, *, drop=(), sensors=None):
    d = tmp_path / "gis"
    d.mkdir()
    for n in ("streets", "addresses"):
        if n not in drop:
            shutil.copy(DEMOCITY / f"{n}.geojson", d)
    if sensors is not None:
        (d / "sensors.geojson").write_text(sensors)
    elif "sensors" not in drop:
        shutil.copy(DEMOCITY / "sensors.geojson", d)
    return d


def _pt(sid, lon=-140.5, lat=29.5, **props):
    import json

    return json.dumps({"type": "Feature", "properties": {"id": sid, **props},
                       "geometry": {"type": "Point", "coordinates": [lon, lat]}})


def _fc(*feats):
    return '{"type": "FeatureCollection", "features": [' + ",".join(feats) + "]}"


def test_a_gis_directory_without_site_toml_is_centred_on_its_sensors(tmp_path):
    d = _gis_copy(tmp_path, sensors=_fc(_pt("A", -140.50), _pt("B", -140.49), _pt("C", -140.5, 29.51, z_m=12)))
    city = load_site_dir(d)
    assert city.name == "gis" and [s.id for s in city.sensors] == ["A", "B", "C"]
    assert city.sensors[2].z_m == 12 and city.sensors[0].z_m == 6.0
    assert abs(city.sensors[1].x_m - city.sensors[0].x_m - 968) < 5      # 0.01° of longitude at 29.5° N
    assert city.layers().parcels == []                                     # optional layers absent


@pytest.mark.parametrize(("setup", "match"), [
    ("nodir", r"GIS directory .* does not exist"),
    ("nostreets", r"lacks streets.geojson"),
    ("notjson", r"sensors.geojson could not be read as GeoJSON"),
    ("noid", r"feature 1: needs a string \"id\""),
    ("dup", r"feature 2: sensor id 'A' appears twice"),
    ("line", r"feature 1 \(A\): geometry must be a Point"),
    ("swapped", r"feature 1: \[lon, lat\] = \[29.5, -190.0\] is not WGS-84"),
    ("few", r"at least 3 sensors, found 2"),
    ("badz", r"\(A\): z_m must be a number"),
    ("halforigin", r"origin_lat and origin_lon go together"),
])
def test_gis_directory_errors_name_the_file_and_feature(tmp_path, setup, match):
    three = [_pt("A"), _pt("B", -140.49), _pt("C", -140.48)]
    if setup == "nodir":
        d = tmp_path / "missing"
    elif setup == "nostreets":
        d = _gis_copy(tmp_path, drop=("streets",))
    else:
        sensors = {
            "notjson": "{", "noid": _fc('{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[0,0]}}'),
            "dup": _fc(_pt("A"), _pt("A")), "line": _fc('{"type":"Feature","properties":{"id":"A"},'
                                                        '"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}'),
            "swapped": _fc(_pt("A", 29.5, -190.0)), "few": _fc(*three[:2]), "badz": _fc(_pt("A", z_m="high"), *three[1:]),
            "halforigin": _fc(*three),
        }[setup]
        d = _gis_copy(tmp_path, sensors=sensors)
        if setup == "halforigin":
            (d / "site.toml").write_text("origin_lat = 29.5\n")
    with pytest.raises(ValidationError, match=match):
        load_site_dir(d)


# ---------------------------------------------------------------- check
def _ready(tmp_path):
    """A configuration that passes every check (the demo city as the GIS layers)."""
    from app.feeds.keys import generate_keys, write_keys
    from app.feeds.tls import make_self_signed
    write_keys(tmp_path / "keys.toml", generate_keys([s.id for s in load_site_dir(DEMOCITY).sensors]))
    make_self_signed(tmp_path / "tls")
    return write(tmp_path, f"version = 1\n[agency]\nprofile = 'port-tocsin'\n[gis]\ndirectory = '{DEMOCITY}'\n"
                           "[sensors]\nkeys_file = 'keys.toml'\n[tls]\ncert = 'tls/cert.pem'\nkey = 'tls/key.pem'\n"
                           "[database]\npath = 'db.sqlite3'\n")


def _admin(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIN_PASSWORD", "correct horse battery 1")
    assert main(["db", "init", "--db", str(tmp_path / "db.sqlite3"), "--admin", "boss", "--name", "The Boss"]) == 0


def test_check_passes_on_a_complete_configuration(tmp_path, monkeypatch, capsys):
    p = _ready(tmp_path)
    _admin(tmp_path, monkeypatch)
    findings = check_config(load_config(p))
    assert not has_errors(findings), [f for f in findings if f.level == "error"]
    assert main(["config", "check", "--config", str(p)]) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out and "ready for `tocsin console --live`" in out


@pytest.mark.parametrize(("breakage", "key", "match"), [
    ("nofile", "file", "no configuration file"),
    ("agency", "agency.profile", "no agency profile 'nosuch'"),
    ("gis", "gis.directory", "does not exist"),
    ("keys_mode", "sensors.keys_file", "accessible by group or others"),
    ("keys_missing", "sensors.keys_file", "does not exist"),
    ("keys_ids", "sensors.keys_file", "no sensor in the keys file is in the GIS sensors layer"),
    ("tls_missing", "tls.key", "does not exist"),
    ("tls_mismatch", "tls.cert", "do not load together"),
    ("db_missing", "database.path", "tocsin db init"),
    ("db_noadmin", "database.path", "no active administrator"),
    ("journal", "feed.journal", "does not exist"),
])
def test_check_reports_each_problem_under_its_key(tmp_path, monkeypatch, breakage, key, match):
    p = _ready(tmp_path)
    _admin(tmp_path, monkeypatch)
    text = p.read_text()
    if breakage == "nofile":
        p = tmp_path / "absent.toml"
    elif breakage == "agency":
        p.write_text(text.replace("port-tocsin", "nosuch"))
    elif breakage == "gis":
        p.write_text(text.replace(str(DEMOCITY), str(tmp_path / "nogis")))
    elif breakage == "keys_mode":
        os.chmod(tmp_path / "keys.toml", 0o644)
    elif breakage == "keys_missing":
        (tmp_path / "keys.toml").unlink()
    elif breakage == "keys_ids":
        from app.feeds.keys import generate_keys, write_keys
        write_keys(tmp_path / "keys.toml", generate_keys(["X1", "X2"]))
    elif breakage == "tls_missing":
        (tmp_path / "tls" / "key.pem").unlink()
    elif breakage == "tls_mismatch":
        from app.feeds.tls import make_self_signed
        make_self_signed(tmp_path / "tls2")
        p.write_text(text.replace("tls/key.pem", "tls2/key.pem"))
    elif breakage == "db_missing":
        p.write_text(text.replace("db.sqlite3", "other.sqlite3"))
    elif breakage == "db_noadmin":
        import sqlite3
        con = sqlite3.connect(tmp_path / "db.sqlite3")
        con.execute("UPDATE users SET active = 0")
        con.commit()
        con.close()
    elif breakage == "journal":
        p.write_text(text + "[feed]\njournal = 'nodir/intake.sqlite3'\n")
    findings = check_config(load_config(p))
    errors = [f for f in findings if f.level == "error"]
    assert errors[0].key == key and (len(errors) == 1 or breakage == "nofile"), findings   # no file: no paths either
    assert match in errors[0].message
    assert main(["config", "check", "--config", str(p)]) == 1


def test_check_warns_about_keys_without_positions_and_plain_tcp(tmp_path, monkeypatch):
    from app.feeds.keys import generate_keys, write_keys

    p = _ready(tmp_path)
    _admin(tmp_path, monkeypatch)
    write_keys(tmp_path / "keys.toml", generate_keys(["PT-01", "PT-02", "EXTRA"]))
    p.write_text(p.read_text().replace("[tls]\n", "[tls]\nenabled = false\n"))
    findings = check_config(load_config(p))
    assert not has_errors(findings)
    warn = " | ".join(f.message for f in findings if f.level == "warning")
    assert "keyed sensors are not in the GIS sensors layer" in warn and "EXTRA" in warn
    assert "GIS sensors have no key" in warn and "plain TCP" in warn


# ---------------------------------------------------------------- CLI
def test_config_init_writes_the_template_once_and_show_names_sources(tmp_path, capsys, monkeypatch):
    target = tmp_path / "etc" / "tocsin.toml"
    assert main(["config", "init", "--path", str(target)]) == 0
    assert target.read_text() == render()
    assert main(["config", "init", "--path", str(target)]) == 2
    assert "already exists; not overwritten" in capsys.readouterr().err
    monkeypatch.setenv("TOCSIN_CONFIG", str(target))
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert f"# configuration file: {target} ($TOCSIN_CONFIG)" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("feed.listen"))
    assert "127.0.0.1:7700" in line and f"# file {target}" in line
    line = next(ln for ln in out.splitlines() if ln.startswith("gis.directory"))
    assert "(not set)" in line and "# default" in line
    assert main(["config", "show", "--json"]) == 0
    import json
    doc = json.loads(capsys.readouterr().out)
    assert doc["values"]["database.path"]["source"] == "default ($TOCSIN_DB)"


def test_config_show_reports_an_invalid_file_as_one_line(tmp_path, capsys):
    p = write(tmp_path, "version = 1\n[feed]\nlisten = 'nowhere'\n")
    assert main(["config", "show", "--config", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tocsin: error: ") and "feed.listen" in err and "Traceback" not in err
