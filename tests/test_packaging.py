"""Fast checks of the packaging sources (the frozen build itself takes minutes and is
checked by ``packaging/smoke_test.py`` after ``make package``)."""
from __future__ import annotations

import ast
import configparser
import os
import runpy
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "packaging"
APP_ID = "org.tocsin.Tocsin"
DESKTOP = PKG / "linux" / f"{APP_ID}.desktop"
METAINFO = PKG / "linux" / f"{APP_ID}.metainfo.xml"
SVG = PKG / "linux" / "tocsin.svg"
SPEC = PKG / "tocsin.spec"
SVG_NS = "{http://www.w3.org/2000/svg}"
MAIN_CATEGORIES = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics", "Network",
                   "Office", "Science", "Settings", "System", "Utility"}


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _desktop() -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str  # keys are case-sensitive
    cp.read_string(DESKTOP.read_text(encoding="utf-8"))
    return cp


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _spec_strings() -> set[str]:
    return {n.value for n in ast.walk(_spec_tree()) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


# ------------------------------------------------------------------ desktop entry
def test_desktop_entry_has_the_required_keys():
    entry = _desktop()["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Tocsin"
    assert entry["Exec"].split()[0] == "tocsin"
    assert entry["Icon"] == APP_ID  # installed as share/icons/hicolor/*/apps/org.tocsin.Tocsin.*
    assert entry["Terminal"] == "false"
    cats = entry["Categories"]
    assert cats.endswith(";")
    assert len(MAIN_CATEGORIES & set(cats.rstrip(";").split(";"))) == 1, "exactly one main category"


def test_desktop_actions_each_have_a_group_with_name_and_exec():
    cp = _desktop()
    actions = [a for a in cp["Desktop Entry"].get("Actions", "").split(";") if a]
    assert actions
    for action in actions:
        group = cp[f"Desktop Action {action}"]
        assert group["Name"] and group["Exec"].startswith("tocsin ")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-validate not installed")
def test_desktop_file_validate_accepts_it():
    r = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert r.returncode == 0 and "error" not in r.stdout, r.stdout


# ------------------------------------------------------------------ AppStream
def test_metainfo_is_well_formed_and_matches_the_desktop_file_and_version():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == DESKTOP.name
    assert root.find("provides/binary").text == "tocsin"
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "MIT"
    versions = [r.get("version") for r in root.iter("release")]
    assert _version() in versions, "add a <release> for the version in pyproject.toml"


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_appstreamcli_validates_the_metainfo():
    r = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# ------------------------------------------------------------------ icon
def test_icon_svg_is_well_formed_square_and_self_contained():
    text = SVG.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert root.tag == f"{SVG_NS}svg"
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    assert (x, y) == (0, 0) and w == h
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "href" not in text, "no external or embedded images: the icon is drawn"


def test_make_icons_renders_pngs_of_each_size(qapp, tmp_path):
    from PySide6.QtGui import QImage

    make_icons = runpy.run_path(str(PKG / "make_icons.py"))
    assert make_icons["main"]([str(tmp_path)]) == 0
    for size in make_icons["PNG_SIZES"]:
        img = QImage(str(tmp_path / f"tocsin-{size}.png"))
        assert (img.width(), img.height()) == (size, size)
    big = QImage(str(tmp_path / "tocsin-256.png"))
    assert big.pixelColor(128, 128).alpha() == 255 and big.pixelColor(0, 0).alpha() == 0  # drawn, rounded corners


# ------------------------------------------------------------------ PyInstaller spec
def test_spec_is_valid_python_for_an_onedir_build():
    tree = _spec_tree()
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls, "onedir = EXE(exclude_binaries=True) + COLLECT"
    assert "exclude_binaries" in {k.arg for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords}


def test_spec_bundles_every_resource_folder_and_the_audio_model():
    strings = _spec_strings()
    folders = sorted(p.name for p in (ROOT / "resources").iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders
    for name in folders:
        assert f"resources/{name}" in strings, f"resources/{name} is not in the spec's DATA_DIRS"
    assert "gunfire_model.json" in strings and "localization/audio" in strings
    assert "xstatic/pkg/leaflet/data" in strings
    for rel in ("tocsin_entry.py", "rthook_tocsin.py"):
        assert rel in "".join(strings) and (PKG / rel).is_file()


def test_spec_finds_the_cli_modules_that_are_imported_dynamically():
    from app.cli import COMMAND_MODULES

    func = next(n for n in _spec_tree().body if isinstance(n, ast.FunctionDef) and n.name == "command_modules")
    namespace = {"ast": ast, "ROOT": ROOT, "Path": Path}
    exec(compile(ast.Module(body=[func], type_ignores=[]), str(SPEC), "exec"), namespace)
    assert namespace["command_modules"]() == list(COMMAND_MODULES)
    assert "HIDDEN_IMPORTS" in {t.id for n in _spec_tree().body if isinstance(n, ast.Assign)
                                for t in n.targets if isinstance(t, ast.Name)}


def test_runtime_hook_points_app_paths_at_the_bundled_resources(monkeypatch, tmp_path):
    # setenv first so that monkeypatch records the original state and undoes what the hook sets
    monkeypatch.setenv("TOCSIN_RESOURCES", "placeholder")
    monkeypatch.delenv("TOCSIN_RESOURCES")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    runpy.run_path(str(PKG / "rthook_tocsin.py"))
    assert os.environ["TOCSIN_RESOURCES"] == str(tmp_path / "resources")
    r = subprocess.run([sys.executable, "-c", "from app.paths import RESOURCES; print(RESOURCES)"], cwd=ROOT,
                       capture_output=True, text=True, env={**os.environ, "TOCSIN_RESOURCES": str(tmp_path)})
    assert r.stdout.strip() == str(tmp_path), r.stderr


def test_runtime_hook_keeps_an_administrators_own_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("TOCSIN_RESOURCES", "/srv/agency-resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    runpy.run_path(str(PKG / "rthook_tocsin.py"))
    assert os.environ["TOCSIN_RESOURCES"] == "/srv/agency-resources"


# ------------------------------------------------------------------ scripts and installers
def test_shell_scripts_parse():
    for script in ("build_layout.sh", "system-deps.sh"):
        r = subprocess.run(["bash", "-n", str(PKG / script)], capture_output=True, text=True)
        assert r.returncode == 0, f"{script}: {r.stderr}"


def test_smoke_test_script_compiles_and_defaults_to_the_onedir_bundle():
    smoke = runpy.run_path(str(PKG / "smoke_test.py"))
    assert callable(smoke["main"])
    assert smoke["main"](["--bundle", "/nonexistent/tocsin"]) == 1  # says "run make package", fails


def test_inno_setup_script_installs_the_onedir_bundle():
    iss = (PKG / "windows" / "tocsin.iss").read_text(encoding="utf-8")
    assert "AppId={{" in iss
    assert r'Source: "{#RepoRoot}\dist\tocsin\*"' in iss and "recursesubdirs" in iss
    assert "tocsinw.exe" in iss and '"tocsinw"' in SPEC.read_text(), "the spec makes the windowed exe on Windows"
    assert (PKG / "windows" / "BUILDING-WINDOWS.md").is_file()


def test_make_package_target_exists():
    makefile = (ROOT / "Makefile").read_text()
    assert "\npackage:" in makefile and "packaging/tocsin.spec" in makefile and "packaging/smoke_test.py" in makefile
