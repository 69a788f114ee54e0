"""The live simulator feed: plays a :class:`~app.feeds.timeline.Timeline` in real time
or accelerated (×1 … ×60; ``speed=0`` = as fast as possible, for tests and training
batches), through the same health rules as the socket feed.  Ground truth stays
available (``truth``), so a trainer or a test can score what the engine made of it.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any, Callable

from app.feeds.clips import render_clip
from app.feeds.events import AudioClip, HealthReport
from app.feeds.feed import Feed, FeedListener
from app.feeds.health import HealthMonitor, HealthPolicy
from app.feeds.pulse_audio import PulseAudio
from app.feeds.scenario import SimPlan
from app.feeds.timeline import Item, SensorWindow, Timeline, build_timeline, sensor_windows
from localization.sim import SimResult
from localization.types import Pulse, Sensor

log = logging.getLogger("tocsin.feeds.simulator")
NS = 1_000_000_000
MAX_SPEED = 60.0


class SimulatorFeed(Feed):
    """``SimulatorFeed(plan, speed=10)``; ``start(listener)``; ``stop()``.

    speed: simulated seconds per wall-clock second, 1 … 60, or 0 for as fast as possible.
    audio: render and deliver clips (the loudest sensors of each incident).
    features: give every pulse the detector features measured on its sensor's synthesised
        audio (``app.feeds.pulse_audio``), as a real sensor reports them; default: when
        ``audio`` is on.  Computed as each pulse is delivered.
    rebase_to_now: shift every time by ``offset_ns`` so the run starts at the wall clock
        (for a live-looking console); truth times are unshifted — subtract ``offset_ns``.
    drop_untrusted: pulses of sensors whose timing is untrusted are not delivered.
    """

    def __init__(self, plan: SimPlan | Timeline, *, speed: float = 1.0, audio: bool = False,
                 features: bool | None = None, rebase_to_now: bool = False, drop_untrusted: bool = True, health_policy: HealthPolicy | None = None,
                 batch_window_s: float = 0.05, clock: Callable[[], float] = time.monotonic) -> None:
        if not (speed == 0 or 1.0 <= speed <= MAX_SPEED):
            raise ValueError(f"speed must be 0 (as fast as possible) or 1 … {MAX_SPEED:.0f}, got {speed}")
        self.timeline = plan if isinstance(plan, Timeline) else build_timeline(plan, audio=audio)
        self.speed = float(speed)
        self.audio = audio
        self.features = audio if features is None else bool(features)
        self.pulse_audio = PulseAudio(self.timeline.sim, self._audio_windows(),
                                      seed=self.timeline.plan.seed) if self.features else None
        self.drop_untrusted = drop_untrusted
        self.batch_window_ns = int(batch_window_s * NS)
        self.clock = clock
        self.offset_ns = (time.time_ns() - self.timeline.start_ns) if rebase_to_now else 0
        self.health = HealthMonitor([s.id for s in self.timeline.plan.sensors], health_policy,
                                    now_ns=self.timeline.start_ns)
        self.counts: Counter[str] = Counter()
        self.delivered_truth_indices: list[int] = []
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._sim_now_ns = self.timeline.start_ns

    # ------------------------------------------------------------------ Feed
    def _audio_windows(self) -> dict[tuple[str, str], SensorWindow]:
        """The audio windows the pulses' features are measured in: the timeline's (those its
        clips were cut from) when it was built with audio, else worked out here."""
        tl = self.timeline
        if tl.windows is not None:
            return tl.windows
        return sensor_windows(tl.sim, [it.truth_index for it in tl.items if it.kind == "pulse"])

    @property
    def sensors(self) -> tuple[Sensor, ...]:
        return self.timeline.plan.sensors

    @property
    def truth(self) -> SimResult:
        return self.timeline.sim

    @property
    def done(self) -> threading.Event:
        return self._done

    def sim_now_ns(self) -> int:
        """Simulated time reached so far (with ``offset_ns`` applied)."""
        return self._sim_now_ns + self.offset_ns

    def start(self, listener: FeedListener) -> None:
        if self._thread is not None:
            raise RuntimeError("feed already started")
        self._thread = threading.Thread(target=self.run, args=(listener,), name="tocsin-simulator-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def stats(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "sim_now_ns": self.sim_now_ns(), "speed": self.speed,
                "items": len(self.timeline.items), "dropped_offline": self.timeline.dropped_offline}

    # ------------------------------------------------------------------ the loop
    def run(self, listener: FeedListener) -> None:
        """Play the timeline on the calling thread (``start`` does this on a new thread)."""
        try:
            self._run(listener)
        except Exception:
            log.exception("simulator feed failed")
            self.counts["errors"] += 1
        finally:
            self._done.set()

    def _run(self, listener: FeedListener) -> None:
        items = self.timeline.items
        t0 = self.timeline.start_ns
        wall0 = self.clock()
        next_tick = t0 + NS
        i = 0
        while i < len(items) and not self._stop.is_set():
            due = items[i].deliver_ns
            if self.speed > 0:
                wait = wall0 + (due - t0) / NS / self.speed - self.clock()
                if wait > 0:
                    # wake at least every simulated second for health ticks
                    self._stop.wait(min(wait, 1.0 / self.speed, 0.25))
                    now = t0 + int((self.clock() - wall0) * self.speed * NS)
                    next_tick = self._ticks(listener, min(now, due), next_tick)
                    continue
                now = max(due, t0 + int((self.clock() - wall0) * self.speed * NS))
            else:
                now = due
            next_tick = self._ticks(listener, now, next_tick)
            j = i
            limit = now + self.batch_window_ns
            while j < len(items) and items[j].deliver_ns <= limit:
                j += 1
            self._deliver(listener, items[i:j])
            self._sim_now_ns = max(self._sim_now_ns, min(now, items[j - 1].deliver_ns))
            i = j
        if not self._stop.is_set():
            self._ticks(listener, self.timeline.end_ns, next_tick)
            self._sim_now_ns = self.timeline.end_ns

    def _ticks(self, listener: FeedListener, now: int, next_tick: int) -> int:
        while next_tick <= now:
            self._publish(listener, *self.health.tick(next_tick))
            next_tick += NS
        self._sim_now_ns = max(self._sim_now_ns, now)
        return next_tick

    def _publish(self, listener: FeedListener, changes, alerts) -> None:
        off = self.offset_ns
        for s in changes:
            self.counts["status"] += 1
            listener.on_status(s if not off else _shift_status(s, off))
        for a in alerts:
            self.counts["alerts"] += 1
            log.info("operational alert: %s", a.message)
            listener.on_alert(a if not off else _replace(a, t_ns=a.t_ns + off))

    def _deliver(self, listener: FeedListener, batch: list[Item] | tuple[Item, ...]) -> None:
        pulses: list[Pulse] = []
        off = self.offset_ns
        for it in batch:
            self._publish(listener, *self.health.seen(it.sensor, it.deliver_ns))
            if it.kind == "health":
                assert it.health is not None
                self.counts["health"] += 1
                self._publish(listener, *self.health.report(it.health, it.deliver_ns))
            elif it.kind == "pulse":
                assert it.pulse is not None
                if self.drop_untrusted and not self.health.timing_trusted(it.sensor):
                    self.counts["pulses_untrusted_withheld"] += 1
                    continue
                self.counts["pulses"] += 1
                self.delivered_truth_indices.append(it.truth_index)
                p = self._with_features(it.pulse, it.truth_index)
                pulses.append(p if not off else _replace(p, t_ns=p.t_ns + off))
            elif it.kind == "audio":
                assert it.clip is not None
                try:
                    clip = render_clip(it.clip, self.timeline.sim, seed=self.timeline.plan.seed)
                except Exception as exc:  # the audio layer is optional; pulses go on
                    self.counts["audio_errors"] += 1
                    log.warning("could not render clip %s: %s", it.clip.clip_id, exc)
                    continue
                self.counts["audio"] += 1
                if pulses:  # keep order: pulses before the clip that follows them
                    listener.on_pulses(pulses)
                    pulses = []
                listener.on_audio(clip if not off else _replace(clip, start_ns=clip.start_ns + off))
        if pulses:
            listener.on_pulses(pulses)


    def _with_features(self, p: Pulse, truth_index: int) -> Pulse:
        if self.pulse_audio is None:
            return p
        try:
            feats = self.pulse_audio.features(truth_index)
        except Exception as exc:  # the audio layer is optional; pulses go on
            self.counts["feature_errors"] += 1
            log.warning("no detector features for pulse %s: %s", p.id, exc)
            return p
        if not feats:
            return p
        self.counts["pulses_with_features"] += 1
        return _replace(p, features=feats)


def _replace(obj, **changes):
    from dataclasses import replace

    return replace(obj, **changes)


def _shift_status(s, off: int):
    rep: HealthReport | None = s.report
    return _replace(s, since_ns=s.since_ns + off,
                    last_seen_ns=None if s.last_seen_ns is None else s.last_seen_ns + off,
                    report=None if rep is None else _replace(rep, t_ns=rep.t_ns + off))


__all__ = ["SimulatorFeed", "AudioClip"]
