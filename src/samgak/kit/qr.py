"""QR codes as SVG (segno: pure Python, no dependencies) — a checkout link, a store's referral."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str) -> bytes:
    """``text`` as a QR code (error correction M), SVG without the XML declaration."""
    image = io.BytesIO()
    segno.make(text, error="m").save(image, kind="svg", scale=4, border=2, dark="#1d2433", xmldecl=False)
    return image.getvalue()
