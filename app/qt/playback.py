"""Clip playback as a small state machine around QtMultimedia.

States: ``empty`` → (load) → ``stopped`` ⇄ ``playing`` ⇄ ``paused``, and back to ``empty``
(unload) when the clip's alert is gone: nothing plays until another clip is loaded.  The
position is driven by a monotonic clock scaled by the playback speed, so the playhead,
looping and end-of-clip all behave the same with or without a sound card.  When an audio output
exists, a QMediaPlayer plays the same clip in step (seeks and rate follow the machine);
when none exists, ``audio_available`` is False and ``status_message`` says so.
"""
from __future__ import annotations

import logging
import os
import tempfile

import numpy as np
from PySide6.QtCore import QElapsedTimer, QObject, QTimer, QUrl, Signal

log = logging.getLogger(__name__)

SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0)


def audio_output_available() -> bool:
    from PySide6.QtMultimedia import QMediaDevices

    return bool(QMediaDevices.audioOutputs())


class PlaybackController(QObject):
    position_changed = Signal(float)   # seconds into the clip
    state_changed = Signal(str)
    status_message = Signal(str)
    speed_changed = Signal(float)
    loop_changed = Signal(bool)

    def __init__(self, parent=None, *, use_audio: bool | None = None, tick_ms: int = 30) -> None:
        super().__init__(parent)
        self.state = "empty"
        self.duration_s = 0.0
        self.speed = 1.0
        self.loop = False
        self._base_s = 0.0
        self._elapsed = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)
        self._player = None
        self._audio_out = None
        self._tmp_path: str | None = None
        self.audio_available = audio_output_available() if use_audio is None else use_audio
        if self.audio_available:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self._audio_out = QAudioOutput(self)
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(self._audio_out)

    def status_text(self) -> str:
        if self.audio_available:
            return "Audio: playing through the default output"
        return "Audio: no sound card — playback runs silently (playhead and markers still move)"

    # ---- loading ---------------------------------------------------------------------------
    def load(self, samples: np.ndarray, rate_hz: int) -> None:
        self.stop()
        self.duration_s = len(samples) / float(rate_hz)
        self._base_s = 0.0
        if self._player is not None:
            import soundfile as sf

            if self._tmp_path is None:
                fd, self._tmp_path = tempfile.mkstemp(prefix="tocsin-clip-", suffix=".wav")
                os.close(fd)
            peak = float(np.max(np.abs(samples))) or 1.0
            sf.write(self._tmp_path, (np.asarray(samples) / peak * 0.9).astype(np.float32), int(rate_hz))
            self._player.setSource(QUrl())
            self._player.setSource(QUrl.fromLocalFile(self._tmp_path))
        self._set_state("stopped")
        self.position_changed.emit(0.0)
        self.status_message.emit(self.status_text())

    def unload(self) -> None:
        """Forget the clip (its alert is no longer shown): back to ``empty``, where play,
        toggle (Space) and seek do nothing until another clip is loaded."""
        self._timer.stop()
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())
        self.duration_s = 0.0
        self._base_s = 0.0
        self._set_state("empty")
        self.position_changed.emit(0.0)

    # ---- transport -------------------------------------------------------------------------
    def position_s(self) -> float:
        if self.state == "playing":
            return min(self.duration_s, self._base_s + self._elapsed.nsecsElapsed() / 1e9 * self.speed)
        return self._base_s

    def play(self) -> None:
        if self.state == "empty":
            return
        if self.state == "playing":
            return
        if self._base_s >= self.duration_s:
            self._base_s = 0.0
        self._elapsed.start()
        self._timer.start()
        if self._player is not None:
            self._player.setPosition(int(self._base_s * 1000))
            self._player.setPlaybackRate(self.speed)
            self._player.play()
        self._set_state("playing")

    def pause(self) -> None:
        if self.state != "playing":
            return
        self._base_s = self.position_s()
        self._timer.stop()
        if self._player is not None:
            self._player.pause()
        self._set_state("paused")
        self.position_changed.emit(self._base_s)

    def toggle(self) -> None:
        self.pause() if self.state == "playing" else self.play()

    def stop(self) -> None:
        self._timer.stop()
        if self._player is not None:
            self._player.stop()
        self._base_s = 0.0
        if self.state != "empty":
            self._set_state("stopped")
            self.position_changed.emit(0.0)

    def seek(self, seconds: float) -> None:
        """Jump (user drag, marker click, keyboard).  Emits position_changed once."""
        if self.state == "empty":
            return
        self._base_s = float(np.clip(seconds, 0.0, self.duration_s))
        if self.state == "playing":
            self._elapsed.start()
        if self._player is not None:
            self._player.setPosition(int(self._base_s * 1000))
        self.position_changed.emit(self._base_s)

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError(f"playback speed must be positive, got {speed}")
        if self.state == "playing":
            self._base_s = self.position_s()
            self._elapsed.start()
        self.speed = float(speed)
        if self._player is not None:
            self._player.setPlaybackRate(self.speed)
        self.speed_changed.emit(self.speed)

    def step_speed(self, direction: int) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.speed))
        self.set_speed(SPEEDS[int(np.clip(i + direction, 0, len(SPEEDS) - 1))])

    def set_loop(self, on: bool) -> None:
        self.loop = bool(on)
        self.loop_changed.emit(self.loop)

    # ---- internals -------------------------------------------------------------------------
    def _tick(self) -> None:
        pos = self.position_s()
        if pos >= self.duration_s:
            if self.loop:
                self._base_s = 0.0
                self._elapsed.start()
                if self._player is not None:
                    self._player.setPosition(0)
                    self._player.play()
                pos = 0.0
            else:
                self._timer.stop()
                if self._player is not None:
                    self._player.pause()
                self._base_s = self.duration_s
                self.position_changed.emit(self.duration_s)
                self._set_state("stopped")
                self._base_s = self.duration_s
                return
        self.position_changed.emit(pos)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def close(self) -> None:
        self.stop()
        if self._tmp_path and os.path.exists(self._tmp_path):
            os.unlink(self._tmp_path)
            self._tmp_path = None
