"""The report as ONE self-contained HTML file: Plotly's offline bundle inlined once,
PNGs as data URIs, no request to any network. Deterministic: the same report gives
the same bytes (fixed chart ids, no timestamps)."""

from __future__ import annotations

import base64
import html
import re

import pandas as pd

from optimizer.report.model import Chart, Report, Section, Table, fmt_value

CSS = """
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2d3d;color:#fff;padding:22px 40px}
header h1{margin:0 0 6px 0;font-size:26px}
header p{margin:0;color:#c9d3dd}
nav{padding:10px 40px;background:#eef1f4;font-size:14px;position:sticky;top:0;z-index:5}
nav a{margin-right:16px;color:#1f4e79;text-decoration:none}
main{padding:10px 40px 60px 40px;max-width:1400px}
section{margin-top:28px}
h2{border-bottom:2px solid #1f2d3d;padding-bottom:4px}
.headline{display:flex;flex-wrap:wrap;gap:12px;margin-top:18px}
.figure{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:180px}
.figure .label{font-size:12px;color:#666}
.figure .value{font-size:19px;font-weight:bold;margin-top:2px}
.chart{background:#fff;border:1px solid #ddd;border-radius:6px;margin:14px 0;padding:6px}
.chart img{max-width:100%;height:auto;display:block}
.caption{font-size:13px;color:#555;margin:4px 8px}
table{border-collapse:collapse;font-size:13px;background:#fff;margin:8px 0 4px 0}
th,td{border:1px solid #ddd;padding:3px 8px}
th{background:#eef1f4;text-align:left;position:sticky;top:38px}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{white-space:normal;overflow-wrap:normal}
caption{text-align:left;font-weight:bold;padding:6px 0}
ul.points{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 12px 12px 32px;
font-size:15px;line-height:1.5;max-width:1000px}
.tablewrap{overflow-x:auto;margin-bottom:14px;max-width:100%}
td{overflow-wrap:break-word}
pre{background:#fff;border:1px solid #ddd;padding:12px;font-size:12px;white-space:pre-wrap;
overflow-wrap:anywhere;max-width:100%;box-sizing:border-box}
@page{size:A4 landscape;margin:10mm}
@media print{nav{display:none}main{padding:0 4mm;max-width:none}
.tablewrap{overflow:visible}th{position:static}
table{font-size:9px;width:100%}td{padding:2px 4px;overflow-wrap:anywhere}
.modebar-container,.modebar{display:none!important}
.chart,table,pre{break-inside:avoid}section{break-before:auto}}
"""

LABELS = {"period", "scenario", "statistic"}
MAX_ROWS = 2000  # a longer table is cut on the page (the workbook has every row)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def table_html(t: Table) -> str:
    df = t.df
    head = "".join(f"<th>{html.escape(t.header(str(c)))}</th>" for c in df.columns)
    body = []
    for rec in df.head(MAX_ROWS).itertuples(index=False, name=None):
        cells = []
        for c, v in zip(df.columns, rec, strict=True):
            num = isinstance(v, int | float) and not isinstance(v, bool)
            if str(c) in LABELS:  # a label that happens to be a number: 2026, not 2,026
                num, text = (
                    False,
                    "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v),
                )
            else:
                text = (
                    fmt_value(v, t.unit(str(c))) if not (v is None or (num and pd.isna(v))) else ""
                )
            cls = ' class="num"' if num else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="caption">First {MAX_ROWS:,} of {len(df):,} rows; the workbook has all.</p>'
        if len(df) > MAX_ROWS
        else ""
    )
    note = f'<p class="caption">{html.escape(t.note)}</p>' if t.note else ""
    return (
        f'<div class="tablewrap"><table id="table-{_slug(t.key)}" data-table="{html.escape(t.key)}">'
        f"<caption>{html.escape(t.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>{more}{note}"
    )


def chart_html(c: Chart) -> str:
    cid = f"chart-{_slug(c.key)}"
    cap = f'<p class="caption">{html.escape(c.caption)}</p>' if c.caption else ""
    if c.png is not None:
        data = base64.b64encode(c.png).decode("ascii")
        return (
            f'<div class="chart" data-chart="png"><img id="{cid}" alt="{html.escape(c.title)}" '
            f'src="data:image/png;base64,{data}">{cap}</div>'
        )
    div = c.figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=cid,
        config={"displaylogo": False, "responsive": True, "displayModeBar": "hover"},
    )
    return f'<div class="chart" data-chart="plotly">{div}{cap}</div>'


def section_html(s: Section) -> str:
    parts = [f'<section id="{_slug(s.id)}"><h2>{html.escape(s.title)}</h2>']
    if s.intro:
        parts.append(f"<p>{html.escape(s.intro)}</p>")
    if s.points:
        items = "".join(f"<li>{html.escape(x)}</li>" for x in s.points)
        parts.append(f'<ul class="points">{items}</ul>')
    parts += [chart_html(c) for c in s.charts]
    parts += [table_html(t) for t in s.tables]
    if s.pre:
        parts.append(f"<h3>Notes of the instance file</h3><pre>{html.escape(s.pre)}</pre>")
    parts.append("</section>")
    return "\n".join(parts)


def render_html(report: Report) -> str:
    """The whole page as a string."""
    needs_plotly = any(c.figure is not None for c in report.charts())
    script = ""
    if needs_plotly:
        from plotly.offline import get_plotlyjs

        script = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    figures = "".join(
        f'<div class="figure"><div class="label">{html.escape(k)}</div>'
        f'<div class="value">{html.escape(v)}</div></div>'
        for k, v in report.headline
    )
    nav = "".join(
        f'<a href="#{_slug(s.id)}">{html.escape(s.title.split(":")[0])}</a>'
        for s in report.sections
    )
    body = "\n".join(section_html(s) for s in report.sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(report.title)}</title><style>{CSS}</style>{script}</head><body>"
        f"<header><h1>{html.escape(report.title)}</h1><p>{html.escape(report.subtitle)}</p></header>"
        f'<nav>{nav}</nav><main><section id="headline"><div class="headline">{figures}</div>'
        f'</section>\n{body}\n<p class="caption">Written by optimizer report.</p></main></body></html>\n'
    )
