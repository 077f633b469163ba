"""The catalog's pages: the SKUs, one SKU with its images and the zones drawn on them, adding images
(a new SKU too) and drawing zones.

They call the same service functions as `POST /v1/catalog/{sku}/images` and
`PUT /v1/catalog/{sku}/zones`, and zones are read by the same parser, in the plain form that endpoint
takes for one image: `{"zipper": [x, y, w, h]}` in the image's pixels. The store keeps a catalog
image's measurements, not its pixels: to draw on an image the agent opens the same file from their
computer, and the page checks its size against the stored one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.refusals import Refused
from api.routes.catalog_read import sku_after, skus_page
from api.upload import UploadedForm, UploadLimits, UploadRefused, read_request, refusal_status
from api.web.pages import Console, ConsoleDep, redirect, to_sign_in
from api.web.session import CSRF_FIELD, Agent, check_csrf
from evidence_check import strict_json
from evidence_check.catalog import parse_zones
from evidence_check.catalog.zones import CAUSES, ZonesInvalid, read_zones
from evidence_check.engine import Upload, now_utc
from evidence_check.errors import NameGivenTwice, error_text
from evidence_check.imaging.preview import jpeg_uri
from evidence_check.intake import valid_id, valid_id_start
from evidence_check.service import add_to_catalog, remove_from_catalog, set_catalog_zones
from evidence_check.storable import TextUnstorable, storable_text
from evidence_check.store.catalog_store import sku_images
from evidence_check.store.thumbnails import thumbnails_of
from evidence_check.widths import CATEGORY_WIDTH, NAME_WIDTH

router = APIRouter(include_in_schema=False)
PAGE = 50  # SKUs a catalog page shows


def sku_url(sku: str, query: dict[str, str | list[str]] | None = None) -> str:
    return f"/catalog/{quote(sku, safe='')}" + ("?" + urlencode(query, doseq=True) if query else "")


@router.get("/catalog", response_class=HTMLResponse)
def catalog(console: ConsoleDep, deleted: str = "", mark: str = "", cursor: str = "", q: str = "") -> Response:
    """A page of SKUs by code point, `GET /v1/catalog`'s order and cursor, those starting with `q` if
    it is given; `deleted` and `mark`: the redirect after a deletion."""
    agent = console.agent
    if agent is None:
        return to_sign_in(console.request)
    # Said only of a SKU the catalog no longer has, and only after this session deleted it: a SKU
    # may be any words ("SKU deleted: your-key-leaked:call-+1-555-0100"), never a link's to choose.
    shown = bool(agent.csrf) and valid_id(deleted) and hmac.compare_digest(mark, _deletion_mark(agent, deleted))
    gone = deleted if shown and sku_images(console.store, agent.tenant, deleted) is None else None
    return console.render("catalog.html", **_page(console, cursor, q), kept=_kept(None), deleted=gone)


def _page(console: Console, cursor: str, q: str) -> dict[str, Any]:
    """One page of SKUs and the links on from it. A cursor this server did not give, or a search no
    SKU can start with, is said in one line over the first page (the claims queue's way)."""
    assert console.agent is not None
    starting, problems = q.strip(), list[str]()
    if starting and not valid_id_start(starting):
        problems.append(error_text("intake.bad_id", {"field": console.words["sku_starts_with"], "value": starting[:80]}, console.lang))
        starting = ""
    after = None
    if cursor:
        try:
            after = sku_after(cursor)
        except Refused as exc:
            problems.append(exc.text(console.lang))
    skus, next_cursor = skus_page(console.store, console.agent.tenant, after=after, limit=PAGE, starting=starting or None)
    searched = {"q": starting} if starting else {}
    return {
        "skus": skus,
        "sku_url": sku_url,
        "q": starting,
        "problems": problems,
        "paged": after is not None,
        "next_url": "/catalog?" + urlencode({**searched, "cursor": next_cursor}) if next_cursor else None,
        "first_url": "/catalog" + ("?" + urlencode(searched) if searched else ""),
    }


def _deletion_mark(agent: Agent, sku: str) -> str:
    """Keyed by the session's form token, which a page elsewhere cannot read."""
    return hmac.new(agent.csrf.encode(), f"deleted:{sku}".encode(), hashlib.sha256).hexdigest()[:32]


@router.post("/catalog/{sku:id}/delete", response_class=HTMLResponse)
def delete_sku(
    console: ConsoleDep,
    sku: str,
    confirm: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """As `DELETE /v1/catalog/{sku}`, once the agent ticked the box that names the SKU and its
    images (an image added by mistake, a hand-held photo: delete, then add the right ones again)."""
    agent = console.agent
    if agent is None:
        return to_sign_in(console.request)
    check_csrf(agent, csrf)
    if confirm != "yes":
        return _sku_page(console, sku, console.words["delete_sku_unconfirmed"], 422)
    if not remove_from_catalog(console.store, agent.tenant, sku):
        return console.render("missing.html", status_code=404, name=sku, product=True)
    said = {"deleted": sku, "mark": _deletion_mark(agent, sku)}
    return redirect(console.request, "/catalog?" + urlencode(said))


@router.post("/catalog/images", response_class=HTMLResponse)
async def add_images(request: Request, console: ConsoleDep) -> Response:
    """Images for a SKU (a new one, or one the catalog has): measured once and stored as the API
    stores them. A wrong SKU or no readable image gives the page back with one line, nothing stored."""
    agent = console.agent
    if agent is None:
        return to_sign_in(request)
    settings = console.settings
    try:
        form = await read_request(request, UploadLimits.of(settings), agent.tenant)
    except UploadRefused as exc:
        return _catalog_problem(console, exc.text(console.lang), refusal_status(exc))
    try:
        check_csrf(agent, form.fields.get(CSRF_FIELD))
        sku = form.fields.get("sku", "").strip()
        images = [f for f in form.files if f.field == "images"]
        if not valid_id(sku):
            refused = error_text("intake.bad_id", {"field": "sku", "value": sku[:80]}, console.lang)
            return _catalog_problem(console, refused, 422, form)
        if not images:
            return _catalog_problem(console, console.words["no_images"], 422, form)
        try:
            # Refused, not cut: a name cut at its column's width is stored as one nobody typed.
            name = storable_text("name", form.fields.get("name", "").strip() or None, NAME_WIDTH)
            category = storable_text("category", form.fields.get("category", "").strip() or None, CATEGORY_WIDTH)
        except TextUnstorable as exc:
            return _catalog_problem(console, exc.text(console.lang), 422, form)

        def stored() -> Any:
            with request.app.state.gate:
                return add_to_catalog(
                    console.store,
                    agent.tenant,
                    sku,
                    [Upload(f.filename or "upload", f.data) for f in images],
                    name=name,
                    category=category,
                    zones=None,
                    settings=settings,
                    now=now_utc(),
                )

        result = await anyio.to_thread.run_sync(stored)
    finally:
        form.close()
    if not result.stored:
        name, reason = result.skipped[0]
        return _catalog_problem(console, console.words["no_image_read"].format(name=name, reason=reason.text(console.lang)), 422, form)
    added: dict[str, str | list[str]] = {"added": str(result.added)}
    if result.without_outline:
        added["no_outline"] = [filename for filename, _share in result.without_outline]
    return redirect(console.request, sku_url(sku, added))


@router.post("/catalog/{sku:id}/zones", response_class=HTMLResponse)
async def save_zones(request: Request, console: ConsoleDep, sku: str) -> Response:
    """The zones of one image, replacing that image's; the SKU's other images keep theirs. `zones`
    is the JSON form PUT /v1/catalog/{sku}/zones takes; without the page's script the rows
    (`zone_name`, `zone_box`, `zone_cause`, `zone_extra`) are read."""
    agent = console.agent
    if agent is None:
        return to_sign_in(request)
    form = await request.form()
    check_csrf(agent, str(form.get(CSRF_FIELD) or ""))
    found = sku_images(console.store, agent.tenant, sku)
    if found is None:
        return console.render("missing.html", status_code=404, name=sku, product=True)
    _summary, images = found
    image = str(form.get("image") or "")
    if image not in {i.filename for i in images}:
        return _sku_page(console, sku, console.words["not_its_image"].format(image=repr(image[:80]), sku=sku), 422)
    try:
        drawn = _drawn(
            str(form.get("zones") or ""),
            form.getlist("zone_name"),
            form.getlist("zone_box"),
            form.getlist("zone_cause"),
            form.getlist("zone_extra"),
        )
    except json.JSONDecodeError:
        return _sku_page(console, sku, error_text("catalog.zones_not_json", {}, console.lang), 422)
    except NameGivenTwice as exc:  # says `zones:` itself
        return _sku_page(console, sku, exc.text(console.lang), 422)
    except ZonesInvalid as exc:  # worded: the page's language, where an English line was shown
        return _sku_page(console, sku, error_text("catalog.zones_invalid", {"problem": exc}, console.lang), 422)
    others = {i.filename: i.zones for i in images if i.zones and i.filename != image}
    try:
        set_catalog_zones(console.store, agent.tenant, sku, {image: drawn} if drawn else {}, now_utc(), kept=others)
    except ZonesInvalid as exc:  # a zone wholly outside the image
        return _sku_page(console, sku, error_text("catalog.zones_invalid", {"problem": exc}, console.lang), 422)
    return redirect(console.request, sku_url(sku, {"saved": image}))


@router.get("/catalog/{sku:id}", response_class=HTMLResponse)
def sku_page(console: ConsoleDep, sku: str) -> Response:
    if console.agent is None:
        return to_sign_in(console.request)
    return _sku_page(console, sku, None)


def _drawn(text: str, names: list[Any], boxes: list[Any], causes: list[Any], extras: list[Any]) -> dict[str, Any]:
    """The zones as sent: the JSON form, else the rows (an empty row is no zone). A row's `zone_extra`
    carries what the page does not edit (a polygon, the note, the Chinese label) back as it was; a
    polygon is kept while its row's box is the one it was shown with."""
    if text.strip():
        try:
            value = strict_json.loads(text)
        except strict_json.NameTwice as exc:  # json kept the second, unsaid
            raise NameGivenTwice("zones", exc.name) from None
        return parse_zones(value) if value else {}
    rows: dict[str, Any] = {}
    padded = [*causes, *[""] * len(names)], [*extras, *[""] * len(names)]
    for name, box, cause, extra in zip(names, boxes, *padded, strict=False):
        name, box = str(name).strip(), str(box).strip()
        if not name and not box:
            continue
        if not name:
            raise ZonesInvalid("zones.row_without_name", box=box)
        if name in rows:  # two rows of one name: the second replaced the first, unsaid
            raise NameGivenTwice("zones", name)
        try:
            numbers = [int(part) for part in box.split(",")]
        except ValueError:
            raise ZonesInvalid("zones.row_not_a_box", zone=name, value=box) from None
        rows[name] = _zone_as_sent(numbers, str(cause or "unknown"), str(extra or ""))
    return parse_zones(rows) if rows else {}


def _zone_as_sent(box: list[int], cause: str, extra: str) -> Any:
    kept: dict[str, Any] = {}
    if extra:
        try:
            kept = dict(strict_json.loads(extra))
        except (ValueError, TypeError):
            kept = {}
    shown = kept.pop("shown_box", None)
    zone: dict[str, Any] = {key: kept[key] for key in ("note", "label_zh") if kept.get(key)}
    if kept.get("polygon") and shown == box:
        zone["polygon"] = kept["polygon"]
    else:
        zone["box"] = box
    if cause != "unknown":
        zone["cause"] = cause
    return zone["box"] if set(zone) == {"box"} else zone


def _zone_rows(stored: dict[str, Any]) -> list[dict[str, Any]]:
    """Each zone of an image as the page shows it: its name, the box around it, its cause, and what
    the page keeps without editing (`_zone_as_sent`)."""
    rows = []
    for zone in read_zones(stored):
        xs, ys = [x for x, _ in zone.polygon], [y for _, y in zone.polygon]
        box = [round(min(xs)), round(min(ys)), max(1, round(max(xs) - min(xs))), max(1, round(max(ys) - min(ys)))]
        value = stored.get(zone.name)
        extra: dict[str, Any] = {"note": zone.note, "label_zh": zone.label_zh}
        if isinstance(value, dict) and "polygon" in value:
            extra.update(polygon=value["polygon"], shown_box=box)
        extra = {k: v for k, v in extra.items() if v}
        rows.append({"name": zone.name, "box": box, "cause": zone.cause, "extra": json.dumps(extra) if extra else ""})
    return rows


def _sku_page(console: Console, sku: str, problem: str | None, status: int = 200) -> Response:
    assert console.agent is not None
    found = sku_images(console.store, console.agent.tenant, sku)
    if found is None:
        return console.render("missing.html", status_code=404, name=sku, product=True)
    summary, images = found
    query = console.request.query_params
    return console.render(
        "sku.html",
        status_code=status,
        here=sku_url(sku),
        summary=summary,
        images=images,
        problem=problem,
        # What the redirect after a form says, and nothing else a link could put on the page
        # ("Images added: your session expired, call …").
        added=query["added"] if query.get("added", "").isdigit() else None,
        saved=query["saved"] if query.get("saved") in {image.filename for image in images} else None,
        # images just added that give the location look no product outline (`CatalogAddition`)
        no_outline=set(query.getlist("no_outline")) & {image.filename for image in images if not image.zones},
        sku_zones_url=f"{sku_url(sku)}/zones",
        sku_delete_url=f"{sku_url(sku)}/delete",
        zone_rows={image.filename: _zone_rows(image.zones) for image in images},
        # the small copy kept when the image was added, to draw zones on (none for images added before)
        pictures={i: jpeg_uri(d) for i, d in thumbnails_of(console.store, console.agent.tenant, [i.image_id for i in images]).items()},
        causes=CAUSES,
    )


def _catalog_problem(console: Console, problem: str, status: int, form: UploadedForm | None = None) -> Response:
    """The catalog's first page with `problem`, and the add form's text as sent (`form`), to be put right."""
    return console.render(
        "catalog.html", status_code=status, here="/catalog", **_page(console, "", ""), problem=problem, kept=_kept(form)
    )


def _kept(form: UploadedForm | None) -> dict[str, str]:
    return {field: form.fields.get(field, "") if form else "" for field in ("sku", "name", "category")}
