"""Zones as a merchant writes them: plain boxes, boxes and polygons with causes, notes and Chinese
labels; what is stored, and what is refused with a one-line reason."""

from __future__ import annotations

import pytest

from evidence_check.catalog.zones import ZonesInvalid, bound_zones, parse_image_zones, parse_zones, read_zones
from evidence_check.widths import stored_filename


def test_a_plain_box_is_stored_as_it_was_written() -> None:
    assert parse_zones({"zipper": [10, 20, 100, 40.4]}) == {"zipper": [10, 20, 100, 40]}
    assert parse_zones({"zipper": {"box": [10, 20, 100, 40]}}) == {"zipper": [10, 20, 100, 40]}


def test_a_zone_with_a_cause_note_and_label_is_kept_whole() -> None:
    zones = parse_zones(
        {
            "strap": {"box": [0, 0, 50, 200], "cause": "wear", "note": " Straps fray with use. ", "label_zh": "肩带"},
            "cuff": {"polygon": [[0, 0], [40, 0], [30, 60]], "cause": "manufacturing"},
        }
    )
    assert zones == {
        "strap": {"box": [0, 0, 50, 200], "cause": "wear", "note": "Straps fray with use.", "label_zh": "肩带"},
        "cuff": {"polygon": [[0, 0], [40, 0], [30, 60]], "cause": "manufacturing"},
    }
    read = {zone.name: zone for zone in read_zones(zones)}
    assert read["strap"].polygon == ((0, 0), (50, 0), (50, 200), (0, 200))
    assert (read["strap"].label("zh"), read["strap"].label("en"), read["cuff"].label("zh")) == ("肩带", "strap", "cuff")
    assert read["cuff"].cause == "manufacturing" and read["cuff"].note is None
    assert [z.cause for z in read_zones({"old": [1, 2, 3, 4]})] == ["unknown"]


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ({"cap": {"box": [0, 0, 5, 5], "cause": "gremlins"}}, "cause must be one of manufacturing, shipping, wear, unknown"),
        ({"cap": {"box": [0, 0, 5, 5], "polygon": [[0, 0], [1, 0], [0, 1]]}}, "exactly one of box"),
        ({"cap": {"cause": "wear"}}, "exactly one of box"),
        ({"cap": {"polygon": [[0, 0], [5, 5]]}}, "polygon must be 3 to 64 points"),
        ({"cap": {"polygon": [[0, 0], [5, 5], [10, 10]]}}, "encloses no area"),
        ({"cap": {"box": [0, 0, 5, 5], "colour": "red"}}, "unknown field 'colour'"),
        ({"cap": {"box": [0, 0, 5, 5], "note": ""}}, "note must be non-empty text"),
        # Cut, two names alike in their first 64 characters became one zone, and a note lost its end.
        ({"": [0, 0, 5, 5]}, "a zone needs a name"),
        ({" ": [0, 0, 5, 5]}, "a zone needs a name"),
        ({"a" * 64 + "1": [0, 0, 5, 5], "a" * 64 + "2": [5, 5, 5, 5]}, "at most 64 characters"),
        ({"cap": {"box": [0, 0, 5, 5], "note": "n" * 301}}, "cap': note: at most 300 characters"),
        ({"cap": {"box": [0, 0, 5, 5], "label_zh": "盖" * 301}}, "cap': label_zh: at most 300 characters"),
        ({"cap": [0, 0, -5, 5]}, "w, h > 0"),
        ({"cap": "top"}, "must be [x, y, w, h] or an object"),
        # JSON admits these; none is a pixel, and rounding infinity to an integer raised OverflowError.
        ({"cap": [float("inf"), 0, 5, 5]}, "must be [x, y, w, h] in pixels"),
        ({"cap": [0, 0, float("nan"), 5]}, "must be [x, y, w, h] in pixels"),
        ({"cap": [1e308, 0, 5, 5]}, "must be [x, y, w, h] in pixels"),
        ({"cap": {"polygon": [[0, 0], [float("inf"), 0], [5, 5]]}}, "polygon must be 3 to 64 points"),
    ],
)
def test_malformed_zones_are_refused_with_the_reason(zones: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_zones(zones)


def test_a_zones_name_and_note_at_their_widths_are_kept_whole() -> None:
    name, note = "n" * 64, "a note. " * 37 + "end"
    assert len(note) == 299
    assert parse_zones({name: {"box": [0, 0, 5, 5], "note": note}}) == {name: {"box": [0, 0, 5, 5], "cause": "unknown", "note": note}}


def test_rich_zones_are_told_apart_from_zones_per_image() -> None:
    rich = {"cap": {"box": [0, 0, 5, 5], "cause": "shipping"}}
    assert parse_image_zones(rich, ["front.jpg", "back.jpg"]) == {"front.jpg": rich}
    per_image = {"back.jpg": rich}
    assert parse_image_zones(per_image, ["front.jpg", "back.jpg"]) == {"back.jpg": rich}
    with pytest.raises(ValueError, match="not one of the images"):
        parse_image_zones({"side.jpg": rich}, ["front.jpg"])


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ({"cap": {"bx": [0, 0, 5, 5]}}, "zone 'cap' has an unknown field 'bx'"),
        ({"cap": {"Poligon": [[0, 0], [5, 0], [5, 5]]}}, "zone 'cap' has an unknown field 'Poligon'"),
        ({"cap": {"boxx": [0, 0, 5, 5], "cause": "wear"}}, "zone 'cap' has an unknown field 'boxx'"),
        ({"cap": {"cause": "wear"}}, "zone 'cap' needs exactly one of box [x, y, w, h] or polygon"),
        # A misspelt image name with its zones is still told as one.
        ({"frnt.jpg": {"seam": [0, 0, 5, 5]}}, "zones name 'frnt.jpg', which is not one of the images"),
        ({"frnt.jpg": {"boxes": [0, 0, 5, 5]}}, "zones name 'frnt.jpg', which is not one of the images"),
    ],
    ids=["bx", "Poligon", "boxx with a cause", "no shape", "a misspelt image", "a zone named boxes"],
)
def test_a_zone_whose_shape_is_misspelt_is_refused_as_a_zone_not_as_an_unknown_image(zones: dict, message: str) -> None:
    """One zone with "bx" for "box" was read as zones per image: "zones name 'cap', which is not one of the images"."""
    with pytest.raises(ValueError) as refused:
        parse_image_zones(zones, ["front.jpg"])
    assert str(refused.value).startswith(message), str(refused.value)


