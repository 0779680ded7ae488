"""A small server-rendered SVG bar chart of sent, retried and failed e-mails per hour."""

from __future__ import annotations

from markupsafe import Markup, escape

from gatehouse.mail.delivery_log import HourCounts

WIDTH, HEIGHT, PAD_BOTTOM, PAD_TOP = 720, 180, 32, 8
# Room for half the current hour's label, centred on the last bar, at AXIS_FONT_MAX.
PAD_RIGHT = 16
SERIES = (("sent", "#107e3e"), ("retried", "#d08a00"), ("failed", "#bb0000"))
# The SVG scales with its box: on a phone (a third of its width) the CSS sets the axis labels
# at up to AXIS_FONT_MAX user units, so they stay about 9 px high; the left gutter is as wide
# as the peak's digits at that size (about 0.65 em each), so a long count is never cut off.
AXIS_FONT_MAX = 26
DIGIT_WIDTH = 0.65 * AXIS_FONT_MAX
MIN_PAD_LEFT = 34


def hourly_chart(hours: list[HourCounts]) -> Markup:
    """Stacked bars, one per hour, with a y axis maximum and hour labels every 3 hours, counted
    back from the last (the current hour is always labelled)."""
    peak = max([h.sent + h.retried + h.failed for h in hours] + [1])
    pad_left = max(MIN_PAD_LEFT, round(10 + DIGIT_WIDTH * len(str(peak))))
    plot_w, plot_h = WIDTH - pad_left - PAD_RIGHT, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(1, len(hours))
    axis_y = PAD_TOP + plot_h
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="E-mails sent, retried and failed per hour over the last {len(hours)} hours">',
        f'<line x1="{pad_left}" y1="{axis_y}" x2="{WIDTH - PAD_RIGHT}" y2="{axis_y}" '
        'stroke="#b8c4cf"/>',
        # Hanging from the plot's top, whatever the labels' size.
        f'<text x="{pad_left - 6}" y="{PAD_TOP}" text-anchor="end" dominant-baseline="hanging" '
        f'class="axis">{peak}</text>',
        f'<text x="{pad_left - 6}" y="{axis_y}" text-anchor="end" class="axis">0</text>',
    ]
    for n, hour in enumerate(hours):
        x = pad_left + n * slot + 2
        y = axis_y
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
            parts.append(  # hanging below the axis, whatever the labels' size
                f'<text x="{x + (slot - 4) / 2:.1f}" y="{axis_y + 4}" text-anchor="middle" '
                f'dominant-baseline="hanging" class="axis">{hour.hour:%H}h</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built from numbers and escaped text only
