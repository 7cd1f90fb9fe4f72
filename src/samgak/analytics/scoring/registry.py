"""Versioned models: each trained model is a directory ``<models_dir>/<name>/<version>/`` with the
fitted objects (``model.pkl``: the scorecard and its challenger) and its **model card**
(``card.json``: what it is for, the data it was trained on — rows, bad rate and a SHA-256
fingerprint of the training frame — its features, figures and limits). The version is the
training day and the fingerprint's first characters, so the same data give the same version.
Only files this module wrote are loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from samgak.analytics.scoring.model import Scorecard


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the training frame's values and column names, row order included."""
    digest = hashlib.sha256(",".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass
class Model:
    name: str
    version: str
    scorecard: Scorecard
    challenger: HistGradientBoostingClassifier
    card: dict[str, Any]


def save(root: Path, model: Model) -> Path:
    folder = root / model.name / model.version
    staging = folder.with_name(f".{model.version}")
    staging.mkdir(parents=True, exist_ok=True)
    with (staging / "model.pkl").open("wb") as handle:
        pickle.dump({"scorecard": model.scorecard, "challenger": model.challenger}, handle)
    (staging / "card.json").write_text(json.dumps(model.card, ensure_ascii=False, indent=2), encoding="utf-8")
    if folder.exists():  # the same data trained again: the same version
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    os.replace(staging, folder)
    return folder


def versions(root: Path, name: str) -> list[str]:
    folder = root / name
    return sorted(p.name for p in folder.iterdir() if (p / "card.json").exists()) if folder.is_dir() else []


def load(root: Path, name: str, version: str | None = None) -> Model | None:
    """A stored model: the given version, or the newest; None when none was trained."""
    found = versions(root, name)
    if not found or (version is not None and version not in found):
        return None
    chosen = version or max(
        found, key=lambda v: json.loads((root / name / v / "card.json").read_text("utf-8"))["trained_at"]
    )
    folder = root / name / chosen
    with (folder / "model.pkl").open("rb") as handle:
        objects = pickle.load(handle)
    card = json.loads((folder / "card.json").read_text("utf-8"))
    return Model(name, chosen, objects["scorecard"], objects["challenger"], card)


def new_version(frame: pd.DataFrame) -> tuple[str, str]:
    """``(version, fingerprint)`` of a model trained now on ``frame``."""
    digest = fingerprint(frame)
    return f"{datetime.now(UTC):%Y%m%d}-{digest[:8]}", digest
