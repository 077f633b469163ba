"""Sentences of the location findings, and the words they are filled with: (English, Simplified Chinese).

A zone's name comes in the parameters in both languages (`zone`, `zone_zh`); the place on the
product, a zone's cause and why a photo does not align come as keys, worded here (`WORDS`).
A code ending in ``_note`` is its code without the suffix followed by the merchant's note on the zone.
"""

WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "place": {
        "upper_left": ("upper left", "左上部"),
        "upper_centre": ("top middle", "上部中间"),
        "upper_right": ("upper right", "右上部"),
        "middle_left": ("left side", "左侧中部"),
        "centre": ("centre", "中央"),
        "middle_right": ("right side", "右侧中部"),
        "lower_left": ("lower left", "左下部"),
        "lower_centre": ("bottom middle", "下部中间"),
        "lower_right": ("lower right", "右下部"),
    },
    "cause": {
        "manufacturing": ("manufacturing", "生产制造"),
        "shipping": ("shipping", "运输"),
        "wear": ("wear", "使用磨损"),
        "unknown": ("an unknown cause", "原因不明"),
    },
    "reason": {
        "no_sku": ("no SKU was given", "未提供商品编号"),
        "no_catalog": ("the SKU has no catalog images", "该商品没有商品图"),
        "not_found": ("the photo does not align with a catalog image of the SKU", "照片无法与该商品的商品图对齐"),
        "folded": ("the region cannot be carried into the catalog image", "该区域无法映射到商品图上"),
    },
}

_SUMMARIES: dict[str, tuple[str, str]] = {
    "location.no_region": ("No problem region was marked.", "未标注问题位置。"),
    "location.region_outside": (
        "The marked region {region} lies outside the {size} photo.",
        "标注的区域 {region} 超出了照片范围（{size}）。",
    ),
    # {photos}: each photo of the claim that carries a region ("photo 3", "photos 1 and 3"; "3", "1、3")
    "location.region_elsewhere": (
        "No problem region is marked on this photo, only on {photos}; a photo is judged by its own region only.",
        "本照片未标注问题区域，仅第 {photos} 张照片有标注；每张照片只按其自身的标注区域判断。",
    ),
    "location.not_aligned": (
        "Problem region {region} marked; whether it is on the product is unknown: {reason}.",
        "已标注问题区域 {region}；无法判断是否在商品上：{reason}。",
    ),
    "location.on_product": (
        "The marked region {region} is on the product, {place}, about {from_left} % of its width from the left.",
        "标注区域 {region} 在商品上（{place}），距左边约为商品宽度的 {from_left}%。",
    ),
    "location.off_product": (
        "The marked problem {region} is outside the ordered item (on the background, not on the product).",
        "标注的问题区域 {region} 不在所订购的商品上（位于背景，而非商品本身）。",
    ),
    "location.zone": (
        "The problem region {region} is on the product's {zone}.",
        "问题区域 {region} 位于商品的{zone}。",
    ),
    "location.zone_cause": (
        "The problem region {region} is on the product's {zone}, where problems usually come from {cause}.",
        "问题区域 {region} 位于商品的{zone}，该部位的问题通常由{cause}造成。",
    ),
    "location.zone_wear": (
        "The problem region {region} is on the product's {zone}, a part that wears with use: the damage may come from use rather than a defect.",
        "问题区域 {region} 位于商品的{zone}，该部位会因使用而磨损：损坏可能来自使用而非质量问题。",
    ),
    "location.nothing_proposed": (
        "No problem region was marked, and the photo shows no clear difference from the catalog image.",
        "未标注问题位置，照片与商品图相比也没有明显差异。",
    ),
    "location.not_comparable": (
        "No problem region was marked, and none is proposed: much of the product in the photo does not look as in the catalog image (a hand over it, another print version, a bent carton; likeness {alignment}).",
        "未标注问题位置，也不作推测：照片中商品的大部分与商品图不一致（被手遮挡、包装版本不同或包装变形；相似度 {alignment}）。",
    ),
    "location.proposed": (
        "No problem region was marked; the photo differs most from the catalog image at {region} (confidence {confidence}) — a suggestion to check, not a finding.",
        "未标注问题位置；照片与商品图差异最大的区域为 {region}（置信度 {confidence}），仅供核对，并非结论。",
    ),
    # The rest is not named: what does not line up is not known to be a hand (a thumb over a label lines up
    # well enough to be compared, and boxed); the picture shows which part it is.
    "location.proposed_part": (
        "No problem region was marked; compared only where the photo lines up with the catalog image, about {share} % of the product (the rest, greyed on the annotated picture, was left out; a hand or another product can still lie in the part compared), the photo differs most at {region} (confidence {confidence}) — a suggestion to check, not a finding.",
        "未标注问题位置；仅比较了照片与商品图对得上的部分，约占商品的 {share}%（其余部分未作比较，在标注图上以灰色显示；比较的部分中仍可能有手或其他商品），其中差异最大的区域为 {region}（置信度 {confidence}），仅供核对，并非结论。",
    ),
    "location.proposed_zone_part": (
        "No problem region was marked; compared only where the photo lines up with the catalog image, about {share} % of the product (the rest, greyed on the annotated picture, was left out; a hand or another product can still lie in the part compared), the photo differs most at {region}, on the product's {zone} (confidence {confidence}) — a suggestion to check, not a finding.",
        "未标注问题位置；仅比较了照片与商品图对得上的部分，约占商品的 {share}%（其余部分未作比较，在标注图上以灰色显示；比较的部分中仍可能有手或其他商品），其中差异最大的区域为 {region}，位于商品的{zone}（置信度 {confidence}），仅供核对，并非结论。",
    ),
    "location.proposed_zone": (
        "No problem region was marked; the photo differs most from the catalog image at {region}, on the product's {zone} (confidence {confidence}) — a suggestion to check, not a finding.",
        "未标注问题位置；照片与商品图差异最大的区域为 {region}，位于商品的{zone}（置信度 {confidence}），仅供核对，并非结论。",
    ),
}

NOTE = (" The merchant's note on this part: {note}", " 商家对该部位的说明：{note}")

SUMMARIES: dict[str, tuple[str, str]] = {
    **_SUMMARIES,
    **{
        f"{code}_note": (en + NOTE[0], zh + NOTE[1])
        for code, (en, zh) in _SUMMARIES.items()
        if code.startswith("location.zone")
    },
}

NEXT_STEPS: dict[str, tuple[str, str]] = {
    "ask_about_use": (
        "Ask how the item was used, and compare the damage with the return policy for wear.",
        "请询问客户商品的使用情况，并对照退货政策中关于正常磨损的规定判断。",
    ),
}
