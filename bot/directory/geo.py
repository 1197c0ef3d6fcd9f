"""Location pin -> nearby wards, from ward centroids (no polygons are shipped).

Measured on 9,564 pre-2025 ward centroids whose whole ward moved into one new ward
(build_data.py --evaluate): the nearest ward centroid gives the right province ~99% of the
time (the nearest province centroid only ~79%), and ranking by distance / sqrt(ward radius)
finds the right ward first slightly more often than plain distance, because big rural wards
have far-away centroids.
"""

from __future__ import annotations

import math

from .data import Directory, Point
from .models import Candidate

EARTH_KM = 6371.0
MAX_KM = 60.0  # farther than this from every ward centre: not in Viet Nam (or out at sea)


def _km(lat: float, lon: float, p: Point) -> float:
    # Equirectangular is accurate to <0.5% at ward scale and ~5x cheaper than haversine.
    x = (p.lon - lon) * math.cos((lat + p.lat) / 2)
    return EARTH_KM * math.hypot(x, p.lat - lat)


def nearest(
    d: Directory, lat: float, lon: float, province_code: int | None = None, limit: int = 3
) -> list[Candidate]:
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return []
    rlat, rlon = math.radians(lat), math.radians(lon)
    dists = {code: _km(rlat, rlon, p) for code, p in d.points.items()}
    if not dists:
        return []
    closest = min(dists, key=dists.__getitem__)
    if dists[closest] > MAX_KM:
        return []
    if province_code is None:
        province_code = d.units[closest].province_code
    ranked = []
    for unit in d.wards_by_province.get(province_code, ()):
        if unit.code in dists:
            km = dists[unit.code]
            ranked.append((km / math.sqrt(d.points[unit.code].radius_km), km, unit))
    ranked.sort(key=lambda r: (r[0], r[2].code))
    return [
        Candidate(unit, round(100.0 / (1.0 + metric), 2), f"nearest: {km:.1f} km", round(km, 2))
        for metric, km, unit in ranked[:limit]
    ]
