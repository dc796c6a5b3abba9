"""Data figures: a grouped horizontal bar chart drawn as SVG from the YAML data."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape as _escape

from babel.numbers import format_decimal, format_percent

WIDTH = 640
LABEL_W = 170
BAR_H = 22
GAP = 6
GROUP_GAP = 18
TITLE_H = 30
COLOURS = ("#1f5f8b", "#7aa6c2", "#c2571a")


@dataclass
class ChartBar:
    label: str
    value: float


@dataclass
class ChartGroup:
    label: str
    bars: list[ChartBar]


def escape(text: str) -> str:
    """&, < and > as entities (what SVG text needs; html.escape without quotes: xml.sax.saxutils would
    import urllib and http.client, 15 ms of every build)."""
    return _escape(text, quote=False)


def format_value(value: float, unit: str, locale: str) -> str:
    """A figure formatted for the locale, e.g. 49.1% (en), 49.1 % (es_MX), 49,1 % (es_ES)."""
    if unit == "percent":
        return format_percent(Decimal(str(value)) / 100, locale=locale, decimal_quantization=False)
    return format_decimal(Decimal(str(value)), locale=locale)


def bar_chart(title: str, desc: str, groups: list[ChartGroup], unit: str, locale: str, ident: str) -> str:
    """An accessible SVG (role=img with title and desc); every value printed beside its bar. Mirrored
    for a language written right to left: bars grow leftwards, labels on the right, each text laid
    out right to left (WeasyPrint reads the `direction` attribute of an SVG text, not CSS), where the
    text-anchor `start` is its right end."""
    from .fonts import direction

    rtl = direction(locale) == "rtl"

    def x(v: float, width: float = 0.0) -> str:  # a left edge, mirrored when right to left
        return f"{WIDTH - v - width if rtl else v:.1f}"

    def anchor(side: str) -> str:  # start and end follow the text's direction (SVG), so they stay
        return side

    text = 'direction="rtl" ' if rtl else ""
    scale_max = 100.0 if unit == "percent" else max((b.value for g in groups for b in g.bars), default=1) * 1.1
    plot_w = WIDTH - LABEL_W - 70
    y = TITLE_H
    parts = []
    for g in groups:
        parts.append(f'<text {text}class="group" x="{x(0)}" y="{y + 14}" text-anchor="{anchor("start")}">{escape(g.label)}</text>')
        y += 22
        top = y
        for i, b in enumerate(g.bars):
            w = max(1.0, plot_w * b.value / scale_max)
            colour = COLOURS[i % len(COLOURS)]
            parts.append(
                f'<text {text}class="label" x="{x(LABEL_W - 8)}" y="{y + BAR_H * 0.7:.1f}" text-anchor="{anchor("end")}">{escape(b.label)}</text>'
                f'<rect x="{x(LABEL_W, w)}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{colour}"/>'
                f'<text {text}class="value" x="{x(LABEL_W + w + 6)}" y="{y + BAR_H * 0.7:.1f}" text-anchor="{anchor("start")}">'
                f'{escape(format_value(b.value, unit, locale))}</text>'
            )
            y += BAR_H + GAP
        # the axis spans the bars only, so it never crosses the group's label
        parts.append(f'<line x1="{x(LABEL_W)}" y1="{top - 3}" x2="{x(LABEL_W)}" y2="{y - GAP + 3}" stroke="#444" stroke-width="1"/>')
        y += GROUP_GAP
    height = y
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" font-family="Source Sans 3, Script Sans, sans-serif" font-size="13">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        '<style>.group{font-weight:700;fill:#1a1a1a}.label{fill:#1a1a1a}.value{fill:#1a1a1a;font-weight:600}</style>'
        f'<text {text}class="group" x="{x(0)}" y="16" font-size="14" text-anchor="{anchor("start")}">{escape(title)}</text>'
        + "".join(parts) + "</svg>"
    )
