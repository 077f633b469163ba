"""Sentences of the reuse findings: (English, Simplified Chinese)."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "reuse.no_history": ("No photo history to compare with.", "没有可比对的历史照片。"),
    "reuse.not_seen": ("Not seen in any earlier claim.", "未在以往的售后申请中出现过。"),
    "reuse.same_customer": (
        "The same photo was already sent by this customer in claim {claim_id} ({first_seen}).",
        "该客户已在售后申请 {claim_id}（{first_seen}）中发送过同一张照片。",
    ),
    "reuse.other_customer": (
        "The same photo was sent by another customer in claim {claim_id} ({first_seen}).",
        "另一位客户已在售后申请 {claim_id}（{first_seen}）中发送过同一张照片。",
    ),
}
