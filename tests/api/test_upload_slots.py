"""A tenant holds at most `UPLOADS_PER_TENANT` of a process's upload slots: its uploads trickled in
cannot keep another tenant's out. Its upload over the share waits, then gets the answer a full process
gives (503, `Retry-After`); the slots of uploads aborted or timed out are its again. Concurrent slow
uploads against the app in process: each request's body arrives as the test lets it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import text

from api import upload
from api.app import create_app
from api.upload import UploadNoRoom, UploadSlots
from api.web.session import SESSION_COOKIE, open_session
from evidence_check.engine import now_utc
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.keys import create_key
from tests.api.conftest import CLAIM, LOCAL, LOOPBACK, jpeg, settings_for

BOUNDARY = b"slots-boundary"
BUSY = "too many uploads in progress on this server; try again"


def claim_body(seed: int) -> tuple[bytes, bytes]:
    """A claim's multipart body, cut where its photo's bytes begin: (that head, the rest)."""
    fields = b"".join(
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="' + k.encode() + b'"\r\n\r\n' + v.encode() + b"\r\n"
        for k, v in CLAIM.items()
    )
    head = fields + b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\n'
    return head, jpeg(seed) + b"\r\n--" + BOUNDARY + b"--\r\n"


def scope(path: str, length: int, *, key: str | None = None, cookie: str | None = None) -> dict[str, Any]:
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"multipart/form-data; boundary=" + BOUNDARY),
        (b"content-length", str(length).encode()),
    ]
    if key is not None:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": LOOPBACK, "server": ("127.0.0.1", 8000),
    }  # fmt: skip


class Upload:
    """One request whose body stops after its head until the test says `finish` (the rest sent) or
    `leave` (the client disconnects); with neither, it stalls until the app's body timeout."""

    def __init__(self, app: Any, path: str, seed: int, **who: str) -> None:
        self.app = app
        self.head, self.rest = claim_body(seed)
        self.scope = scope(path, len(self.head) + len(self.rest), **who)
        self.go_on = anyio.Event()
        self.leaving = False
        self.sent: list[dict[str, Any]] = []
        self.done = anyio.Event()
        self._pieces = [self.head]

    def finish(self) -> None:
        self.go_on.set()

    def leave(self) -> None:
        self.leaving = True
        self.go_on.set()

    async def receive(self) -> dict[str, Any]:
        if self._pieces:
            return {"type": "http.request", "body": self._pieces.pop(0), "more_body": True}
        await self.go_on.wait()
        if self.leaving or not self.rest:
            return {"type": "http.disconnect"}
        rest, self.rest = self.rest, b""
        return {"type": "http.request", "body": rest, "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def run(self) -> None:
        try:
            await self.app(self.scope, self.receive, self.send)
        finally:
            self.done.set()

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    def header(self, name: bytes) -> bytes | None:
        return dict(self.sent[0]["headers"]).get(name)

    def detail(self) -> str:
        return str(json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))["detail"])


async def until(condition: Callable[[], bool]) -> None:
    """Wait for the app to get there (bounded: a test that hangs fails instead)."""
    with anyio.fail_after(30):
        while not condition():
            await anyio.sleep(0.01)


async def answered(upload_: Upload) -> Upload:
    with anyio.fail_after(60):
        await upload_.done.wait()
    return upload_


@pytest.fixture
def two_tenants(store: Store, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, str]]:
    monkeypatch.setattr(upload, "SLOT_WAIT_SECONDS", 0.2)
    keys = {tenant: create_key(store, tenant, now_utc())[1] for tenant in ("acme", "globex")}
    # A stalled body is timed out after 8 s: long past the rest of the test's requests (~0.5 s), even on a loaded CI machine.
    app = create_app(settings_for(store.url, uploads_per_tenant=2), store, body_idle_seconds=8)
    return app, keys


def test_a_tenant_holding_its_share_keeps_no_other_tenant_out_and_gets_its_slots_back(
    two_tenants: tuple[Any, dict[str, str]], store: Store
) -> None:
    app, keys = two_tenants
    slots: UploadSlots = app.state.uploads
    session = f"{SESSION_COOKIE}={open_session(store, keys['acme'])}"

    async def scenario(start: Callable[[Upload], Awaitable[None]]) -> None:
        left, stalled = Upload(app, "/v1/verify", 1, key=keys["acme"]), Upload(app, "/v1/verify", 2, key=keys["acme"])
        await start(left)
        await start(stalled)
        await until(lambda: slots.held("acme") == 2)

        over = Upload(app, "/v1/verify", 3, key=keys["acme"])
        over.finish()
        await start(over)
        await answered(over)
        assert (over.status, over.detail(), over.header(b"retry-after")) == (503, BUSY, b"5")
        # The console's form counts under its agent's tenant, as the API's requests do.
        form = Upload(app, "/new-claim", 4, cookie=session)
        form.finish()
        await start(form)
        await answered(form)
        assert form.status == 503 and "too many uploads in progress" in b"".join(m.get("body", b"") for m in form.sent[1:]).decode()

        left.leave()  # the client disconnects mid-body
        await answered(left)
        assert left.status == 499 and slots.held("acme") == 1  # its slot given back, the stalled one's held

        other = Upload(app, "/v1/verify", 5, key=keys["globex"])
        other.finish()
        await start(other)
        await answered(other)
        assert other.status == 200 and slots.held("globex") == 0

        await answered(stalled)  # the body timeout
        assert stalled.status == 408
        assert slots.held("acme") == 0 and slots.free.value == upload.UPLOADS_IN_FLIGHT

        again = [Upload(app, "/v1/verify", 6 + n, key=keys["acme"]) for n in range(2)]
        for one in again:
            one.finish()
            await start(one)
        for one in again:
            await answered(one)
        assert [one.status for one in again] == [200, 200]

    async def main() -> None:
        async with anyio.create_task_group() as group:

            async def start(upload_: Upload) -> None:
                group.start_soon(upload_.run)

            await scenario(start)

    anyio.run(main)
    with store.engine.connect() as connection:
        claims = connection.execute(text("SELECT tenant, count(*) FROM claims GROUP BY tenant ORDER BY tenant")).all()
    assert [tuple(row) for row in claims] == [("acme", 2), ("globex", 1)]


