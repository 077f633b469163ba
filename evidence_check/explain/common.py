"""Sentences shared by all findings: (English, Simplified Chinese)."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "check.error": ("This check could not run: {error}.", "该项检查无法运行：{error}。"),
    "image.unreadable": ("{filename} could not be read: {error}.", "无法读取 {filename}：{error}。"),
}
