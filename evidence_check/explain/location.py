"""Sentences of the location findings: (English, Simplified Chinese)."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "location.no_region": ("No problem region was marked.", "未标注问题位置。"),
    "location.region_outside": (
        "The marked region {region} lies outside the {size} photo.",
        "标注的区域 {region} 超出了照片范围（{size}）。",
    ),
    "location.zone": (
        "The problem region {region} is on the product's {zone}.",
        "问题区域 {region} 位于商品的{zone}。",
    ),
    "location.region_only": (
        "Problem region {region} marked; no product zones to name the part.",
        "已标注问题区域 {region}；没有商品分区，无法说出具体部位。",
    ),
}
