"""Sliders over the committed sweep: t, tau, scale and softmax pick a setting, the table and chart follow.

Unlike the map explorers (:mod:`var.viz.widgets`), the sweep's numbers are a small table, so the explorer is one
self-contained HTML element: the summary as JSON and a few lines of JavaScript that redraw the table and an SVG
chart when a control moves. It needs no kernel and no widget manager, so it works on the static book page.
"""

from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd

__all__ = ["sweep_explorer"]

_FIELDS = ["method", "temperature", "tau", "scale", "softmax", "vanilla", "var", "diff", "ci95_low", "ci95_high",
           "kept", "n"]

_SCRIPT = r"""
(function () {
  const root = document.getElementById("__ID__");
  const data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
  const get = (name) => root.querySelector("[data-control='" + name + "']");
  const fmt = (v, d) => (v === null || Number.isNaN(v)) ? "–" : v.toFixed(d);
  const signed = (v) => v === null ? "–" : (v >= 0 ? "+" : "−") + Math.abs(v).toFixed(3);
  function setting() {
    return {metric: get("metric").value, temperature: data.temperatures[+get("t").value],
            tau: data.taus[+get("tau").value], scale: get("scale").value, softmax: get("softmax").value};
  }
  function rows(s) {
    return data.metrics[s.metric].rows.filter(r => r[1] === s.temperature && r[2] === s.tau &&
                                                  r[3] === s.scale && r[4] === s.softmax);
  }
  function draw() {
    const s = setting();
    const m = data.metrics[s.metric];
    root.querySelector(".t-value").textContent = s.temperature;
    root.querySelector(".tau-value").textContent = s.tau;
    const paper = s.temperature === data.paper.temperature && s.tau === data.paper.tau &&
                  s.scale === data.paper.scale && s.softmax === data.paper.softmax;
    root.querySelector(".var-paper").textContent = paper ? "(the paper's setting)" : "";
    const rs = rows(s);
    let html = "<tr><th>method</th><th>vanilla</th><th>VAR</th><th>VAR − vanilla [95% CI]</th>" +
               "<th>kept</th><th>n</th></tr>";
    for (const r of rs) {
      html += "<tr" + (r[0] === "average" ? " class='var-average'" : "") + "><td>" + r[0] + "</td><td>" +
              fmt(r[5], 3) + "</td><td>" + fmt(r[6], 3) + "</td><td>" + signed(r[7]) + " [" + signed(r[8]) +
              ", " + signed(r[9]) + "]</td><td>" + (r[10] === null ? "–" : (100 * r[10]).toFixed(1) + "%") +
              "</td><td>" + r[11] + "</td></tr>";
    }
    root.querySelector("table.var-sweep").innerHTML = html;
    const lo = m.low, hi = m.high, W = 520, left = 170, right = 20, rowH = 22;
    const x = (v) => left + (v - lo) / (hi - lo) * (W - left - right);
    let svg = "<svg width='" + W + "' height='" + (rs.length * rowH + 30) + "' role='img' " +
              "aria-label='VAR minus vanilla per method'>";
    svg += "<line x1='" + x(0) + "' x2='" + x(0) + "' y1='0' y2='" + rs.length * rowH + "' stroke='#888'/>";
    rs.forEach((r, i) => {
      if (r[7] === null || r[8] === null || r[9] === null) return;
      const y = i * rowH + rowH / 2;
      const good = (m.higher_is_better ? r[8] > 0 : r[9] < 0);
      const colour = good ? "#1b7837" : ((m.higher_is_better ? r[9] < 0 : r[8] > 0) ? "#b2182b" : "#555");
      svg += "<text x='" + (left - 6) + "' y='" + (y + 4) + "' text-anchor='end' font-size='12'>" + r[0] +
             "</text>";
      svg += "<line x1='" + x(r[8]) + "' x2='" + x(r[9]) + "' y1='" + y + "' y2='" + y + "' stroke='" + colour +
             "' stroke-width='2'/>";
      svg += "<circle cx='" + x(r[7]) + "' cy='" + y + "' r='4' fill='" + colour + "'/>";
    });
    const axisY = rs.length * rowH + 14;
    [lo, 0, hi].forEach(v => {
      svg += "<text x='" + x(v) + "' y='" + axisY + "' text-anchor='middle' font-size='11'>" + fmt(v, 2) +
             "</text>";
    });
    svg += "<text x='" + ((left + W) / 2) + "' y='" + (axisY + 13) + "' text-anchor='middle' font-size='11'>" +
           m.label + ": VAR − vanilla (" + (m.higher_is_better ? "higher" : "lower") + " is better)</text>";
    root.querySelector(".var-sweep-chart").innerHTML = svg + "</svg>";
  }
  root.querySelectorAll("[data-control]").forEach(el => el.addEventListener("input", draw));
  draw();
})();
"""


