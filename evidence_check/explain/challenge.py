"""Sentences of the retake-challenge findings: (English, Simplified Chinese)."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "challenge.none": ("No retake challenge was issued for this claim.", "此售后申请未发起补拍验证。"),
    "challenge.earlier_photo": (
        "Sent before the retake challenge {code} was issued ({issued}); not expected to show the code.",
        "该照片在补拍验证码 {code} 发出（{issued}）之前已提交，无需包含验证码。",
    ),
    "challenge.seen_before": (
        "Not a fresh photo: the same file was already sent in claim {claim_id} before the challenge code {code} was issued.",
        "不是新拍的照片：同一文件在补拍验证码 {code} 发出之前已在售后申请 {claim_id} 中提交过。",
    ),
    "challenge.taken_before": (
        "Taken {taken}, before the challenge code {code} was issued ({issued}), and the code is not in the photo.",
        "拍摄于 {taken}，早于补拍验证码 {code} 的发出时间（{issued}），照片中也没有该验证码。",
    ),
    "challenge.clock_disagrees": (
        "The challenge code {code} is in the photo, but its capture time {taken} is before the code was issued ({issued}): the camera clock is wrong or the time was changed.",
        "照片中有补拍验证码 {code}，但拍摄时间 {taken} 早于验证码发出时间（{issued}）：相机时钟有误或时间被修改。",
    ),
    "challenge.not_read": (
        "The challenge code {code} (issued {issued}) could not be found in the photo.",
        "未能在照片中识别出补拍验证码 {code}（{issued} 发出）。",
    ),
    "challenge.code_found": (
        "The challenge code {code} (issued {issued}) is written in this fresh photo.",
        "这张新拍的照片中写有补拍验证码 {code}（{issued} 发出）。",
    ),
    "challenge.code_found_misread": (
        "The challenge code {code} (issued {issued}) is in this fresh photo (read as {read}, one character unclear).",
        "这张新拍的照片中写有补拍验证码 {code}（{issued} 发出；识别为 {read}，有一个字符不清楚）。",
    ),
    "challenge.no_ocr": (
        "The challenge code could not be looked for: {error}.",
        "无法识别补拍验证码：{error}。",
    ),
}
