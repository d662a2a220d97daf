"""`sikro sop diagram`: the SOP as the swim-lane flowchart of the original (Permendagri 52/2011 layout).

One row per step (No, Kegiatan), one column (lane) per role with the step's
shape in the lane of whoever does it, then the "Mutu Baku" columns
(Kelengkapan, Waktu, Output). Start and end are rounded terminators, the
decision a diamond, and connectors follow the SOP data (next, on_approve,
on_reject, returns_to). The SVG is written by hand in millimetres on an A4
landscape page; the PDF is CairoSVG's rendering of that same SVG.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from ..errors import SikroError
from ..fsutil import atomic_write_bytes
from .sop import Sop, Step

PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 8.0
TITLE_H, HEAD_H, FOOT_H = 12.0, 13.0, 7.0
# Column widths (mm) besides the lanes: No, Kegiatan | lanes | Kelengkapan, Waktu, Output.
NO_W, ACTIVITY_W, NEEDS_W, TIME_W, OUTPUT_W = 7.0, 60.0, 34.0, 14.0, 30.0
BOX_W, BOX_H, DIAMOND_W, DIAMOND_H = 12.0, 4.6, 14.0, 6.2
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
TEXT, SMALL, TINY = 2.3, 2.0, 1.8  # font sizes in mm (≈ 6.5, 5.7 and 5.1 pt)
LINE = "#1a1a1a"
RETURN = "#b3261e"


@dataclass(frozen=True)
class Layout:
    sop: Sop
    lane_w: float
    row_h: float

    @property
    def lanes(self) -> list[str]:
        return list(self.sop.roles)

    @property
    def top(self) -> float:
        return MARGIN + TITLE_H + HEAD_H

    def row_of(self, number: int) -> int:
        return list(self.sop.steps).index(number)

    def y(self, number: int) -> float:
        return self.top + (self.row_of(number) + 0.5) * self.row_h

    def lane_x(self, role: str) -> float:
        return MARGIN + NO_W + ACTIVITY_W + (self.lanes.index(role) + 0.5) * self.lane_w

    def center(self, step: Step) -> tuple[float, float]:
        return self.lane_x(step.role), self.y(step.number)

    def half(self, step: Step) -> tuple[float, float]:
        return (DIAMOND_W / 2, DIAMOND_H / 2) if step.decision else (BOX_W / 2, BOX_H / 2)


def make_layout(sop: Sop) -> Layout:
    lanes_w = PAGE_W - 2 * MARGIN - NO_W - ACTIVITY_W - NEEDS_W - TIME_W - OUTPUT_W
    rows_h = PAGE_H - 2 * MARGIN - TITLE_H - HEAD_H - FOOT_H
    return Layout(sop, lanes_w / len(sop.roles), rows_h / len(sop.steps))


# --------------------------------------------------------------------------- svg primitives


def _text(x: float, y: float, lines: list[str], size: float, anchor: str = "start", weight: str = "normal",
          fill: str = LINE) -> str:
    """Lines centred vertically on y."""
    lead = size * 1.15
    first = y - (len(lines) - 1) * lead / 2 + size * 0.35
    spans = "".join(f'<tspan x="{x:.2f}" y="{first + i * lead:.2f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<text font-family="{FONT}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{spans}</text>')


def _wrap(text: str, width_mm: float, size: float, max_lines: int = 3) -> list[str]:
    chars = max(4, int(width_mm / (size * 0.5)))  # an average sans glyph is about half its size wide
    lines = textwrap.wrap(text, chars, break_long_words=False) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: chars - 1] + "…"
    return lines


def _line(x1, y1, x2, y2, width=0.25, color=LINE) -> str:
    return f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="{color}" stroke-width="{width}"/>'


def _rect(x, y, w, h, fill="none", width=0.25, rx=0.0) -> str:
    return (f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" rx="{rx:.2f}" '
            f'fill="{fill}" stroke="{LINE}" stroke-width="{width}"/>')


# --------------------------------------------------------------------------- the grid


def _columns(layout: Layout) -> list[tuple[str, float]]:
    cols = [("No", NO_W), ("Kegiatan", ACTIVITY_W)]
    cols += [(layout.sop.roles[key].name, layout.lane_w) for key in layout.lanes]
    return cols + [("Kelengkapan", NEEDS_W), ("Waktu", TIME_W), ("Output", OUTPUT_W)]


def _grid(layout: Layout) -> list[str]:
    out, x = [], MARGIN
    head_y, bottom = MARGIN + TITLE_H, layout.top + layout.row_h * len(layout.sop.steps)
    lane_head = HEAD_H - 4.0
    out.append(_rect(MARGIN, head_y, PAGE_W - 2 * MARGIN, HEAD_H, fill="#e8e8e8"))
    first_lane = MARGIN + NO_W + ACTIVITY_W
    out.append(_text(first_lane + layout.lane_w * len(layout.lanes) / 2, head_y + 2.0, ["Pelaksana"], SMALL,
                     "middle", "bold"))
    out.append(_line(first_lane, head_y + 4.0, first_lane + layout.lane_w * len(layout.lanes), head_y + 4.0))
    needs_x = first_lane + layout.lane_w * len(layout.lanes)
    out.append(_text(needs_x + (NEEDS_W + TIME_W + OUTPUT_W) / 2, head_y + 2.0, ["Mutu Baku"], SMALL, "middle", "bold"))
    out.append(_line(needs_x, head_y + 4.0, PAGE_W - MARGIN, head_y + 4.0))
    for index, (title, width) in enumerate(_columns(layout)):
        in_group = 2 <= index
        cy = head_y + 4.0 + lane_head / 2 if in_group else head_y + HEAD_H / 2
        size = TINY if in_group else SMALL
        out.append(_text(x + width / 2, cy, _wrap(title, width - 1, size, 4), size, "middle", "bold"))
        if index:
            out.append(_line(x, head_y + (4.0 if in_group and index not in (2,) and x > first_lane
                                          and x != needs_x else 0), x, bottom))
        x += width
    for row in range(len(layout.sop.steps) + 1):
        y = layout.top + row * layout.row_h
        out.append(_line(MARGIN, y, PAGE_W - MARGIN, y, 0.15 if 0 < row < len(layout.sop.steps) else 0.25))
    out.append(_rect(MARGIN, head_y, PAGE_W - 2 * MARGIN, bottom - head_y, width=0.35))
    return out


def _row_texts(layout: Layout) -> list[str]:
    out = []
    needs_x = MARGIN + NO_W + ACTIVITY_W + layout.lane_w * len(layout.lanes)
    for step in layout.sop.steps.values():
        y = layout.y(step.number)
        out.append(_text(MARGIN + NO_W / 2, y, [str(step.number)], TEXT, "middle"))
        out.append(_text(MARGIN + NO_W + 1.2, y, _wrap(step.activity, ACTIVITY_W - 2.4, TEXT, 2), TEXT))
        out.append(_text(needs_x + 1.0, y, _wrap(step.kelengkapan, NEEDS_W - 2, TINY, 3), TINY))
        out.append(_text(needs_x + NEEDS_W + TIME_W / 2, y, [step.time.text], SMALL, "middle"))
        out.append(_text(needs_x + NEEDS_W + TIME_W + 1.0, y, _wrap(step.output, OUTPUT_W - 2, TINY, 3), TINY))
    return out


# --------------------------------------------------------------------------- shapes and connectors


def _shape(layout: Layout, step: Step) -> str:
    x, y = layout.center(step)
    hw, hh = layout.half(step)
    if step.decision:
        points = f"{x:.2f},{y - hh:.2f} {x + hw:.2f},{y:.2f} {x:.2f},{y + hh:.2f} {x - hw:.2f},{y:.2f}"
        shape = f'<polygon points="{points}" fill="#fff4cc" stroke="{LINE}" stroke-width="0.3"/>'
    elif step.start or step.ends:
        shape = _rect(x - hw, y - hh, 2 * hw, 2 * hh, fill="#dff0d8", width=0.3, rx=hh)
    else:
        shape = _rect(x - hw, y - hh, 2 * hw, 2 * hh, fill="#ffffff", width=0.3)
    return shape + _text(x, y, [str(step.number)], SMALL, "middle", "bold")


def _arrowhead(x, y, direction: str, color=LINE) -> str:
    dx, dy = {"down": (0, 1), "up": (0, -1), "right": (1, 0), "left": (-1, 0)}[direction]
    size = 1.1
    bx, by = x - dx * size, y - dy * size
    px, py = -dy * size * 0.45, dx * size * 0.45
    return (f'<polygon points="{x:.2f},{y:.2f} {bx + px:.2f},{by + py:.2f} {bx - px:.2f},{by - py:.2f}" '
            f'fill="{color}"/>')


def _path(points: list[tuple[float, float]], color=LINE, dashed=False) -> str:
    d = " ".join(f"{'M' if i == 0 else 'L'}{x:.2f},{y:.2f}" for i, (x, y) in enumerate(points))
    dash = ' stroke-dasharray="1.2,0.8"' if dashed else ""
    return f'<path d="{d}" fill="none" stroke="{color}" stroke-width="0.3"{dash}/>'


def _forward(layout: Layout, a: Step, b: Step, sideways: bool) -> tuple[list, str]:
    """A connector to a later row: down then across into b's side (or across then down into its top)."""
    (ax, ay), (bx, by) = layout.center(a), layout.center(b)
    (ahw, ahh), (bhw, bhh) = layout.half(a), layout.half(b)
    if ax == bx:
        return [(ax, ay + ahh), (bx, by - bhh)], "down"
    if sideways:
        start_x = ax - ahw if bx < ax else ax + ahw
        return [(start_x, ay), (bx, ay), (bx, by - bhh)], "down"
    end_x = bx - bhw if bx > ax else bx + bhw
    return [(ax, ay + ahh), (ax, by), (end_x, by)], "right" if bx > ax else "left"


