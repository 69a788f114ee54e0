"""The location in words, as a dispatcher says it on the radio.

    "in front of 123 Alder St (near Alder St & 4th Ave)"
    "behind 140 Birch St (near Birch St & 5th Ave)"
    "across the street from 215 Cedar St (near …)"
    "on Harbor Blvd, 310 m NE of Tocsin Park"

The nearest address comes from a grid index; the street the address fronts gives the
front/back axis (the parcel, when known, decides which address a point belongs to);
cross streets come from the nearest intersection; far from any address, distance and
compass bearing from the nearest landmark are used instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.geo.index import PointIndex
from app.geo.layers import GisLayers
from app.geo.polygon import point_in_polygon
from localization.geometry import bearing_deg, compass_point

PIECE_M = 20.0          # street polylines are cut into pieces this long for indexing
AT_ADDRESS_M = 4.0      # closer than this to the address point: "at"


@dataclass(frozen=True, slots=True)
class LocationDescription:
    text: str
    relation: str | None            # at | in front of | behind | beside | across the street from | None (far)
    address: str | None
    address_distance_m: float | None
    street: str | None              # nearest street
    street_distance_m: float | None
    cross_streets: tuple[str, str] | None
    landmark: str | None = None
    landmark_distance_m: float | None = None
    landmark_bearing: str | None = None


class AddressLocator:
    def __init__(self, layers: GisLayers, *, far_m: float = 80.0, cross_street_m: float = 400.0) -> None:
        self.layers = layers
        self.far_m = far_m
        self.cross_street_m = cross_street_m
        self.addr_index = PointIndex(layers.addr_x, layers.addr_y)
        self._build_streets()
        self._build_parcels()
        self._build_intersections()

    # ------------------------------------------------------------------ build
    def _build_streets(self) -> None:
        ax, ay, bx, by, name = [], [], [], [], []
        self.street_names: list[str] = []
        ids = {}
        for nm, line in self.layers.streets:
            sid = ids.setdefault(nm, len(ids))
            for (x0, y0), (x1, y1) in zip(line[:-1], line[1:]):
                n = max(1, int(math.ceil(math.hypot(x1 - x0, y1 - y0) / PIECE_M)))
                t = np.linspace(0.0, 1.0, n + 1)
                px, py = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
                ax += list(px[:-1]); ay += list(py[:-1]); bx += list(px[1:]); by += list(py[1:])
                name += [sid] * n
        self.street_names = [None] * len(ids)  # type: ignore[list-item]
        for nm, sid in ids.items():
            self.street_names[sid] = nm
        self.seg = np.array([ax, ay, bx, by], dtype=float).T.reshape(-1, 4)
        self.seg_street = np.asarray(name, dtype=np.int64)
        mid_x = (self.seg[:, 0] + self.seg[:, 2]) / 2
        mid_y = (self.seg[:, 1] + self.seg[:, 3]) / 2
        self.seg_index = PointIndex(mid_x, mid_y, cell_m=PIECE_M * 2)
        self.seg_half = np.hypot(self.seg[:, 2] - self.seg[:, 0], self.seg[:, 3] - self.seg[:, 1]) / 2 + 1e-9

    def _build_parcels(self) -> None:
        parcels = self.layers.parcels
        if not parcels:
            self.parcel_index = None
            return
        cx = np.array([r[:, 0].mean() for _, r in parcels])
        cy = np.array([r[:, 1].mean() for _, r in parcels])
        self.parcel_radius = max(float(np.max(np.hypot(r[:, 0] - r[:, 0].mean(), r[:, 1] - r[:, 1].mean())))
                                 for _, r in parcels)
        self.parcel_index = PointIndex(cx, cy)
        # parcels without an address link get the address point they contain
        fixed = []
        for ai, ring in parcels:
            if ai < 0:
                for k in self.addr_index.within(float(ring[:, 0].mean()), float(ring[:, 1].mean()), self.parcel_radius):
                    if point_in_polygon(self.layers.addr_x[k], self.layers.addr_y[k], ring):
                        ai = int(k)
                        break
            fixed.append((ai, ring))
        self.layers.parcels = fixed

    def _build_intersections(self) -> None:
        """Where two differently named streets cross or meet (within 1 m), whether or not the
        centreline data shares a vertex there.  Nearby hits are merged to one point."""
        pts: dict[tuple[int, int], set[int]] = {}
        seg, sid = self.seg, self.seg_street
        reach = 2 * float(self.seg_half.max()) + 1.0
        mids_x, mids_y = self.seg_index.x, self.seg_index.y
        for i in range(len(seg)):
            cand = self.seg_index.within(float(mids_x[i]), float(mids_y[i]), reach)
            cand = cand[(cand > i) & (sid[cand] != sid[i])]
            if not cand.size:
                continue
            hit, hx, hy = _segments_meet(seg[i], seg[cand])
            for k in np.nonzero(hit)[0]:
                key = (int(round(hx[k] / 5.0)), int(round(hy[k] / 5.0)))   # merge within ~5 m
                pts.setdefault(key, set()).update((int(sid[i]), int(sid[cand[k]])))
        items = list(pts.items())
        self.inter_names = [tuple(sorted(s)) for _, s in items]
        self.inter_index = PointIndex([k[0] * 5.0 for k, _ in items], [k[1] * 5.0 for k, _ in items])

    # ---------------------------------------------------------------- queries
    def nearest_address(self, x: float, y: float) -> tuple[int, float]:
        return self.addr_index.nearest(x, y)

    def nearest_street(self, x: float, y: float, *, street_id: int | None = None,
                       max_m: float = 2000.0) -> tuple[int, float, float, float]:
        """(segment index, distance_m, foot_x, foot_y) of the nearest street piece (of one street if given)."""
        radius = PIECE_M * 2
        while radius <= max_m * 2:
            cand = self.seg_index.within(x, y, radius)
            if street_id is not None and cand.size:
                cand = cand[self.seg_street[cand] == street_id]
            if cand.size:
                s = self.seg[cand]
                d, fx, fy = _point_segment(x, y, s)
                k = int(d.argmin())
                # every piece with a point closer than d has its midpoint within d + half length
                if d[k] + self.seg_half.max() <= radius:
                    return int(cand[k]), float(d[k]), float(fx[k]), float(fy[k])
            radius *= 2
        return -1, math.inf, math.nan, math.nan

    def parcel_at(self, x: float, y: float) -> int:
        """Index of the address whose parcel contains the point, or -1."""
        if self.parcel_index is None:
            return -1
        for k in self.parcel_index.within(x, y, self.parcel_radius):
            ai, ring = self.layers.parcels[int(k)]
            if ai >= 0 and point_in_polygon(x, y, ring):
                return ai
        return -1

    def cross_streets(self, x: float, y: float, street_id: int | None = None) -> tuple[str, str] | None:
        cand = self.inter_index.within(x, y, self.cross_street_m)
        if not cand.size:
            return None
        d = np.hypot(self.inter_index.x[cand] - x, self.inter_index.y[cand] - y)
        for k in cand[np.argsort(d)]:
            sids = self.inter_names[int(k)]
            if street_id is None or street_id in sids:
                first = street_id if street_id is not None else sids[0]
                other = next(s for s in sids if s != first)
                return self.street_names[first], self.street_names[other]
        return None

    def describe(self, x: float, y: float) -> LocationDescription:
        """The location of (x, y) local metres in words."""
        seg, sd, _, _ = self.nearest_street(x, y) if len(self.seg) else (-1, math.inf, 0, 0)
        street_id = int(self.seg_street[seg]) if seg >= 0 else None
        street = self.street_names[street_id] if street_id is not None else None
        ai = self.parcel_at(x, y)
        ad = math.hypot(self.layers.addr_x[ai] - x, self.layers.addr_y[ai] - y) if ai >= 0 else None
        if ai < 0:
            ai, ad = self.nearest_address(x, y)
        if ai < 0 or ad > self.far_m:
            return self._far(x, y, street, sd, street_id)
        label = self.layers.label(ai)
        relation = self._relation(x, y, ai)
        addr_street_id = self._street_id(self.layers.addr_street[ai])
        cross = self.cross_streets(x, y, addr_street_id if addr_street_id is not None else street_id)
        text = f"{relation} {label}"
        if cross:
            text += f" (near {cross[0]} & {cross[1]})"
        return LocationDescription(text, relation, label, ad, street, sd if street else None, cross)

    def _street_id(self, name: str) -> int | None:
        try:
            return self.street_names.index(name)
        except ValueError:
            return None

    def _relation(self, x: float, y: float, ai: int) -> str:
        axp, ayp = float(self.layers.addr_x[ai]), float(self.layers.addr_y[ai])
        if math.hypot(x - axp, y - ayp) <= AT_ADDRESS_M:
            return "at"
        sid = self._street_id(self.layers.addr_street[ai])
        seg, _, fx, fy = self.nearest_street(axp, ayp, street_id=sid) if sid is not None else (-1, 0, 0, 0)
        if seg < 0:
            return "near"
        x0, y0, x1, y1 = self.seg[seg]
        t = np.array([x1 - x0, y1 - y0])
        t /= np.linalg.norm(t)
        n = np.array([axp - fx, ayp - fy])
        if np.linalg.norm(n) < 1e-6:
            return "near"
        n /= np.linalg.norm(n)                      # from the street towards the address
        depth_addr = float(np.dot([axp - x0, ayp - y0], n))
        depth_q = float(np.dot([x - x0, y - y0], n))
        if depth_q < -3.0:                          # the far side of the address's street
            return "across the street from"
        along = float(np.dot([x - axp, y - ayp], t))
        deeper = depth_q - depth_addr
        if abs(deeper) >= abs(along):
            return "behind" if deeper > 0 else "in front of"
        return "beside"

    def _far(self, x, y, street, sd, street_id) -> LocationDescription:
        cross = self.cross_streets(x, y, street_id) if street_id is not None and sd <= 30 else None
        lm = None
        if self.layers.landmarks:
            d = [math.hypot(lx - x, ly - y) for _, lx, ly in self.layers.landmarks]
            k = int(np.argmin(d))
            name, lx, ly = self.layers.landmarks[k]
            comp = compass_point(float(bearing_deg(x - lx, y - ly)))
            lm = (name, d[k], comp)
        parts = []
        if street and sd <= 30:
            parts.append(f"on {street}")
        if lm:
            parts.append(f"{_round_m(lm[1])} m {lm[2]} of {lm[0]}")
        elif cross:
            parts.append(f"near {cross[0]} & {cross[1]}")
        if not parts:
            parts.append("no address nearby")
        return LocationDescription(", ".join(parts), None, None, None, street, sd if street else None, cross,
                                   *(lm if lm else (None, None, None)))


def _round_m(d: float) -> int:
    return int(round(d / 10.0) * 10) if d >= 100 else int(round(d))


def _point_segment(px: float, py: float, s: np.ndarray):
    ax, ay, bx, by = s[:, 0], s[:, 1], s[:, 2], s[:, 3]
    vx, vy = bx - ax, by - ay
    L2 = vx * vx + vy * vy
    t = np.clip(((px - ax) * vx + (py - ay) * vy) / np.where(L2 > 0, L2, 1.0), 0.0, 1.0)
    fx, fy = ax + t * vx, ay + t * vy
    return np.hypot(px - fx, py - fy), fx, fy


def _segments_meet(a: np.ndarray, b: np.ndarray, tol_m: float = 1.0):
    """Whether segment ``a`` (4,) crosses or touches (within ``tol_m``) each of ``b`` (n, 4);
    returns (hit, x, y) with the meeting point."""
    p = a[:2]
    r = a[2:] - a[:2]
    q = b[:, :2]
    s = b[:, 2:] - b[:, :2]
    rxs = r[0] * s[:, 1] - r[1] * s[:, 0]
    qp = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[:, 0] * s[:, 1] - qp[:, 1] * s[:, 0]) / rxs
        u = (qp[:, 0] * r[1] - qp[:, 1] * r[0]) / rxs
    la, lb = np.hypot(*r), np.hypot(s[:, 0], s[:, 1])
    ta, tb = tol_m / max(la, 1e-9), tol_m / np.maximum(lb, 1e-9)
    hit = (np.abs(rxs) > 1e-12) & (t >= -ta) & (t <= 1 + ta) & (u >= -tb) & (u <= 1 + tb)
    x = p[0] + np.where(hit, t, 0) * r[0]
    y = p[1] + np.where(hit, t, 0) * r[1]
    return hit, x, y
