"""Association: which pulses, from which sensors, belong to one shot.

Pulses arrive unordered and mixed — bursts several rounds a second, overlapping
incidents across a city, echoes (late copies at the same sensor), non-line-of-sight
arrivals, missed detections.  The search is *seeded* and *consistency-based*:

1. The seed is the earliest pulse not yet used (one that a shot already found predicts
   at its sensor is not a seed).  If it is a direct arrival, every other direct arrival
   of its shot at sensor *j* lies within ``d(seed, j)/c`` of it.
2. Candidate pulses are those windows' contents (at most ``2·max_range`` away).
3. In a burst, the seed sensor's train of rounds recurs at every other sensor; where the
   trains place the seed's round at enough sensors, that set is fitted directly.
   Otherwise hypotheses (x, y, t0) come from the closed-form solver on the seed plus
   three other pulses — the earliest unused pulse of each sensor first (echoes are late,
   and earlier rounds of a burst are already used), then random mixes — all solved in
   one batched call.  Each hypothesis is scored by the sensors that have a pulse within
   the tolerance of its prediction, each weighted by how tightly it fits (a soft
   consistency function).
4. The best is refined by the robust one-sided solver; its inliers (one pulse per
   sensor) become the shot, if they pass the plausibility tests (residual scale,
   hearing, echoes).  A seed that finds no consistent set is marked tried, stays
   available to other seeds, and is never a seed again.
5. From each shot found, further rounds fired from the same place are searched for by
   their emission time alone (``_search_rounds``).  Where the shooter stood still, the
   paths observed by all of its rounds count, and a round heard by only three sensors is
   placed where the others were fired — once no seed made a shot of its pulses.
"""
from __future__ import annotations

import functools
import itertools
import math
from collections import deque
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from localization.audibility import HearingModel
from localization.site import SiteConditions
from localization.solver import Fit, closed_form, ray_times, refine, travel_times

NEW, USED, TRIED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class AssociationParams:
    c_mps: float
    tol_s: float = 0.04
    max_range_m: float = 1200.0
    min_sensors: int = 4
    n_hypotheses: int = 64
    sensor_height_m: float = 10.0
    ground_z_m: float | None = None
    wind_mps: tuple[float, float] = (0.0, 0.0)
    estimate_nuisance: bool = True
    min_hearing_fraction: float = 0.5
    hearing_test_max_sensors: int = 4
    hearing_ll_min: tuple[float, ...] = (-11.0, -17.0)  # for 3, 4, … sensors
    small_set_sigma_ratio: float = 6.0
    min_gate_s: float = 0.012
    echo_window_s: float = 1.5
    explain_range_m: float = 6000.0
    echo_max_ratio: float = 0.5
    echo_min_drop_db: float = 3.0
    site_estimate: bool = True
    speed_uncertainty: float = 0.01
    burst_span_s: float = 2.5
    round_tol_s: float = 0.005
    same_place_m: float = 30.0
    round_heard_fraction: float = 0.2
    min_round_gap_s: float = 0.05
    sigma_ratio: float = 4.0
    score_sigma_s: float = 0.005
    score_floor: float = 0.2
    sigma_floor_s: float = 0.002
    sigma_min_shots: int = 3
    sigma_typical_max_s: float = 0.0025
    sigma_learn_sensors: int = 6
    tight_sigma_ratio: float = 2.0
    follow_slack_m: float = 10.0
    max_vehicle_speed_mps: float = 25.0  # the engine passes its incident setting


@dataclass(frozen=True, slots=True)
class FoundShot:
    """A shot found in the buffer: indices into the buffer arrays plus the fit."""

    pulse_rows: np.ndarray
    fit: Fit
    z_src: float
    low_confidence: bool
    residuals_s: np.ndarray
    S: np.ndarray  # positions of the chosen pulses' sensors (for site learning)
    t: np.ndarray  # their arrival times relative to t_ref
    t_ref: float
    sensors: np.ndarray  # their sensor indices
    height_m: float | None = None  # measured height above the ground-level source height (elevated sources)


class _Candidates(NamedTuple):
    """A seed's row and sensor position, and its candidate pulses: buffer rows, sensor
    positions and times relative to the seed, grouped by sensor (``starts``, ``counts``)."""

    seed: int
    seed_pos: np.ndarray
    rows: np.ndarray
    S_all: np.ndarray
    t_all: np.ndarray
    starts: np.ndarray
    counts: np.ndarray


class PulseBuffer:
    """Pulses kept sorted by arrival time in flat numpy arrays.

    ``t`` are float seconds relative to the engine's reference time.  ``ref`` maps a
    row back to the caller's pulse object (an index into the engine's pulse list).
    """

    def __init__(self) -> None:
        self.t = np.empty(0)
        self.sensor = np.empty(0, dtype=np.int32)
        self.snr = np.empty(0)
        self.level = np.empty(0)
        self.ref = np.empty(0, dtype=np.int64)
        self.state = np.empty(0, dtype=np.int8)
        self.owner_n = np.empty(0, dtype=np.int32)  # sensors in the shot that used the pulse
        self.seq = np.empty(0, dtype=np.int64)  # order of arrival into the buffer
        self.next_seq = 0

    def __len__(self) -> int:
        return len(self.t)

    def add(self, t: np.ndarray, sensor: np.ndarray, snr: np.ndarray, ref: np.ndarray,
            dedup_s: float = 0.0, level: np.ndarray | None = None) -> np.ndarray:
        """Insert pulses; returns the refs of those dropped as duplicates — the same
        sensor reporting again within ``dedup_s`` of a pulse it already reported (a
        re-upload, or one blast reported twice).  The earlier-received copy is kept."""
        self.t = np.concatenate([self.t, t])
        self.sensor = np.concatenate([self.sensor, sensor.astype(np.int32)])
        self.snr = np.concatenate([self.snr, snr])
        self.level = np.concatenate([self.level, np.full(len(t), np.nan) if level is None else level])
        self.ref = np.concatenate([self.ref, ref.astype(np.int64)])
        self.state = np.concatenate([self.state, np.zeros(len(t), dtype=np.int8)])
        self.owner_n = np.concatenate([self.owner_n, np.zeros(len(t), dtype=np.int32)])
        self.seq = np.concatenate([self.seq, np.arange(self.next_seq, self.next_seq + len(t))])
        self.next_seq += len(t)
        dropped = np.empty(0, dtype=np.int64)
        if dedup_s > 0 and len(self.t) > 1:
            o = np.lexsort((self.ref, self.t, self.sensor))
            st, ss = self.t[o], self.sensor[o]
            dup = np.zeros(len(o), dtype=bool)
            # chain: compare each to the previous kept pulse of the same sensor
            same = (ss[1:] == ss[:-1]) & (st[1:] - st[:-1] <= dedup_s)
            if same.any():
                last_t = st[0]
                for k in range(1, len(o)):
                    if ss[k] == ss[k - 1] and st[k] - last_t <= dedup_s:
                        dup[k] = True
                    else:
                        last_t = st[k]
                # keep a USED pulse over its copy
                dropped = self.ref[o[dup]]
                keep = np.ones(len(self.t), dtype=bool)
                keep[o[dup]] = False
                self._take(np.flatnonzero(keep))
        order = np.argsort(self.t, kind="stable")
        self._take(order)
        return dropped

    def drop_before(self, t_min: float) -> tuple[np.ndarray, int]:
        """Release pulses older than ``t_min``: their refs, and how many were never used."""
        keep = self.t >= t_min
        dropped = self.ref[~keep]
        unused = int(np.sum(~keep & (self.state != USED)))
        self._take(np.flatnonzero(keep))
        return dropped, unused

    def _take(self, idx: np.ndarray) -> None:
        self.t = self.t[idx]
        self.sensor = self.sensor[idx]
        self.snr = self.snr[idx]
        self.level = self.level[idx]
        self.ref = self.ref[idx]
        self.state = self.state[idx]
        self.owner_n = self.owner_n[idx]
        self.seq = self.seq[idx]


