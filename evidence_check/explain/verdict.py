"""Why the verdict is what it is: one sentence per scoring rule (scoring.Basis), en and zh."""

BASIS: dict[str, tuple[str, str]] = {
    "strong_fail": (
        "Recommend REJECT: {check} found strong evidence against the claim{where} (score {score}).",
        "建议拒绝：{check}{where}发现了不支持该申请的有力证据（分数 {score}）。",
    ),
    "doubt": (
        "Recommend REVIEW: {check} raised a doubt{where} that a person should look at.",
        "建议人工审核：{check}{where}发现疑点，需要人工查看。",
    ),
    "unknown_look": (
        "Recommend REVIEW: {check} cannot tell{where}; ask the customer before deciding.",
        "建议人工审核：{check}{where}无法判断，请先向客户询问。",
    ),
    "risk": (
        "Recommend REVIEW: small doubts add up to a risk of {risk} (review from {review_risk}).",
        "建议人工审核：多个小疑点累计风险为 {risk}（达到 {review_risk} 即需审核）。",
    ),
    "unreadable": (
        "Recommend REVIEW: a photo could not be read{where}.",
        "建议人工审核：有照片无法读取{where}。",
    ),
    "challenge_passed": (
        "Recommend ACCEPT: the retake challenge was passed, which settles the missing information.",
        "建议通过：客户已完成补拍验证，补足了缺失的信息。",
    ),
    "consistent": (
        "Recommend ACCEPT: the evidence is consistent with the claim.",
        "建议通过：证据与申请一致。",
    ),
}
