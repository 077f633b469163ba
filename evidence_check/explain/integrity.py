"""Sentences of the integrity findings: (English, Simplified Chinese)."""

SUMMARIES: dict[str, tuple[str, str]] = {
    "integrity.editor": (
        "The file was saved by editing software ({software}).",
        "该文件经过修图软件保存（{software}）。",
    ),
    "integrity.no_traces": ("No traces of editing software.", "未发现修图软件的痕迹。"),
}