class Associator:
    """Finds shots in a ``PulseBuffer`` for a fixed sensor geometry."""

    def __init__(self, positions_m: np.ndarray, params: AssociationParams, seed: int = 0) -> None:
        self.pos = np.asarray(positions_m, dtype=float)
        self.p = params
        diff = self.pos[:, None, :2] - self.pos[None, :, :2]
        self.pair_m = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        self.window_s = 2.0 * params.max_range_m / params.c_mps + params.tol_s
        # A loud shot is heard (and explains pulses) far beyond the range it is searched in.
        self.explain_s = max(params.explain_range_m / params.c_mps + params.tol_s, self.window_s)
        self.seed = seed
        self.enabled = np.ones(len(self.pos), dtype=bool)
        # Running site estimate of wind (e, n) and speed-of-sound error, learnt from
        # shots heard by enough sensors to solve for them; applied to every shot.
        self.site = SiteConditions(c_mps=params.c_mps, wind_prior_mps=params.wind_mps)
        # Timing-residual scale of recent well-heard shots: a set whose residuals are far
        # beyond it is stray pulses that happen to fit within the wide association gate.
        self._sigmas: deque = deque(maxlen=50)
        self._typical: float | None = None  # cache of _typical_sigma()
        # Detection threshold learnt from reported levels: what silence means.
        self.hearing = HearingModel()
        # Shots of the last few seconds, in the order found: places to look for more rounds.
        self._recent: deque[FoundShot] = deque()
        # Per recent shot (by id): the buffer's ``next_seq`` when its rounds were last
        # searched, or −1 when rounds were left for later (pulses not yet all in).
        self._rounds_seen: dict[int, int] = {}
        # Per recent shot (by id): candidate rounds from its place already tried and
        # rejected, each as the sorted refs of its pulses — in streaming, a shot's round
        # window is searched again at every delivery while pulses still come in, and the
        # same candidates would be refitted and rejected again each time.
        self._rejected: dict[int, set[tuple[int, ...]]] = {}
        # Recent shots (by id) with a round of three pulses at their place that waits for
        # those pulses to be tried as seeds.
        self._await_seeds: set[int] = set()
        self._last_ready = -np.inf

    def learn_from(self, other: "Associator") -> None:
        """Start from what ``other`` learnt about the site: wind, speed-of-sound error
        (as the prior, with the spread it had — until this run has pooled shots of its own),
        the typical timing-residual scale and the detection threshold."""
        self.site.theta = other.site.theta.copy()
        self.site.prior = other.site.theta.copy()
        self.site.cov = other.site.cov.copy()
        self._sigmas = deque(other._sigmas, maxlen=other._sigmas.maxlen)
        self._typical = None
        self.hearing.learn_from(other.hearing)

    # ------------------------------------------------------------------ search
    def find_shots(self, buf: PulseBuffer, ready_t: float) -> list[FoundShot]:
        """Process every unused seed with ``t ≤ ready_t``, in time order.  Each shot found
        is first searched for further rounds from its place — also shots of earlier calls,
        whose later rounds may have become complete since."""
        shots: list[FoundShot] = []
        horizon = max(self.p.burst_span_s + self.window_s, self.explain_s)
        # Forget shots no pulse still to be searched can belong with — judged from the
        # earliest such pulse, not from ``ready_t`` (infinite at the end of input).
        new = np.flatnonzero(buf.state == NEW)
        oldest = min(ready_t, float(buf.t[new[0]])) if len(new) else ready_t
        while self._recent and self._recent[0].fit.t0_s < oldest - horizon:
            gone = id(self._recent.popleft())
            self._rounds_seen.pop(gone, None)
            self._rejected.pop(gone, None)
        # Only shots whose round window was not yet complete at the last call can have
        # gained rounds since.
        reach = self.p.burst_span_s + self.p.max_range_m / self.p.c_mps
        open_ = [k for k in self._recent if k.fit.t0_s + reach > self._last_ready and self._may_have_rounds(buf, k)]
        self._collect_rounds(buf, open_, shots, ready_t)
        self._last_ready = ready_t
        i = 0
        while True:
            cand = np.flatnonzero((buf.state[i:] == NEW) & (buf.t[i:] <= ready_t))
            if len(cand) == 0:
                break
            i = i + int(cand[0])
            if not self.enabled[buf.sensor[i]] or self._explained(buf, np.array([i]))[0]:
                buf.state[i] = TRIED
                continue
            shot = self._from_seed(buf, i)
            if shot is not None and (self._repeats_a_round(shot) or not self._plausible(shot, buf)):
                shot = None
            if shot is None or i not in set(shot.pulse_rows.tolist()):
                buf.state[i] = TRIED
            if shot is not None:
                self._accept(buf, shot)
                shots.append(shot)
                self._collect_rounds(buf, [shot], shots, ready_t)
        # Rounds left waiting for their pulses to be tried as seeds first.
        if self._await_seeds:
            waiting = [k for k in self._recent if id(k) in self._await_seeds]
            self._await_seeds.clear()
            self._collect_rounds(buf, waiting, shots, ready_t)
        return shots

    def _repeats_a_round(self, shot: FoundShot) -> bool:
        """True when a shot already found was fired from the same place within
        ``min_round_gap_s`` of it: one gun, one round — these are that round's leftover
        pulses."""
        p = self.p
        f = shot.fit
        return any(abs(k.fit.t0_s - f.t0_s) < p.min_round_gap_s
                   and math.hypot(k.fit.x_m - f.x_m, k.fit.y_m - f.y_m) <= p.same_place_m
                   for k in self._recent)

    def _explained(self, buf: PulseBuffer, rows: np.ndarray) -> np.ndarray:
        """Per pulse (buffer ``rows``): does a shot already found predict it at its sensor
        — within ``min_gate_s`` early or ``tol_s`` late — while having taken no pulse from
        that sensor?  Such a pulse is a late-picked or slightly delayed arrival its fit
        left out, or one of a loud shot heard beyond the association range: searching
        from it can only gather that shot's pulses again, so it is not a seed (it stays
        available), and a set made mostly of such pulses is not another shot."""
        p = self.p
        t = buf.t[rows]
        out = np.zeros(len(rows), dtype=bool)
        lo, hi = float(t.min()) - self.explain_s, float(t.max())
        shots = [k for k in self._recent if lo <= k.fit.t0_s < hi]
        if not shots:
            return out
        f = np.array([(k.fit.x_m, k.fit.y_m, k.z_src, k.fit.t0_s, k.fit.dc_mps) + k.fit.wind_mps for k in shots])
        took = np.zeros((len(shots), len(self.pos)), dtype=bool)
        took[np.repeat(np.arange(len(shots)), [len(k.sensors) for k in shots]),
             np.concatenate([k.sensors for k in shots])] = True
        sens = buf.sensor[rows]
        S = self.pos[sens]
        tau = ray_times(S[None, :, 0] - f[:, :1], S[None, :, 1] - f[:, 1:2], S[None, :, 2] - f[:, 2:3],
                        p.c_mps + f[:, 4:5], (f[:, 5:6], f[:, 6:7]))[0]
        since = t[None, :] - f[:, 3:4]
        r = since - tau
        hit = (since > 0.0) & (since <= self.explain_s) & ~took[:, sens] & (r >= -p.min_gate_s) & (r <= p.tol_s)
        return hit.any(axis=0)

    def _collect_rounds(self, buf: PulseBuffer, anchors: list[FoundShot], shots: list[FoundShot],
                        ready_t: float) -> None:
        """Further rounds from the anchors' places (and from those rounds' places),
        accepted as they are found and added to ``shots``."""
        pending = list(anchors)
        while pending:
            for found in self._same_place_rounds(buf, pending.pop(), ready_t):
                shots.append(found)
                pending.append(found)

    def _accept(self, buf: PulseBuffer, shot: FoundShot) -> None:
        self._recent.append(shot)
        buf.state[shot.pulse_rows] = USED
        buf.owner_n[shot.pulse_rows] = len(shot.pulse_rows)
        self._mark_echo_seeds(buf, shot.pulse_rows)
        self._learn_site(shot)

    def _round_window(self, buf: PulseBuffer, shot: FoundShot) -> tuple[int, int]:
        """Buffer rows whose pulses can be rounds fired from ``shot``'s place."""
        p = self.p
        t0 = shot.fit.t0_s
        return (int(np.searchsorted(buf.t, t0 - p.burst_span_s, "left")),
                int(np.searchsorted(buf.t, t0 + p.burst_span_s + p.max_range_m / p.c_mps, "right")))

    def _may_have_rounds(self, buf: PulseBuffer, shot: FoundShot) -> bool:
        """False when ``shot``'s rounds were searched before and no pulse has come into its
        round window since (nor was any candidate round left waiting for its pulses)."""
        seen = self._rounds_seen.get(id(shot))
        if seen is None or seen < 0:
            return True
        lo, hi = self._round_window(buf, shot)
        return hi > lo and int(buf.seq[lo:hi].max()) >= seen

    def _same_place_rounds(self, buf: PulseBuffer, shot: FoundShot, ready_t: float) -> list[FoundShot]:
        out, waiting = self._search_rounds(buf, shot, ready_t)
        self._rounds_seen[id(shot)] = -1 if waiting else buf.next_seq
        return out

    def _search_rounds(self, buf: PulseBuffer, shot: FoundShot, ready_t: float) -> tuple[list[FoundShot], bool]:
        """Other rounds fired from where ``shot`` was: strings, bursts and full-auto fire.

        A round from the same place reaches every sensor after the same propagation time,
        so with the place known each pulse implies an emission time — its arrival minus
        that sensor's propagation time (observed, for the sensors that heard ``shot``,
        which carries the wind and temperature error along; predicted, for the others).
        Emission times on which several sensors agree are further rounds.  One unknown
        instead of three: rounds 70 ms apart separate cleanly, where a seeded search on
        interleaved pulses mixes them.  Each candidate round is then refined on its own
        (a slowly moving shooter stays within the tolerance) and checked like any shot.
        Also says whether a candidate was left for later, its pulses not all in yet.
        """
        p = self.p
        f = shot.fit
        t0 = f.t0_s
        lo, hi = self._round_window(buf, shot)
        rows = np.arange(lo, hi)
        rows = rows[(buf.state[rows] != USED) & self.enabled[buf.sensor[rows]]]
        if len(rows) < 3:
            return [], False
        sens = buf.sensor[rows]
        # Same place, same paths: the shot's own wind and sound-speed estimate holds.
        wind, dc = f.wind_mps, f.dc_mps
        tau_model, range_m = travel_times(self.pos, (f.x_m, f.y_m), shot.z_src, p.c_mps + dc, wind)
        # Observed propagation where a round from here was heard (this shot's, or another
        # round's from the same place); predicted elsewhere.
        corr, still = self._observed_paths(shot)
        known = np.isfinite(corr)
        in_range = (range_m <= p.max_range_m) | known
        rows, sens = rows[in_range[sens]], sens[in_range[sens]]
        if len(rows) < 3:
            return [], False
        tau = np.where(known, tau_model + corr, tau_model)
        tol = np.where(known, p.round_tol_s, p.round_tol_s + p.speed_uncertainty * tau_model)
        lag = buf.t[rows] - tau[sens]
        tol_r = tol[sens]
        # Emission times already taken here (this round and rounds found before).
        taken = np.array([k.fit.t0_s for k in self._recent
                          if abs(k.fit.t0_s - t0) <= 2 * p.burst_span_s
                          and np.hypot(k.fit.x_m - f.x_m, k.fit.y_m - f.y_m) <= p.same_place_m])
        order = np.argsort(lag)
        lag, tol_r, rows, sens = lag[order], tol_r[order], rows[order], sens[order]
        # Candidate emission times: every lag; support = distinct sensors within
        # tolerance.  Three suffice only when all are the shot's own sensors (observed
        # paths, tight tolerance); otherwise four, as for any shot.
        near = np.abs(lag[None, :] - lag[:, None]) <= tol_r[None, :]
        uniq, inv = np.unique(sens, return_inverse=True)
        onehot = np.zeros((len(lag), len(uniq)), dtype=np.float32)
        onehot[np.arange(len(lag)), inv] = 1.0
        per_sensor = near.astype(np.float32) @ onehot > 0
        support = per_sensor.sum(axis=1)
        own = np.zeros(len(self.pos), dtype=bool)
        own[shot.sensors] = True
        support_other = (per_sensor & ~own[uniq][None, :]).sum(axis=1)
        enough = (support >= p.min_sensors) | ((support == 3) & (support_other == 0))
        # Three pulses at observed paths (also other rounds') make a round only where chance
        # seldom lines three up: the shooter stood still, and the pulses about are few.
        quiet = still and _chance_triples(sens[known[sens] & (np.abs(lag - t0) <= p.burst_span_s)],
                                          2.0 * p.round_tol_s / (2.0 * p.burst_span_s)) <= _CHANCE_TRIPLES_MAX
        if quiet:
            enough |= (support == 3) & ((per_sensor & ~known[uniq][None, :]).sum(axis=1) == 0)
        out: list[FoundShot] = []
        waiting = False
        rejected = self._rejected.setdefault(id(shot), set())
        free = np.ones(len(lag), dtype=bool)
        min_gap = p.min_round_gap_s
        # Per candidate: is its emission time clear of the rounds already taken here, and
        # the earliest arrival among its pulses (a candidate none of whose pulses is
        # ready yet is waiting, whichever of them it would pick).
        clear = np.ones(len(lag), dtype=bool)
        for t_taken in taken:
            clear &= np.abs(lag - t_taken) >= min_gap
        t_rows = buf.t[rows]
        earliest = np.where(near, t_rows[None, :], np.inf).min(axis=1)
        for i in np.argsort(-support, kind="stable"):
            if support[i] < 3:
                break
            if not (free[i] and enough[i] and clear[i]):
                continue
            if earliest[i] > ready_t:
                waiting = True  # none of its pulses may be complete yet
                continue
            c0 = lag[i]
            # One pulse per sensor: the nearest the common emission time.
            idx = np.flatnonzero(near[i] & free)
            idx = idx[np.argsort(np.abs(lag[idx] - c0), kind="stable")]
            _, first = np.unique(sens[idx], return_index=True)
            if len(first) < 3:
                continue
            sel = rows[idx[first]]
            ts = float(t_rows[idx[first]].min())
            if ts > ready_t:
                waiting = True  # some of its pulses may not have arrived yet
                continue
            key = tuple(sorted(buf.ref[sel].tolist()))
            if key in rejected:
                continue
            placed = len(sel) < p.min_sensors and quiet and bool(known[sens[idx[first]]].all())
            if placed:
                # Three arrivals over observed paths: the place is the shot's (the rounds
                # from here show the shooter standing still), the time is all there is to
                # fit.  Only pulses no seed could make a shot of: three that fit here may
                # be a better-heard shot's from elsewhere, not yet searched.
                if np.any(buf.state[sel] == NEW):
                    self._await_seeds.add(id(shot))
                    continue
                round_shot = self._same_place_fit(shot, sel, sens[idx[first]], t_rows[idx[first]],
                                                  lag[idx[first]], ts)
            else:
                round_shot = self._fit_set(buf, sel, ts, (f.x_m, f.y_m), shot.z_src, wind=wind, dc=dc)
            if round_shot is not None:
                round_shot = self._check_round(buf, shot, round_shot, placed, taken, rows[free],
                                               tau - tau_model)
            if round_shot is None:
                rejected.add(key)
                continue
            g = round_shot.fit
            used = np.isin(rows, round_shot.pulse_rows)
            free &= ~used
            taken = np.append(taken, g.t0_s)
            clear &= np.abs(lag - g.t0_s) >= min_gap
            # Accept now: later candidates here must not reuse its pulses, and may be
            # its leftovers.
            self._accept(buf, round_shot)
            out.append(round_shot)
        return out, waiting

    def _check_round(self, buf: PulseBuffer, shot: FoundShot, round_shot: FoundShot, placed: bool,
                     taken: np.ndarray, free_rows: np.ndarray, path_corr: np.ndarray) -> FoundShot | None:
        """A candidate round fitted from ``shot``'s place, grown by the ``free_rows`` that fit
        it (``path_corr``: observed minus modelled paths per sensor) — or None when it is
        not another round from there: fired elsewhere, heard by other sensors, fitting
        much worse, at an emission time already ``taken``, a round already found, or
        implausible as a shot."""
        p = self.p
        f = shot.fit
        round_shot = self._grow(buf, round_shot, free_rows, path_corr, f.wind_mps, f.dc_mps) or round_shot
        g = round_shot.fit
        if np.hypot(g.x_m - f.x_m, g.y_m - f.y_m) > p.same_place_m:
            return None
        # A round from the same place is heard where the shot was: pulses lining up at
        # other sensors only are another shooter's, near the same line of sight.
        if np.isin(round_shot.sensors, shot.sensors).sum() < p.round_heard_fraction * len(shot.sensors):
            return None
        # Same paths, same residual scale: a round fitting much worse than the shot it
        # was found from is pulses of another place that line up by chance.
        if g.sigma_s > max(p.sigma_ratio * f.sigma_s, p.sigma_floor_s):
            return None
        if len(taken) and np.min(np.abs(taken - g.t0_s)) < p.min_round_gap_s:
            return None
        # ``taken`` is judged from the anchor's place; a round refined away from an
        # ill-placed anchor (a small set) may be one already found where it really is.
        if self._repeats_a_round(round_shot):
            return None
        # A reflector near the shooter lines its echoes up on one emission time
        # too: the echo test stays.
        known_place = placed and len(round_shot.pulse_rows) < p.min_sensors
        if not self._plausible(round_shot, buf, known_place=known_place):
            return None
        return round_shot

    def _observed_paths(self, shot: FoundShot) -> tuple[np.ndarray, bool]:
        """Per sensor: observed minus modelled propagation time (s) from ``shot``'s place —
        from the shot's own arrivals, and, at sensors it did not use, from other rounds
        found from the same place when the shooter stood still (their observed paths moved
        to this shot's place by the model); NaN where no round from here was heard.  Also
        whether the shooter stood still: other rounds from here were found, all within
        ``_STILL_M`` of the shot."""
        p = self.p
        f = shot.fit
        corr = np.full(len(self.pos), np.nan)
        near, spread = [], 0.0
        for k in reversed(self._recent):
            if k is not shot and abs(k.fit.t0_s - f.t0_s) <= 2 * p.burst_span_s:
                d = math.hypot(k.fit.x_m - f.x_m, k.fit.y_m - f.y_m)
                if d <= p.same_place_m:
                    near.append(k)
                    spread = max(spread, d)
        still = bool(near) and spread <= _STILL_M
        # (A moving shooter's other rounds were fired from elsewhere: the shot's own
        # paths only, and loose tolerances elsewhere, which its next places fall within.)
        for k in [shot] + (near[:_PATH_DONORS] if still else []):
            g = k.fit
            new = np.isnan(corr[k.sensors])
            if not new.any():
                continue
            sens = k.sensors[new]
            model = travel_times(self.pos[sens], (g.x_m, g.y_m), k.z_src, p.c_mps + g.dc_mps, g.wind_mps)[0]
            corr[sens] = (k.t[new] + k.t_ref - g.t0_s) - model
        return corr, still

    def _same_place_fit(self, shot: FoundShot, sel: np.ndarray, sens: np.ndarray, t_arr: np.ndarray,
                        lag: np.ndarray, ts: float) -> FoundShot | None:
        """A round heard by fewer sensors than a shot needs, at sensors whose paths from
        ``shot``'s place were observed: its place is the shot's and its emission time the
        mean of ``lag`` (arrival ``t_arr`` minus observed path, s, per pulse ``sel``).
        None unless every lag is within ``round_tol_s`` of it."""
        f = shot.fit
        t0 = float(np.mean(lag))
        r = lag - t0
        if np.max(np.abs(r)) > self.p.round_tol_s:
            return None
        n = len(sel)
        fit = Fit(x_m=f.x_m, y_m=f.y_m, t0_s=t0, residuals_s=r, inliers=np.ones(n, dtype=bool),
                  sigma_s=float(np.sqrt(np.sum(r * r) / max(n - 1, 1))), cov_xy_m2=f.cov_xy_m2, dof=f.dof,
                  wind_mps=f.wind_mps, dc_mps=f.dc_mps, converged=True)
        return FoundShot(pulse_rows=sel, fit=fit, z_src=shot.z_src, low_confidence=False, residuals_s=r,
                         S=self.pos[sens], t=t_arr - ts, t_ref=ts, sensors=sens)

    def _grow(self, buf: PulseBuffer, shot: FoundShot, rows: np.ndarray, path_corr: np.ndarray,
              wind: tuple[float, float], dc: float) -> FoundShot | None:
        """``shot`` with every candidate pulse (``rows``) that fits its refined place and
        time — a moving shooter's round matches the place it was found from at only some
        sensors.  ``path_corr`` (per sensor, s) corrects predicted paths to observed ones.
        None when nothing is added or the larger set does not hold together."""
        p = self.p
        g = shot.fit
        if len(rows) == 0:
            return None
        sens = buf.sensor[rows]
        tau = self._tau(g.x_m, g.y_m, shot.z_src, wind, dc)
        r = buf.t[rows] - g.t0_s - tau[sens] - path_corr[sens]
        gate = min(max(4.0 * g.sigma_s, p.min_gate_s), p.tol_s)
        ok = np.abs(r) <= gate
        have = np.zeros(len(self.pos), dtype=bool)
        have[shot.sensors] = True
        ok &= ~have[sens]
        if not ok.any():
            return None
        cand, cs, cr = rows[ok], sens[ok], np.abs(r[ok])
        o = np.lexsort((cr, cs))
        first = np.concatenate(([True], cs[o][1:] != cs[o][:-1]))
        sel = np.concatenate([shot.pulse_rows, cand[o][first]])
        ts = float(buf.t[sel].min())
        grown = self._fit_set(buf, sel, ts, (g.x_m, g.y_m), shot.z_src, wind=wind, dc=dc)
        if grown is None or len(grown.pulse_rows) <= len(shot.pulse_rows):
            return None
        return grown

    def _tau(self, x: float, y: float, z: float, wind: tuple[float, float], dc: float) -> np.ndarray:
        """Propagation time (s) from (x, y, z) to every sensor under wind and a sound-speed offset."""
        return travel_times(self.pos, (x, y), z, self.p.c_mps + dc, wind)[0]

    def _fit_set(self, buf: PulseBuffer, sel: np.ndarray, ts: float, x0: tuple[float, float],
                 z_src: float, *, wind: tuple[float, float], dc: float) -> FoundShot | None:
        """Refine a chosen pulse set (one pulse per sensor) from ``x0`` (a good start:
        few iterations) under known wind and sound-speed offset; None unless it holds
        together as a shot."""
        p = self.p
        S = self.pos[buf.sensor[sel]]
        t = buf.t[sel] - ts
        fit = refine(S, t, x0=x0, c=p.c_mps, z_src=z_src, wind_prior_mps=wind, dc_prior_mps=dc,
                     estimate_nuisance=False, gate_s=p.tol_s, max_iter=6)
        if not (np.isfinite(fit.x_m) and np.isfinite(fit.y_m)):
            return None
        return self._make_shot(sel, buf.sensor[sel], S, t, fit, ts, z_src)

    def _mark_echo_seeds(self, buf: PulseBuffer, rows: np.ndarray) -> None:
        """Pulses trailing a shot's pulse at the same sensor within the echo window, and
        weaker, are almost surely its echoes: they stay available to other shots but
        are not tried as seeds (which is most of the work for echo-rich data)."""
        t_used = buf.t[rows]
        lo = np.searchsorted(buf.t, t_used.min(), "right")
        hi = np.searchsorted(buf.t, t_used.max() + self.p.echo_window_s, "right")
        cand = np.arange(lo, hi)
        cand = cand[buf.state[cand] == NEW]
        if not len(cand):
            return
        same = buf.sensor[cand][:, None] == buf.sensor[rows][None, :]
        dt = buf.t[cand][:, None] - t_used[None, :]
        weaker = (buf.level[rows][None, :] - buf.level[cand][:, None]) >= self.p.echo_min_drop_db
        echo = np.any(same & (dt > 0) & (dt <= self.p.echo_window_s) & weaker, axis=1)
        buf.state[cand[echo]] = TRIED

    def _plausible(self, shot: FoundShot, buf: PulseBuffer, known_place: bool = False) -> bool:
        """Reject consistent-looking sets that a real shot would not produce.

        * Small sets (at most ``hearing_test_max_sensors``) have one or no redundant
          arrival, so stray pulses fit them by chance.  They must fit tightly — within
          ``small_set_sigma_ratio`` times the site's typical residual scale — and be
          heard the way a shot is: the levels reported and the silence of the other
          sensors must be likely for some source level (``HearingModel``; log-likelihood
          at least ``hearing_ll_min`` for the set's size).  Without reported levels: of
          the sensors nearer the located source than the median participant, at least
          ``min_hearing_fraction`` must have heard it.  A round placed where a shot was
          (``known_place``: only its time was fitted) has two redundant arrivals of three
          and is held to the bar of the largest sets.
        * Echo: when most of a shot's pulses each trail (same sensor, within
          ``echo_window_s``) a pulse already used by a shot heard by at least
          1/``echo_max_ratio`` times as many sensors, they are that shot's reflections,
          not another round — unless they trail by one common lag (a round from the same
          place) or the set is a moving shooter's next round (``_follows_a_shot``).
        """
        p = self.p
        sens = buf.sensor[shot.pulse_rows]
        if len(sens) <= p.hearing_test_max_sensors and not self._heard_like_a_shot(shot, buf, sens, known_place):
            return False
        # Leftovers: most of the pulses are arrivals a shot already found predicts.
        if 2 * int(self._explained(buf, shot.pulse_rows).sum()) > len(sens):
            return False
        # Echo test: most of this shot's pulses trail, at the same sensor and within the
        # echo window, a pulse already used by a shot heard by many more sensors.
        rows = shot.pulse_rows
        n = len(rows)
        t_g = buf.t[rows]
        lo = np.searchsorted(buf.t, t_g.min() - p.echo_window_s, "left")
        hi = np.searchsorted(buf.t, t_g.max(), "left")
        prev = np.arange(lo, hi)
        prev = prev[buf.state[prev] == USED]
        if len(prev):
            same = buf.sensor[prev][None, :] == sens[:, None]
            dt = t_g[:, None] - buf.t[prev][None, :]
            trail = same & (dt > 0) & (dt <= p.echo_window_s)
            # An echo is weaker than the pulse it trails, or (levels unknown) belongs to a
            # set much smaller than the shot that pulse went to.
            drop = buf.level[prev][None, :] - buf.level[rows][:, None]
            weaker = drop >= p.echo_min_drop_db
            much_smaller = (buf.owner_n[prev] * p.echo_max_ratio >= n)[None, :]
            echo_like = np.any(trail & (weaker | much_smaller), axis=1)
            if (echo_like.mean() >= 0.5 and not _repeats_from_same_place(trail, dt)
                    and not self._follows_a_shot(shot)):
                return False
        return True

    def _fits_tightly(self, shot: FoundShot) -> bool:
        """As tightly as well-heard shots fit: a residual scale within ``tight_sigma_ratio``
        times the site's typical one."""
        return shot.fit.sigma_s <= self.p.tight_sigma_ratio * self._typical_sigma()

    def _follows_a_shot(self, shot: FoundShot) -> bool:
        """True when ``shot`` fits tightly (``_fits_tightly``) and was fired
        where a shooter of a shot found just before it could have got to — within
        ``follow_slack_m`` plus ``max_vehicle_speed_mps`` times the time between them.
        That is a moving shooter's next round: its pulses trail his last round's at
        every sensor by lags that differ from sensor to sensor, as reflections' do, but
        reflections that happen to line up on one source fit loosely and put it far away."""
        p = self.p
        f = shot.fit
        if not self._fits_tightly(shot):
            return False
        for k in self._recent:
            gap = f.t0_s - k.fit.t0_s
            if (p.min_round_gap_s <= gap <= p.burst_span_s
                    and math.hypot(f.x_m - k.fit.x_m, f.y_m - k.fit.y_m)
                    <= p.follow_slack_m + p.max_vehicle_speed_mps * gap):
                return True
        return False

    def _heard_like_a_shot(self, shot: FoundShot, buf: PulseBuffer, sens: np.ndarray,
                           known_place: bool = False) -> bool:
        """The small-set tests of ``_plausible``: a tight fit, and a hearing pattern —
        who heard it, how loud, who stayed silent — that a real shot makes."""
        p = self.p
        f = shot.fit
        if f.sigma_s > p.small_set_sigma_ratio * self._typical_sigma():
            return False
        dx, dy = self.pos[:, 0] - f.x_m, self.pos[:, 1] - f.y_m
        tau, d = ray_times(dx, dy, self.pos[:, 2] - shot.z_src, p.c_mps + f.dc_mps, f.wind_mps)
        heard = np.zeros(len(self.pos), dtype=bool)
        heard[sens] = True
        silent = self.enabled & ~heard & ~self._pulse_near_prediction(shot, buf, tau)
        ll = self.hearing.log_likelihood(buf.level[shot.pulse_rows], d[sens], d[silent])
        if ll is not None:  # shots have at least three sensors: hearing_ll_min[0] is for three
            size = len(p.hearing_ll_min) - 1 if known_place else min(len(sens) - 3, len(p.hearing_ll_min) - 1)
            return ll >= p.hearing_ll_min[size]
        d2 = np.hypot(dx, dy)
        near = self.enabled & (d2 <= _median(d2[sens]) + 1.0)
        n_near = int(near.sum())
        return not n_near or (heard & near).sum() / n_near >= p.min_hearing_fraction

    def _pulse_near_prediction(self, shot: FoundShot, buf: PulseBuffer, tau: np.ndarray) -> np.ndarray:
        """Per sensor: has it a pulse within the association tolerance of the shot's
        predicted arrival (``tau``: propagation time to each sensor)?  Such a sensor heard
        something then — it is not silent."""
        p = self.p
        f = shot.fit
        reach = tau <= 2.0 * p.max_range_m / p.c_mps
        out = np.zeros(len(self.pos), dtype=bool)
        if not reach.any():
            return out
        lo = np.searchsorted(buf.t, f.t0_s + tau[reach].min() - p.tol_s, "left")
        hi = np.searchsorted(buf.t, f.t0_s + tau[reach].max() + p.tol_s, "right")
        s = buf.sensor[lo:hi]
        r = buf.t[lo:hi] - f.t0_s - tau[s]
        out[s[np.abs(r) <= p.tol_s]] = True
        return out

    def _typical_sigma(self) -> float:
        """The site's typical timing-residual scale (s): a low quantile over the last
        well-heard shots — the first shots of a run can be mostly bad sets, and a median
        would learn their scale — never above what GPS-timed sensors and onset picking
        plausibly give (that bound is also the scale until shots are learnt)."""
        if self._typical is None:
            p = self.p
            typical = p.sigma_typical_max_s
            if len(self._sigmas) >= p.sigma_min_shots:
                typical = min(typical, float(np.quantile(np.array(self._sigmas), 0.25)))
            self._typical = typical
        return self._typical

    def note_sigma(self, sigma_s: float) -> None:
        """Add a well-heard shot's timing-residual scale to those the typical scale is learnt from."""
        self._sigmas.append(float(sigma_s))
        self._typical = None

    def _residual_limit(self, tau_s: np.ndarray) -> float:
        """Largest residual scale (s) a shot may have: ``sigma_ratio`` times the site's typical
        scale (learnt from the last well-heard shots; the bound ``sigma_typical_max_s``
        until there are enough of them), plus what the remaining uncertainty of wind and sound speed can add over
        these paths (``tau_s``: propagation times)."""
        p = self.p
        typical = self._typical_sigma()
        speed = self.site.speed_sd_mps / p.c_mps * float(np.std(tau_s))
        return max(p.sigma_ratio * typical, p.sigma_floor_s) + speed

    def _z_src(self, sensors: np.ndarray) -> float:
        if self.p.ground_z_m is not None:
            return float(self.p.ground_z_m)
        return float(_median(self.pos[sensors, 2]) - self.p.sensor_height_m)

    def _from_seed(self, buf: PulseBuffer, seed: int) -> FoundShot | None:
        p = self.p
        ts = buf.t[seed]
        a = buf.sensor[seed]
        lo = np.searchsorted(buf.t, ts - self.window_s, "left")
        hi = np.searchsorted(buf.t, ts + self.window_s, "right")
        rows = np.arange(lo, hi)
        sens = buf.sensor[rows]
        ok = (buf.state[rows] != USED) & (sens != a) & self.enabled[sens]
        rows, sens = rows[ok], sens[ok]
        dpair = self.pair_m[a, sens]
        dt = buf.t[rows] - ts
        ok = (dpair <= 2.0 * p.max_range_m) & (np.abs(dt) <= dpair / p.c_mps + p.tol_s)
        rows, sens, dt = rows[ok], sens[ok], dt[ok]
        if len(rows) == 0:
            return None
        # Group candidates by sensor, in time order within a sensor.
        order = np.lexsort((dt, sens))
        rows, sens, dt = rows[order], sens[order], dt[order]
        starts = np.flatnonzero(np.concatenate(([True], sens[1:] != sens[:-1])))
        n_sensors = len(starts) + 1
        k_sensors = n_sensors
        if n_sensors < 3:
            return None
        counts = np.diff(np.append(starts, len(rows)))
        group = np.repeat(np.arange(len(starts)), counts)
        rank = np.arange(len(rows)) - starts[group]
        # Preferred pulse per sensor: the earliest not clearly before the seed.
        late_enough = dt >= -p.tol_s
        pref = np.full(len(starts), -1)
        first_ok = np.where(late_enough, rank, 1 << 30)
        best_rank = np.minimum.reduceat(first_ok, starts)
        for_s = best_rank < (1 << 30)
        pref[for_s] = starts[for_s] + best_rank[for_s]
        pref[~for_s] = starts[~for_s]

        S_all = self.pos[sens]
        t_all = buf.t[rows] - ts
        # In a burst, each sensor hears the seed sensor's train of rounds again, shifted
        # by the difference of their paths — whatever the wind.  A pulse that starts the
        # same train at another sensor is that sensor's pulse of the seed's round.
        # Later rounds reach the other sensors beyond the seed's lag window: look there too.
        ext = np.arange(lo, np.searchsorted(buf.t, ts + self.window_s + p.burst_span_s, "right"))
        ext = ext[buf.state[ext] != USED]
        own = ext[buf.sensor[ext] == a]
        train = buf.t[own] - ts
        train = train[(train > 0) & (train <= p.burst_span_s)]
        burst = None
        if len(train) >= 2:
            ids = sens[starts]
            g_ext = np.searchsorted(ids, buf.sensor[ext])
            g_ext = np.minimum(g_ext, len(ids) - 1)
            keep = ids[g_ext] == buf.sensor[ext]
            o = np.lexsort((buf.t[ext][keep], g_ext[keep]))
            burst = _train_starts(t_all, group, buf.t[ext][keep][o] - ts, g_ext[keep][o], train,
                                  2.0 * p.round_tol_s, len(starts))
            pref[burst >= 0] = burst[burst >= 0]
        z_src = self._z_src(np.append(sens[pref], a))
        seed_pos = self.pos[a]

        # The seed's round as the burst's trains place it.
        train_hyp = None
        if burst is not None and np.sum(burst >= 0) >= 3:
            cols = burst[burst >= 0]
            S_b = np.vstack([seed_pos[None, :], S_all[cols]])
            t_b = np.concatenate(([0.0], t_all[cols]))
            train_hyp = closed_form(S_b, t_b, p.c_mps, z_src)
            if len(cols) >= p.min_sensors - 1 and np.all(np.isfinite(train_hyp)):
                # The trains fix which pulse is the seed's round at each sensor, so the set
                # needs no search — and can be fitted with its own wind and sound speed,
                # which a search scored without them (before the site is learnt) cannot.
                fit = refine(S_b, t_b, x0=(float(train_hyp[0]), float(train_hyp[1])), c=p.c_mps, z_src=z_src,
                             wind_prior_mps=tuple(self.site_wind), dc_prior_mps=self.site_dc,
                             estimate_nuisance=p.estimate_nuisance, gate_s=p.tol_s)
                rows_b = np.concatenate(([seed], rows[cols]))
                shot = self._make_shot(rows_b, buf.sensor[rows_b], S_b, t_b, fit, ts, z_src)
                if shot is not None and fit.inliers[0]:
                    return shot

        # Random hypotheses drawn from a generator keyed by the seed pulse itself, so a
        # shot's outcome does not depend on what was searched before it (batch and
        # streaming runs, or runs differing elsewhere, agree).
        rng = np.random.default_rng((self.seed, int(a), int(buf.ref[seed])))
        hyps = self._hypotheses(rng, S_all, t_all, starts, counts, pref, seed_pos, z_src, train_hyp)
        if hyps is None:
            return None
        shot, support = self._from_hypotheses(buf, seed, hyps, rows, S_all, t_all, starts, counts, seed_pos,
                                              z_src, k_sensors, ts)
        if shot is None and support >= p.min_sensors:
            # Enough sensors agreed on something, but not on one shot: in dense fire the
            # random draws may all have mixed rounds.  Try every pulse combination at the
            # sensors nearest the seed's.
            # So many combinations line four or five stray pulses up by chance: only a
            # set of ``_SYSTEMATIC_MIN_SENSORS`` counts, or one sensor fewer that fits
            # tightly and is heard like a shot (mixtures of rounds that five sensors agree
            # on fit loosely; reflections that line up leave sensors near their place silent).
            more = self._systematic_hypotheses(S_all, t_all, starts, counts, pref, seed_pos, z_src)
            if more is not None:
                shot, _ = self._from_hypotheses(buf, seed, more, rows, S_all, t_all, starts, counts, seed_pos,
                                                z_src, k_sensors, ts)
                if shot is not None and not self._systematic_set_counts(shot, buf):
                    shot = None
        return shot

    def _systematic_set_counts(self, shot: FoundShot, buf: PulseBuffer) -> bool:
        """Whether a set the systematic search found is a shot: ``_SYSTEMATIC_MIN_SENSORS``
        sensors, or one fewer fitting tightly and heard like a shot."""
        n = len(shot.pulse_rows)
        if n >= _SYSTEMATIC_MIN_SENSORS:
            return True
        return (n == _SYSTEMATIC_MIN_SENSORS - 1 and self._fits_tightly(shot)
                and self._heard_like_a_shot(shot, buf, buf.sensor[shot.pulse_rows]))

    def _from_hypotheses(self, buf: PulseBuffer, seed: int, hyps: np.ndarray, rows: np.ndarray,
                         S_all: np.ndarray, t_all: np.ndarray, starts: np.ndarray, counts: np.ndarray,
                         seed_pos: np.ndarray, z_src: float, k_sensors: int,
                         ts: float) -> tuple[FoundShot | None, int]:
        """The shot of the best-scoring hypothesis (x, y, t0 rows of ``hyps``) among the
        seed's candidate pulses (``rows``, grouped by sensor: ``starts``/``counts``), and
        that hypothesis's support (sensors consistent with it, the seed's included)."""
        p = self.p
        support = 0
        dx = S_all[None, :, 0] - hyps[:, 0:1]
        dy = S_all[None, :, 1] - hyps[:, 1:2]
        dz = S_all[None, :, 2] - z_src
        c_site = p.c_mps + self.site_dc
        # The site's wind along each ray: over a kilometre a few m/s move arrivals by
        # tens of milliseconds, more than the gap between rounds.
        prop = ray_times(dx, dy, dz, c_site, self.site.wind_mps)[0]
        res = t_all[None, :] - hyps[:, 2:3] - prop
        # Tolerance grows with path length: unknown wind and temperature error scale it.
        absr = np.abs(res) / (1.0 + p.speed_uncertainty * prop / p.tol_s)
        per_sensor = np.minimum.reduceat(absr, starts, axis=1)
        good = per_sensor <= p.tol_s
        seed_res = -hyps[:, 2] - ray_times(seed_pos[0] - hyps[:, 0], seed_pos[1] - hyps[:, 1], seed_pos[2] - z_src,
                                           c_site, self.site.wind_mps)[0]
        seed_ok = np.abs(seed_res) <= p.tol_s
        # Soft consistency: each sensor counts by how tightly its best pulse fits (a
        # Gaussian kernel of ``score_sigma_s`` on the path-scaled residual, over a floor),
        # so a tight set beats a looser one even when the loose one is larger — in a
        # burst, the best pulse per sensor from *any* round fits some place within the
        # wide gate, and such a mixture gathers more sensors than one true round.
        kern = np.exp(-0.5 * (per_sensor / p.score_sigma_s) ** 2)
        score = np.where(good, p.score_floor + (1.0 - p.score_floor) * kern, 0.0).sum(axis=1) + seed_ok
        score[~np.isfinite(score)] = -np.inf
        # Best hypothesis that includes the seed.  An unseeded hypothesis that scores
        # higher *and claims the same pulses* means the seed is an echo or stray pulse
        # leading into another shot: leave that shot for its own first pulse.  One
        # claiming other pulses (the next round of a burst) does not veto this seed.
        seeded = np.where(seed_ok, score, -np.inf)
        best = int(np.argmax(seeded))
        if not np.isfinite(seeded[best]):
            return None, support
        rival = int(np.argmax(score))
        if rival != best and score[rival] > seeded[best]:
            pick_b = _argmin_reduceat(absr[best], starts, counts)
            pick_r = _argmin_reduceat(absr[rival], starts, counts)
            both = good[best] & good[rival]
            shared = int(np.sum(both & (pick_b == pick_r)))
            if shared >= 0.5 * good[best].sum():
                return None, support
        support = int(good[best].sum() + seed_ok[best])
        # Fast exit: refinement cannot grow a set, so a best hypothesis short of a
        # confident shot is not worth refining — unless three sensors are all there are.
        if support < 3 or (support < p.min_sensors and k_sensors > 3):
            return None, support
        # One pulse per consistent sensor: the one nearest the prediction.
        r_best = absr[best]
        cols = starts + _argmin_reduceat(r_best, starts, counts)
        chosen = cols[good[best]]
        S_sel = np.vstack([seed_pos[None, :], S_all[chosen]])  # the seed first
        t_sel = np.concatenate(([0.0], t_all[chosen]))
        fit = refine(
            S_sel, t_sel, x0=(float(hyps[best, 0]), float(hyps[best, 1])), c=p.c_mps, z_src=z_src,
            wind_prior_mps=tuple(self.site_wind), dc_prior_mps=self.site_dc,
            estimate_nuisance=False, gate_s=p.tol_s, max_iter=8,
        )
        if not (np.isfinite(fit.x_m) and np.isfinite(fit.y_m)):
            return None, support
        # Re-select against the refined prediction: a sensor whose chosen pulse became an
        # outlier may have another candidate that fits now.
        cand = _Candidates(seed, seed_pos, rows, S_all, t_all, starts, counts)
        sel_rows2, S2, t2, gate = self._reselect(fit, z_src, cand)
        if len(sel_rows2) < 3:
            return None, support
        fit2 = refine(S2, t2, x0=(fit.x_m, fit.y_m), c=p.c_mps, z_src=z_src, wind_prior_mps=tuple(self.site_wind),
                      dc_prior_mps=self.site_dc, estimate_nuisance=p.estimate_nuisance,
                      gate_s=min(gate * 1.5, p.tol_s))
        shot = self._make_shot(sel_rows2, buf.sensor[sel_rows2], S2, t2, fit2, ts, z_src)
        # A large set that no ground-level source fits, or fits only loosely, may have come
        # from high above.
        if len(sel_rows2) >= _ELEVATED_MIN_SENSORS and (shot is None or not self._fits_tightly(shot)
                                                         or shot.fit.sigma_s > _ELEVATED_TRY_SIGMA_S):
            high = self._elevated(buf, S2, t2, fit2, z_src, ts, cand)
            shot = high or shot
        # Three sensors are a shot only when three are all that could have heard it: a set
        # that had four or more and kept three after refinement is pulses of several shots.
        if shot is not None and shot.low_confidence and k_sensors > 3:
            return None, support
        return shot, support

    def _reselect(self, fit: Fit, z_src: float, cand: _Candidates) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Per sensor, the candidate pulse nearest ``fit``'s prediction (source at ``z_src``)
        within a gate of its residual scale — and the seed's, first, when the fit kept it.
        Returns the chosen rows, their sensor positions and times, and the gate (s)."""
        p = self.p
        seed, seed_pos, rows, S_all, t_all, starts, counts = cand
        tau = travel_times(S_all, (fit.x_m, fit.y_m), z_src, p.c_mps + fit.dc_mps, fit.wind_mps)[0]
        r = t_all - fit.t0_s - tau
        gate = min(max(4.0 * fit.sigma_s, p.min_gate_s), p.tol_s)
        absr = np.where((r <= gate) & (r >= -1.5 * gate), np.abs(r), np.inf)
        cols = starts + _argmin_reduceat(absr, starts, counts)
        cols = cols[np.isfinite(absr[cols])]
        sel, S, t = rows[cols], S_all[cols], t_all[cols]
        if fit.inliers[0]:
            sel = np.concatenate(([seed], sel))
            S = np.vstack([seed_pos[None, :], S])
            t = np.concatenate(([0.0], t))
        return sel, S, t, gate

    def _elevated(self, buf: PulseBuffer, S: np.ndarray, t: np.ndarray, fit: Fit, z_src: float, ts: float,
                  cand: _Candidates) -> FoundShot | None:
        """The shot of a large set that no ground-level source fits (``fit``, at ``z_src``)
        but a source high above does — an aerial firework shell bursting 50–300 m up, or a
        shooter high in a building: its height is estimated along with (x, y, t0), from a
        start ``_ELEVATED_START_M`` above ground, and the pulses are chosen again for that
        source.  None unless the source is at least ``_ELEVATED_MIN_HEIGHT_M`` above every
        sensor that heard it, fits at least ``1/_ELEVATED_GAIN`` times as tightly as at
        ground level (with the pulses first chosen, and again with the shot's own), and the
        set then holds together as a shot that fits tightly."""
        p = self.p
        best = refine(S, t, x0=(fit.x_m, fit.y_m), c=p.c_mps, z_src=z_src, wind_prior_mps=tuple(self.site_wind),
                      dc_prior_mps=self.site_dc, estimate_nuisance=p.estimate_nuisance, gate_s=p.tol_s,
                      z_start=z_src + _ELEVATED_START_M)
        if (not (np.isfinite(best.x_m) and np.isfinite(best.y_m)) or best.z_m - S[:, 2].max() < _ELEVATED_MIN_HEIGHT_M
                or best.sigma_s >= _ELEVATED_GAIN * fit.sigma_s):
            return None
        sel, S2, t2, gate = self._reselect(best, best.z_m, cand)
        if len(sel) < _ELEVATED_MIN_SENSORS:
            return None
        f = refine(S2, t2, x0=(best.x_m, best.y_m), c=p.c_mps, z_src=z_src, wind_prior_mps=tuple(self.site_wind),
                   dc_prior_mps=self.site_dc, estimate_nuisance=p.estimate_nuisance,
                   gate_s=min(gate * 1.5, p.tol_s), z_start=best.z_m)
        # High above every sensor that heard it: in hilly terrain a shooter on a hill is
        # well above the ground level assumed from the sensors' heights, never above them all.
        if not (np.isfinite(f.x_m) and np.isfinite(f.y_m)) or f.z_m - S2[:, 2].max() < _ELEVATED_MIN_HEIGHT_M:
            return None
        shot = self._make_shot(sel, buf.sensor[sel], S2, t2, f, ts, f.z_m)
        # A height free to absorb misfit lets mixtures of a burst's rounds fit loosely:
        # the source must fit as tightly as well-heard shots do — and, before the site's
        # scale is learnt, within what GPS-timed sensors and onset picking plausibly give.
        if shot is None or not self._fits_tightly(shot) or shot.fit.sigma_s > p.sigma_typical_max_s:
            return None
        # Chosen again for the elevated source, the pulses may be ones a ground-level
        # source fits about as well (a stray pulse or echo left out): then the height was
        # only absorbing that pulse's misfit.
        flat = refine(shot.S, shot.t, x0=(f.x_m, f.y_m), c=p.c_mps, z_src=z_src,
                      wind_prior_mps=tuple(self.site_wind), dc_prior_mps=self.site_dc,
                      estimate_nuisance=p.estimate_nuisance, gate_s=p.tol_s)
        if f.sigma_s >= _ELEVATED_GAIN * flat.sigma_s:
            return None
        return replace(shot, height_m=f.z_m - z_src)

    def _make_shot(self, rows: np.ndarray, sensors: np.ndarray, S: np.ndarray, t: np.ndarray, fit: Fit,
                   ts: float, z_src: float, *, may_drop: bool = True) -> FoundShot | None:
        """The shot of a refined set — its inliers, if they are enough and their residuals
        are within the site's typical scale.  A set that misfits because a stray pulse
        pulled the fit towards itself (so the robust loss kept it, and may have rejected
        a true pulse instead) is the shot its other pulses agree on, when they are still
        enough for one and fit as tightly as a small set must."""
        p = self.p
        keep = fit.inliers
        n_ok = int(keep.sum())
        if n_ok < 3:
            return None
        # The paths' spread from the fitted place (not from the observed times, which for
        # pulses of several shots span seconds and would excuse any misfit).
        paths = travel_times(S[keep], (fit.x_m, fit.y_m), z_src, p.c_mps, (0.0, 0.0))[0]
        if fit.sigma_s > self._residual_limit(paths):
            # (Only once the site's scale is learnt: "tightly" means nothing before.)
            if not may_drop or n_ok < p.min_sensors or len(t) <= p.min_sensors or len(self._sigmas) < p.sigma_min_shots:
                return None
            # The pulses that agree: the largest consensus of the set's exact four-pulse
            # solutions (the pulled fit cannot say which pulse is the stray one — it may
            # even have kept the stray and rejected a true pulse).  It may drop at most
            # one of the fit's inliers.
            k = self._consensus(S, t, fit, z_src, self._residual_limit(paths))
            if k is None or len(k) < max(p.min_sensors, n_ok - 1):
                return None
            f = refine(S[k], t[k], x0=(fit.x_m, fit.y_m), c=p.c_mps, z_src=z_src, wind_prior_mps=fit.wind_mps,
                       dc_prior_mps=fit.dc_mps, estimate_nuisance=False, gate_s=p.tol_s, max_iter=6)
            # What remains is judged like a small set: it must fit tightly.
            if not f.sigma_s <= p.small_set_sigma_ratio * self._typical_sigma():
                return None
            return self._make_shot(rows[k], sensors[k], S[k], t[k], f, ts, z_src, may_drop=False)
        if n_ok < p.min_sensors and not _unique_three(S[keep], t[keep], p.c_mps, z_src, p.max_range_m):
            return None
        fit = replace(fit, t0_s=fit.t0_s + ts)
        return FoundShot(pulse_rows=rows[keep], fit=fit, z_src=z_src, low_confidence=n_ok < p.min_sensors,
                         residuals_s=fit.residuals_s[keep], S=S[keep], t=t[keep], t_ref=ts,
                         sensors=sensors[keep])

    def _consensus(self, S: np.ndarray, t: np.ndarray, fit: Fit, z_src: float, gate_s: float) -> np.ndarray | None:
        """Indices of the largest group of arrivals (``S``, ``t``: a chosen set, one pulse
        per sensor) that one exact solution through four of them predicts within
        ``gate_s`` (ties: the smallest residual sum).  Every four-pulse subset is solved
        in one batched call, after the fit's wind is taken out of the times (a fit
        pulled some way off still carries it nearly right).  At most ``_CONSENSUS_MAX``
        arrivals, those the fit predicts best, take part.  None without a solution."""
        c = self.p.c_mps + fit.dc_mps
        xy = (fit.x_m, fit.y_m)
        t = t - (travel_times(S, xy, z_src, c, fit.wind_mps)[0] - travel_times(S, xy, z_src, c, (0.0, 0.0))[0])
        pool = np.argsort(np.abs(fit.residuals_s), kind="stable")[:_CONSENSUS_MAX]
        sub = pool[_subsets(len(pool), 4)]
        sol = closed_form(S[sub], t[sub], c, z_src)
        sol = sol[np.all(np.isfinite(sol), axis=1)]
        if not len(sol):
            return None
        tau = ray_times(S[None, pool, 0] - sol[:, :1], S[None, pool, 1] - sol[:, 1:2], S[None, pool, 2] - z_src,
                        c, (0.0, 0.0))[0]
        r = t[pool][None, :] - sol[:, 2:3] - tau
        ok = np.abs(r) <= gate_s
        rss = np.where(ok, r * r, 0.0).sum(axis=1)
        best = int(np.lexsort((rss, -ok.sum(axis=1)))[0])
        return np.sort(pool[ok[best]])

    def _pick_pulses(self, rng, pick_s, pref, starts, counts, M, m, p_pref):
        """Column of a pulse for each picked sensor: its preferred pulse with probability
        ``p_pref``, else one of its first three candidates uniformly."""
        use_pref = rng.random((M, m)) < p_pref
        rnd = (rng.random((M, m)) * np.minimum(counts[pick_s], 3)).astype(int)
        return np.where(use_pref, pref[pick_s], starts[pick_s] + rnd)

    @property
    def site_wind(self) -> np.ndarray:
        return np.array(self.site.wind_mps)

    @property
    def site_dc(self) -> float:
        return self.site.dc_mps

    def _learn_site(self, shot: FoundShot) -> None:
        """Add a confident shot to the site's pooled wind / sound-speed estimate and
        timing-residual scale."""
        if len(shot.pulse_rows) >= self.p.sigma_learn_sensors:
            self.note_sigma(shot.fit.sigma_s)
        if not self.p.site_estimate or shot.low_confidence:
            return
        f = shot.fit
        self.site.add(shot.S, shot.t + shot.t_ref, (f.x_m, f.y_m), f.t0_s, shot.z_src, f.sigma_s)

    def _systematic_hypotheses(self, S_all, t_all, starts, counts, pref, seed_pos, z_src) -> np.ndarray | None:
        """Candidate (x, y, t0) rows from the seed and every combination of one pulse at
        each of three of the ``_SYSTEMATIC_SENSORS`` sensors nearest the seed's (at each,
        the ``_SYSTEMATIC_PULSES`` candidates nearest its preferred one) whose arrival
        times two sensors apart can be one shot's."""
        p = self.p
        k = len(starts)
        if k < 3:
            return None
        dist = np.hypot(S_all[starts, 0] - seed_pos[0], S_all[starts, 1] - seed_pos[1])
        groups = np.sort(np.argsort(dist, kind="stable")[:_SYSTEMATIC_SENSORS])
        cols, grp = [], []
        for g in groups:
            c = np.arange(starts[g], starts[g] + counts[g])
            c = c[np.argsort(np.abs(c - pref[g]), kind="stable")[:_SYSTEMATIC_PULSES]]
            cols.append(c)
            grp.append(np.full(len(c), g))
        cols, grp = np.concatenate(cols), np.concatenate(grp)
        trip = _subsets(len(cols), 3)
        g3 = grp[trip]
        trip = trip[(g3[:, 0] != g3[:, 1]) & (g3[:, 0] != g3[:, 2]) & (g3[:, 1] != g3[:, 2])]
        c3 = cols[trip]
        # Two pulses of one shot arrive no further apart than sound takes between their sensors.
        S3, t3 = S_all[c3], t_all[c3]
        ok = np.ones(len(c3), dtype=bool)
        for i, j in ((0, 1), (0, 2), (1, 2)):
            dij = np.hypot(S3[:, i, 0] - S3[:, j, 0], S3[:, i, 1] - S3[:, j, 1])
            ok &= np.abs(t3[:, i] - t3[:, j]) <= dij / p.c_mps + p.tol_s
        if not ok.any():
            return None
        S4 = np.concatenate([np.broadcast_to(seed_pos, (int(ok.sum()), 1, 3)), S3[ok]], axis=1)
        t4 = np.concatenate([np.zeros((int(ok.sum()), 1)), t3[ok]], axis=1)
        out = closed_form(S4, t4, p.c_mps, z_src)
        out = out[np.all(np.isfinite(out), axis=1)]
        out = out[np.hypot(out[:, 0] - seed_pos[0], out[:, 1] - seed_pos[1]) <= 1.5 * p.max_range_m]
        return out if len(out) else None

    def _hypotheses(self, rng, S_all, t_all, starts, counts, pref, seed_pos, z_src,
                    extra: np.ndarray | None = None) -> np.ndarray | None:
        """Candidate (x, y, t0) rows, seed-relative time; None if no 4-sensor set exists.
        ``extra``: a hypothesis found otherwise (the burst trains'), tried too."""
        k = len(starts)
        if k < 3:
            return None
        hyps = [] if extra is None else [extra]
        # (1) All preferred pulses at once (least squares), when there are enough.
        if k >= 3:
            S_pref = np.vstack([seed_pos[None, :], S_all[pref]])
            t_pref = np.concatenate(([0.0], t_all[pref]))
            hyps.append(closed_form(S_pref, t_pref, self.p.c_mps, z_src))
        # (2) Random minimal sets: seed + 3 sensors (nearer the seed's sensor more
        # often: they are the likeliest to have heard its shot), each with its preferred
        # pulse or one of its next few.
        M = self.p.n_hypotheses
        dist = np.hypot(S_all[starts, 0] - seed_pos[0], S_all[starts, 1] - seed_pos[1])
        weight = 1.0 / (1.0 + dist / 400.0)
        keys = np.log(rng.random((M, k))) / weight  # weighted sampling without replacement
        pick_s = np.argsort(-keys, axis=1)[:, :3]
        col = self._pick_pulses(rng, pick_s, pref, starts, counts, M, 3, 0.5)
        S4 = np.concatenate([np.broadcast_to(seed_pos, (M, 1, 3)), S_all[col]], axis=1)
        t4 = np.concatenate([np.zeros((M, 1)), t_all[col]], axis=1)
        # (3) Unseeded minimal sets: the seed may be an echo of an earlier shot that
        # precedes this shot's first direct arrival.  Solved in one call with (2).
        if k >= 4:
            M2 = M // 2
            keys = np.log(rng.random((M2, k))) / weight
            pick_s = np.argsort(-keys, axis=1)[:, :4]
            col = self._pick_pulses(rng, pick_s, pref, starts, counts, M2, 4, 0.7)
            S4 = np.concatenate([S4, S_all[col]])
            t4 = np.concatenate([t4, t_all[col]])
        hyps.append(closed_form(S4, t4, self.p.c_mps, z_src))
        out = np.vstack([np.atleast_2d(h) for h in hyps])
        out = out[np.all(np.isfinite(out), axis=1)]
        # A source far outside the hearing range of the seed is not plausible.
        far = np.hypot(out[:, 0] - seed_pos[0], out[:, 1] - seed_pos[1]) > 1.5 * self.p.max_range_m
        out = out[~far]
        return out if len(out) else None


