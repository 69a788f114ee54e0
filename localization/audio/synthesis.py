"""Per-sensor audio for a scenario: impulses propagated to each sensor over city ambience.

Inputs are plain: sensor positions (n, 3) in metres and ``SourceEvent``s (see
``sources.py``).  Each source/sensor pair gives one *arrival*, rendered as

* the muzzle blast (an N-like cycle whose positive phase lengthens only slowly with
  range — weak-shock ageing, √(1 + 0.1·ln r)) or the decoy's signature (blast plus damped
  ringing), at t = t_emit + |x − s| / c;
* for rifle rounds, the supersonic N-wave ahead of the blast when the sensor is inside
  the Mach cone;
* a ground reflection, a few discrete facade echoes and a diffuse reverberant tail (noise
  coloured by the source's own waveform, decaying exponentially);

with peak level = L(1 m) − 20·log10 r − air absorption − a random urban excess loss
(25 ± 8 dB for a street-level source, reduced only within 50 m; 8 ± 4 dB from high
above the roofs) — what the Pittsburgh rooftop sensors reported (FP1–FP6: ≈ 93 dB,
mostly clipped, within 100 m; median 82–85 dB at 300–500 m).  For 30 % of street-level
source/sensor pairs the direct sound is shadowed by a building: it diffracts over the
edge 4–14 dB weaker and duller, while the echoes keep their level — so, as in real
urban recordings, a reflection a few ms later can be louder than the first arrival.
``received_db`` and ``delay_s`` impose the direct sound's level and travel time per
event and sensor instead (the demo makes its audio agree with the pulses it reports,
wind and all).  The sum over a chunk is
clipped at full scale (``full_scale_db`` = 93.09 dB SPL like ShotSpotter sensors).
Ambient noise is traffic rumble (slices of a shaped-noise bank shared per sample rate,
picked at random offsets per sensor and 0.25 s segment, cross-faded, with slowly
varying gain) plus occasional car horns.

Everything is deterministic from ``seed`` and independent of the chunk size used to
render it.  Rendering cost is a few array copies per sample plus work proportional to
the number of arrivals, so long multi-sensor streams run far faster than real time
(``iter_chunks`` renders them piecewise without holding the whole stream).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Sequence

import numpy as np

from localization.audio.sources import SourceEvent, spec_for
from localization.propagation import speed_of_sound_mps

_SEG = 4096  # ambient segment length (samples); segments cross-fade over half of it
_BANK = 1 << 19
_BULLET_MPS = 880.0
_SUPERSONIC_M = 600.0
_NEAR_M = 50.0  # urban excess loss applies in full beyond this range (rooftop sensors)
_SHADOW_P = 0.3  # share of street-level source/sensor pairs whose direct sound is shadowed
_SHADOW_DB = (4.0, 14.0)  # extra diffraction loss of a shadowed direct sound
_KEEP_PATHS = 16  # rendered paths kept for the next span (oldest dropped first)


@dataclass(frozen=True, slots=True)
class Arrival:
    """Truth for one source/sensor path: onset of the direct sound at the sensor."""

    sensor_index: int
    event_index: int
    t_ns: int
    peak_db: float  # dB SPL of the direct pulse before clipping
    kind: str
    path: str  # "blast" or "shock" (rifle N-wave)


@dataclass(frozen=True)
class SensorAudio:
    """``samples`` (n_sensors, n_samples) float32, full scale 1.0; sample 0 is at ``start_ns``."""

    samples: np.ndarray
    sample_rate_hz: int
    start_ns: int
    arrivals: tuple[Arrival, ...]
    full_scale_db: float


@dataclass(frozen=True)
class _Path:
    sensor: int
    event: int
    t_samp: float  # onset in samples from stream start (fractional)
    amp: float  # peak amplitude (full scale 1)
    shape: str  # "blast" | "shock" | "horn"
    seed: tuple[int, ...]
    length: int  # samples to render
    params: tuple[float, ...]


class Synthesizer:
    """Plans a scenario once; renders any span of it (``render``) or all of it in chunks.

    Rendering keeps the last few source paths that run on past the span (so the next span,
    or a burst's next pulse, does not render them again): use one synthesizer per thread."""

    def __init__(
        self,
        sensor_xyz_m: np.ndarray | Sequence[Sequence[float]],
        events: Sequence[SourceEvent],
        *,
        start_ns: int,
        duration_s: float,
        sample_rate_hz: int = 16000,
        seed: int = 0,
        temperature_c: float = 15.0,
        full_scale_db: float = 93.09,
        ambient_db: float = 50.0,
        horns_per_hour: float = 6.0,
        echoes: bool = True,
        received_db: np.ndarray | Sequence[Sequence[float]] | None = None,
        delay_s: np.ndarray | Sequence[Sequence[float]] | None = None,
    ) -> None:
        xyz = np.asarray(sensor_xyz_m, dtype=np.float64)
        if xyz.ndim != 2 or xyz.shape[1] not in (2, 3):
            raise ValueError(f"sensor_xyz_m must have shape (n, 2) or (n, 3), got {xyz.shape}")
        if xyz.shape[1] == 2:
            xyz = np.column_stack([xyz, np.zeros(len(xyz))])
        if duration_s <= 0:
            raise ValueError(f"duration_s must be positive, got {duration_s}")
        if sample_rate_hz < 8000:
            raise ValueError(f"sample_rate_hz must be at least 8000, got {sample_rate_hz}")
        self.sensor_xyz_m = xyz
        self.events = tuple(events)
        self.start_ns = int(start_ns)
        self.sample_rate_hz = int(sample_rate_hz)
        self.n_samples = int(round(duration_s * sample_rate_hz))
        self.seed = int(seed)
        self.c_mps = speed_of_sound_mps(temperature_c)
        self.full_scale_db = float(full_scale_db)
        self.ambient_db = float(ambient_db)
        self.echoes = echoes
        n = len(xyz)
        received = _per_pair("received_db", received_db, (len(self.events), n))
        delays = _per_pair("delay_s", delay_s, (len(self.events), n))
        rng = np.random.default_rng([self.seed, 1])
        self._bank = _noise_bank(self.sample_rate_hz)
        self._windows = np.lib.stride_tricks.sliding_window_view(self._bank, _SEG)
        n_seg = self.n_samples // (_SEG // 2) + 4
        self._offsets = rng.integers(0, _BANK - _SEG, size=(n, n_seg))
        # traffic: per-sensor level offset and a slow random walk in dB
        level = ambient_db + rng.normal(0.0, 3.0, size=(n, 1))
        walk = np.cumsum(rng.normal(0.0, 0.8, size=(n, n_seg)), axis=1)
        walk -= walk.mean(axis=1, keepdims=True)
        gain_db = level + np.clip(walk, -8.0, 8.0) - self.full_scale_db
        self._gains = (10.0 ** (gain_db / 20.0)).astype(np.float32)
        self._fade = np.sin(np.pi * (np.arange(_SEG) + 0.5) / _SEG).astype(np.float32)
        # paths whose peak is 20 dB under the quietest ambient are not rendered
        self._audible = 0.1 * 10.0 ** ((ambient_db - 10.0 - self.full_scale_db) / 20.0)
        self.paths, self.arrivals = self._plan(rng, horns_per_hour, received, delays)
        self._t0 = np.array([p.t_samp for p in self.paths])
        self._max_len = max((p.length for p in self.paths), default=0)
        self._rendered: dict[int, np.ndarray] = {}  # paths that run past the last span rendered

    # ------------------------------------------------------------------ planning
    def _plan(self, rng: np.random.Generator, horns_per_hour: float, received: np.ndarray | None,
              delays: np.ndarray | None) -> tuple[list[_Path], tuple[Arrival, ...]]:
        sr = self.sample_rate_hz
        paths: list[_Path] = []
        arrivals: list[Arrival] = []
        for ei, ev in enumerate(self.events):
            spec = spec_for(ev)
            er = np.random.default_rng([self.seed, 2, ei])
            level1m = ev.level_db if ev.level_db is not None else float(er.uniform(*spec.level_db))
            pos_ms = float(er.uniform(*spec.positive_ms))
            rise_ms = float(er.uniform(*spec.rise_ms))
            ring = (float(er.uniform(*spec.ring_hz)), float(er.uniform(*spec.ring_ms)), float(er.uniform(*spec.ring_rel)))
            src = np.array([ev.x_m, ev.y_m, ev.z_m])
            for si, s in enumerate(self.sensor_xyz_m):
                pr = np.random.default_rng([self.seed, 3, ei, si])
                d = float(max(np.linalg.norm(s - src), 1.0))
                delay = d / self.c_mps
                if delays is not None and np.isfinite(delays[ei, si]):
                    delay = float(delays[ei, si])
                t_samp = (ev.t_ns - self.start_ns) * 1e-9 * sr + delay * sr
                high = ev.z_m - s[2] > 40.0
                excess = float(np.clip(pr.normal(8.0, 4.0) if high else pr.normal(25.0, 8.0), 0.0, 50.0))
                excess *= min(1.0, np.sqrt(d / _NEAR_M))
                # a source at street level is often out of the rooftop sensor's sight: the
                # direct sound diffracts over an edge (weaker, duller); reflections are not shadowed
                shadow_db = float(pr.uniform(*_SHADOW_DB)) if not high and pr.random() < _SHADOW_P else 0.0
                level_db = level1m - 20.0 * np.log10(d) - 0.005 * d - excess
                if received is not None and np.isfinite(received[ei, si]):
                    level_db = float(received[ei, si]) + shadow_db
                peak_db = level_db - shadow_db  # the direct sound, what a detector sees first
                amp = 10.0 ** ((level_db - self.full_scale_db) / 20.0)
                if amp < self._audible:  # far below the ambient noise: inaudible, skip
                    continue
                # weak-shock ageing: the positive phase lengthens only as √(1 + β·ln r)
                # (heard at 50–450 m, real handgun blasts keep a 0.65–1 ms first lobe);
                # air absorption slows the front
                pos = pos_ms * np.sqrt(1.0 + 0.1 * np.log(d))
                rise = rise_ms + 0.0004 * d
                rt60 = float(pr.uniform(0.3, 0.9)) if self.echoes else 0.0
                g_ground = float(pr.uniform(0.4, 0.95))
                length = int((0.03 + min(rt60, 1.0)) * sr) + int(ring[1] * 5e-3 * sr)
                paths.append(_Path(si, ei, t_samp, amp, "blast", (self.seed, 4, ei, si), length,
                                   (pos, rise, ring[0], ring[1], ring[2], rt60, d, float(ev.z_m), float(s[2]),
                                    shadow_db, g_ground)))
                t_ns = self.start_ns + int(round(t_samp / sr * 1e9))
                arrivals.append(Arrival(si, ei, t_ns, float(peak_db), ev.kind, "blast"))
                shock = self._shock(ev, s, pr) if ev.kind == "gunshot" and ev.weapon == "rifle" else None
                if shock is not None:
                    dt_s, b_m, sh_db = shock
                    ts = (ev.t_ns - self.start_ns) * 1e-9 * sr + dt_s * sr
                    amp_s = 10.0 ** ((sh_db - self.full_scale_db) / 20.0)
                    tn = 0.18 * (max(b_m, 1.0) / 10.0) ** 0.25
                    paths.append(_Path(si, ei, ts, amp_s, "shock", (self.seed, 5, ei, si), int(0.002 * sr) + 2, (tn,)))
                    arrivals.append(Arrival(si, ei, self.start_ns + int(round(ts / sr * 1e9)), sh_db, ev.kind, "shock"))
        # car horns: sparse, per sensor
        hr = np.random.default_rng([self.seed, 6])
        dur_h = self.n_samples / sr / 3600.0
        for si in range(len(self.sensor_xyz_m)):
            for _ in range(int(hr.poisson(horns_per_hour * dur_h))):
                t_samp = float(hr.uniform(0, self.n_samples))
                db = float(hr.uniform(62.0, 78.0))
                length = int(hr.uniform(0.3, 1.2) * sr)
                paths.append(_Path(si, -1, t_samp, 10.0 ** ((db - self.full_scale_db) / 20.0), "horn",
                                   (self.seed, 7, si, int(t_samp)), length, (float(hr.uniform(380, 460)),)))
        paths.sort(key=lambda p: p.t_samp)
        arrivals.sort(key=lambda a: (a.t_ns, a.sensor_index))
        return paths, tuple(arrivals)

    def _shock(self, ev: SourceEvent, s: np.ndarray, pr: np.random.Generator) -> tuple[float, float, float] | None:
        c, v = self.c_mps, _BULLET_MPS
        hd = np.deg2rad(ev.heading_deg or 0.0)
        u = np.array([np.sin(hd), np.cos(hd)])
        rel = s[:2] - np.array([ev.x_m, ev.y_m])
        a = float(rel @ u)
        b = float(abs(rel[0] * u[1] - rel[1] * u[0]))
        s_emit = a - b * c / np.sqrt(v * v - c * c)
        if not 0.0 <= s_emit <= _SUPERSONIC_M:
            return None
        dt = a / v + b * np.sqrt(v * v - c * c) / (v * c)
        excess = float(np.clip(pr.normal(15.0, 6.0), 0.0, 40.0)) * min(1.0, np.sqrt(b / 200.0))
        db = 137.0 - 15.0 * np.log10(max(b, 1.0) / 10.0) - excess
        return float(dt), b, float(db)

    # ------------------------------------------------------------------ rendering
    def render(self, start: int, n: int) -> np.ndarray:
        """Samples ``start … start+n`` of every sensor, shape (n_sensors, n), float32."""
        ns = len(self.sensor_xyz_m)
        half = _SEG // 2
        k0 = max(0, start // half - 1)
        k1 = (start + n) // half + 1
        span0 = k0 * half
        buf = np.zeros((ns, (k1 - k0 + 2) * half), dtype=np.float32)
        for k in range(k0, k1 + 1):
            seg = self._windows[self._offsets[:, k]] * (self._gains[:, k, None] * self._fade)
            o = (k - k0) * half
            m = min(_SEG, buf.shape[1] - o)
            buf[:, o : o + m] += seg[:, :m]
        out = buf[:, start - span0 : start - span0 + n]
        out = np.ascontiguousarray(out)
        self._add_paths(out, start)
        np.clip(out, -1.0, 1.0, out=out)
        return out

    def _add_paths(self, out: np.ndarray, start: int) -> None:
        n = out.shape[1]
        sr = self.sample_rate_hz
        lo = int(np.searchsorted(self._t0, start - self._max_len - 1, side="left"))
        hi = int(np.searchsorted(self._t0, start + n, side="left"))
        for k in range(lo, hi):
            p = self.paths[k]
            if p.t_samp + p.length < start:
                continue
            i0 = int(np.ceil(p.t_samp))
            w = self._rendered.get(k)
            if w is None:
                w = _render_path(p, i0, sr, self._bank)
                if i0 + len(w) > start + n:  # it goes on past this span: keep it for the next one
                    self._rendered[k] = w
                    if len(self._rendered) > _KEEP_PATHS:
                        self._rendered.pop(next(iter(self._rendered)))
            a, b = max(i0, start), min(i0 + len(w), start + n)
            if b > a:
                out[p.sensor, a - start : b - start] += w[a - i0 : b - i0]

    def iter_chunks(self, chunk_s: float = 30.0) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (first sample index, samples (n_sensors, m)) covering the whole duration."""
        step = max(1, int(chunk_s * self.sample_rate_hz))
        for s in range(0, self.n_samples, step):
            yield s, self.render(s, min(step, self.n_samples - s))

    def synthesize(self) -> SensorAudio:
        return SensorAudio(self.render(0, self.n_samples), self.sample_rate_hz, self.start_ns, self.arrivals, self.full_scale_db)


def synthesize(
    sensor_xyz_m: np.ndarray | Sequence[Sequence[float]],
    events: Sequence[SourceEvent],
    *,
    start_ns: int,
    duration_s: float,
    sample_rate_hz: int = 16000,
    seed: int = 0,
    **options: float,
) -> SensorAudio:
    """Render a whole scenario at once (see ``Synthesizer`` for options and long streams)."""
    return Synthesizer(sensor_xyz_m, events, start_ns=start_ns, duration_s=duration_s,
                       sample_rate_hz=sample_rate_hz, seed=seed, **options).synthesize()  # type: ignore[arg-type]


# ---------------------------------------------------------------------- helpers

def _per_pair(name: str, values, shape: tuple[int, int]) -> np.ndarray | None:
    """An optional (n_events, n_sensors) override; NaN entries keep the physics."""
    if values is None:
        return None
    a = np.asarray(values, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape (n_events, n_sensors) = {shape}, got {a.shape}")
    return a


@lru_cache(maxsize=4)
def _noise_bank(sr: int) -> np.ndarray:
    """Traffic rumble: ~1/f noise above 30 Hz, rolling off above 2 kHz; RMS 1.  One bank per
    sample rate, shared (read-only) by every synthesizer: a scenario's seed picks the random
    slices of it each sensor hears, so building a synthesizer costs no FFT of its own."""
    white = np.random.default_rng([0x70C5, sr]).standard_normal(_BANK)
    spec = np.fft.rfft(white)
    f = np.fft.rfftfreq(_BANK, 1.0 / sr)
    shape = 1.0 / np.sqrt(np.maximum(f, 30.0)) / (1.0 + (f / 2000.0) ** 2)
    shape[f < 15.0] = 0.0
    bank = np.fft.irfft(spec * shape, _BANK)
    bank /= bank.std()
    bank = bank.astype(np.float32)
    bank.flags.writeable = False
    return bank


def _render_path(p: _Path, i0: int, sr: int, bank: np.ndarray) -> np.ndarray:
    tau0 = (i0 - p.t_samp) / sr  # seconds from onset to sample i0 (0 ≤ tau0 < 1/sr)
    if p.shape == "shock":
        tau = tau0 + np.arange(p.length) / sr
        (tn_ms,) = p.params
        tn = tn_ms * 1e-3
        w = np.where(tau < tn, 1.0 - 2.0 * tau / tn, 0.0) * (1.0 - np.exp(-tau / 2e-5))
        return (p.amp * w).astype(np.float32)
    if p.shape == "horn":
        tau = tau0 + np.arange(p.length) / sr
        (f0,) = p.params
        env = np.minimum(1.0, np.minimum(tau / 0.03, (tau[-1] - tau) / 0.05 + 1e-9))
        w = (np.sin(2 * np.pi * f0 * tau) + 0.6 * np.sin(2 * np.pi * 1.25 * f0 * tau)
             + 0.3 * np.sin(2 * np.pi * 2 * f0 * tau))
        return (p.amp / 1.6 * env * w).astype(np.float32)
    return (p.amp * _impulse_response(p, tau0, sr)).astype(np.float32)


def _impulse_response(p: _Path, tau0: float, sr: int) -> np.ndarray:
    """One source heard at one sensor, peak of the unobstructed direct sound = 1.

    Direct sound (shadowed: weaker and broader, as diffraction over an edge dulls it) and
    its ground reflection, a few discrete facade echoes (never shadowed, so behind a
    building they can be louder than the direct sound), and a diffuse reverberant tail:
    noise coloured by the source's own waveform (a dense train of its reflections) under
    an exponential decay.  Each copy is evaluated only where it is non-zero.
    """
    pos_ms, rise_ms, ring_hz, ring_ms, ring_rel, rt60, d, zs, zr, shadow_db, g_ground = p.params
    n = p.length
    r = np.random.default_rng(list(p.seed))
    pos, rise, ring_s = pos_ms * 1e-3, rise_ms * 1e-3, ring_ms * 1e-3
    out = np.zeros(n)

    def add(delay_s: float, gain: float, pos_s: float, rise_s: float, norm: float) -> None:
        k0 = max(0, int(np.floor((delay_s - tau0) * sr)))
        k1 = min(n, k0 + _support(pos_s, ring_hz, ring_s, sr))
        if k1 > k0:
            tau = tau0 + np.arange(k0, k1) / sr - delay_s
            out[k0:k1] += (gain / norm) * _blast(tau, pos_s, rise_s, ring_hz, ring_s, ring_rel)

    norm = _peak(pos, rise, ring_hz, ring_s, ring_rel, sr)
    g_direct = 10.0 ** (-shadow_db / 20.0)
    pos_d, rise_d = pos * (1.0 + shadow_db / 40.0), rise * (1.0 + shadow_db / 4.0)
    norm_d = _peak(pos_d, rise_d, ring_hz, ring_s, ring_rel, sr) if shadow_db > 0.0 else norm
    add(0.0, g_direct, pos_d, rise_d, norm_d)
    if rt60 > 0.0:
        # ground reflection (source and sensor heights above a common ground at z=0)
        c = 343.0
        hs, hr = max(zs, 0.3), max(zr + 10.0, 1.0)
        dg = (np.hypot(d, hs + hr) - np.hypot(d, hr - hs)) / c
        add(dg, g_ground * g_direct, pos_d, rise_d, norm_d)
        # discrete urban echoes
        for _ in range(int(r.poisson(6))):
            delay = 0.002 + r.exponential(0.02)
            gain = r.uniform(0.15, 0.9) * np.exp(-delay / 0.15)
            add(delay, gain, pos * 1.5, rise * 2.0, norm)
        # diffuse reverberation: white noise coloured by the source waveform, decaying
        tail_db = r.uniform(-22.0, -12.0)
        m = _support(pos, ring_hz, ring_s, sr)
        kernel = _blast(np.arange(m) / sr, pos, rise, ring_hz, ring_s, ring_rel)
        nfft = 1 << int(np.ceil(np.log2(n + m)))
        white = r.standard_normal(n)
        tail = np.fft.irfft(np.fft.rfft(white, nfft) * np.fft.rfft(kernel, nfft), nfft)[:n]
        tail /= max(float(tail.std()), 1e-12)
        tau = tau0 + np.arange(n) / sr
        env = 10.0 ** (tail_db / 20.0) * np.exp(-6.9 * tau / rt60) * np.clip((tau - 0.002) / 0.01, 0.0, 1.0)
        out += env * tail
    return out


def _support(pos_s: float, ring_hz: float, ring_s: float, sr: int) -> int:
    """Samples over which ``_blast`` with these parameters is non-zero (to 5 ring time constants)."""
    if ring_hz > 0.0 and ring_s > 0.0:
        return int(np.ceil(max(12.0 * pos_s, 5.0 * ring_s) * sr)) + 2
    return int(np.ceil(4.0 * pos_s * sr)) + 2


def _peak(pos_s: float, rise_s: float, ring_hz: float, ring_s: float, ring_rel: float, sr: int) -> float:
    """Largest |value| of ``_blast`` in its first 20 ms, finely sampled (its normaliser)."""
    tau = np.arange(int(0.02 * sr) * 4) / (4 * sr)
    return max(float(np.max(np.abs(_blast(tau, pos_s, rise_s, ring_hz, ring_s, ring_rel)))), 1e-12)


def _blast(tau: np.ndarray, pos_s: float, rise_s: float, ring_hz: float, ring_s: float, ring_rel: float) -> np.ndarray:
    """Friedlander pulse with a finite rise plus optional damped ringing; 0 before onset."""
    t = np.maximum(tau, 0.0)
    on = tau >= 0.0
    front = 1.0 - np.exp(-t / max(rise_s, 1e-6))
    if ring_hz > 0.0 and ring_s > 0.0:
        w = (1.0 - t / pos_s) * np.exp(-1.2 * t / pos_s)
        w = np.where(t < 12 * pos_s, w, 0.0)
    else:
        # muzzle blast heard at range: an N-like cycle (positive then negative phase of
        # similar length) with a short decaying after-oscillation
        w = np.sin(np.pi * t / pos_s) * np.exp(-0.6 * t / pos_s)
        w = np.where(t < 4 * pos_s, w, 0.0)
    if ring_hz > 0.0 and ring_s > 0.0:
        w = w + ring_rel * np.sin(2 * np.pi * ring_hz * t) * np.exp(-t / ring_s)
    return np.where(on, front * w, 0.0)
