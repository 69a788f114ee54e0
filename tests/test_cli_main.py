"""`tocsin` with options but no subcommand runs the demo with them (`tocsin --screenshot PNG --after S`)."""
import app.cli as cli


def _parsed(monkeypatch, argv):
    seen = {}

    def fake_run(args):
        seen["args"] = args
        return 0

    monkeypatch.setattr(cli, "run_command", fake_run)
    assert cli.main(argv) == 0
    return seen["args"]


def test_screenshot_option_without_subcommand_is_the_demo(monkeypatch):
    args = _parsed(monkeypatch, ["--screenshot", "out.png", "--after", "3"])
    assert args.command == "demo"
    assert args.screenshot == "out.png" and args.after == 3.0


def test_no_arguments_is_the_demo(monkeypatch):
    assert _parsed(monkeypatch, []).command == "demo"


def test_subcommands_are_untouched(monkeypatch):
    assert _parsed(monkeypatch, ["locate", "pulses.jsonl"]).command == "locate"