#: Elevated sources: sensors a set needs before a source high above is tried, the height
#: above ground the height search starts from (from there it converges for shells
#: bursting 50–300 m up), and the least height (m) above the highest sensor that heard
#: it that counts as elevated (a ground source fitted with its height free lands near the
#: sensors' rooftops, the mirror image of the ground below them; in hilly terrain a
#: shooter on a hill is tens of metres above the ground level the sensors suggest).
_ELEVATED_MIN_SENSORS = 8
_ELEVATED_START_M = 150.0
_ELEVATED_MIN_HEIGHT_M = 30.0
#: An elevated source counts only if it fits at least this much more tightly than the
#: ground-level one (residual scale ratio).
_ELEVATED_GAIN = 0.5
#: ... and it is tried for a ground-level shot whose residual scale exceeds this (s), even
#: when the site's typical scale is no tighter (before it is learnt, a few misfitting
#: shells would set it): GPS-timed sensors and onset picking do better than 1 ms.
_ELEVATED_TRY_SIGMA_S = 0.001
#: Arrivals taking part in the consensus search.
_CONSENSUS_MAX = 10
#: The systematic search: sensors nearest the seed's, and pulses at each.
_SYSTEMATIC_SENSORS = 6
_SYSTEMATIC_PULSES = 4
_SYSTEMATIC_MIN_SENSORS = 6
#: Other rounds from a shot's place whose observed paths stand in where it has none.
_PATH_DONORS = 8
#: Rounds from one place all within this (m): the shooter stood still.
_STILL_M = 5.0
#: Expected number of three-sensor alignments by chance below which three pulses at a
#: round's observed paths are taken as a round.
_CHANCE_TRIPLES_MAX = 0.05


