"""Alert tones per incident type (QSoundEffect).  Muting silences tones, never the visuals.
With no audio output the tones are skipped and ``available`` is False."""
from __future__ import annotations

from PySide6.QtCore import QObject, QUrl, Signal

from app.qt.playback import audio_output_available
from app.paths import resource

TONE_NAMES = ("single_gunshot", "multiple_gunshots", "possible_gunfire", "escalation")


class TonePlayer(QObject):
    muted_changed = Signal(bool)
    tone_requested = Signal(str)   # every tone the console asked for, played or not

    def __init__(self, parent=None, *, use_audio: bool | None = None) -> None:
        super().__init__(parent)
        self.muted = False
        self.available = audio_output_available() if use_audio is None else use_audio
        self.history: list[tuple[str, bool]] = []   # (tone, audible)
        self._effects = {}
        if self.available:
            from PySide6.QtMultimedia import QSoundEffect

            for name in TONE_NAMES:
                fx = QSoundEffect(self)
                fx.setSource(QUrl.fromLocalFile(str(resource("sounds", f"{name}.wav"))))
                fx.setVolume(0.8)
                self._effects[name] = fx

    def set_muted(self, muted: bool) -> None:
        self.muted = bool(muted)
        self.muted_changed.emit(self.muted)

    def play(self, name: str) -> None:
        audible = self.available and not self.muted
        self.history.append((name, audible))
        self.tone_requested.emit(name)
        if audible and name in self._effects:
            self._effects[name].play()
