"""samgak (삼각) — the open-finance platform of a finance–telecom alliance."""

__version__ = "0.1.0"
