"""A claim's pages: its report with the agent's actions (retake challenge, outcome), and a new claim.

The actions call the same store and service functions as `POST /v1/claims/{id}/challenge`,
`.../outcome` and `POST /v1/verify`; a claim of another tenant is "no such claim" (404), as there.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from api.private_answers import NOT_STORED
from api.routes.rendering import REPORT_PAGE_HEADERS
from api.upload import UploadInvalid, UploadLimits, UploadRefused, read_request, refusal_status
from api.verifying import answer, parse_verify
from api.web import words as w
from api.web.pages import Console, ConsoleDep, claim_url, redirect, to_sign_in
from api.web.session import CSRF_FIELD, Agent, check_csrf
from api.web.timeline import timeline_points
from evidence_check.checks.challenge import new_code
from evidence_check.checks.registry import title
from evidence_check.engine import now_utc
from evidence_check.intake import IntakeError, OutOfOrder, parse_moment, valid_id, zone_named
from evidence_check.models import Challenge
from evidence_check.previews import Preview, claim_previews
from evidence_check.render.html import MILESTONES
from evidence_check.render.matched import matched_in
from evidence_check.report import in_language
from evidence_check.service import decide, evidence_thumbnails, limits_from, report_page
from evidence_check.storable import TextUnstorable, storable
from evidence_check.store import RequestConflict
from evidence_check.store.catalog_store import SkuSummary, list_skus
from evidence_check.store.claims import report_history
from evidence_check.store.outcomes import (
    DecidedBy,
    DecidedMeanwhile,
    Decision,
    has_claim,
    issue_challenge,
    latest_decision,
    open_challenge,
)
from evidence_check.widths import NOTE_WIDTH

router = APIRouter(include_in_schema=False)

# The claim fields of POST /v1/verify the form sends; `tz` is filled in by the page's script.
FORM_FIELDS = (
    "claim_id", "customer_id", "order_id", "sku", "reason", "wanted",
    "ordered_at", "shipped_at", "delivered_at", "claimed_at", "region", "tz",
)  # fmt: skip
FORM_ID_FIELD = "form_id"  # a random id each time the form is drawn
# The SKUs the form's list offers: a catalog's first, not the 20,000 a large one would send each time.
# Any other is typed whole, and the claim is taken as one with any SKU is (an unknown SKU included).
SKU_CHOICES = 100


@router.get("/new-claim", response_class=HTMLResponse)
def new_claim_page(console: ConsoleDep) -> Response:
    if console.agent is None:
        return to_sign_in(console.request)
    return _form(console, console.agent, {}, None)


@router.get("/new-claim/sku")
def sku_lookup(console: ConsoleDep, sku: str = "") -> Response:
    """The form's look-up of one typed SKU its list does not hold (a catalog past SKU_CHOICES), in the
    signed-in tenant's catalog: `{"sku", "found"}`, `found` the line the list gives, null when the
    catalog has no such SKU. SKUs are compared exactly: `ab-1` is not `AB-1`."""
    if console.agent is None:
        return JSONResponse({"detail": console.words["sign_in_first"]}, status_code=401, headers=NOT_STORED)
    # Not an id: no SKU has it (and PostgreSQL could not even compare a NUL).
    listed = list_skus(console.store, console.agent.tenant, starting=sku, limit=1) if valid_id(sku) else []
    found = [summary for summary in listed if summary.sku == sku]  # the first SKU starting with it: itself, if any
    line = found_line(found[0], console.words) if found else None
    return JSONResponse({"sku": sku, "found": line}, headers=NOT_STORED)


def found_line(summary: SkuSummary, words: dict[str, str]) -> str:
    """What the form says of a SKU the catalog has: its name, category and picture count."""
    named = summary.name or summary.sku
    category = f" · {summary.category}" if summary.category else ""
    return f"{named}{category} · {words['images']}: {summary.images}"


@router.post("/new-claim", response_class=HTMLResponse)
async def new_claim(request: Request, console: ConsoleDep) -> Response:
    """The form as it streams, within the API's limits; the store and the analysis in the thread
    pool. A wrong field or unreadable photos give the form back with the one-line reason and the
    fields kept. The CSRF token is a field of the form, so it is checked once the form is read;
    nothing is analysed or recorded before."""
    agent = console.agent
    if agent is None:
        return to_sign_in(request)
    settings = console.settings
    try:
        # The form sends its photos last: a photo refused while it streams in leaves every field read.
        form = await read_request(request, UploadLimits.of(settings), agent.tenant, fields_first=True)
    except UploadRefused as exc:
        kept = {name: exc.fields_read.get(name, "") for name in FORM_FIELDS}
        return await anyio.to_thread.run_sync(_form, console, agent, kept, exc.text(console.lang), refusal_status(exc))
    try:
        check_csrf(agent, form.fields.pop(CSRF_FIELD, None))
        # The form's own id, the request's idempotency key: the same form sent twice (a double
        # click, a resend) is one claim, where each made a claim of its own, the second one's photos
        # then "already sent in" the first.
        form_id = form.fields.pop(FORM_ID_FIELD, "").strip()[:64]
        kept = {name: form.fields.get(name, "") for name in FORM_FIELDS}
        now = now_utc()

        def verify() -> dict[str, Any]:
            _keep_claims_zone(console, agent.tenant, form.fields)
            parsed = parse_verify(
                form,
                tenant=agent.tenant,
                lang=console.lang,
                settings=settings,
                now=now,
                idempotency_key=f"console-form:{form_id}" if form_id else None,
                store=console.store,
            )
            return answer(
                parsed, store=console.store, settings=settings, now=now, gate=request.app.state.gate, channel="console"
            )

        try:
            body = await anyio.to_thread.run_sync(verify)
        except IntakeError as exc:
            return await anyio.to_thread.run_sync(_form, console, agent, kept, _problem_of(exc, console), 422)
        except UploadInvalid as exc:  # a photo sent in another field than the form's
            return await anyio.to_thread.run_sync(_form, console, agent, kept, exc.text(console.lang), 422)
        except RequestConflict:
            problem = console.words["form_sent_before"]
            return await anyio.to_thread.run_sync(_form, console, agent, kept, problem, 409)
    finally:
        form.close()  # its spooled photos, as the API's routes close theirs
    request.app.state.metrics.observe_report(body)
    return redirect(console.request, claim_url(str(body["claim_id"])))


# The form's address before a claim could be named "new": a bookmark of it, or a form left open
# across the move, still reaches the form while the tenant has no claim of that name.
FORMER_FORM = "/claims/new"


@router.post(FORMER_FORM)
def former_form(request: Request) -> Response:
    # 307: the browser sends the same form again, photos and token with it.
    return redirect(request, "/new-claim", status_code=307)


@router.get("/claims/{claim_id:id}/print", response_class=HTMLResponse)
def printable(console: ConsoleDep, claim_id: str) -> Response:
    """The report's self-contained printable page (the API's `?format=html`), for a dispute file."""
    if console.agent is None:
        return to_sign_in(console.request)
    tenant = console.agent.tenant
    body = console.store.latest_report(tenant, claim_id)
    if body is None:
        return console.render("missing.html", status_code=404, name=claim_id)
    settings = console.request.app.state.settings
    # In the agent's zone, as the console's report page beside it: a page printed for a colleague
    # gives the times the agent read on screen (the zone is named on the timeline).
    page = report_page(
        console.store, tenant, in_language(body, console.lang, "console"), console.lang, settings, console.zone
    )
    return HTMLResponse(page, headers=REPORT_PAGE_HEADERS)


@router.get("/claims/{claim_id:id}", response_class=HTMLResponse)
def claim_page(console: ConsoleDep, claim_id: str) -> Response:
    agent = console.agent
    if agent is None:
        return to_sign_in(console.request)
    if f"/claims/{claim_id}" == FORMER_FORM and console.store.latest_report(agent.tenant, claim_id) is None:
        return redirect(console.request, "/new-claim")
    shown = console.request.query_params.get("challenge") == "issued"
    return _report_page(console, agent, claim_id, open_challenge(console.store, agent.tenant, claim_id) if shown else None)


@router.post("/claims/{claim_id:id}/challenge", response_class=HTMLResponse)
def challenge(
    console: ConsoleDep, claim_id: str, csrf: Annotated[str, Form(alias=CSRF_FIELD)] = ""
) -> Response:
    """The code is shown large on the report page, to be read out to the customer. The answer is
    that page's own address: reloading it, going back to it or switching its language shows the
    same code, where answering the POST itself issued a new one (which voids the code the customer
    already holds) or, switched, looked up a claim named '.../challenge'."""
    agent = _agent_on_claim(console, claim_id, csrf)
    if isinstance(agent, Response):
        return agent
    code = new_code(console.settings.for_tenant(agent.tenant).challenge_length)
    issue_challenge(console.store, agent.tenant, claim_id, code, now_utc())
    return redirect(console.request, claim_url(claim_id) + "?" + urlencode({"challenge": "issued"}))


@router.post("/claims/{claim_id:id}/outcome")
def outcome(
    console: ConsoleDep,
    claim_id: str,
    decision: Annotated[str, Form()] = "",
    # A browser sends a note's line breaks as CRLF, and its `maxlength` counts each as one character:
    # a full note may arrive twice the API's 2000 characters long, and is measured as the browser does.
    note: Annotated[str, Form(max_length=2 * NOTE_WIDTH)] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    seen_decision: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Recorded as `POST /v1/claims/{id}/outcome` records it (and announced to the tenant's webhooks).

    `seen_decision`: the latest decision the page showed (its row id, 0 for none). Two agents with the
    claim open at once: the second one's choice silently replaced the first one's, both then sure of
    their own. A decision recorded since the page was drawn is shown instead, the note typed kept; the
    agent who chooses again replaces it knowingly."""
    agent = _agent_on_claim(console, claim_id, csrf)
    if isinstance(agent, Response):
        return agent
    if decision not in w.OUTCOMES["en"]:
        return redirect(console.request, claim_url(claim_id))
    if not storable(note):
        # No browser's textarea sends one: a hand-made request, answered in one line as the API does.
        return PlainTextResponse(TextUnstorable("text.unstorable", field="note").text(console.lang), status_code=422)
    written = note.replace("\r\n", "\n").strip()[:NOTE_WIDTH]
    # Judged where the decision is recorded, under the claim's lock: read here first, two agents
    # sent the same page and deciding at once both passed, the second replacing the first unawares.
    seen = (int(seen_decision) if seen_decision.isascii() and seen_decision.isdigit() else -1) if seen_decision else None
    try:
        recorded = decide(console.store, agent.tenant, claim_id, decision, written or None, seen, by=_decided_by(agent))
    except DecidedMeanwhile as meanwhile:
        return _report_page(
            console, agent, claim_id, None, status_code=409,
            decided_meanwhile=_whose(agent, meanwhile.latest), winner=meanwhile.latest, typed_note=written,
        )  # fmt: skip
    said = {"saved": decision, **({"replaced": recorded.replaced} if recorded.replaced else {})}
    return redirect(console.request, claim_url(claim_id) + "?" + urlencode(said))


