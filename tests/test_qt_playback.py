"""Playback state machine without a sound card, and the waveform playhead following it."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from app.console_services.clips import synthetic_clip
from app.qt.playback import PlaybackController
from app.ui.waveform_view import WaveformView
from tests.console_fixtures import incidents
from app.console_services.clock import FakeClock


def test_state_machine_runs_without_audio_and_says_so(qtbot):
    pb = PlaybackController(use_audio=False, tick_ms=10)
    assert "no sound card" in pb.status_text()
    states = []
    pb.state_changed.connect(states.append)
    pb.load(np.zeros(8000, dtype=np.float32), 16000)   # 0.5 s
    pb.set_speed(2.0)
    pb.play()
    qtbot.waitUntil(lambda: pb.state == "stopped", timeout=3000)
    assert states == ["stopped", "playing", "stopped"]
    assert pb.position_s() == 0.5
    pb.set_loop(True)
    pb.play()
    qtbot.wait(400)   # 0.5 s clip at 2× loops every 250 ms
    assert pb.state == "playing"
    pb.pause()
    assert pb.state == "paused"
    pb.close()


def test_playhead_follows_playback_and_drag_seeks_once(qtbot):
    pb = PlaybackController(use_audio=False, tick_ms=10)
    view = WaveformView(pb)
    qtbot.addWidget(view)
    clip = synthetic_clip(incidents(1, FakeClock(), rounds=3)[0])
    view.set_clip(clip)
    assert len(view.markers) == 3
    assert [round(m.value(), 3) for m in view.markers] == [round(t, 3) for t in clip.markers_s]
    seeks = []
    view.seek_requested.connect(seeks.append)
    pb.play()
    qtbot.waitUntil(lambda: view.playhead.value() > 0.3, timeout=3000)
    assert abs(view.playhead.value() - pb.position_s()) < 0.1
    assert seeks == []            # code-driven moves are not seeks
    pb.pause()
    view.playhead.setValue(1.25)
    view.playhead.sigDragged.emit(view.playhead)   # a user drag
    view.playhead.sigPositionChangeFinished.emit(view.playhead)
    assert seeks == [1.25]
    assert pb.position_s() == 1.25
    assert view.playhead.value() == 1.25
    pb.close()


def test_an_unloaded_clip_no_longer_plays_until_another_is_loaded(qtbot):
    pb = PlaybackController(use_audio=False, tick_ms=10)
    states, positions = [], []
    pb.state_changed.connect(states.append)
    pb.position_changed.connect(positions.append)
    pb.load(np.zeros(16000, dtype=np.float32), 16000)   # 1 s
    pb.play()
    qtbot.waitUntil(lambda: pb.position_s() > 0.1, timeout=3000)
    pb.unload()
    assert (pb.state, pb.duration_s, pb.position_s()) == ("empty", 0.0, 0.0)
    assert states[-1] == "empty" and positions[-1] == 0.0
    for transport in (pb.toggle, pb.play, lambda: pb.seek(0.5)):           # Space, play, a seek: nothing
        transport()
        assert (pb.state, pb.position_s()) == ("empty", 0.0)
    qtbot.wait(50)
    assert pb.state == "empty" and positions[-1] == 0.0                     # the playhead stays put
    pb.load(np.zeros(8000, dtype=np.float32), 16000)                       # the next clip plays
    pb.toggle()
    assert pb.state == "playing" and pb.duration_s == 0.5
    pb.close()


def test_the_waveform_cleared_of_its_clip_leaves_nothing_to_play(qtbot):
    pb = PlaybackController(use_audio=False, tick_ms=10)
    view = WaveformView(pb)
    qtbot.addWidget(view)
    view.set_clip(synthetic_clip(incidents(1, FakeClock(), rounds=3)[0]))
    pb.play()
    view.set_clip(None)
    assert pb.state == "empty" and view.markers == [] and view.pos_label.text() == "—"
    assert view.source_label.text() == ""
    qtbot.mouseClick(view.play_btn, Qt.MouseButton.LeftButton)
    assert pb.state == "empty" and view.play_btn.text() == "▶ Play"
    pb.close()