@functools.lru_cache(maxsize=64)
def _subsets(n: int, k: int) -> np.ndarray:
    """Every k-of-n subset of ``range(n)``, one a row (cached: the search asks for the same
    few sizes again and again)."""
    return np.array(list(itertools.combinations(range(n), k)), dtype=int).reshape(-1, k)


def _chance_triples(sensors: np.ndarray, p_hit: float) -> float:
    """Expected number of triples of pulses at three different sensors that line up on one
    emission time by chance, given the sensor of each pulse about and the chance
    ``p_hit`` that one pulse falls within the tolerance of a given time."""
    if len(sensors) < 3:
        return 0.0
    n = np.bincount(sensors).astype(float)
    n = n[n > 0]
    q = n * p_hit  # per sensor: chance of a pulse near a given time
    big_p, big_q = q.sum(), (q * q).sum()
    pairs_without = ((big_p - q) ** 2 - (big_q - q * q)) / 2.0
    return float(np.sum(n * pairs_without) / 3.0)


def _median(x: np.ndarray) -> float:
    """Median of a small 1-D array (np.median's overhead dominates at this size)."""
    v = np.sort(x)
    n = len(v)
    return float(v[n // 2]) if n % 2 else float(0.5 * (v[n // 2 - 1] + v[n // 2]))


def _repeats_from_same_place(trail: np.ndarray, dt: np.ndarray, spread_s: float = 0.0015) -> bool:
    """True when the pulses trail the most recent earlier pulse at their sensors by one
    common delay — another round from the same place, not reflections (whose extra
    path, and so delay, differs from sensor to sensor)."""
    has = trail.any(axis=1)
    if has.sum() < 3:
        return False
    lag = np.where(trail, dt, np.inf).min(axis=1)[has]
    return _median(np.abs(lag - _median(lag))) <= spread_s


def _train_starts(t: np.ndarray, group: np.ndarray, t_ext: np.ndarray, g_ext: np.ndarray, train: np.ndarray,
                  tol: float, n_groups: int) -> np.ndarray:
    """Per group (sensor), the column (into ``t``) of the pulse at which ``train`` — the
    seed sensor's later rounds, as offsets from the seed — best repeats in that group's
    pulses ``t_ext`` (sorted by group, then time): at least two of the offsets find a
    pulse within ``tol``, and the match is scored by a Gaussian kernel of ``tol``/3
    (regular automatic fire also matches one round early or late, but its cycle jitter
    makes that match looser).  Among matches within 10 % of the best the earliest wins (an
    echo train trails the direct one).  −1 where nothing matches.  ``t``/``group``: the
    candidate pulses, sorted within contiguous ascending groups."""
    if len(t_ext) == 0:
        return np.full(n_groups, -1)
    span = float(max(t_ext.max(), t.max()) - min(t_ext.min(), t.min())) + float(train.max()) + 1.0
    key = g_ext * span + t_ext
    tgt = (group * span + t)[:, None] + train[None, :]
    j = np.searchsorted(key, tgt)
    lo = np.abs(key[np.clip(j - 1, 0, len(key) - 1)] - tgt)
    hi = np.abs(key[np.clip(j, 0, len(key) - 1)] - tgt)
    miss = np.minimum(lo, hi)
    hit = miss <= tol
    out = np.full(n_groups, -1)
    ok = hit.sum(axis=1) >= 2
    if not ok.any():
        return out
    score = np.where(hit, np.exp(-0.5 * (miss / (tol / 3.0)) ** 2), 0.0).sum(axis=1)
    score[~ok] = 0.0
    best = np.zeros(n_groups)
    np.maximum.at(best, group, score)
    good = ok & (score >= 0.9 * best[group])
    cand = np.flatnonzero(good)
    first = np.concatenate(([True], group[cand][1:] != group[cand][:-1]))
    out[group[cand[first]]] = cand[first]
    return out


def _argmin_reduceat(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Offset (within each group) of the minimum of ``values``; groups are contiguous."""
    mins = np.minimum.reduceat(values, starts)
    group = np.repeat(np.arange(len(starts)), counts)
    hit = values == mins[group]
    hit_idx = np.flatnonzero(hit)
    first = np.full(len(starts), -1)
    # first hit per group
    g = group[hit_idx]
    uniq, pos = np.unique(g, return_index=True)
    first[uniq] = hit_idx[pos] - starts[uniq]
    first[first < 0] = 0
    return first


def _unique_three(S: np.ndarray, t: np.ndarray, c: float, z_src: float, max_range_m: float) -> bool:
    """Three sensors: accept only if exactly one physically valid source within range fits.

    Scans the emission time: for each t0 the two range-difference equations pin a
    point; count well-separated solutions with consistent ranges.
    """
    if len(t) != 3:
        return len(t) > 3
    sols = _three_sensor_solutions(S, t, c, z_src)
    center = S[:, :2].mean(axis=0)
    valid = [s for s in sols if np.hypot(*(s[:2] - center)) <= max_range_m]
    return len(valid) == 1


def _three_sensor_solutions(S: np.ndarray, t: np.ndarray, c: float, z_src: float) -> list[np.ndarray]:
    """Exact (x, y, t0) roots for three arrivals with the source at height ``z_src``.

    The two differenced range equations are linear in (x, y) given t0, so x(t0), y(t0)
    are affine; substituting into the first range equation leaves a quadratic in t0.
    """
    s0 = S[0]
    A = np.array([[-2 * (S[1, 0] - s0[0]), -2 * (S[1, 1] - s0[1])],
                  [-2 * (S[2, 0] - s0[0]), -2 * (S[2, 1] - s0[1])]])
    if abs(np.linalg.det(A)) < 1e-6:
        return []
    c2 = c * c

    def rhs(t0: float) -> np.ndarray:
        out = []
        for i in (1, 2):
            dz = (z_src - S[i, 2]) ** 2 - (z_src - s0[2]) ** 2
            out.append(c2 * (t[i] ** 2 - t[0] ** 2) - 2 * c2 * t0 * (t[i] - t[0])
                       - (S[i, 0] ** 2 + S[i, 1] ** 2 - s0[0] ** 2 - s0[1] ** 2) - dz)
        return np.array(out)

    Ainv = np.linalg.inv(A)
    p0 = Ainv @ rhs(0.0)
    p1 = Ainv @ rhs(1.0) - p0  # x(t0) = p0 + p1·t0
    # |p(t0) − s0|² + (z − s0z)² = c²(t_0 − t0)²
    q = p0 - s0[:2]
    a = p1 @ p1 - c2
    b = 2 * q @ p1 + 2 * c2 * t[0]
    cc = q @ q + (z_src - s0[2]) ** 2 - c2 * t[0] ** 2
    disc = b * b - 4 * a * cc
    if disc < 0 or abs(a) < 1e-12:
        return []
    roots = [(-b + s * np.sqrt(disc)) / (2 * a) for s in (1.0, -1.0)]
    out = []
    for t0 in roots:
        if t0 <= t.min() + 1e-9:
            xy = p0 + p1 * t0
            out.append(np.array([xy[0], xy[1], t0]))
    if len(out) == 2 and np.hypot(*(out[0][:2] - out[1][:2])) < 1.0:
        out = out[:1]
    return out
