"""Sentences of the relevance findings: (English, Simplified Chinese)."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "relevance.no_sku": (
        "No ordered product (SKU) was given, so the product in the photo was not compared.",
        "未提供订购商品（SKU），未比对照片中的商品。",
    ),
    "relevance.no_catalog": (
        "No catalog images for {sku}, so the product in the photo was not compared.",
        "商品 {sku} 没有商品图，未比对照片中的商品。",
    ),
}
