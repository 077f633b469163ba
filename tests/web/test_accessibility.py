"""The console's stylesheet meets WCAG AA contrast, and its pages label every input.

Contrast is computed from the stylesheet itself: every rule that sets both a text colour and a
background, and every text colour the sheet uses on every light background it paints, must reach
4.5:1 (WCAG 2.x, normal text).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from tests.api.conftest import Api, jpeg, photos
from tests.web.conftest import csrf_of

CSS = (Path(__file__).resolve().parents[2] / "api" / "web" / "static" / "console.css").read_text()
AA = 4.5


def _luminance(colour: str) -> float:
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


VARIABLES = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", CSS))


def _resolve(value: str) -> str | None:
    value = value.strip().split()[0] if value.strip() else ""
    found = re.fullmatch(r"var\(--([\w-]+)\)", value)
    if found:
        return VARIABLES.get(found.group(1))
    return value if re.fullmatch(r"#[0-9a-fA-F]{3,6}", value) else None


def _rules() -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations), one entry per selector of a comma-separated list."""
    body = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    rules = []
    for selectors, declarations in re.findall(r"([^{}]+)\{([^{}]*)\}", body):
        props = dict(
            (name.strip(), value.strip())
            for name, _, value in (d.partition(":") for d in declarations.split(";"))
            if value.strip()
        )
        rules += [(selector.strip(), props) for selector in selectors.split(",")]
    return rules


def _pairs() -> list[tuple[str, str, str]]:
    """(selector, text, background) of each rule painting a background: its own text colour, else
    that of the rule its selector extends (`.badge.accept` takes `.badge`'s white)."""
    colours = {selector: text for selector, props in _rules() if (text := _resolve(props.get("color", "")))}
    pairs = []
    for selector, props in _rules():
        ground = _resolve(props.get("background", props.get("background-color", "")))
        if not ground:
            continue
        text = colours.get(selector) or next(
            (colours[base] for base in sorted(colours, key=len, reverse=True) if selector.startswith(base) and base != selector),
            None,
        )
        if text:
            pairs.append((selector, text, ground))
    return pairs


def test_the_contrast_helper_knows_the_wcag_figures() -> None:
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#767676", "#fff"), 2) == 4.54  # the lightest grey AA allows on white
    assert contrast("#777777", "#fff") < AA


def test_every_rule_with_text_and_background_colours_reaches_aa() -> None:
    pairs = _pairs()
    found = {selector for selector, _, _ in pairs}
    assert {".badge.review", "button.fraud", ".bar"} <= found, found  # the parse sees them
    low = [(s, t, g, round(contrast(t, g), 2)) for s, t, g in pairs if contrast(t, g) < AA]
    assert low == []


def test_every_text_colour_reaches_aa_on_every_light_background_the_sheet_paints() -> None:
    texts, grounds = set(), {VARIABLES["paper"]}
    for selector, props in _rules():
        if "svg" in selector or ".zone" in selector:
            continue  # drawn over photos, not on the page's backgrounds
        text = _resolve(props.get("color", ""))
        ground = _resolve(props.get("background", props.get("background-color", "")))
        if text and _luminance(text) < 0.3:
            texts.add(text)
        if ground and _luminance(ground) > 0.6:
            grounds.add(ground)
    assert VARIABLES["muted"] in texts and VARIABLES["shade"] in grounds
    low = sorted((t, g, round(contrast(t, g), 2)) for t in texts for g in grounds if contrast(t, g) < AA)
    assert low == []


class _Inputs(HTMLParser):
    """Inputs that a person fills in, and what labels them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "label" and "for" in found:
            self.labelled.add(found["for"])
        if tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit"):
            self.fields.append(found)


def test_every_input_of_every_page_has_a_label(api: Api) -> None:
    api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1", "order_id": "SO-1"})
    token = csrf_of(api.client.get("/catalog").text)
    api.client.post(
        "/catalog/images",
        files=[("images", ("front.jpg", jpeg(2, (640, 480)), "image/jpeg"))],
        data={"csrf": token, "sku": "BAG-1"},
    )
    for path in ("/", "/new-claim", "/claims/c-1", "/catalog", "/catalog/BAG-1"):
        page = _Inputs()
        page.feed(api.client.get(path).text)
        assert page.fields, path
        unlabelled = [f for f in page.fields if f.get("id") not in page.labelled and not f.get("aria-label")]
        assert unlabelled == [], (path, unlabelled)
