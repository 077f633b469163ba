"""Who is at the console: an agent signed in with an API key, or the loopback trial before any key.

A session is a cookie naming the key it was opened with, signed with HMAC-SHA256 keyed by that
key's stored sha256. Every process of `serve --workers N` reads the same key rows, so a session
opened on one worker is valid on all; revoking the key ends its sessions at once, and no secret
is kept beside the keys. The cookie never holds the key itself. Signing out records the session as
ended in the store (`end_session`), so a copy of its cookie is refused by every process too.

Every form carries a CSRF token that a POST must send back: the HMAC of the session's nonce (under
the same key) when signed in; in the trial, a random value kept in a cookie of its own and sent
back in the form (double submit). Every console cookie (`set_cookie`) is HttpOnly, SameSite=Strict,
and Secure when the request came over https; signing out deletes the session's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from fastapi import Request, Response
from starlette.requests import cookie_parser

from api.auth import TRIAL_TENANT, in_trial
from evidence_check import strict_json
from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.keys import digest, end_session, key_for, session_key

SESSION_COOKIE = "ec_session"
TRIAL_COOKIE = "ec_trial"
SESSION_SECONDS = 12 * 3600
SESSION_ID_LENGTH = 24  # hex digits: 96 bits, within SESSION_ID_WIDTH
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Agent:
    tenant: str
    csrf: str
    signed_in: bool  # False: the loopback trial, which has nothing to sign out of
    key_id: str | None = None  # the public id of the key the session was opened with; None: the trial
    # An opaque id of this sign-in (in the trial, of this browser), recorded with its decisions: "you,
    # in another tab" is told from "another agent with the same key" by it. Not secret: a hash of the
    # cookie's nonce, from which no token can be made without the key (the trial's: without the cookie).
    session_id: str | None = None
    expires_at: datetime | None = None  # when the session's cookie is refused anyway; None: the trial


def open_session(store: Store, api_key: str) -> str | None:
    """The session cookie's value for a valid key, or None when the key is not one."""
    found = key_for(store, api_key)
    if found is None:
        return None
    _, key_id = found
    payload = _encode({"k": key_id, "t": int(time.time()), "n": secrets.token_urlsafe(16)})
    return f"{payload}.{_sign(digest(api_key), payload)}"


def current_agent(request: Request, store: Store) -> Agent | None:
    """The agent of this request, or None when they must sign in (the trial: loopback only)."""
    if in_trial(request, store):
        nonce = console_cookie(request, TRIAL_COOKIE) or ""
        return Agent(TRIAL_TENANT, nonce, signed_in=False, session_id=_session_id(nonce) if nonce else None)
    value = console_cookie(request, SESSION_COOKIE)
    if not value or "." not in value:
        return None
    payload, _, signature = value.rpartition(".")
    try:
        # Read before its signature can be checked (the key it names signs it): strict_json, for a
        # payload nested past the recursion limit, and OverflowError for a time of 1e400.
        fields = strict_json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        key_id, issued, nonce = str(fields["k"]), int(fields["t"]), str(fields["n"])
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    if not 0 <= time.time() - issued < SESSION_SECONDS:
        return None
    session_id = _session_id(nonce)
    key = session_key(store, key_id, session_id)
    if key is None or key.session_ended:
        return None
    if not hmac.compare_digest(signature, _sign(key.secret_sha256, payload)):
        return None
    csrf = _sign(key.secret_sha256, f"csrf:{nonce}")
    expires_at = datetime.fromtimestamp(issued + SESSION_SECONDS, UTC)
    return Agent(key.tenant, csrf, signed_in=True, key_id=key_id, session_id=session_id, expires_at=expires_at)


def close_session(store: Store, agent: Agent) -> None:
    """End the agent's session for every process, until it would have expired; the trial has none."""
    if agent.signed_in and agent.session_id is not None and agent.expires_at is not None:
        end_session(store, agent.session_id, agent.expires_at, now_utc())


def with_trial_token(agent: Agent) -> tuple[Agent, str | None]:
    """In the trial, the first page makes the CSRF token: the agent with it, and the value for the
    trial cookie (None when the agent has a token already)."""
    if agent.signed_in or agent.csrf:
        return agent, None
    nonce = secrets.token_urlsafe(24)
    return replace(agent, csrf=nonce), nonce


class StaleForm(Exception):
    """A form posted without this session's token (another site's, or a page older than the agent's
    last sign-in): nothing is done, and the agent gets a page saying so (`api.web.install`)."""


def check_csrf(agent: Agent, sent: str | None) -> None:
    if not agent.csrf or not sent or not hmac.compare_digest(agent.csrf, sent):
        raise StaleForm("the form's security token is missing or stale; reload the page and try again")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=cookie_path(request),
    )


def console_cookie(request: Request, name: str) -> str | None:
    """The cookie the console set for its prefix, when the browser also holds one of that name set at
    `/` before the app was moved under a prefix on the same host (a session, a year's language choice).
    A browser sends the longer Path's first (RFC 6265, 5.4); Starlette's `request.cookies` keeps the
    last of a name, the old one, which shadowed every later sign-in and language switch."""
    for pair in request.headers.get("cookie", "").split(";"):
        found = cookie_parser(pair)
        if name in found:
            return found[name]
    return None


def cookie_path(request: Request) -> str:
    """The console's cookies go only to the app's own addresses: under a proxy's prefix, not to the
    shop's other sites on the same host (api.served_under). A Path is no wall between them: a script
    of another site of the same origin still reads the console's pages, its tokens with them."""
    return str(request.scope.get("root_path", "")) or "/"


def _session_id(nonce: str) -> str:
    return hashlib.sha256(f"session:{nonce}".encode()).hexdigest()[:SESSION_ID_LENGTH]


def _encode(fields: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode().rstrip("=")


def _sign(secret_sha256: str, payload: str) -> str:
    return hmac.new(bytes.fromhex(secret_sha256), payload.encode(), hashlib.sha256).hexdigest()