def _decided_by(agent: Agent) -> DecidedBy:
    return DecidedBy("console", agent.key_id, agent.session_id)


def _whose(agent: Agent, latest: Decision | None) -> str:
    """Which of the 409's sentences (`words.decided_meanwhile_*`) tells who recorded the decision
    that won: this sign-in (the trial: this browser) in another tab, another session or the API with
    a key, the command line, or nobody known (recorded before who decided was kept, the trial's).
    No decision at all (a hand-made form naming one the claim never had) has its own line."""
    by = latest.by if latest is not None else None
    if by is not None and agent.session_id is not None and by.session == agent.session_id:
        return "mine"
    if by is not None and by.via == "cli":
        return "cli"
    if by is None or by.key is None:
        return "unknown"
    return "api" if by.via == "api" else "key"


def _agent_on_claim(console: Console, claim_id: str, csrf: str) -> Agent | Response:
    """The signed-in agent acting by a form (its token checked) on a claim of their tenant's; else
    the answer instead: the sign-in page, or the missing page (another tenant's claim or nobody's)."""
    agent = console.agent
    if agent is None:
        return to_sign_in(console.request)
    check_csrf(agent, csrf)
    if not has_claim(console.store, agent.tenant, claim_id):
        return console.render("missing.html", status_code=404, name=claim_id)
    return agent


