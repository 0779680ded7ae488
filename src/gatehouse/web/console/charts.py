"""A small server-rendered SVG bar chart of sent, retried and failed e-mails per hour."""

from __future__ import annotations

from markupsafe import Markup, escape

from gatehouse.mail.delivery_log import HourCounts

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 180, 34, 22, 10
SERIES = (("sent", "#107e3e"), ("retried", "#d08a00"), ("failed", "#bb0000"))


def hourly_chart(hours: list[HourCounts]) -> Markup:
    """Stacked bars, one per hour, with a y axis maximum and hour labels every 3 hours, counted
    back from the last (the current hour is always labelled)."""
    peak = max([h.sent + h.retried + h.failed for h in hours] + [1])
    plot_w, plot_h = WIDTH - PAD_LEFT - 4, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(1, len(hours))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="E-mails sent, retried and failed per hour over the last {len(hours)} hours">',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 4}" y2="{PAD_TOP + plot_h}" '
        'stroke="#b8c4cf"/>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 8}" text-anchor="end" class="axis">{peak}</text>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    for n, hour in enumerate(hours):
        x = PAD_LEFT + n * slot + 2
        y = PAD_TOP + plot_h
        title = (
            f"{hour.hour:%H}:00 UTC: {hour.sent} sent, {hour.retried} retried, {hour.failed} failed"
        )
        parts.append(f"<g><title>{escape(title)}</title>")
        for name, colour in SERIES:
            value = getattr(hour, name)
            height = plot_h * value / peak
            if value:
                y -= height
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot - 4:.1f}" '
                    f'height="{height:.1f}" fill="{colour}" class="bar-{name}"/>'
                )
        parts.append("</g>")
        if (len(hours) - 1 - n) % 3 == 0:
            parts.append(
                f'<text x="{x + (slot - 4) / 2:.1f}" y="{HEIGHT - 6}" '
                f'text-anchor="middle" class="axis">{hour.hour:%H}h</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built from numbers and escaped text only
