"""The report as one self-contained HTML file, printable for a dispute file."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_ENV = Environment(
    loader=PackageLoader("evidence_check.render", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(body: dict[str, Any], lang: str = "en") -> str:
    return _ENV.get_template("report.html.j2").render(report=body, lang=lang)
