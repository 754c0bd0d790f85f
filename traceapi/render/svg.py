"""Draws a scene as a standalone SVG 1.1 document: columns of boxes, curved edges, a legend."""

from __future__ import annotations

import html
import re

from traceapi.render.scene import CATEGORY_FILL, MARKED_RANKS, Box, Link, Scene, share_fill

MARGIN = 24
BOX_W = 190
BOX_H = 38
ROW = 50
GAP = 96
PITCH = BOX_W + GAP
ID_CHARS = 24
LABEL_CHARS = 31
TITLE_CHARS = 110
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"

EDGE_LOOK = {
    "flow": ("#5f6368", "", "arrow-flow"),
    "via": ("#5f6368", "", "arrow-flow"),
    "back": ("#c0392b", "5,3", "arrow-back"),
    "onward": ("#2a6f97", "6,3", "arrow-onward"),
    "runs-on": ("#8c8c8c", "2,3", ""),
    "of": ("#b3a97a", "1,3", ""),
}
EDGE_LEGEND = {
    "flow": "material flow",
    "back": "flow to an earlier column (loop or onward delivery)",
    "onward": "customer ships onward",
    "runs-on": "step runs on equipment",
    "of": "lot of material",
}
SIGNIFICANT = "#c5221f"
CANDIDATE = "#3c4043"

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _span(values: list[int]) -> str:
    """``4`` or ``4–6`` for sorted values."""
    return str(values[0]) if len(values) == 1 else f"{values[0]}\u2013{values[-1]}"


def escape(text: object) -> str:
    """Text safe in XML content and in double-quoted attributes; characters XML cannot hold
    become U+FFFD."""
    return html.escape(_NOT_XML.sub("\ufffd", str(text)), quote=True)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(1, width - 1)] + "\u2026"


def draw(scene: Scene) -> str:
    """The SVG document of ``scene``."""
    columns = scene.columns
    rows = max(
        (
            len(ids) + (1 if hidden else 0)
            for ids, hidden in zip(columns.ids, columns.hidden, strict=True)
        ),
        default=0,
    )
    header = MARGIN + 22 + 20 + (18 if scene.note else 0)
    top = header + 30
    graph_width = max(0, len(columns.ids) * PITCH - GAP) + 48
    graph_bottom = top + rows * ROW + 40
    title = fit(scene.title, TITLE_CHARS)
    width = int(
        max(
            560,
            graph_width + 2 * MARGIN,
            len(title) * 10 + 2 * MARGIN,
            len(scene.subtitle) * 7 + 2 * MARGIN,
            len(scene.note or "") * 7 + 2 * MARGIN,
        )
    )
    where: dict[str, tuple[float, float]] = {}
    column_of: dict[str, int] = {}
    spans: list[tuple[float, int]] = []  # per column: top of its first box, boxes in it
    body: list[str] = []
    labels: list[str] = []
    for c, (ids, hidden) in enumerate(zip(columns.ids, columns.hidden, strict=True)):
        x = MARGIN + c * PITCH
        count = len(ids) + (1 if hidden else 0)
        y0 = top + (rows - count) * ROW / 2
        spans.append((y0, count))
        for row, node_id in enumerate(ids):
            where[node_id] = (x, y0 + row * ROW)
            column_of[node_id] = c
        depths = sorted({scene.boxes[i].depth for i in ids})
        if depths:
            heading = f"depth {_span(depths)}"
            tiers = sorted({scene.tiers[i] for i in ids if i in scene.tiers})
            if tiers:
                heading = f"tier {_span(tiers)} · {heading}"
            labels.append(
                _text(
                    x + BOX_W / 2,
                    top - 12,
                    heading,
                    size=11,
                    fill="#777777",
                    anchor="middle",
                )
            )
        body.extend(_box(scene.boxes[node_id], *where[node_id], column=c) for node_id in ids)
        if hidden:
            body.append(_more(hidden, x, y0 + len(ids) * ROW, column=c))
    styles_used: set[str] = set()
    edges: list[str] = []
    for link in scene.links:
        if link.source in where and link.target in where:
            style = _style(link, column_of)
            styles_used.add("flow" if style == "via" else style)
            c1, c2 = column_of[link.source], column_of[link.target]
            edges.append(
                _edge(
                    link,
                    style,
                    where[link.source],
                    where[link.target],
                    passes=[(c, *spans[c]) for c in _between(c1, c2)],
                )
            )
    legend, legend_height = _legend(scene, styles_used, top=graph_bottom, width=width)
    height = int(graph_bottom + legend_height + MARGIN)
    head = [
        _text(MARGIN, MARGIN + 16, title, size=17, weight="bold", fill="#202124"),
        _text(MARGIN, MARGIN + 38, scene.subtitle, size=12, fill="#3c4043"),
    ]
    if scene.note:
        head.append(_text(MARGIN, MARGIN + 56, scene.note, size=12, fill="#a50e0e"))
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}">',
        f"<title>{escape(scene.title)}</title>",
        f"<desc>{escape(scene.subtitle)}</desc>",
        _defs(),
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        *head,
        '<g class="columns">',
        *labels,
        "</g>",
        '<g class="edges" fill="none">',
        *edges,
        "</g>",
        '<g class="nodes">',
        *body,
        "</g>",
        '<g class="legend">',
        *legend,
        "</g>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _style(link: Link, column_of: dict[str, int]) -> str:
    if link.style in ("flow", "via") and column_of[link.target] <= column_of[link.source]:
        return "back"
    return link.style


