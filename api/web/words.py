"""The console's words in English and Chinese, and times and durations in the agent's zone and language.

Report sentences (reasons, next steps, check summaries) are written by `evidence_check.explain`
when a claim is verified, in the language of that request; the words here are the page around them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LANGUAGES = ("en", "zh")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Evidence check",
        "queue": "Claims",
        "new_claim": "New claim",
        "catalog": "Catalog",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "api_key": "API key",
        "api_key_help": "The key from `evidence-check keys create TENANT`. It is not stored in the browser.",
        "bad_key": "That key is not valid (or it was revoked).",
        "trial": "Single-user trial on this computer: no API key exists yet.",
        "tenant": "Merchant",
        "language": "中文",
        "search": "Search",
        "search_help": "Part of a claim id, customer id, order id or SKU",
        "verdict": "Verdict",
        "any_verdict": "Any verdict",
        "since": "From",
        "until": "To",
        "filter": "Filter",
        "clear_filters": "Clear",
        "needs_review": "Needs review",
        "other_claims": "Accepted and rejected",
        "results": "Claims found",
        "claim": "Claim",
        "customer": "Customer",
        "sku": "SKU",
        "strongest_reason": "Strongest reason",
        "photos": "Photos",
        "recorded": "Recorded",
        "decided": "Decided",
        "undecided": "Not decided",
        "more": "Older claims",
        "first_page": "Newest",
        "none": "No claims here.",
        "reasons": "Reasons",
        "next_steps": "Next steps",
        "no_next_steps": "Nothing to ask for.",
        "risk": "Risk",
        "confidence": "Confidence",
        "actions": "Actions",
        "challenge": "Issue a retake challenge",
        "challenge_code": "Retake code",
        "challenge_help": "Read this code to the customer: they write it on paper, lay it beside the item and take a new photo now. Add that photo to this claim with the same claim id.",
        "outcome": "Record the outcome",
        "genuine": "Genuine",
        "fraud": "Fraud",
        "note": "Note",
        "outcome_saved": "Outcome recorded",
        "outcome_replaced": "it replaces the earlier decision",
        "photo_cards": "Photos and their checks",
        "unreadable": "Could not be read",
        "history": "Report history",
        "history_help": "The claim was verified more than once; the newest report is shown above.",
        "check": "Check",
        "status": "Status",
        "finding": "Finding",
        "timeline": "Timeline",
        "ordered_at": "Ordered",
        "shipped_at": "Shipped",
        "delivered_at": "Delivered",
        "claimed_at": "Claimed",
        "captured": "Taken",
        "challenge_issued": "Challenge issued",
        "no_times": "No times to place on a timeline.",
        "region_drawn": "Marked region",
        "region_proposed": "Region the service found",
        "integrity_flags": "Integrity flags",
        "ela_show": "Show the error-level view",
        "zones_on_photo": "The product's outline and zones on the photo",
        "ela_help": "Regions pasted in or retouched after the last save often stand out; edges and texture light up in genuine photos too.",
        "no_preview": "The photo's file is no longer kept: no preview.",
        "claim_id": "Claim id (optional)",
        "customer_id": "Customer",
        "order_id": "Order",
        "wanted": "Wanted outcome",
        "not_said": "Not said",
        "sku_unknown": "Not in the catalog: the product cannot be compared with its pictures.",
        "reason": "Reason",
        "dates_help": "Dates and times in your time zone",
        "photos_pick": "Photos (one or more; JPEG, PNG, HEIC)",
        "drop_here": "or drop photos here",
        "region": "Problem region",
        "region_help": "Optional: drag a box around the problem on the first photo, or type it in pixels of that photo.",
        "region_clear": "Clear the box",
        "verify": "Verify the photos",
        "uploading": "Uploading",
        "analysing": "Analysing the photos…",
        "network_error": "The connection failed before the server answered; send the form again.",
        "error": "Something is wrong",
        "not_found": "No such claim for this merchant.",
        "back": "Back to the claims",
        "out_of_order": "{second} ({second_at}) is before {first} ({first_at}): check the dates.",
        "not_a_date": "{text}: not a date (YYYY-MM-DD)",
        "bad_sku": "sku: {sku} must be {rule}",
        "no_images": "images: choose one or more pictures of the product",
        "no_image_read": "no image could be read ({name}: {reason})",
        "not_its_image": "image: {image} is not one of the images of {sku}",
        "form_sent_before": "This form was sent before with other fields or photos, and that claim is recorded. Check the fields and photos below and send them as a new claim.",
        "stale_title": "The form was not sent",
        "stale_form": "Nothing was saved: this form belongs to an earlier sign-in or an old page. Open the page again and do it once more.",
        "open_again": "Open the page again",
        "no_product": "No such product in this merchant's catalog.",
        "back_to_catalog": "Back to the catalog",
        "images": "Images",
        "zones": "Zones",
        "reused_from": "The same photo in claim",
        "name": "Name",
        "category": "Category",
        "no_skus": "No products in the catalog yet: add one below, or `evidence-check catalog add SKU IMAGE...`.",
        "add_product": "Add a product",
        "add_images": "Add images",
        "catalog_images_pick": "Pictures of the product (JPEG, PNG, HEIC)",
        "images_added": "Images added",
        "zones_saved": "Zones saved on",
        "zones_help": "A zone is a named part of the product (zipper, strap, screen) that the location look reports a problem in. Drag a box on the image, then name the box; or type the boxes in the image's pixels.",
        "open_image": "Open this image from your computer (optional)",
        "open_image_help": "For a sharper picture to draw on, or where none is shown, choose the same file.",
        "wrong_size": "This file's size differs from the catalog image's; boxes drawn on it would land elsewhere.",
        "zone_name": "Zone",
        "new_zone": "new",
        "zone_cause": "Likely cause",
        "cause_manufacturing": "Manufacturing",
        "cause_shipping": "Shipping",
        "cause_wear": "Wear",
        "cause_unknown": "Unknown",
        "remove": "Remove",
        "save_zones": "Save the zones",
        "ago": "ago",
        "printable": "Printable report",
        "basis": "Why this verdict",
    },
    "zh": {
        "title": "图片证据核查",
        "queue": "售后申请",
        "new_claim": "新建申请",
        "catalog": "商品目录",
        "sign_in": "登录",
        "sign_out": "退出",
        "api_key": "API 密钥",
        "api_key_help": "由 `evidence-check keys create 商户` 生成的密钥。浏览器不会保存它。",
        "bad_key": "密钥无效（或已被吊销）。",
        "trial": "本机单用户试用：尚未创建任何 API 密钥。",
        "tenant": "商户",
        "language": "English",
        "search": "搜索",
        "search_help": "申请编号、客户编号、订单号或 SKU 的一部分",
        "verdict": "结论",
        "any_verdict": "全部结论",
        "since": "起始日期",
        "until": "截止日期",
        "filter": "筛选",
        "clear_filters": "清除",
        "needs_review": "待人工审核",
        "other_claims": "已通过和已拒绝",
        "results": "查询结果",
        "claim": "申请",
        "customer": "客户",
        "sku": "SKU",
        "strongest_reason": "主要理由",
        "photos": "照片",
        "recorded": "记录时间",
        "decided": "已处理",
        "undecided": "未处理",
        "more": "更早的申请",
        "first_page": "最新",
        "none": "这里没有申请。",
        "reasons": "理由",
        "next_steps": "下一步",
        "no_next_steps": "无需客户补充。",
        "risk": "风险",
        "confidence": "置信度",
        "actions": "操作",
        "challenge": "发出补拍验证码",
        "challenge_code": "补拍验证码",
        "challenge_help": "请把这个验证码读给客户：写在纸上，放在商品旁边，现在重新拍照。用同一个申请编号提交这张照片。",
        "outcome": "记录处理结果",
        "genuine": "属实",
        "fraud": "欺诈",
        "note": "备注",
        "outcome_saved": "处理结果已记录",
        "outcome_replaced": "替换了之前的结果",
        "photo_cards": "照片及检查结果",
        "unreadable": "无法读取",
        "history": "报告历史",
        "history_help": "此申请核查过不止一次；上方显示的是最新报告。",
        "check": "检查",
        "status": "状态",
        "finding": "结果",
        "timeline": "时间线",
        "ordered_at": "下单",
        "shipped_at": "发货",
        "delivered_at": "签收",
        "claimed_at": "申请售后",
        "captured": "拍摄",
        "challenge_issued": "发出验证码",
        "no_times": "没有可放在时间线上的时间。",
        "region_drawn": "标出的区域",
        "region_proposed": "系统找到的区域",
        "integrity_flags": "完整性标记",
        "ela_show": "显示误差水平图",
        "zones_on_photo": "照片上的商品轮廓和区域",
        "ela_help": "上次保存后粘贴或修饰过的区域往往更亮；真实照片的边缘和纹理也会发亮。",
        "no_preview": "照片文件已不再保存：无法预览。",
        "claim_id": "申请编号（可选）",
        "customer_id": "客户",
        "order_id": "订单号",
        "wanted": "客户诉求",
        "not_said": "未说明",
        "sku_unknown": "目录中没有此商品：无法与商品图片比对。",
        "reason": "原因",
        "dates_help": "日期和时间按您所在的时区填写",
        "photos_pick": "照片（一张或多张；JPEG、PNG、HEIC）",
        "drop_here": "或把照片拖到这里",
        "region": "问题区域",
        "region_help": "可选：在第一张照片上拖出一个框框住问题所在，或按该照片的像素填写。",
        "region_clear": "清除方框",
        "verify": "核查照片",
        "uploading": "正在上传",
        "analysing": "正在分析照片…",
        "network_error": "服务器回应之前连接中断；请重新提交表单。",
        "error": "出错了",
        "not_found": "该商户没有这个申请。",
        "back": "返回申请列表",
        "out_of_order": "{second}时间（{second_at}）早于{first}时间（{first_at}），请检查日期。",
        "not_a_date": "{text}：不是日期（格式为 YYYY-MM-DD）",
        "bad_sku": "SKU {sku} 只能由 1–128 个字母、数字或 . _ - : @ / + 组成",
        "no_images": "请选择一张或多张商品图片",
        "no_image_read": "没有一张图片能读取（{name}：{reason}）",
        "not_its_image": "{image} 不是 {sku} 的图片",
        "form_sent_before": "此表单之前已用其他内容或照片提交过，那份申请已记录。请检查下面的内容和照片，作为新申请提交。",
        "stale_title": "表单未提交",
        "stale_form": "没有保存任何内容：此表单属于之前的登录或过期的页面。请重新打开页面，再操作一次。",
        "open_again": "重新打开页面",
        "no_product": "该商户的商品目录中没有这个商品。",
        "back_to_catalog": "返回商品目录",
        "images": "图片",
        "zones": "区域",
        "reused_from": "同一张照片出现在申请",
        "name": "名称",
        "category": "类目",
        "no_skus": "目录中还没有商品：在下面添加，或使用 `evidence-check catalog add SKU 图片...`。",
        "add_product": "添加商品",
        "add_images": "添加图片",
        "catalog_images_pick": "商品图片（JPEG、PNG、HEIC）",
        "images_added": "已添加图片",
        "zones_saved": "已保存区域",
        "zones_help": "区域是商品上有名称的部位（拉链、肩带、屏幕），位置检查会报告问题出在哪个区域。在图片上拖出方框并命名；也可以按图片像素填写方框。",
        "open_image": "从电脑打开这张图片（可选）",
        "open_image_help": "如需更清晰的图片画框，或上面没有显示图片，请选择同一个文件。",
        "wrong_size": "此文件的尺寸与目录图片不同；在上面画的框会落在别处。",
        "zone_name": "区域",
        "new_zone": "新",
        "zone_cause": "可能原因",
        "cause_manufacturing": "生产",
        "cause_shipping": "运输",
        "cause_wear": "使用磨损",
        "cause_unknown": "不确定",
        "remove": "删除",
        "save_zones": "保存区域",
        "ago": "前",
        "printable": "可打印的报告",
        "basis": "结论依据",
    },
}

VERDICTS = {
    "en": {"accept": "Accept", "review": "Review", "reject": "Reject"},
    "zh": {"accept": "通过", "review": "人工审核", "reject": "拒绝"},
}
STATUSES = {
    "en": {"pass": "pass", "warn": "warn", "fail": "fail", "unknown": "unknown", "error": "error"},
    "zh": {"pass": "通过", "warn": "警告", "fail": "不通过", "unknown": "未知", "error": "出错"},
}
REASONS = {
    "en": {
        "damaged": "Damaged",
        "not_received": "Not received",
        "wrong_item": "Wrong item",
        "not_as_described": "Not as described",
        "other": "Other",
    },
    "zh": {
        "damaged": "商品损坏",
        "not_received": "未收到货",
        "wrong_item": "发错商品",
        "not_as_described": "与描述不符",
        "other": "其他",
    },
}
# What the customer asks for: the closed set of `evidence_check.models.WantedOutcome`.
WANTED = {
    "en": {
        "refund": "Refund",
        "partial_refund": "Partial refund",
        "return": "Return and refund",
        "replacement": "Replacement",
        "repair": "Repair",
    },
    "zh": {
        "refund": "仅退款",
        "partial_refund": "部分退款",
        "return": "退货退款",
        "replacement": "换货",
        "repair": "维修",
    },
}
OUTCOMES = {"en": {"genuine": "Genuine", "fraud": "Fraud"}, "zh": {"genuine": "属实", "fraud": "欺诈"}}
# (seconds in the unit, English singular, English plural, Chinese)
_UNITS = (
    (365 * 86400, "year", "years", "年"),
    (86400, "day", "days", "天"),
    (3600, "hour", "hours", "小时"),
    (60, "minute", "minutes", "分钟"),
)


def language(value: str | None) -> str | None:
    return value if value in LANGUAGES else None


def zone(name: str | None, fallback: str) -> ZoneInfo:
    """The agent's IANA zone (sent by the page's script), else the server's setting, else UTC."""
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_time(moment: datetime | str | None, where: ZoneInfo) -> str:
    """`2026-12-04 09:30` in the agent's zone; empty for no time."""
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    elif moment is None:
        return ""
    else:
        parsed = moment
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return aware.astimezone(where).strftime("%Y-%m-%d %H:%M")


def duration(span: timedelta, lang: str) -> str:
    """The largest whole unit: '3 days' / '3 天'; under a minute counts as one minute."""
    seconds = max(60.0, span.total_seconds())
    for size, one, many, chinese in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {chinese}" if lang == "zh" else f"{count} {one if count == 1 else many}"
    raise AssertionError("unreachable: a minute is the smallest unit")