def _backward(layout: Layout, a: Step, b: Step) -> tuple[list, str]:
    """A connector back up (a file returned): out of a's side, across, up into b's bottom, offset."""
    (ax, ay), (bx, by) = layout.center(a), layout.center(b)
    (ahw, ahh), (_, bhh) = layout.half(a), layout.half(b)
    side = ax - ahw if bx < ax else ax + ahw
    lane_x = bx - BOX_W / 2 + 2.0
    return [(side, ay + ahh * 0.5), (lane_x, ay + ahh * 0.5), (lane_x, by + bhh)], "up"


def _connector(layout: Layout, a: Step, b: Step, label: str = "", sideways=False, back=False) -> list[str]:
    color = RETURN if back else LINE
    points, direction = _backward(layout, a, b) if back else _forward(layout, a, b, sideways)
    out = [_path(points, color, dashed=back), _arrowhead(*points[-1], direction, color)]
    if label:
        out.append(_label(points, label, color, sideways, back))
    return out


def _label(points: list[tuple[float, float]], label: str, color: str, sideways: bool, back: bool) -> str:
    """Sideways and return labels sit on their first horizontal stretch; others beside the way down."""
    (x0, y0), (x1, _) = points[0], points[1]
    if back:
        return _text((x0 + x1) / 2, y0 + 2.0, [label], TINY, "middle", "bold", color)
    if sideways:
        return _text((x0 + x1) / 2, y0 - 1.2, [label], TINY, "middle", "bold", color)
    return _text(x0 + 1.0, y0 + 2.6, [label], TINY, "start", "bold", color)