def _defs() -> str:
    markers = []
    for name, colour in (
        ("arrow-flow", "#5f6368"),
        ("arrow-back", "#c0392b"),
        ("arrow-onward", "#2a6f97"),
    ):
        markers.append(
            f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>'
            "</marker>"
        )
    return "<defs>" + "".join(markers) + "</defs>"


def _box(box: Box, x: float, y: float, *, column: int) -> str:
    ink = _ink(box.fill)
    stroke, stroke_width, dash = (_darker(box.fill), 1.0, "")
    if box.seed:
        stroke, stroke_width = "#111111", 2.6
    elif box.significant:
        stroke, stroke_width = SIGNIFICANT, 3.0
    elif box.significant is not None and _marked(box):
        stroke, stroke_width, dash = CANDIDATE, 1.8, ' stroke-dasharray="5,3"'
    marks = ""
    badge = ""
    if box.rank is not None:
        marks = f' data-rank="{box.rank}" data-significant="{str(bool(box.significant)).lower()}"'
    if box.rank is not None and _marked(box):
        text = f"#{box.rank}"
        w = 8 + 7 * len(text)
        bx = x + BOX_W - w - 4
        badge = (
            f'<rect class="rank" x="{bx:g}" y="{y + 3:g}" width="{w}" height="15" rx="7" '
            f'fill="{SIGNIFICANT if box.significant else CANDIDATE}"/>'
            + _text(bx + w / 2, y + 14, text, size=10, fill="#ffffff", anchor="middle",
                    weight="bold")
        )  # fmt: skip
    return "".join(
        [
            f'<g class="node" data-id="{escape(box.id)}" data-kind="{escape(box.kind)}" '
            f'data-depth="{box.depth}" data-column="{column}"{marks}>',
            f"<title>{escape(box.tooltip)}</title>",
            f'<rect x="{x:g}" y="{y:g}" width="{BOX_W}" height="{BOX_H}" rx="5" ry="5" '
            f'fill="{box.fill}" stroke="{stroke}" stroke-width="{stroke_width:g}"{dash}/>',
            _text(x + 8, y + 15, fit(box.id, ID_CHARS), size=11.5, weight="bold", fill=ink),
            _text(x + 8, y + 30, fit(box.label, LABEL_CHARS), size=10, fill=ink),
            badge,
            "</g>",
        ]
    )


def _marked(box: Box) -> bool:
    """Whether a candidate's box shows its rank: significant, or among the first ranks."""
    return bool(box.significant) or (box.rank is not None and box.rank <= MARKED_RANKS)


def _more(hidden: int, x: float, y: float, *, column: int) -> str:
    return "".join(
        [
            f'<g class="more" data-more="{hidden}" data-column="{column}">',
            f'<rect x="{x:g}" y="{y:g}" width="{BOX_W}" height="{BOX_H}" rx="5" ry="5" '
            'fill="#f4f4f4" stroke="#9a9a9a" stroke-dasharray="4,3"/>',
            _text(
                x + BOX_W / 2,
                y + 24,
                f"+{hidden} more",
                size=12,
                fill="#444444",
                anchor="middle",
                weight="bold",
            ),
            "</g>",
        ]
    )


def _between(c1: int, c2: int) -> range:
    """Columns an edge from column ``c1`` to ``c2`` crosses, in travel order."""
    return range(c1 + 1, c2) if c2 > c1 else range(c1 - 1, c2, -1)


