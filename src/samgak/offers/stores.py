"""KT's retail stores (about 2,500, the alliance's article): a deterministic directory for the
demo — each store a code (``KT`` + four digits), a name and a region (시·도)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

REGIONS = (
    ("서울", 520),
    ("경기", 610),
    ("인천", 140),
    ("부산", 170),
    ("대구", 120),
    ("광주", 70),
    ("대전", 75),
    ("울산", 55),
    ("세종", 20),
    ("강원", 80),
    ("충북", 80),
    ("충남", 100),
    ("전북", 85),
    ("전남", 85),
    ("경북", 120),
    ("경남", 140),
    ("제주", 30),
)  # stores per region, 2,500 in all
PLACES = ("역점", "시장점", "중앙점", "터미널점", "대학로점", "사거리점", "신도시점", "본점")


@dataclass(frozen=True, slots=True)
class Store:
    code: str
    name: str
    region: str


@cache
def directory() -> dict[str, Store]:
    """Every store by code (the same list on every machine)."""
    rng = random.Random(20200820)
    stores: dict[str, Store] = {}
    number = 0
    for region, count in REGIONS:
        for n in range(count):
            number += 1
            code = f"KT{number:04d}"
            stores[code] = Store(code, f"KT {region}{rng.choice(PLACES)} {n + 1}호", region)
    return stores


def store(code: str) -> Store | None:
    return directory().get(code.upper())
