"""Channel hints: how a photo without camera metadata probably travelled.

WeChat, WhatsApp, Telegram and social apps strip EXIF and shrink photos to fixed sizes, and their
files have recognisable names. When the photo has no capture metadata, the hint explains why
("probably sent through WeChat, which removes the capture date") so that the agent asks for the
original instead of suspecting the customer. Never a penalty: the status stays ``pass``; the
timestamp look owns the missing capture time.
"""

from __future__ import annotations

import re

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.signals import Facts, Reading, Signal
from evidence_check.imaging.jpeg_quality import fingerprint_tables
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Status

FILE_NAMES = (
    (re.compile(r"^mmexport\d{10,}", re.IGNORECASE), "WeChat"),
    (re.compile(r"^(微信图片|wechat ?image|weixin ?image)_?\d{8,}", re.IGNORECASE), "WeChat"),
    (re.compile(r"^wx_camera_\d+", re.IGNORECASE), "WeChat"),
    (re.compile(r"^IMG-\d{8}-WA\d{4}", re.IGNORECASE), "WhatsApp"),
    (re.compile(r"^photo_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}", re.IGNORECASE), "Telegram"),
    (re.compile(r"^(QQ图片|QQ ?image)_?\d{8,}", re.IGNORECASE), "QQ"),
    (re.compile(r"^(received_\d{9,}|FB_IMG_\d{10,})", re.IGNORECASE), "Facebook Messenger"),
    (re.compile(r"^signal-\d{4}-\d{2}-\d{2}", re.IGNORECASE), "Signal"),
    (re.compile(r"^LINE_(ALBUM|P)", re.IGNORECASE), "LINE"),
    (re.compile(r"^\d{6,}_\d{6,}_\d{6,}_[no]\.jpe?g$", re.IGNORECASE), "Facebook or Instagram"),
)
APP_NAMES_ZH = {
    "WeChat": "微信",
    "WeChat or Telegram": "微信或 Telegram",
    "Facebook or Instagram": "Facebook 或 Instagram",
}
# The long side that chat apps resize "standard quality" photos to.
CHAT_LONG_SIDES = {1280: "WeChat or Telegram", 1600: "WhatsApp"}


def read(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    base = photo.filename.replace("\\", "/").rsplit("/", 1)[-1]
    app, clue = None, None
    for pattern, name in FILE_NAMES:
        if pattern.search(base):
            app, clue = name, "file_name"
            break
    if app is None and _chat_sized(photo, facts):
        app, clue = CHAT_LONG_SIDES[max(photo.width, photo.height)], "size"
    if app is None:
        return Reading()
    details = {"app": app, "clue": clue, "long_side": max(photo.width, photo.height)}
    if facts.camera or photo.metadata.exif.get("DateTimeOriginal"):
        return Reading((), details)  # the metadata survived: nothing to explain
    params = {"app": app, "app_zh": APP_NAMES_ZH.get(app, app)}
    hint = Signal("channel_hint", Status.PASS, 0.0, "integrity.channel_hint", params, details, "ask_original")
    return Reading((hint,), details)


def _chat_sized(photo: Photo, facts: Facts) -> bool:
    if facts.jpeg is None or photo.metadata.has_exif or max(photo.width, photo.height) not in CHAT_LONG_SIDES:
        return False
    tables = fingerprint_tables(facts.jpeg.qtables)
    return tables is not None and tables.kind == "standard"