def _report_page(
    console: Console, agent: Agent, claim_id: str, challenge: Challenge | None, status_code: int = 200, **shown: Any
) -> Response:
    """`shown`: what an action's answer adds to the page (a decision recorded meanwhile, the note typed)."""
    recorded = report_history(console.store, agent.tenant, claim_id)
    if not recorded:
        # The same answer whether the claim is another tenant's or nobody's.
        return console.render("missing.html", status_code=404, name=claim_id)
    history = [in_language(body, console.lang, "console") for body in recorded]
    settings = console.request.app.state.settings
    previews = claim_previews(console.store, agent.tenant, claim_id, limits_from(settings))
    earlier = evidence_thumbnails(console.store, agent.tenant, history[-1], settings)
    return console.render(
        "claim.html",
        status_code=status_code,
        here=claim_url(claim_id),
        report=history[-1],
        earlier=list(reversed(history[:-1])),
        decision=latest_decision(console.store, agent.tenant, claim_id),
        cards=[_card(image, previews, earlier, console.lang) for image in history[-1].get("images", [])],
        timeline=timeline_points(history[-1], console.zone, console.lang),
        challenge=challenge,
        saved=console.request.query_params.get("saved"),
        replaced=console.request.query_params.get("replaced"),
        **shown,
    )