@pytest.mark.parametrize("zones", [{"cap": [0, 0, 5, 5]}, {"a.jpg": {"cap": [0, 0, 5, 5]}}])
def test_zones_for_a_name_two_images_share_are_refused(zones: dict) -> None:
    """front/a.jpg and back/a.jpg: zones drawn on one would be stored on both."""
    with pytest.raises(ValueError, match="two images are called 'a.jpg'"):
        parse_image_zones(zones, ["a.jpg", "a.jpg"])
    assert parse_image_zones(zones, ["a.jpg", "b.jpg"]) == {"a.jpg": {"cap": [0, 0, 5, 5]}}
    assert parse_image_zones({"b.jpg": {"cap": [0, 0, 5, 5]}}, ["a.jpg", "a.jpg", "b.jpg"])


def test_zones_naming_one_long_image_by_two_of_its_names_are_refused() -> None:
    # A name over 255 characters may be given whole or as stored (plainly cut, in a store written
    # before the digest): given both ways in one document, one set of its zones was dropped unsaid.
    long_name = "front-" + "x" * 300 + ".jpg"
    stored, plain = stored_filename(long_name), long_name[:255]
    for image, other in ((long_name, stored), (stored, stored), (plain, plain)):  # uploaded, held, held before
        zones = {long_name: {"cap": [0, 0, 5, 5]}, other: {"lid": [1, 1, 5, 5]}}
        with pytest.raises(ZonesInvalid) as refused:
            parse_image_zones(zones, [image, "back.jpg"])
        assert refused.value.text("en") == (
            f"zones name the image {image!r} twice ({long_name!r}, {other!r}): which zones are meant is not known"
        )
        assert refused.value.text("zh").startswith(f"区域两次指向图片 {image!r}（")
        assert parse_image_zones({other: {"lid": [1, 1, 5, 5]}}, [image]) == {image: {"lid": [1, 1, 5, 5]}}


HUGE = 2**31 - 1


def test_a_zone_past_its_images_edge_keeps_the_part_on_the_image() -> None:
    given = parse_image_zones(
        {
            "all": [10, 20, HUGE, HUGE],
            "inside": {"box": [0, 0, 640, 480], "cause": "wear"},
            "wedge": {"polygon": [[0, 0], [HUGE, 0], [0, HUGE]], "note": "n"},
            "corner": {"polygon": [[600, 400], [700, 400], [600, 500]]},
        },
        ["f.jpg", "g.jpg"],
    )
    bounded = bound_zones(given, {"f.jpg": (640, 480)})["f.jpg"]
    assert bounded["all"] == [10, 20, 630, 460]
    assert bounded["inside"] == {"box": [0, 0, 640, 480], "cause": "wear"}
    assert bounded["wedge"] == {"polygon": [[0, 0], [640, 0], [640, 480], [0, 480]], "cause": "unknown", "note": "n"}
    assert bounded["corner"]["polygon"] == [[600, 400], [640, 400], [640, 460], [620, 480], [600, 480]]
    assert bound_zones(given, {}) == given  # an image of unknown size (unreadable): as given


@pytest.mark.parametrize(
    "zone",
    [[640, 0, 10, 10], [0, 480, 10, 10], [HUGE, HUGE, 1, 1], {"polygon": [[640, 0], [700, 0], [700, 50]]}, {"polygon": [[700, 500], [800, 500], [800, 600]]}],
    ids=["right of it", "below it", "far off", "polygon touching the edge", "polygon off it"],
)
def test_a_zone_wholly_off_its_image_is_refused(zone: object) -> None:
    with pytest.raises(ZonesInvalid, match=r"zone 'lid' lies wholly outside f.jpg \(640x480 pixels\)"):
        bound_zones(parse_image_zones({"lid": zone}, ["f.jpg"]), {"f.jpg": (640, 480)})
