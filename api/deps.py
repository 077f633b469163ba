"""What routes receive, in one place to import from: settings, store, metrics (api.state), the caller's
tenant (api.auth), language and format (api.negotiation), and the uploaded form."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from api.auth import TRIAL_TENANT, KeyFirstRoute, TenantDep, check_metrics_access, is_loopback
from api.negotiation import HtmlDep, LangDep
from api.state import MetricsDep, SettingsDep, StoreDep
from api.threads import OPERATIONS_THREADS, one_library_thread_here
from api.upload import UploadedForm, UploadLimits, read_request

__all__ = [
    "OPERATIONS_THREADS",
    "TRIAL_TENANT",
    "HtmlDep",
    "KeyFirstRoute",
    "LangDep",
    "MetricsDep",
    "SettingsDep",
    "StoreDep",
    "TenantDep",
    "UploadFormDep",
    "check_metrics_access",
    "is_loopback",
    "one_library_thread_here",
]


async def get_upload_form(
    request: Request, settings: SettingsDep, tenant: TenantDep
) -> AsyncIterator[UploadedForm]:
    """The multipart body, read as it streams (413 as soon as a limit is passed), its files spooled
    until the route is done with them.

    Depends on the tenant so that a caller without a valid key is refused before any byte is read.
    """
    form = await read_request(request, UploadLimits.of(settings), tenant)
    try:
        yield form
    finally:
        form.close()


UploadFormDep = Annotated[UploadedForm, Depends(get_upload_form)]
