"""Decode TopoJSON (the format ANCT publishes CTE perimeters in) into shapely geometries.

Arcs are shared between neighbours; a geometry lists arc indices, ``~i`` meaning arc ``i``
reversed. Quantized files store delta-encoded integers and a ``transform``.
"""

from __future__ import annotations

import json

import shapely


def _arcs(topology: dict) -> list[list[tuple[float, float]]]:
    transform = topology.get("transform")
    decoded = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for dx, dy, *_ in arc:
                x, y = x + dx, y + dy
                points.append((x * sx + tx, y * sy + ty))
        else:
            points = [(p[0], p[1]) for p in arc]
        decoded.append(points)
    return decoded


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points if not ring else points[1:])  # consecutive arcs share an end point
    return ring


def _geometry(geometry: dict, arcs) -> shapely.Geometry | None:
    kind = geometry.get("type")
    if kind == "Polygon":
        return shapely.Polygon(*_rings(geometry["arcs"], arcs))
    if kind == "MultiPolygon":
        return shapely.MultiPolygon([shapely.Polygon(*_rings(p, arcs)) for p in geometry["arcs"]])
    return None


def _rings(polygon: list[list[int]], arcs):
    exterior, *holes = (_ring(r, arcs) for r in polygon)
    return exterior, holes


def features(data: bytes) -> list[tuple[dict, shapely.Geometry | None]]:
    """(properties, geometry) of every geometry in every object of the topology."""
    topology = json.loads(data)
    if topology.get("type") != "Topology":
        raise ValueError("pas une topologie TopoJSON (type != Topology)")
    arcs = _arcs(topology)
    return [
        (g.get("properties") or {}, _geometry(g, arcs))
        for obj in topology["objects"].values()
        for g in (obj["geometries"] if obj.get("type") == "GeometryCollection" else [obj])
    ]
