"""Sentences of the timestamp findings: (English, Simplified Chinese)."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "timestamp.missing": (
        "No capture time in the file (chat apps such as WeChat and WhatsApp remove it).",
        "文件中没有拍摄时间（微信、WhatsApp 等聊天软件发送时会删除）。",
    ),
    "timestamp.unusable_zero_date": (
        "The capture date is an empty default ({value}), so when it was taken is unknown.",
        "拍摄时间是空的默认值（{value}），无法判断拍摄时间。",
    ),
    "timestamp.unusable_clock_reset": (
        "The capture date {value} is a camera's reset default, not a real time.",
        "拍摄时间 {value} 是相机时钟重置后的默认值，不是真实时间。",
    ),
    "timestamp.unusable_too_early": (
        "The capture date {value} is older than digital cameras: the camera's clock was wrong.",
        "拍摄时间 {value} 早于数码相机出现的年代，相机时钟有误。",
    ),
    "timestamp.unusable_nul_bytes": (
        "The capture date field is damaged ({value}).",
        "拍摄时间字段已损坏（{value}）。",
    ),
    "timestamp.unusable_unreadable": (
        "The capture date {value} cannot be read.",
        "无法读取拍摄时间 {value}。",
    ),
    "timestamp.future": (
        "The capture date {taken} lies far in the future: the camera's clock is wrong.",
        "拍摄时间 {taken} 远在未来，相机时钟有误。",
    ),
    "timestamp.no_timeline": (
        "Taken {taken}; no order or delivery time was given to compare it with.",
        "拍摄于 {taken}；未提供下单或签收时间，无法比对。",
    ),
    "timestamp.before_order": (
        "Taken {taken}, {gap} before the order was placed ({milestone}).",
        "拍摄于 {taken}，比下单时间（{milestone}）早 {gap}。",
    ),
    "timestamp.before_delivered": (
        "Taken {taken}, {gap} before the item was delivered ({milestone}).",
        "拍摄于 {taken}，比签收时间（{milestone}）早 {gap}。",
    ),
    "timestamp.before_shipped": (
        "Taken {taken}, {gap} before the item was shipped ({milestone}).",
        "拍摄于 {taken}，比发货时间（{milestone}）早 {gap}。",
    ),
    "timestamp.after_claim": (
        "Taken {taken}, {gap} after the claim was made ({milestone}).",
        "拍摄于 {taken}，比提出售后申请（{milestone}）晚 {gap}。",
    ),
    "timestamp.after_window": (
        "Taken {taken}, {gap} after delivery: later than the {window} claim window for {category}.",
        "拍摄于 {taken}，签收后 {gap}，超过 {category} 类商品 {window} 的售后时限。",
    ),
    "timestamp.inside": (
        "Taken {taken}, {gap} after delivery and before the claim.",
        "拍摄于 {taken}，签收后 {gap}，在申请售后之前。",
    ),
    "timestamp.near_delivery": (
        "Taken {taken}, {gap} before the recorded delivery ({milestone}): within what the camera clock's uncertainty allows, so taken at about delivery.",
        "拍摄于 {taken}，比记录的签收时间（{milestone}）早 {gap}：在相机时钟的误差范围内，视为约在签收时拍摄。",
    ),
    "timestamp.after_order": (
        "Taken {taken}, after the order was placed and before the claim.",
        "拍摄于 {taken}，在下单之后、申请售后之前。",
    ),
    "timestamp.weak_inside": (
        "No capture time in the file; its name suggests {taken}, which fits the order, but a name is weak evidence.",
        "文件中没有拍摄时间；文件名显示约为 {taken}，与订单相符，但文件名只是弱证据。",
    ),
}
