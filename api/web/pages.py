"""What every console page shares: who is asking, in which language and time zone, and the templates.

Pages are Jinja2 templates in `api/web/templates`, with the console's words, the agent and the
CSRF token in every context. The language is the agent's choice (a cookie set by the switch), else
the browser's `Accept-Language`; the time zone is the one the page's script reads from the browser
and keeps in a cookie, else the server's setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.negotiation import LangDep
from api.private_answers import NOT_STORED
from api.state import SettingsDep, StoreDep
from api.web import words as w
from api.web.session import TRIAL_COOKIE, Agent, console_cookie, current_agent, set_cookie, with_trial_token
from evidence_check.checks.registry import BY_NAME, title
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.widths import ID_WIDTH, NOTE_WIDTH, ZONE_NAME_WIDTH

LANG_COOKIE = "ec_lang"
ZONE_COOKIE = "ec_tz"
HERE = Path(__file__).parent
# The pages show a tenant's claims: never kept by a shared cache, never framed by another site, and
# nothing loaded from anywhere but this server (the script and stylesheet are files of the app).
PAGE_HEADERS = {
    **NOT_STORED,
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
}

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def claim_url(claim_id: str, action: str = "") -> str:
    return f"/claims/{quote(claim_id, safe='')}{'/' + action if action else ''}"


templates.filters["claim_url"] = claim_url
# The forms' maxlength: the store's column widths, written in one place. A product's name and
# category have none: a browser cuts a pasted text at it silently (and counts an emoji twice), and a
# cut name is one nobody typed; the server refuses a longer one whole, the form kept.
templates.globals["widths"] = {"id": ID_WIDTH, "note": NOTE_WIDTH, "zone_name": ZONE_NAME_WIDTH}


@dataclass(frozen=True)
class Console:
    request: Request
    store: Store
    settings: Settings
    agent: Agent | None  # None: nobody signed in
    lang: str
    zone: ZoneInfo

    @property
    def words(self) -> dict[str, str]:
        return w.WORDS[self.lang]

    def render(self, template: str, status_code: int = 200, here: str | None = None, **values: Any) -> HTMLResponse:
        """`here`: the address that shows this page again, for a page answering a form's POST (the
        language switch leads there; the POST's own address is no page, or another one)."""
        agent, trial_token = with_trial_token(self.agent) if self.agent is not None else (None, None)
        path = app_path(self.request)
        here = here or path + ("?" + self.request.url.query if self.request.url.query else "")
        body = templates.get_template(template).render(
            lang=self.lang,
            words=self.words,
            verdicts=w.VERDICTS[self.lang],
            statuses=w.STATUSES[self.lang],
            reasons_words=w.REASONS[self.lang],
            wanted_words=w.WANTED[self.lang],
            outcomes=w.OUTCOMES[self.lang],
            check_titles={name: title(name, self.lang) for name in BY_NAME},
            agent=agent,
            zone=self.zone.key,
            switch_url="/lang?" + urlencode({"to": "en" if self.lang == "zh" else "zh", "next": here}),
            path=path,
            root=root_of(self.request),
            local_time=lambda moment: w.local_time(moment, self.zone),
            **values,
        )
        response = HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)
        if trial_token is not None:
            set_cookie(self.request, response, TRIAL_COOKIE, trial_token, max_age=None)
        return response


def console_language(request: Request, lang: LangDep) -> str:
    """The language switch's choice, else what `Accept-Language` asks."""
    return w.language(console_cookie(request, LANG_COOKIE)) or (lang if lang in w.LANGUAGES else "en")


def get_console(request: Request, store: StoreDep, settings: SettingsDep, lang: LangDep) -> Console:
    return Console(
        request=request,
        store=store,
        settings=settings,
        agent=current_agent(request, store),
        lang=console_language(request, lang),
        # The script writes the zone URL-encoded (Asia%2FShanghai): a cookie value has no '/' otherwise.
        zone=w.zone(unquote(console_cookie(request, ZONE_COOKIE) or ""), settings.time_zone),
    )


ConsoleDep = Annotated[Console, Depends(get_console)]


# What a form on a page does (`/claims/c-1/outcome`, `/catalog/images`): no page to come back to.
FORM_ACTIONS = ("delete", "zones", "images", "challenge", "outcome")


def to_sign_in(request: Request) -> RedirectResponse:
    """To the sign-in page, then back: to this page, or to the page whose form was sent (a form's
    action answers only its POST, so coming back to it was a 404 or 405)."""
    path = app_path(request)
    here = path + ("?" + request.url.query if request.url.query else "")
    page, _, action = path.rpartition("/")
    if request.method != "GET" and action in FORM_ACTIONS and page:
        here = page
    return redirect(request, "/signin?" + urlencode({"next": here}))


def root_of(request: Request) -> str:
    """The path a reverse proxy serves the app under (`/evidence`; "" at `/`): api.served_under."""
    return str(request.scope.get("root_path", ""))


def at(request: Request, path: str) -> str:
    """The address a browser reaches the app's `path` (`/claims/c-1`) at: under the proxy's prefix."""
    return root_of(request) + path


def app_path(request: Request) -> str:
    """This request's path within the app, past the proxy's prefix: what `at` was given."""
    return within_app(request, request.url.path)


def within_app(request: Request, path: str) -> str:
    """A path (and query) the browser sees, a Referer's, as the app's own: "/" for one outside the prefix."""
    root = root_of(request)
    if not root:
        return path
    if path == root:
        return "/"
    return path[len(root) :] if path.startswith(root + "/") else "/"


def redirect(request: Request, path: str, status_code: int = 303) -> RedirectResponse:
    """To the app's `path`, under the proxy's prefix (every redirect of the console's is one)."""
    return RedirectResponse(at(request, path), status_code=status_code)


def safe_next(target: str | None) -> str:
    """Only a path on this site: a link never sends a signed-in agent elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    # Behind a proxy's prefix the target follows it (`/evidence` + target): a dot segment, as a
    # browser reads one (`..`, `%2e%2e`), would climb out of the console to the host's other sites.
    path = target.partition("?")[0].partition("#")[0]
    if {".", ".."} & {unquote(segment) for segment in path.split("/")}:
        return "/"
    return target
