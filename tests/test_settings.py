"""Settings a merchant writes are checked when read: a value the service cannot use is one line
naming it, not a setting taken without a word or a request refused for it later."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from evidence_check.checks.registry import BY_NAME
from evidence_check.explain import LANGUAGES
from evidence_check.settings import LOOKS, MAX_WINDOW_HOURS, Settings


def test_the_looks_and_languages_settings_may_name_are_the_services() -> None:
    assert set(LOOKS) == set(BY_NAME)
    assert get_args(Settings.model_fields["lang"].annotation) == tuple(LANGUAGES)


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        # Every API answer without Accept-Language was a 422 blaming the client's lang.
        ("lang", "fr", "lang"),
        # A misspelt look's unknowns were accepted unseen.
        ("review_when_unknown", ["timestamp", "relevence"], "'relevence' is not a look"),
        ("category_windows_hours", {"fresh_food": -1}, "window of 'fresh_food'"),
        # No window at all: the message said "0 to" while refusing 0.
        ("category_windows_hours", {"fresh_food": 0}, "window of 'fresh_food' must be over 0 and at most"),
        ("category_windows_hours", {"default": float("inf")}, "window of 'default'"),
        ("category_windows_hours", {"default": float("nan")}, "window of 'default'"),
    ],
)
def test_a_setting_the_service_cannot_use_is_refused_when_read(setting: str, value: object, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        Settings(**{setting: value})


def test_a_tenants_override_is_checked_as_the_setting_is() -> None:
    with pytest.raises(ValidationError, match="'relevence' is not a look"):
        Settings(tenant_overrides={"shop-a": {"review_when_unknown": ["relevence"]}})
    assert Settings(review_when_unknown=["timestamp", "integrity"]).review_when_unknown == ["timestamp", "integrity"]
    assert Settings(category_windows_hours={"default": MAX_WINDOW_HOURS}).category_windows_hours["default"] == MAX_WINDOW_HOURS
