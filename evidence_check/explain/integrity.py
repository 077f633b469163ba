"""Sentences of the integrity findings: (English, Simplified Chinese)."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "integrity.no_traces": (
        "No traces of editing, screens or image generators.",
        "未发现修图、翻拍屏幕或 AI 生成的痕迹。",
    ),
    "integrity.unmeasured": (
        "Part of the integrity check could not be measured ({signals}: {error}); the rest found nothing "
        "against the photo.",
        "部分图片完整性检查未能完成（{signals}：{error}）；其余检查未发现问题。",
    ),
    "integrity.editor": (
        "The file was saved by editing software ({software}).",
        "该文件经过修图软件保存（{software}）。",
    ),
    "integrity.saved_after_capture": (
        "The file was saved again {gap} after the photo was taken ({taken}, saved {saved}).",
        "照片拍摄后 {gap} 又被重新保存过（拍摄 {taken}，保存 {saved}）。",
    ),
    "integrity.resaved_pixels_kept": (
        "The file was saved again {gap} after the photo was taken ({taken}, saved {saved}), but the preview inside it still shows the same picture: only its details were rewritten.",
        "照片拍摄后 {gap} 又被重新保存过（拍摄 {taken}，保存 {saved}），但文件内的缩略图仍与照片一致：只改写了文件信息。",
    ),
    "integrity.thumbnail_mismatch": (
        "The preview stored inside the file no longer matches the photo (similarity {similarity}): "
        "the picture was changed or cropped after it was taken.",
        "文件内保存的缩略图与照片不一致（相似度 {similarity}）：照片在拍摄后被修改或裁剪过。",
    ),
    "integrity.thumbnail_local_edit": (
        "The photo differs from the preview stored inside the file in one place ({where}, about {share} % "
        "of the picture): something was painted or pasted there after the photo was taken.",
        "照片与文件内保存的缩略图在一处不一致（{where_zh}，约占画面 {share}%）：拍摄后该处被涂改或粘贴过。",
    ),
    "integrity.cloned_region": (
        "A patch of the photo ({where}) repeats another place of it exactly: something was covered by "
        "a copy of the photo's own pixels (a clone stamp) after it was taken.",
        "照片中有一块区域（{where_zh}）与画面另一处完全相同：拍摄后有内容被照片自身的像素覆盖（仿制图章）。",
    ),
    "integrity.screenshot": (
        "This is a screenshot, not a photo of the item ({clues}).",
        "这是一张屏幕截图，而不是商品照片（{clues}）。",
    ),
    "integrity.screenshot_expected": (
        "A screenshot ({clues}), as expected for a not-received claim.",
        "屏幕截图（{clues}），对于未收到货的申请属正常情况。",
    ),
    "integrity.screen_photo": (
        "The photo looks taken of a screen: moiré pattern ({peak_db} dB peak in the spectrum).",
        "照片疑似翻拍屏幕：存在摩尔纹（频谱峰值 {peak_db} dB）。",
    ),
    "integrity.ai_marker": (
        "The file declares it was made by an image generator: {marker}.",
        "文件标明由 AI 图像生成工具生成：{marker}。",
    ),
    "integrity.c2pa_invalid": (
        "The file's Content Credentials (C2PA) are broken: it was changed after signing ({failures}).",
        "文件的内容凭证（C2PA）校验失败：签名后被修改过（{failures}）。",
    ),
    "integrity.c2pa_trusted": (
        "Content Credentials (C2PA) signed by {signer} are intact and trusted: the file's origin is recorded.",
        "内容凭证（C2PA）由 {signer} 签名，完整且可信：文件来源有据可查。",
    ),
    "integrity.c2pa_untrusted": (
        "Content Credentials (C2PA) are intact, signed by {signer}, who is not on our trust list.",
        "内容凭证（C2PA）完整，签名者 {signer} 不在信任列表中。",
    ),
    "integrity.c2pa_remote": (
        "The file points to Content Credentials stored online ({url}); they were not fetched.",
        "文件指向在线存储的内容凭证（{url}），未下载校验。",
    ),
    "integrity.channel_hint": (
        "No signs of editing. The file has no camera data and was probably sent through {app}, which "
        "removes the capture date: ask for the original from the phone's gallery.",
        "未发现修图痕迹。文件没有相机信息，可能经{app_zh}发送，该软件会删除拍摄时间：请客户从手机相册发送原图。",
    ),
    "integrity.too_small": (
        "The photo is only {width} x {height} pixels: too small to show damage or to be checked for "
        "editing.",
        "照片只有 {width} x {height} 像素：太小，既看不清损坏，也无法检查是否被修改过。",
    ),
    "integrity.thumbnail_matches": ("The stored preview matches the photo.", "文件内缩略图与照片一致。"),
    "integrity.thumbnail_turned": (
        "The photo was turned {turn}° after it was taken and the stored preview left as it was; it shows the same picture.",
        "照片拍摄后被旋转了 {turn}°，文件内缩略图未随之旋转，但显示的是同一画面。",
    ),
    "integrity.thumbnail_unreadable": ("The stored preview cannot be read.", "无法读取文件内的缩略图。"),
    "integrity.reencoded": (
        "The camera's JPEG was re-encoded by a program (quality {quality}).",
        "相机原始 JPEG 被程序重新编码过（质量 {quality}）。",
    ),
}
