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
    "relevance.featureless": (
        "The photo has too little detail to compare with the catalog ({keypoints} features): a plain or blurred picture.",
        "照片细节太少，无法与商品图比对（仅 {keypoints} 个特征点）：画面过于单一或模糊。",
    ),
    "relevance.match": (
        "The photo shows the ordered product {ordered} ({inliers} matching points).",
        "照片中的商品与订购商品 {ordered} 一致（{inliers} 个匹配点）。",
    ),
    "relevance.other_product": (
        "The photo shows {other}, not the ordered {ordered} ({other_inliers} matching points against {inliers}).",
        "照片中的商品是 {other}，而不是订购的 {ordered}（{other_inliers} 个匹配点，订购商品仅 {inliers} 个）。",
    ),
    "relevance.other_variant": (
        "The photo shows {other} or its variant {variant} (their print does not tell them apart), not the ordered {ordered} ({other_inliers} matching points against {inliers}).",
        "照片中的商品是 {other} 或同品牌的 {variant}（两者图案无法区分），而不是订购的 {ordered}（{other_inliers} 个匹配点，订购商品仅 {inliers} 个）。",
    ),
    "relevance.variant_unconfirmed": (
        "Same brand, variant not confirmed: the photo matches {ordered} ({inliers} points) and {other} ({other_inliers} points).",
        "同一品牌，款式未能确认：照片与 {ordered}（{inliers} 个匹配点）和 {other}（{other_inliers} 个匹配点）都相符。",
    ),
    "relevance.brand_only": (
        "The photo matches {ordered} only where its brand's packs look alike, as {other} does ({distinct} of {inliers} matching points are its own print): the variant is not confirmed.",
        "照片与 {ordered} 只在同品牌包装共有的图案上相符，{other} 也是如此（{inliers} 个匹配点中仅 {distinct} 个属于它自己的图案）：款式未能确认。",
    ),
    "relevance.two_products": (
        "The photo matches both the ordered {ordered} ({inliers} points) and {other} ({other_inliers} points).",
        "照片同时与订购的 {ordered}（{inliers} 个匹配点）和 {other}（{other_inliers} 个匹配点）相符。",
    ),
    "relevance.other_in_background": (
        "The photo matches {other} ({other_inliers} points) away from its centre or small in the frame, and the ordered {ordered} only weakly ({inliers} points): the product held is not confirmed.",
        "照片在画面边缘或较小处与 {other} 相符（{other_inliers} 个匹配点），与订购的 {ordered} 仅弱相符（{inliers} 个匹配点）：无法确认拍摄的商品。",
    ),
    "relevance.other_stronger": (
        "The photo matches {other} ({other_inliers} points) better than the ordered {ordered}, found only weakly ({inliers} points): the product shown is not confirmed.",
        "照片与 {other} 更相符（{other_inliers} 个匹配点），与订购的 {ordered} 仅弱相符（{inliers} 个匹配点）：无法确认拍摄的商品。",
    ),
    "relevance.other_variant_stronger": (
        "The photo matches {other} or its variant {variant} ({other_inliers} points; their print does not tell them apart) better than the ordered {ordered}, found only weakly ({inliers} points): the product shown is not confirmed.",
        "照片与 {other} 或同品牌的 {variant} 更相符（{other_inliers} 个匹配点，两者图案无法区分），与订购的 {ordered} 仅弱相符（{inliers} 个匹配点）：无法确认拍摄的商品。",
    ),
    "relevance.colour_mismatch": (
        "The product's print matches {ordered}, but its colours do not (only {overlap} of the colours agree): it may be another colour variant.",
        "商品图案与 {ordered} 相符，但颜色不符（仅 {overlap} 的颜色一致）：可能是其他颜色款。",
    ),
    "relevance.weak_match": (
        "The photo only resembles the ordered {ordered} ({inliers} matching points): not enough to confirm it.",
        "照片与订购的 {ordered} 仅有些相似（{inliers} 个匹配点），不足以确认。",
    ),
    "relevance.not_found": (
        "The ordered product {ordered} could not be found in the photo, nor another catalog product: perhaps a side the catalog images do not show, or a photo out of focus.",
        "照片中未能找到订购的 {ordered}，也未找到其他目录商品：可能拍的是商品图中没有的一面，或照片没有对焦。",
    ),
    "relevance.other_product_as_claimed": (
        "As the claim says, the photo shows another product, {other}, not the ordered {ordered}.",
        "与申请所述一致：照片中是另一件商品 {other}，而不是订购的 {ordered}。",
    ),
    "relevance.other_variant_as_claimed": (
        "As the claim says, the photo shows another product, {other} or its variant {variant} (their print does not tell them apart), not the ordered {ordered}.",
        "与申请所述一致：照片中是另一件商品 {other} 或同品牌的 {variant}（两者图案无法区分），而不是订购的 {ordered}。",
    ),
    "relevance.ordered_product_shown": (
        "The claim says a wrong item arrived, but the photo shows the ordered {ordered} ({inliers} matching points).",
        "申请称收到错误商品，但照片中的正是订购的 {ordered}（{inliers} 个匹配点）。",
    ),
}
