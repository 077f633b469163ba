"""Sentences of the reuse findings: (English, Simplified Chinese). Which claim names no customer
comes as a key (`without_customer`: both | earlier | this), worded here (`WORDS`). `VARIANTS` are said
instead of a code's own sentence when a param has a given value."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "reuse.no_history": ("No photo history to compare with.", "没有可比对的历史照片。"),
    "reuse.not_seen": (
        "Not seen before: no earlier claim, listing or stock photo matches.",
        "未见过：与以往的售后申请、商品主图及图库照片均不匹配。",
    ),
    "reuse.only_later": (
        "Not seen before; {count} later photo(s) copy this one (listed for information).",
        "此前未见过；之后有 {count} 张照片与此照片相同（仅供参考）。",
    ),
    "reuse.same_customer": (
        "The same photo was already sent by this customer in claim {ref_id} ({first_seen}).",
        "该客户已在售后申请 {ref_id}（{first_seen}）中发送过同一张照片。",
    ),
    "reuse.other_customer": (
        "The same photo was sent by another customer in claim {ref_id} ({first_seen}).",
        "另一位客户已在售后申请 {ref_id}（{first_seen}）中发送过同一张照片。",
    ),
    "reuse.earlier_claim_customer_unknown": (
        "The same photo was sent in claim {ref_id} ({first_seen}); {without_customer}, so it may be the same "
        "customer's or another's.",
        "同一张照片已在售后申请 {ref_id}（{first_seen}）中发送过；{without_customer}，可能是同一位客户，也可能是另一位客户。",
    ),
    "reuse.listing_photo": (
        "This is the shop's own listing photo of {ref_id}, not a photo of the item received.",
        "这是本店商品 {ref_id} 的主图，而不是收到商品的实拍照片。",
    ),
    "reuse.stock_photo": (
        "This is a stock or internet photo ({ref_id}), not a photo of the item received.",
        "这是图库或网络照片（{ref_id}），而不是收到商品的实拍照片。",
    ),
    "reuse.review_photo": (
        "This is another buyer's review photo ({ref_id}), not a photo of the item received.",
        "这是其他买家的评价照片（{ref_id}），而不是收到商品的实拍照片。",
    ),
}

# (code, param, value) -> the sentence of a finding of that code whose param has that value.
VARIANTS: dict[tuple[str, str, str], tuple[str, str]] = {
    # This claim names no customer, but two different customers sent the photo before.
    ("reuse.other_customer", "without_customer", "this"): (
        "The same photo was sent before by two different customers, in claims {ref_id} ({first_seen}) and "
        "{second_ref_id} ({second_first_seen}); {without_customer}, but whoever sends it now, at least one of "
        "those claims is another customer's.",
        "两位不同的客户此前已分别在售后申请 {ref_id}（{first_seen}）和 {second_ref_id}（{second_first_seen}）中"
        "发送过同一张照片；{without_customer}，但无论本次由谁发送，其中至少一次申请属于另一位客户。",
    ),
}

WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "without_customer": {
        "both": ("neither claim names its customer", "两次申请都没有客户编号"),
        "earlier": ("that claim names no customer", "该申请没有客户编号"),
        "this": ("this claim names no customer", "本次申请没有客户编号"),
    },
}