def _keep_claims_zone(console: Console, tenant: str, fields: dict[str, str]) -> None:
    """A retake (the id of a claim recorded before) keeps the claim's zone, as `--tz` or the tenant's
    zone gave it: the page's script puts the browser's zone in `tz`, and a request's `tz` replaces the
    claim's, so a retake sent from Shanghai stored a New York claim again in Shanghai's zone, the
    customer's camera times then read in it. A date-time typed on the form is the agent's, read in the
    zone the form shows and sent with its offset; a bare date is a day of the claim's calendar."""
    claim_id = fields.get("claim_id", "").strip()
    if not (valid_id(claim_id) and has_claim(console.store, tenant, claim_id)):
        return
    shown = fields.pop("tz", "").strip()
    for name in (f"{milestone}_at" for milestone in MILESTONES):  # the form's date fields
        typed = fields.get(name, "").strip()
        if shown and len(typed) > len("2026-11-20"):
            moment = parse_moment(typed, name, zone_named(shown))
            fields[name] = moment.isoformat() if moment is not None else typed


def _form(console: Console, agent: Agent, kept: dict[str, str], error: str | None, status: int = 200) -> Response:
    choices = list_skus(console.store, agent.tenant, limit=SKU_CHOICES + 1)  # one more: are there others?
    return console.render(
        "new.html",
        status_code=status,
        here="/new-claim",
        form_id=secrets.token_urlsafe(16),
        kept=kept,
        error=error,
        skus=[(summary, found_line(summary, console.words)) for summary in choices[:SKU_CHOICES]],
        every_sku=len(choices) <= SKU_CHOICES,
        max_photos=console.settings.max_photos,
    )