def _edge(
    link: Link,
    style: str,
    source: tuple[float, float],
    target: tuple[float, float],
    *,
    passes: list[tuple[int, float, int]],
) -> str:
    """A path between two boxes. Edges spanning columns cross each one in the gap between two
    boxes nearest their course, so they never run behind a box."""
    (sx, sy), (tx, ty) = source, target
    colour, dash, marker = EDGE_LOOK[style]
    opacity = 0.85
    if sx == tx:  # same column: a bracket on the right
        x1, y1, x2, y2 = sx + BOX_W, sy + BOX_H / 2, tx + BOX_W + 1, ty + BOX_H / 2
        bulge = 26 + min(abs(y2 - y1), 300) / 12
        d = f"M{x1:g},{y1:g} C{x1 + bulge:g},{y1:g} {x2 + bulge:g},{y2:g} {x2:g},{y2:g}"
    else:
        forward = tx > sx
        if forward:  # right side to left side, at mid-height
            x1, y1, x2, y2 = sx + BOX_W, sy + BOX_H / 2, tx - 1, ty + BOX_H / 2
        else:  # backwards: left side to right side, lower, to stand apart from the flow
            x1, y1, x2, y2 = sx, sy + BOX_H * 0.72, tx + BOX_W + 1, ty + BOX_H * 0.72
        points = [(x1, y1)]
        for column, y0, count in passes:
            left = MARGIN + column * PITCH
            course = y1 + (y2 - y1) * (left + BOX_W / 2 - x1) / (x2 - x1)
            slot = min(count, max(0, round((course - y0 + (ROW - BOX_H) / 2) / ROW)))
            gap_y = y0 + slot * ROW - (ROW - BOX_H) / 2
            ends = (left - 4, left + BOX_W + 4)
            points.extend((x, gap_y) for x in (ends if forward else ends[::-1]))
        points.append((x2, y2))
        d = f"M{x1:g},{y1:g}"
        for i, ((xa, ya), (xb, yb)) in enumerate(zip(points, points[1:], strict=False)):
            if i % 2:  # across a column, inside its gap
                d += f" L{xb:g},{yb:g}"
            else:
                pull = (xb - xa) / 2
                d += f" C{xa + pull:g},{ya:g} {xb - pull:g},{yb:g} {xb:g},{yb:g}"
        if passes and forward:
            opacity = 0.55
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    extra += f' marker-end="url(#{marker})"' if marker else ""
    via = f' data-via="{escape(link.via)}"' if link.via else ""
    tip = f"{link.source} \u2192 {link.target}" + (f" through {link.via}" if link.via else "")
    return (
        f'<path class="edge {style}" data-source="{escape(link.source)}" '
        f'data-target="{escape(link.target)}"{via} d="{d}" stroke="{colour}" '
        f'stroke-width="1.3" stroke-opacity="{opacity:g}"{extra}>'
        f"<title>{escape(tip)}</title></path>"
    )


def _legend(scene: Scene, styles: set[str], *, top: float, width: int) -> tuple[list[str], int]:
    """Swatches for the categories drawn, the share shading and the edge styles used."""
    items: list[tuple[str, str]] = []  # (swatch svg at 0,0, label)
    categories = {b.category for b in scene.boxes.values()}
    for category, fill in CATEGORY_FILL.items():
        if category in categories and not (scene.shares and category.startswith("Lot")):
            items.append((_swatch(fill), category))
    if scene.shares:
        items.extend(
            (_swatch(share_fill(share)), f"lot, {share:.0%} of seed material")
            for share in (0.1, 0.5, 1.0)
        )
    if any(b.seed for b in scene.boxes.values()):
        items.append(
            (
                '<rect x="0" y="0" width="14" height="14" rx="3" fill="#ffffff" '
                'stroke="#111111" stroke-width="2.6"/>',
                scene.seed_label,
            )
        )
    marks = (
        (True, "significant candidate (#rank)"),
        (False, f"candidate in the first {MARKED_RANKS}, not significant"),
    )
    for significant, label in marks:
        if any(b.significant is significant and _marked(b) for b in scene.boxes.values()):
            colour = SIGNIFICANT if significant else CANDIDATE
            dash = "" if significant else ' stroke-dasharray="5,3"'
            items.append(
                (
                    f'<rect x="0" y="0" width="26" height="14" rx="3" fill="#ffffff" '
                    f'stroke="{colour}" stroke-width="{3 if significant else 1.8}"{dash}/>',
                    label,
                )
            )
    for style, label in EDGE_LEGEND.items():
        if style in styles:
            colour, dash, _ = EDGE_LOOK[style]
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            items.append(
                (f'<path d="M0,7 L26,7" stroke="{colour}" stroke-width="1.6"{dashed}/>', label)
            )
    out: list[str] = []
    x, y = float(MARGIN), top
    for swatch, label in items:
        item_width = 40 + len(label) * 6.4
        if x + item_width > width - MARGIN and x > MARGIN:
            x, y = float(MARGIN), y + 22
        out.append(
            f'<g transform="translate({x:g},{y:g})">{swatch}'
            f"{_text(32, 11.5, label, size=11, fill='#3c4043')}</g>"
        )
        x += item_width + 14
    return out, int(y - top + 22) if items else 0


def _swatch(fill: str) -> str:
    return (
        f'<rect x="0" y="0" width="26" height="14" rx="3" fill="{fill}" stroke="{_darker(fill)}"/>'
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    fill: str,
    weight: str = "normal",
    anchor: str = "start",
) -> str:
    weight_attr = ' font-weight="bold"' if weight == "bold" else ""
    anchor_attr = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" fill="{fill}"'
        f"{weight_attr}{anchor_attr}>{escape(text)}</text>"
    )


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _ink(fill: str) -> str:
    """Dark text on light fills, white on dark ones."""
    r, g, b = _rgb(fill)
    return "#1b1b1b" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def _darker(fill: str) -> str:
    return "#" + "".join(f"{int(c * 0.7):02x}" for c in _rgb(fill))
