"""Waveform + transport: pyqtgraph plot of the incident clip, shot markers, and a playhead
kept in step with ``PlaybackController``.

Code-driven playhead moves use ``setValue`` with the line's signals blocked; only user
drags (``sigDragged``) seek — so there is no seek → position → seek feedback loop.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.console_services.clips import Clip
from app.console_services.map_features import SHOOTER_COLOURS
from app.qt.playback import SPEEDS, PlaybackController


class WaveformView(QWidget):
    seek_requested = Signal(float)

    def __init__(self, playback: PlaybackController, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("waveform")
        self.playback = playback
        self.clip: Clip | None = None
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("waveform_plot")
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=False, alpha=0.2)
        self.plot.setLabel("bottom", "time from clip start", units="s")
        self.plot.getPlotItem().hideAxis("left")
        self.plot.setMouseEnabled(x=True, y=False)
        self.curve = self.plot.plot(pen=pg.mkPen("#7fd3ff", width=1))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.playhead = pg.InfiniteLine(pos=0.0, angle=90, movable=True, pen=pg.mkPen("#ffffff", width=2),
                                        hoverPen=pg.mkPen("#00e5ff", width=3))
        self.playhead.setZValue(10)
        self.plot.addItem(self.playhead)
        self.markers: list[pg.InfiniteLine] = []
        self._dragging = False
        self.playhead.sigDragged.connect(self._on_drag)
        self.playhead.sigPositionChangeFinished.connect(self._on_drag_finished)

        self.play_btn = QPushButton("▶ Play")
        self.play_btn.setObjectName("play")
        self.play_btn.setToolTip("Play / pause (Space)")
        self.stop_btn = QPushButton("■")
        self.stop_btn.setToolTip("Stop")
        self.loop_btn = QPushButton("Loop")
        self.loop_btn.setCheckable(True)
        self.loop_btn.setToolTip("Loop the clip (L)")
        self.speed = QComboBox()
        self.speed.setObjectName("speed")
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setToolTip("Playback speed ([ and ])")
        self.zoom_in_btn = QPushButton("+")
        self.zoom_in_btn.setToolTip("Zoom in on the playhead (=)")
        self.zoom_out_btn = QPushButton("−")
        self.zoom_out_btn.setToolTip("Zoom out (-)")
        self.fit_btn = QPushButton("Fit")
        self.fit_btn.setToolTip("Show the whole clip (0)")
        self.pos_label = QLabel("—")
        self.pos_label.setMinimumWidth(100)
        self.source_label = QLabel("")
        self.source_label.setObjectName("muted")
        # May be cut in a narrow column (its full text is the tooltip); never widens the window.
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        for w in (self.play_btn, self.stop_btn, self.loop_btn, self.speed, self.zoom_in_btn, self.zoom_out_btn,
                  self.fit_btn, self.pos_label):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.source_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.plot, 1)
        lay.addLayout(bar)

        self.play_btn.clicked.connect(playback.toggle)
        self.stop_btn.clicked.connect(playback.stop)
        self.loop_btn.toggled.connect(playback.set_loop)
        self.speed.currentIndexChanged.connect(self._speed_chosen)
        self.zoom_in_btn.clicked.connect(self.zoom_in)
        self.zoom_out_btn.clicked.connect(self.zoom_out)
        self.fit_btn.clicked.connect(self.fit)
        playback.position_changed.connect(self.on_position)
        playback.state_changed.connect(self._on_state)
        playback.speed_changed.connect(self._on_speed)
        playback.loop_changed.connect(self._on_loop)
        self.seek_requested.connect(playback.seek)

    # ---- clip ------------------------------------------------------------------------------
    def set_clip(self, clip: Clip | None) -> None:
        for m in self.markers:
            self.plot.removeItem(m)
        self.markers = []
        self.clip = clip
        if clip is None:
            self.curve.setData([], [])
            self.playback.unload()
            self.pos_label.setText("—")
            self.source_label.setText("")
            self.source_label.setToolTip("")
            return
        t = np.arange(len(clip.samples), dtype=np.float64) / clip.rate_hz
        self.curve.setData(t, clip.samples)
        for i, ts in enumerate(clip.markers_s):
            shooter = clip.marker_shooters[i] if i < len(clip.marker_shooters) else 0
            line = pg.InfiniteLine(pos=ts, angle=90, movable=False,
                                   pen=pg.mkPen(SHOOTER_COLOURS[shooter % len(SHOOTER_COLOURS)], width=2,
                                                style=Qt.PenStyle.DashLine),
                                   label=str(i + 1), labelOpts={"position": 0.92, "color": "#ffffff",
                                                                "fill": "#000000aa"})
            self.plot.addItem(line)
            self.markers.append(line)
        self.playback.load(clip.samples, clip.rate_hz)
        self.source_label.setText(f"{clip.source} · {len(clip.markers_s)} shot markers")
        self.source_label.setToolTip(self.source_label.text())
        self.fit()

    # ---- playhead --------------------------------------------------------------------------
    def on_position(self, seconds: float) -> None:
        """Playback moved: move the line without it counting as a user drag."""
        if not self._dragging:
            blocker = self.playhead.blockSignals(True)
            self.playhead.setValue(seconds)
            self.playhead.blockSignals(blocker)
        dur = self.playback.duration_s
        self.pos_label.setText(f"{seconds:6.2f} / {dur:.2f} s")
        if self.playback.state == "playing":
            lo, hi = self.plot.viewRange()[0]
            if seconds > hi or seconds < lo:
                w = hi - lo
                self.plot.setXRange(seconds - 0.1 * w, seconds + 0.9 * w, padding=0)

    def _on_drag(self, line) -> None:
        self._dragging = True
        self.seek_requested.emit(float(line.value()))

    def _on_drag_finished(self, line) -> None:
        self._dragging = False

    def _on_state(self, state: str) -> None:
        self.play_btn.setText("❚❚ Pause" if state == "playing" else "▶ Play")

    def _speed_chosen(self, i: int) -> None:
        s = self.speed.itemData(i)
        if s is not None and abs(s - self.playback.speed) > 1e-9:
            self.playback.set_speed(float(s))

    def _on_speed(self, s: float) -> None:
        i = self.speed.findData(s)
        if i >= 0 and i != self.speed.currentIndex():
            blocker = self.speed.blockSignals(True)
            self.speed.setCurrentIndex(i)
            self.speed.blockSignals(blocker)

    def _on_loop(self, on: bool) -> None:
        if self.loop_btn.isChecked() != on:
            blocker = self.loop_btn.blockSignals(True)
            self.loop_btn.setChecked(on)
            self.loop_btn.blockSignals(blocker)

    # ---- zoom --------------------------------------------------------------------------
    def zoom(self, factor: float) -> None:
        lo, hi = self.plot.viewRange()[0]
        c = float(self.playhead.value())
        if not lo <= c <= hi:
            c = 0.5 * (lo + hi)
        w = max(0.01, (hi - lo) * factor)
        self.plot.setXRange(c - w / 2, c + w / 2, padding=0)

    def zoom_in(self) -> None:
        self.zoom(0.5)

    def zoom_out(self) -> None:
        self.zoom(2.0)

    def fit(self) -> None:
        dur = self.playback.duration_s or 1.0
        self.plot.setXRange(0, dur, padding=0.01)
        if self.clip is not None and len(self.clip.samples):
            peak = float(np.max(np.abs(self.clip.samples))) or 1.0
            self.plot.setYRange(-peak, peak, padding=0.05)

    def seek_by(self, delta_s: float) -> None:
        self.playback.seek(self.playback.position_s() + delta_s)