def _problem_of(exc: IntakeError, console: Console) -> str:
    """The form's problem in the agent's words where the console knows them: the dates by the names
    and in the zone the form shows them in (the service's line names the API's fields, in UTC offsets)."""
    if isinstance(exc, OutOfOrder):
        return console.words["out_of_order"].format(
            second=console.words[exc.second],
            second_at=w.local_time(exc.second_at, console.zone),
            first=console.words[exc.first],
            first_at=w.local_time(exc.first_at, console.zone),
        )
    return exc.text(console.lang)


def _card(image: dict[str, Any], previews: dict[str, Preview], earlier: dict[str, str], lang: str) -> dict[str, Any]:
    """A photo (its re-encoded preview while its file is kept, with the region drawn on it) and its
    checks, the three looks first."""
    checks = image.get("checks") or {}
    looks = ("location", "timestamp", "relevance")
    order = [*(n for n in looks if n in checks), *(n for n in checks if n not in looks)]
    location = (checks.get("location") or {}).get("details") or {}
    integrity = (checks.get("integrity") or {}).get("details") or {}
    return {
        "image_id": str(image.get("image_id")),
        "filename": image.get("filename"),
        "preview": previews.get(str(image.get("image_id"))),
        "region": _box(location.get("region")),
        "proposed_region": _box(location.get("proposed_region")),
        "flags": [str(flag) for flag in integrity.get("flags") or []],
        "error": image.get("error"),
        "verdict": image.get("verdict"),
        "risk": image.get("risk", 0.0),
        "rows": [{"name": n, **checks[n]} for n in order],
        "zone": location.get("zone") if isinstance(location.get("zone"), str) else None,
        # the product's outline or the merchant's zones were placed on the photo: drawn by the server
        "zones_drawn": bool(location.get("outline_in_photo") or location.get("zones_in_photo")),
        "reused_from": _reused_from(checks.get("reuse") or {}),
        "earlier_photos": _earlier_photos(checks.get("reuse") or {}, earlier),
        "matched_images": _matched_images(checks, earlier, lang),
    }


def _box(value: Any) -> tuple[int, int, int, int] | None:
    """[x, y, w, h] of the location look's details, when it is one."""
    if isinstance(value, list) and len(value) == 4 and all(isinstance(v, int | float) for v in value):
        x, y, w, h = (int(v) for v in value)
        return (x, y, w, h)
    return None


def _matched_images(checks: dict[str, Any], pictures: dict[str, str], lang: str) -> list[dict[str, str]]:
    """The catalog image, listing, stock or review photo a look matched, to show beside the photo
    (an earlier claim's photo is shown with its link by `_earlier_photos`)."""
    return [
        {"caption": match.caption(lang) or title(name, lang), "label": match.label, "thumbnail": pictures[match.image_id]}
        for name in ("relevance", "reuse")
        for match in matched_in(name, (checks.get(name) or {}).get("details") or {})
        if match.kind != "claim" and match.image_id in pictures
    ]


def _earlier_photos(reuse: dict[str, Any], earlier: dict[str, str]) -> list[dict[str, str]]:
    """The earlier claims' photos this one matched, with their thumbnails, to show side by side."""
    matches = (reuse.get("details") or {}).get("matches") or []
    return [
        {"claim_id": str(m.get("claim_id")), "thumbnail": earlier[str(m.get("image_id"))]}
        for m in matches
        if isinstance(m, dict) and m.get("earlier") and str(m.get("image_id")) in earlier
    ]


def _reused_from(reuse: dict[str, Any]) -> list[str]:
    """The earlier claims a photo was found in, to link to."""
    details = reuse.get("details") or {}
    found = [details.get("claim_id")] + [
        m.get("claim_id") for m in details.get("matches") or [] if isinstance(m, dict)
    ]
    return list(dict.fromkeys(str(c) for c in found if isinstance(c, str) and c))
