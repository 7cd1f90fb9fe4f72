"""Charts as standalone SVG (no plotting library): what a staff page shows inline and a report
downloads. Labels are escaped; numbers are drawn with thousands separators."""

from __future__ import annotations

from html import escape


def bars(points: list[tuple[str, int]], *, title: str, unit: str = "", color: str = "#3a6ea5") -> str:
    """A horizontal bar chart, one bar per ``(label, value)``."""
    row, left, width = 26, 150, 560
    height = 40 + row * len(points)
    top = max((value for _, value in points), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'font-family="Pretendard, Noto Sans KR, sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-weight="700">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(points):
        y = 32 + index * row
        length = round((width - left - 90) * value / top)
        parts += [
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{left}" y="{y + 3}" width="{max(length, 1)}" height="{row - 8}" fill="{color}" rx="3"/>',
            f'<text x="{left + length + 6}" y="{y + 15}">{value:,}{escape(unit)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)
