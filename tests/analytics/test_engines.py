"""The agency's Ibis code gives the same linkage and the same release on DuckDB and on Spark
(local mode), on two members' exports written as members write them."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from samgak.analytics import agency
from samgak.analytics.errors import AnalyticsError
from samgak.analytics.review import Criteria, evaluate
from samgak.config import AnalyticsSettings, Settings
from samgak.institution.combine import DataSpec
from samgak.kit.crypto import file_digest

SHARED, ONLY_KT, ONLY_BC = 400, 60, 40


def _write(inbox: Path, export_id: str, spec: DataSpec, columns: dict[str, list[object]]) -> None:
    folder = inbox / export_id
    folder.mkdir(parents=True)
    pq.write_table(pa.table(columns), folder / "data.parquet")
    manifest = {
        "export_id": export_id,
        "org_code": spec.org_code,
        "org_name": spec.name,
        "spec": spec.name,
        "purpose": spec.purpose,
        "created_at": "2026-11-30T00:00:00+00:00",
        "rows": len(columns["join_key"]),
        "key_id": "k1",
        "sha256": file_digest(folder / "data.parquet"),
        "columns": [{"name": a.name, "role": a.role, "hierarchy": a.hierarchy} for a in spec.attributes],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    rng = random.Random(7)
    settings = Settings(analytics=AnalyticsSettings(data_dir=str(tmp_path_factory.mktemp("combine"))))
    inbox = agency.inbox(settings)
    keys = [hashlib.sha256(f"person-{i}".encode()).hexdigest() for i in range(SHARED + ONLY_KT + ONLY_BC)]
    kt_keys = sorted(keys[: SHARED + ONLY_KT] + keys[:3])  # three keys twice: dropped from the link
    bc_keys = sorted(keys[:SHARED] + keys[SHARED + ONLY_KT :])
    provinces = ["서울", "경기", "부산", "전남", "강원", "제주", "대전"]
    _write(
        inbox,
        "KTTC000030-kt-marketing-1",
        DataSpec.load("kt-marketing"),
        {
            "join_key": kt_keys,
            "age": [rng.randint(19, 86) for _ in kt_keys],
            "sex": [rng.choice("MF") for _ in kt_keys],
            "region": [rng.choice(provinces) for _ in kt_keys],
            "telecom_bill": [rng.randint(20, 120) * 1000 for _ in kt_keys],
            "telecom_pay": [rng.choice(["자동납부", "지로", "미납", None]) for _ in kt_keys],
            "micro_payments": [rng.randint(0, 9) for _ in kt_keys],
        },
    )
    _write(
        inbox,
        "BCCD000031-bc-card-marketing-1",
        DataSpec.load("bc-card-marketing"),
        {
            "join_key": bc_keys,
            "card_spend": [rng.randint(0, 30) * 100_000 for _ in bc_keys],
            "card_count": [rng.randint(1, 3) for _ in bc_keys],
        },
    )
    return settings


def _run(settings: Settings, engine: str) -> tuple[agency.Linked, dict[str, object]]:
    linked = agency.link(settings, ["KTTC000030-kt-marketing-1", "BCCD000031-bc-card-marketing-1"], engine)
    result = evaluate(
        settings, linked.combination_id, Criteria(k=5, suppression=0.02, min_l=2), engine, f"R{engine}"
    )
    return linked, result


def test_duckdb_links_numbers_and_reviews(exported: Settings) -> None:
    linked, result = _run(exported, "duckdb")
    kt = linked.report["exports"][0]
    assert (
        linked.report["linked"] == SHARED - 3
        and kt["duplicate_keys"] == 3
        and kt["rows"] == SHARED + ONLY_KT + 3
    )
    folder = agency.combination_dir(exported, linked.combination_id)
    combined = pq.read_table(folder / "combined.parquet").to_pydict()
    assert "join_key" not in combined and sorted(combined["serial"]) == list(range(1, SHARED - 2))
    assert result["satisfied"] and result["k"] >= 5 and result["l"] >= 2
    assert result["suppressed"] <= 0.02 * result["records"]
    release = pq.read_table(
        Path(exported.analytics.data_dir) / "agency/reviews/Rduckdb/release.parquet"
    ).to_pydict()
    assert len(release["serial"]) == result["released"]


def test_a_tampered_export_is_refused(exported: Settings, tmp_path: Path) -> None:
    settings = Settings(analytics=AnalyticsSettings(data_dir=str(tmp_path)))
    shutil.copytree(agency.inbox(exported), agency.inbox(settings))
    data = agency.inbox(settings) / "BCCD000031-bc-card-marketing-1" / "data.parquet"
    data.write_bytes(data.read_bytes()[:-20] + b"\0" * 20)
    with pytest.raises(AnalyticsError, match="SHA-256"):
        agency.link(settings, ["KTTC000030-kt-marketing-1", "BCCD000031-bc-card-marketing-1"], "duckdb")


def test_spark_gives_what_duckdb_gives(exported: Settings) -> None:
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime (java not on PATH)")
    duck_linked, duck = _run(exported, "duckdb")
    spark_linked, spark = _run(exported, "spark")
    assert spark_linked.report["linked"] == duck_linked.report["linked"]
    assert spark_linked.report["exports"] == duck_linked.report["exports"]
    for figure in ("levels", "k", "l", "t", "released", "suppressed", "classes", "loss_bits"):
        assert spark[figure] == duck[figure], figure