def _connectors(layout: Layout) -> list[str]:
    out = []
    steps = layout.sop.steps
    for step in steps.values():
        if step.decision:
            out += _connector(layout, step, steps[step.on_reject], "Tolak", sideways=True)
            out += _connector(layout, step, steps[step.on_approve], "Setuju")
        elif step.next is not None:
            out += _connector(layout, step, steps[step.next])
        if step.returns_to is not None:
            out += _connector(layout, step, steps[step.returns_to], "tidak lengkap", back=True)
    return out


def _title(sop: Sop) -> list[str]:
    return [_text(PAGE_W / 2, MARGIN + 3.0, [sop.title], 3.6, "middle", "bold"),
            _text(PAGE_W / 2, MARGIN + 8.0, ["Bagan alir (swim-lane) — DPMPTSPK Kabupaten Dairi"], SMALL, "middle")]


def _footer(layout: Layout) -> list[str]:
    y = PAGE_H - MARGIN - FOOT_H / 2 + 1.0
    legend = ("Waktu dalam jam kerja (1 Hari = 1 hari kerja).  Kotak: kegiatan;  belah ketupat: keputusan;  "
              "lonjong: mulai/selesai;  garis putus-putus merah: berkas dikembalikan untuk dilengkapi.")
    warn = "Peringatan: " + " ".join(f"({i}) {w}" for i, w in enumerate(layout.sop.warnings, 1))
    return [_text(MARGIN, y - 1.4, [legend], TINY), _text(MARGIN, y + 1.4, _wrap(warn, PAGE_W - 2 * MARGIN, TINY, 1), TINY)]


def render_svg(sop: Sop) -> str:
    layout = make_layout(sop)
    body = [*_title(sop), *_grid(layout), *_row_texts(layout), *_connectors(layout),
            *(_shape(layout, s) for s in sop.steps.values()), *_footer(layout)]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" '
            f'viewBox="0 0 {PAGE_W} {PAGE_H}">\n<rect width="{PAGE_W}" height="{PAGE_H}" fill="#ffffff"/>\n'
            + "\n".join(body) + "\n</svg>\n")


# --------------------------------------------------------------------------- files


def svg_to_pdf(svg_text: str, pdf: Path) -> Path:
    """CairoSVG draws the SVG onto a PDF page of the same size (A4 landscape).

    LibreOffice without Draw (the -nogui Writer packages) would place the SVG
    as a picture on a Letter portrait page, shrunk; cairo keeps it vector and full size.
    """
    try:
        import cairosvg
    except (ImportError, OSError) as exc:  # OSError: the cairo library itself is missing
        raise SikroError(f"PDF needs CairoSVG and the cairo library ({exc}); write the diagram as .svg") from None
    return atomic_write_bytes(pdf, cairosvg.svg2pdf(bytestring=svg_text.encode("utf-8")))


def write_diagram(sop: Sop, output: Path) -> Path:
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in (".svg", ".pdf"):
        raise SikroError(f"the diagram is written as .svg or .pdf, not {output.name}")
    output.parent.mkdir(parents=True, exist_ok=True)
    svg_text = render_svg(sop)
    if suffix == ".svg":
        return atomic_write_bytes(output, svg_text.encode("utf-8"))
    return svg_to_pdf(svg_text, output)