def _options(values, selected) -> str:
    return "".join(f"<option value='{v}'{' selected' if v == selected else ''}>{v}</option>" for v in values)


def sweep_explorer(summaries: dict[str, pd.DataFrame], labels: dict[str, str], higher_is_better: dict[str, bool],
                   paper: dict) -> str:
    """The explorer's HTML (display it with ``IPython.display.HTML``).

    Args:
        summaries: metric -> :func:`var.report.sweep.settings_summary` of it.
        labels: metric -> how the chart names it.
        higher_is_better: metric -> its direction.
        paper: the paper's setting (:data:`var.benchmarks.sweep.PAPER_SETTING`); the controls start there.

    Returns:
        One self-contained HTML element (data, controls, script).
    """
    first = next(iter(summaries.values()))
    temperatures = sorted(first["temperature"].unique().tolist())
    taus = sorted(first["tau"].unique().tolist())
    metrics = {}
    for metric, summary in summaries.items():
        values = summary[["ci95_low", "ci95_high"]].to_numpy(float)
        low, high = float(min(np.nanmin(values, initial=0), 0)), float(max(np.nanmax(values, initial=0), 0))
        pad = 0.05 * (high - low or 1)
        metrics[metric] = {"label": labels[metric], "higher_is_better": higher_is_better[metric],
                           "low": round(low - pad, 3), "high": round(high + pad, 3),
                           "rows": [[v if isinstance(v, str) else None if np.isnan(v) else round(float(v), 5)
                                     for v in row]
                                    for row in summary[_FIELDS].itertuples(index=False)]}
    data = {"temperatures": temperatures, "taus": taus, "paper": paper, "metrics": metrics}
    uid = "var-sweep-" + uuid.uuid4().hex[:8]
    scales = sorted(first["scale"].unique())
    softmaxes = sorted(first["softmax"].unique())
    controls = (
        f"<label>metric <select data-control='metric'>{_options(list(summaries), next(iter(summaries)))}</select>"
        f"</label> "
        f"<label>t = <span class='t-value'></span> <input type='range' data-control='t' min='0' "
        f"max='{len(temperatures) - 1}' step='1' value='{temperatures.index(paper['temperature'])}'></label> "
        f"<label>τ = <span class='tau-value'></span> <input type='range' data-control='tau' min='0' "
        f"max='{len(taus) - 1}' step='1' value='{taus.index(paper['tau'])}'></label><br>"
        f"<label>scale <select data-control='scale'>{_options(scales, paper['scale'])}</select></label> "
        f"<label>softmax <select data-control='softmax'>{_options(softmaxes, paper['softmax'])}</select></label> "
        f"<span class='var-paper'></span>")
    return (f"<div id='{uid}' class='var-sweep-explorer'>"
            f"<script type='application/json'>{_script_safe(json.dumps(data))}</script>"
            f"<div class='var-sweep-controls'>{controls}</div>"
            f"<div class='var-sweep-chart'></div><table class='var-sweep'></table>"
            f"<script>{_SCRIPT.replace('__ID__', uid)}</script></div>")


def _script_safe(text: str) -> str:
    """JSON that cannot end its <script> element early: a method named ``mine</script>`` stays data (JSON.parse
    reads the escaped slash as the same string).
    """
    return text.replace("</", "<\\/")