def test_a_tenants_upload_waiting_for_its_share_takes_none_of_the_processs_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The share is taken first: a request waiting for it holds no slot another tenant could use."""
    monkeypatch.setattr(upload, "SLOT_WAIT_SECONDS", 1.0)
    slots = UploadSlots(total=2, per_tenant=1)
    refused: list[str] = []

    async def over_its_share() -> None:
        with pytest.raises(UploadNoRoom, match="too many uploads"):
            async with slots.hold("acme"):
                pass
        refused.append("acme")

    async def main() -> None:
        async with slots.hold("acme"), anyio.create_task_group() as group:
            group.start_soon(over_its_share)
            await until(lambda: slots._tenants["acme"][1] == 2)  # the second is waiting
            async with slots.hold("globex"):  # the process's last slot, while acme's waits
                assert refused == [] and slots.free.value == 0
                with pytest.raises(UploadNoRoom):  # the process full: globex's second waits, then 503
                    async with slots.hold("globex"):
                        pass
        assert refused == ["acme"]
        assert slots.free.value == 2 and slots.held("acme") == slots.held("globex") == 0
        assert slots._tenants == {}  # nothing kept of tenants with no upload in flight

    anyio.run(main)


@pytest.mark.parametrize(
    ("path", "by"),
    [
        ("/v1/verify", "key"),
        ("/v1/verify", "other key"),
        ("/new-claim", "session"),
        ("/catalog/images", "session"),
        ("/claims/preview", "session"),
    ],
)
def test_every_upload_takes_its_slot_under_its_tenant(
    store: Store, monkeypatch: pytest.MonkeyPatch, path: str, by: str
) -> None:
    """The API's routes under the key's tenant (two keys of one tenant are one tenant), the console's
    three forms under their agent's."""
    first, second = (create_key(store, "acme", now_utc())[1] for _ in range(2))
    create_key(store, "globex", now_utc())
    holders: list[str] = []
    hold = UploadSlots.hold

    def recorded(self: UploadSlots, tenant: str) -> Any:
        holders.append(tenant)
        return hold(self, tenant)

    monkeypatch.setattr(UploadSlots, "hold", recorded)
    app = create_app(settings_for(store.url), store)
    head, rest = claim_body(1)
    headers = {"content-type": "multipart/form-data; boundary=" + BOUNDARY.decode()}
    if by == "session":
        headers["cookie"] = f"{SESSION_COOKIE}={open_session(store, first)}"
    else:
        headers["authorization"] = f"Bearer {first if by == 'key' else second}"
    with TestClient(app, base_url=LOCAL, client=LOOPBACK) as client:
        client.post(path, content=head + rest, headers=headers)
    assert holders == ["acme"]


def test_a_share_is_at_least_one_slot_and_at_most_the_processs() -> None:
    """Over the process's slots a share would read as a limit that is none: refused when read, as
    `serve` words a bad setting (one line)."""
    assert Settings(uploads_per_tenant=1).uploads_per_tenant == 1
    assert Settings(uploads_per_tenant=upload.UPLOADS_IN_FLIGHT).uploads_per_tenant == upload.UPLOADS_IN_FLIGHT
    for refused in (0, upload.UPLOADS_IN_FLIGHT + 1):
        with pytest.raises(ValidationError, match="uploads_per_tenant"):
            Settings(uploads_per_tenant=refused)


def test_a_request_cancelled_while_it_waits_gives_back_what_it_took_and_leaves_no_tenant_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request cancelled in the queue (the server stopping it, a timeout around it): one waiting for
    the process's slot with its share taken gives the share back; one waiting for its share took none.
    Each tenant still has another upload in flight, so its share's count is the one kept."""
    monkeypatch.setattr(upload, "SLOT_WAIT_SECONDS", 30.0)
    slots = UploadSlots(total=3, per_tenant=2)

    async def wait_for(tenant: str) -> None:
        async with slots.hold(tenant):
            raise AssertionError(f"{tenant} was given a slot the test holds")

    async def main() -> None:
        async with slots.hold("acme"), slots.hold("acme"), slots.hold("globex"):  # the process full
            async with anyio.create_task_group() as group:
                group.start_soon(wait_for, "globex")  # its share taken, waiting for the process's slot
                group.start_soon(wait_for, "acme")  # waiting for its share
                await until(lambda: slots.held("globex") == 2 and slots._tenants["acme"][1] == 3)
                group.cancel_scope.cancel()
            assert (slots.held("acme"), slots.held("globex"), slots.free.value) == (2, 1, 0)
            assert (slots._tenants["acme"][1], slots._tenants["globex"][1]) == (2, 1)
        assert slots._tenants == {} and slots.free.value == 3
        with anyio.fail_after(1):  # nothing kept: each tenant is given its whole share at once
            async with slots.hold("acme"), slots.hold("acme"), slots.hold("globex"):
                pass

    anyio.run(main)
