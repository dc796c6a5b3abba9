"""Data figures: a grouped horizontal bar chart from the YAML data. On a page it is inline SVG (set in
the page's fonts), in two layouts: labels beside the bars for a text column and labels above the
bars for a phone. In print it is HTML (`bar_rows`): WeasyPrint draws SVG text one letter at a time,
unshaped and left to right, which took an Arabic label apart."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape as _escape

from babel.numbers import format_decimal, format_percent

# Okabe and Ito's colour-blind-safe palette, the five colours with at least 3:1 contrast on white
# (WCAG 1.4.11): blue, vermillion, bluish green, reddish purple, black. A series keeps its colour
# in every group; a chart with more series than colours repeats them.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000")
FONT = "'Source Sans 3', 'Script Sans', sans-serif"  # the page's faces (the SVG is the web's; the PDF's chart is HTML)


@dataclass
class ChartBar:
    label: str
    value: float


@dataclass
class ChartGroup:
    label: str
    bars: list[ChartBar]


@dataclass(frozen=True)
class Layout:
    """Sizes in SVG units; a text column shows the chart at about its width, so units are pixels."""

    width: int
    font: int  # label size
    label_w: int  # room for labels beside the bars (0: labels go above the bars)
    bar_h: int = 20
    gap: int = 8
    group_gap: int = 16
    value_w: int = 58  # room for the value after the longest bar


WIDE = Layout(width=640, font=13, label_w=210)
NARROW = Layout(width=340, font=14, label_w=0, bar_h=16, gap=6)


def escape(text: str) -> str:
    """&, < and > as entities (what SVG text needs; html.escape without quotes: xml.sax.saxutils would
    import urllib and http.client, 15 ms of every build)."""
    return _escape(text, quote=False)


def format_value(value: float, unit: str, locale: str) -> str:
    """A figure formatted for the locale, e.g. 49.1% (en, es_MX), 49,1 % (es_ES)."""
    if unit == "percent":
        return format_percent(Decimal(str(value)) / 100, locale=locale, decimal_quantization=False)
    return format_decimal(Decimal(str(value)), locale=locale)


def _scale_max(groups: list[ChartGroup], unit: str) -> float:
    """The value a full-length bar stands for: 100 for percentages (or the largest, above 100), else
    the largest value and 5%; never 0 (a chart of zeros draws hairlines)."""
    largest = max((b.value for g in groups for b in g.bars), default=0.0)
    if unit == "percent":
        return max(100.0, largest)
    return largest * 1.05 if largest > 0 else 1.0


def series_colours(groups: list[ChartGroup]) -> dict[str, str]:
    """One colour per series (bar label), in order of first appearance."""
    colours: dict[str, str] = {}
    for g in groups:
        for b in g.bars:
            colours.setdefault(b.label, PALETTE[len(colours) % len(PALETTE)])
    return colours


def _bars(groups: list[ChartGroup], unit: str, locale: str, lay: Layout, rtl: bool) -> tuple[list[str], int]:
    """The groups' texts, bars and axes, laid out left to right; mirrored (bars growing leftwards
    from labels on the right) for a language written right to left."""
    scale_max = _scale_max(groups, unit)
    colours = series_colours(groups)
    plot_w = lay.width - lay.label_w - lay.value_w
    line = lay.font + 5

    def text(x: float, y: float, body: str, anchor: str = "start", weight: str = "") -> str:
        if rtl:
            x, anchor = lay.width - x, {"start": "end", "end": "start"}[anchor]
        return (f'<text x="{x:.1f}" y="{y:.1f}"' + (f' text-anchor="{anchor}"' if anchor != "start" else "")
                + (f' font-weight="{weight}"' if weight else "") + f">{escape(body)}</text>")

    def left(x: float, w: float = 0.0) -> float:
        return lay.width - x - w if rtl else x

    parts, y = [], 0
    for g in groups:
        parts.append(text(0, y + lay.font, g.label, weight="700"))
        y += line + 4
        top = y
        for b in g.bars:
            if not lay.label_w:  # the label on a line of its own, above its bar
                parts.append(text(0, y + lay.font, b.label))
                y += line
            w = max(1.0, plot_w * b.value / scale_max)
            base = y + lay.bar_h / 2 + lay.font * 0.35
            if lay.label_w:
                parts.append(text(lay.label_w - 8, base, b.label, "end"))
            parts.append(f'<rect x="{left(lay.label_w, w):.1f}" y="{y}" width="{w:.1f}" height="{lay.bar_h}" '
                         f'fill="{colours[b.label]}"/>' + text(lay.label_w + w + 6, base, format_value(b.value, unit, locale),
                                                                weight="600"))
            y += lay.bar_h + lay.gap
        # the axis spans the bars only, so it never crosses the group's label
        axis = left(lay.label_w)
        parts.append(f'<line x1="{axis:.1f}" y1="{top - 3}" x2="{axis:.1f}" y2="{y - lay.gap + 3}" stroke="#444" stroke-width="1"/>')
        y += lay.group_gap
    return parts, y - lay.group_gap + 4


def bar_chart(desc: str, groups: list[ChartGroup], unit: str, locale: str, ident: str, narrow: bool = False,
              rtl: bool = False) -> str:
    """An accessible inline SVG: role=img named by its <title>, the figure's text alternative (the
    figure's caption gives its title, so the chart does not repeat it); every value printed beside
    its bar."""
    lay = NARROW if narrow else WIDE
    parts, height = _bars(groups, unit, locale, lay, rtl)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {lay.width} {height}" width="{lay.width}" '
        f'height="{height}" role="img" aria-labelledby="{ident}-t" class="chart-{"narrow" if narrow else "wide"}" '
        f'font-family="{FONT}" font-size="{lay.font}" fill="#1a1a1a">'
        f'<title id="{ident}-t">{escape(desc)}</title>' + "".join(parts) + "</svg>"
    )


PRINT_PLOT = 82.0  # % of a bar's cell (the column beside the labels) for the largest bar; its value follows


def bar_rows(groups: list[ChartGroup], unit: str, locale: str) -> str:
    """The chart for print, as HTML laid out like the rest of the text: a table per group, its title
    the caption, a row per bar with its label as the row's header and, in the cell beside it, the bar
    (a box as wide as its share of the scale) and its value. The page's direction mirrors it. In the
    PDF the chart is a tagged data table, which a screen reader reads as such (the web's SVG carries
    the figure's text alternative instead)."""
    scale_max = _scale_max(groups, unit)
    colours = series_colours(groups)
    out = ['<div class="bar-chart">']
    for g in groups:
        out.append(f'<table class="bars"><caption>{escape(g.label)}</caption><tbody>')
        for b in g.bars:
            share = min(PRINT_PLOT, max(0.3, PRINT_PLOT * b.value / scale_max))
            out.append(f'<tr><th scope="row">{escape(b.label)}</th><td>'
                       f'<span class="bar" style="width: {share:.1f}%; background: {colours[b.label]}"></span>'
                       f'<span class="bar-value">{escape(format_value(b.value, unit, locale))}</span></td></tr>')
        out.append("</tbody></table>")
    out.append("</div>")
    return "".join(out)
