"""The checks in one place: their names, their order, and what an agent calls them (en and zh).

The engine runs the checks of `CHECKS` on every readable photo; the retake challenge joins them only
for a claim with an open challenge (the service adds it). A photo's ``checks`` in the report list
`CHECK_NAMES` in this order, then any check called for. Among equally serious reasons the earlier
check comes first (`ORDER`: the challenge before all, since a retake settles what the others left
open). The verdict's sentence names a check by its `label`; the HTML report heads a check's box
with its `title` and shows the three looks of the refund desk (`LOOKS`: location, timestamp,
relevance, in the order agents say them) before the other checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evidence_check.checks import challenge, integrity, location, relevance, reuse, timestamp
from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding

Check = Callable[[Photo, Claim, CheckContext], Finding]


@dataclass(frozen=True)
class CheckInfo:
    name: str
    run: Check
    label: tuple[str, str]  # (en, zh), as the verdict's sentence says it: "the timestamp look"
    title: tuple[str, str]  # (en, zh), the heading of its box in the HTML report
    every_photo: bool = True  # False: only when the claim calls for it (an open retake challenge)


REGISTRY: tuple[CheckInfo, ...] = (
    CheckInfo(
        "challenge",
        challenge.check,
        ("the retake challenge", "补拍验证"),
        ("Retake challenge", "补拍验证"),
        every_photo=False,
    ),
    CheckInfo(
        "timestamp",
        timestamp.check,
        ("the timestamp look", "拍摄时间检查"),
        ("When it was taken", "看时间戳"),
    ),
    CheckInfo("reuse", reuse.check, ("the reuse check", "重复使用检查"), ("Used before", "是否重复使用")),
    CheckInfo(
        "relevance",
        relevance.check,
        ("the relevance look", "商品关联检查"),
        ("Is it the ordered item", "看关联性"),
    ),
    CheckInfo(
        "location",
        location.check,
        ("the location look", "问题位置检查"),
        ("Where the problem is", "看问题位置"),
    ),
    CheckInfo(
        "integrity",
        integrity.check,
        ("the integrity check", "图片完整性检查"),
        ("Edited or generated", "是否修改或生成"),
    ),
)
BY_NAME: dict[str, CheckInfo] = {info.name: info for info in REGISTRY}
ORDER: dict[str, int] = {info.name: i for i, info in enumerate(REGISTRY)}
# The checks every readable photo gets, in report order: the `checks` object of the contract.
CHECK_NAMES: tuple[str, ...] = tuple(info.name for info in REGISTRY if info.every_photo)
CHECKS: dict[str, Check] = {name: BY_NAME[name].run for name in CHECK_NAMES}
LOOKS = ("location", "timestamp", "relevance")


def label(name: str, lang: str = "en") -> str:
    """What the verdict's sentence calls the check; an unknown name is said as it is."""
    info = BY_NAME.get(name)
    return name if info is None else info.label[1 if lang == "zh" else 0]


def title(name: str, lang: str = "en") -> str:
    """The heading of the check's box in the HTML report; an unknown name is shown as it is."""
    info = BY_NAME.get(name)
    return name if info is None else info.title[1 if lang == "zh" else 0]
