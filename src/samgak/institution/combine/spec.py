"""A member's data spec: what one pseudonymized export holds (가명정보 결합 신청의 결합 대상 정보).

Declarative, in TOML (``specs/*.toml`` ship with samgak; a member writes its own)::

    name = "kt-marketing"
    org_code = "KTTC000030"
    purpose = "통계작성: …"          # the statistical purpose the combination is for (PIPC 고시)

    [[attributes]]
    name = "age"                      # the column in the export
    fact = "age"                      # from the member's fact catalogue (``facts.FACTS``)
    role = "quasi"                    # quasi | sensitive | insensitive
    hierarchy = { interval = [5, 10, 20] }

Direct identifiers (name, phone, CI, account and card numbers) are not facts at all: a spec can
only choose what the catalogue offers. ``hierarchy`` is how the release review may generalize a
quasi-identifier: ``interval`` widths (numbers), ``map`` levels (value → group, one table per
level) or ``{}`` (kept or suppressed); each ends in ``*``. It travels in the manifest to the agency.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samgak.institution.combine.facts import FACTS

SPECS = Path(__file__).parent / "specs"
ROLES = ("quasi", "sensitive", "insensitive")


class SpecError(ValueError):
    """The data spec cannot be used; the message says which line of it to mend."""


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    fact: str
    role: str
    hierarchy: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DataSpec:
    name: str
    org_code: str
    purpose: str
    attributes: tuple[Attribute, ...]

    @classmethod
    def load(cls, name_or_path: str) -> DataSpec:
        """A shipped spec by name (``kt-marketing``) or a TOML file by path."""
        path = Path(name_or_path)
        if not path.suffix:
            path = SPECS / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in SPECS.glob("*.toml")))
            raise SpecError(f"no data spec {name_or_path!r} (shipped: {known})")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path.name}: {exc}") from exc
        return cls.parse(raw)

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> DataSpec:
        for key in ("name", "org_code", "purpose", "attributes"):
            if not raw.get(key):
                raise SpecError(f"the spec needs {key!r}")
        attributes = []
        for item in raw["attributes"]:
            name, fact, role = item.get("name", ""), item.get("fact", ""), item.get("role", "")
            if not name.isidentifier() or name == "join_key":
                raise SpecError(f"attribute name {name!r}: letters, digits and _ only (not join_key)")
            if fact not in FACTS:
                raise SpecError(f"{name}: unknown fact {fact!r} (known: {', '.join(sorted(FACTS))})")
            if role not in ROLES:
                raise SpecError(f"{name}: role must be one of {', '.join(ROLES)}")
            hierarchy = item.get("hierarchy", {})
            if not isinstance(hierarchy, dict) or set(hierarchy) - {"interval", "map"}:
                raise SpecError(f"{name}: hierarchy is {{ interval = [...] }}, {{ map = [...] }} or {{}}")
            attributes.append(Attribute(name, fact, role, hierarchy))
        if len({a.name for a in attributes}) != len(attributes):
            raise SpecError("attribute names must differ")
        if sum(a.role == "sensitive" for a in attributes) > 1:
            raise SpecError("at most one sensitive attribute per spec")
        return cls(raw["name"], raw["org_code"], raw["purpose"], tuple(attributes))
