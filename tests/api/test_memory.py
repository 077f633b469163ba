"""The server hands glibc's free heap pages back after every TRIM_EVERY-th claim, not after each."""

from __future__ import annotations

import itertools

import pytest

from api import memory


class FakeLibc:
    def __init__(self) -> None:
        self.trims = 0

    def malloc_trim(self, pad: int) -> int:
        self.trims += 1
        return 1


def test_every_trim_every_th_claim_trims_the_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = FakeLibc()
    monkeypatch.setattr(memory, "_LIBC", libc)
    monkeypatch.setattr(memory, "_claims_analysed", itertools.count(1))
    for _ in range(3 * memory.TRIM_EVERY - 1):
        memory.release_freed_memory()
    assert libc.trims == 2


def test_without_glibc_nothing_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_LIBC", None)
    for _ in range(2 * memory.TRIM_EVERY):
        memory.release_freed_memory()
    memory.limit_malloc_arenas()
