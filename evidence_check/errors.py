"""Why a request was refused, in English and Simplified Chinese, keyed by stable error codes.

An intake system shows these lines to its agents (a marketplace's after-sales queue in Chinese):
the HTTP API answers `{"detail": "one line"}` in the language `Accept-Language` asks for, as it
does the report's sentences. The English lines are the ones clients have matched since before
they were worded twice: keep them as they are. Field names, codes and values stay as sent in both
languages (`ordered_at`, `'BAG-001'`, `Authorization: Bearer KEY`).

Beside `evidence_check.explain` rather than in it: the store raises some of these, and loading
the explain package loads the checks (and OpenCV), which the store must not (tests/test_layers.py).
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

from evidence_check.widths import ID_WIDTH, TENANT_WIDTH

ID_RULE = (
    f"1-{ID_WIDTH} letters, digits or . _ - : @ / + (not . or .. alone)",
    f"由 1 到 {ID_WIDTH} 个字母、数字或 . _ - : @ / + 组成（不能只是 . 或 ..）",
)

# Each said by the command line, the console and the catalog's routes (`text.…`) and by the API's
# request models (`input.…`, pydantic's kinds of error): one wording for both.
TEXT_TOO_LONG = ("{field}: at most {max_length} characters", "{field}：最多 {max_length} 个字符")
TEXT_UNSTORABLE = (
    "{field}: a control character (tab and line breaks aside) or a lone surrogate cannot be stored",
    "{field}：不能保存控制字符（制表符和换行符除外）或孤立的代理码位",
)

ERRORS: dict[str, tuple[str, str]] = {
    # Keys (401, 403)
    "auth.missing_key": (
        "missing API key: send Authorization: Bearer KEY",
        "缺少 API 密钥：请发送 Authorization: Bearer KEY",
    ),
    "auth.invalid_key": ("invalid or revoked API key", "API 密钥无效或已吊销"),
    "auth.several_keys": (
        "more than one Authorization header: send one",
        "请求带有多个 Authorization 头：只能发送一个",
    ),
    "auth.no_keys_yet": (
        "this server has no API keys yet and answers only on loopback; "
        "create one with `evidence-check keys create TENANT`",
        "本服务器尚无 API 密钥，只回应本机（loopback）请求；请用 `evidence-check keys create TENANT` 创建密钥",
    ),
    "auth.trial_host": (
        "this server's keyless trial answers only requests addressed to localhost, not {host!r}",
        "本服务器的免密钥试用只回应发往 localhost 的请求，不回应发往 {host!r} 的请求",
    ),
    "auth.trial_cross_site": (
        "this server's keyless trial refuses requests sent by another site's pages",
        "本服务器的免密钥试用拒绝由其他网站页面发出的请求",
    ),
    "auth.metrics_token": (
        "metrics need Authorization: Bearer TOKEN (EVIDENCE_CHECK_METRICS_TOKEN)",
        "读取指标需要 Authorization: Bearer TOKEN（EVIDENCE_CHECK_METRICS_TOKEN）",
    ),
    "auth.metrics_need_token": (
        "this server has API keys, so /metrics needs a token: set EVIDENCE_CHECK_METRICS_TOKEN "
        "and send it as Authorization: Bearer TOKEN",
        "本服务器已有 API 密钥，因此 /metrics 需要令牌：请设置 EVIDENCE_CHECK_METRICS_TOKEN，"
        "并以 Authorization: Bearer TOKEN 发送",
    ),
    # Not there (404)
    "claim.not_found": ("no claim {claim_id!r}", "没有理赔 {claim_id!r}"),
    "claim.photo_not_kept": (
        "no photo {number} kept for claim {claim_id!r}",
        "理赔 {claim_id!r} 没有保存第 {number} 张照片",
    ),
    "catalog.no_sku": ("no SKU {sku!r} in the catalog", "商品目录中没有 SKU {sku!r}"),
    "picture.not_found": (
        "no picture {image_id}… in this tenant's store",
        "本租户的存储中没有图片 {image_id}…",
    ),
    "reference.not_found": ("no reference photo {image_id!r}", "没有参考照片 {image_id!r}"),
    # Starlette's own answers for a path or method the API does not have.
    "http.not_found": ("Not Found", "未找到该地址"),
    "http.method_not_allowed": ("Method Not Allowed", "该地址不接受此请求方法"),
    # Starlette's, for a console form of more parts than its parser reads (1,000 of each, its default).
    "http.too_many_fields": ("Too many fields. Maximum number of fields is 1000.", "表单字段过多：最多 1000 个"),
    "http.too_many_files": ("Too many files. Maximum number of files is 1000.", "表单中的文件过多：最多 1000 个"),
    # FastAPI's answer when reading a JSON body fails other than by a syntax error: bytes that are
    # not text (a body nested too deeply is a syntax error of strict_json's).
    "http.unreadable_body": (
        "body: cannot be read as JSON (not UTF-8 text)",
        "请求体：无法按 JSON 读取（不是 UTF-8 文本）",
    ),
    # Conflicts (409)
    "claim.decided_meanwhile": (
        "claim {claim_id!r}: {outcome} was recorded at {decided_at} (decision {decision_id}) after the one you "
        "saw (seen {seen}); nothing recorded; to replace it, send seen {decision_id}",
        "理赔 {claim_id!r}：在您看到的决定（seen {seen}）之后，已于 {decided_at} 记录为 {outcome}"
        "（决定 {decision_id}）；本次未记录；如要替换它，请发送 seen {decision_id}",
    ),
    "claim.no_decision_seen": (
        "claim {claim_id!r} has no decision yet, so none is {seen}: send seen 0; nothing recorded",
        "理赔 {claim_id!r} 尚无任何决定，没有决定 {seen}：请发送 seen 0；本次未记录",
    ),
    # The same refusals from `evidence-check outcome --seen`, who decided in the line itself.
    "claim.decided_meanwhile_cli": (
        "claim {claim_id!r}: {outcome} was recorded at {decided_at} by {who} (decision {decision_id}) after "
        "the one you saw (--seen {seen}); nothing recorded; to replace it, run again with --seen {decision_id}",
        "理赔 {claim_id!r}：在您看到的决定（--seen {seen}）之后，已于 {decided_at} 由 {who} 记录为 {outcome}"
        "（决定 {decision_id}）；本次未记录；如要替换它，请用 --seen {decision_id} 再运行一次",
    ),
    "claim.no_decision_seen_cli": (
        "claim {claim_id!r} has no decision yet, so none is {seen}: run again with --seen 0; nothing recorded",
        "理赔 {claim_id!r} 尚无任何决定，没有决定 {seen}：请用 --seen 0 再运行一次；本次未记录",
    ),
    "claim.decided_by_key": ("{via} with key {key}", "{via}（密钥 {key}）"),
    "claim.decided_by_keyless": ("{via} without a key", "{via}（无密钥）"),
    "claim.decided_by_unknown": (
        "someone unknown (recorded before who decided was kept)",
        "未知的人（记录于保存决定者之前）",
    ),
    "request.idempotency_conflict": (
        "Idempotency-Key was already used for another request (other photos or fields); use a new key",
        "Idempotency-Key 已用于另一个请求（照片或字段不同）；请使用新的键",
    ),
    # The same on a reverify, which sends no photos or fields: what else the key was sent with.
    "request.idempotency_conflict_outcome": (
        "Idempotency-Key was already used for another decision (another outcome, note, seen or claim); use a new key",
        "Idempotency-Key 已用于另一个决定（结果、备注、seen 或理赔不同）；请使用新的键",
    ),
    "request.idempotency_conflict_reverify": (
        "Idempotency-Key was already used for another request (a verify, or another claim's reverify); use a new key",
        "Idempotency-Key 已用于另一个请求（一次 verify，或另一理赔的 reverify）；请使用新的键",
    ),
    "claim.not_kept": (
        "claim {claim_id!r} was recorded before claims were kept for verifying again",
        "理赔 {claim_id!r} 记录于系统开始保存理赔以供重新核验之前",
    ),
    "claim.files_gone": (
        "the files of claim {claim_id!r} are no longer kept ({missing} of {photos} deleted by retention or "
        "never stored): ask the customer to send them again",
        "理赔 {claim_id!r} 的文件已不再保存（{photos} 个中有 {missing} 个已按保留期限删除或从未保存）：请客户重新发送",
    ),
    # Too large (413)
    "upload.too_many_photos": (
        "more than {max_files} photos in one request",
        "一个请求中的照片超过 {max_files} 张",
    ),
    "upload.field_too_large": (
        "field {field!r} is over {limit} (a file's part needs a filename)",
        "字段 {field!r} 超过 {limit}（文件部分需要带文件名）",
    ),
    "upload.file_too_large": (
        "photo {filename!r} is over the {limit} limit per file",
        "照片 {filename!r} 超过单个文件 {limit} 的上限",
    ),
    "upload.request_too_large": ("the request is over the {limit} limit", "请求超过 {limit} 的上限"),
    # A body that cannot be read (422)
    "upload.part_headers_too_large": ("a part's headers are over {limit}", "某个部分的头部超过 {limit}"),
    "upload.part_without_name": (
        "every part needs Content-Disposition: form-data with a name",
        "每个部分都需要带 name 的 Content-Disposition: form-data",
    ),
    "upload.too_many_fields": ("more than {max_fields} form fields", "表单字段超过 {max_fields} 个"),
    "upload.field_repeated": ("{field}: given more than once", "{field}：重复提交了多次"),
    "upload.field_not_utf8": ("{field}: not UTF-8 text", "{field}：不是 UTF-8 文本"),
    "upload.not_multipart": (
        "send the photos as multipart/form-data (Content-Type with a boundary)",
        "请以 multipart/form-data 发送照片（Content-Type 需带 boundary）",
    ),
    "upload.boundary_too_long": (
        "the multipart boundary is longer than {max_boundary} characters",
        "multipart 的 boundary 超过 {max_boundary} 个字符",
    ),
    "upload.length_not_number": ("Content-Length is not a number", "Content-Length 不是数字"),
    "upload.cut_short": (
        "the multipart body was cut short: it ends before its closing boundary",
        "multipart 请求体不完整：在结束 boundary 之前就中断了",
    ),
    "upload.malformed": (
        "the multipart body is malformed ({problem})",
        "multipart 请求体格式错误（{problem}）",
    ),
    "upload.files_in_wrong_field": (
        "files must be sent in the {expected!r} field, not {fields}",
        "文件必须放在 {expected!r} 字段中发送，而不是 {fields}",
    ),
    "upload.unknown_field": (
        "{field}: not a field of this request (known: {known})",
        "{field}：不是本请求的字段（可用字段：{known}）",
    ),
    # No room now (503)
    "upload.busy": (
        "too many uploads in progress on this server; try again",
        "本服务器正在处理的上传过多；请稍后重试",
    ),
    "upload.no_disk": (
        "the server has no room to receive the photos ({problem}); try again",
        "服务器没有空间接收照片（{problem}）；请稍后重试",
    ),
    "store.unavailable": ("the store is not available; try again", "存储暂时不可用；请稍后重试"),
    "store.no_answer": ("the store does not answer", "存储没有响应"),
    "store.session_not_ended": (
        "signed out of this browser, but the store is not available to end the session: "
        "a copy of its cookie still opens the console until it expires",
        "已在此浏览器退出，但存储暂时不可用，无法结束该会话：其 Cookie 的副本在过期前仍可打开控制台",
    ),
    "server.internal": ("internal error", "服务器内部错误"),
    "client.closed": ("the client closed the request", "客户端已关闭请求"),
    # A claim's fields (422), the same rules on the command line (evidence_check.intake)
    "intake.not_a_moment": (
        "{field}: {value!r} is not an ISO 8601 date or date-time (e.g. 2026-11-20T14:30+08:00)",
        "{field}：{value!r} 不是 ISO 8601 日期或日期时间（例如 2026-11-20T14:30+08:00）",
    ),
    "keys.bad_tenant": (
        "tenant {tenant!r} must be 1-" + str(TENANT_WIDTH) + " letters, digits, '.', '_' or '-', starting with a letter or digit",
        "tenant {tenant!r} 必须由 1 到 " + str(TENANT_WIDTH) + " 个字母、数字、'.'、'_' 或 '-' 组成，并以字母或数字开头",
    ),
    "input.bad_image_id": (
        "{field}: {value!r} must be 64 hexadecimal digits (a picture's sha256, as a report gives it)",
        "{field}：{value!r} 必须是 64 位十六进制数字（图片的 sha256，与报告中给出的一致）",
    ),
    # Worded, not pydantic's regular expression: a client sees what a key may hold.
    "input.bad_idempotency_key": (
        "Idempotency-Key: must be 1-{max_length} visible ASCII characters (letters, digits, punctuation; no spaces), e.g. a UUID",
        "Idempotency-Key：必须由 1 到 {max_length} 个可见 ASCII 字符组成（字母、数字、标点，不含空格），例如一个 UUID",
    ),
    "intake.bad_id": ("{field}: {value!r} must be " + ID_RULE[0], "{field}：{value!r} 必须" + ID_RULE[1]),
    "intake.unknown_zone": (
        "tz: unknown time zone {zone!r} (use an IANA name such as Asia/Shanghai)",
        "tz：未知时区 {zone!r}（请使用 IANA 名称，例如 Asia/Shanghai）",
    ),
    "intake.not_a_choice": (
        "{field}: {value!r} is not one of {choices}",
        "{field}：{value!r} 不是 {choices} 之一",
    ),
    "intake.out_of_range": (
        "{field}: {moment} is outside the dates a claim can hold ({earliest} to {latest}, a year from now)",
        "{field}：{moment} 超出理赔可接受的日期范围（{earliest} 至 {latest}，即一年之后）",
    ),
    "intake.out_of_order": (
        "{second} ({later}) is before {first} ({earlier})",
        "{second}（{later}）早于 {first}（{earlier}）",
    ),
    "intake.out_of_order_recorded": (
        "{second} ({later}) is before {first} ({earlier}) ({recorded} as recorded for the claim: send it to change it)",
        "{second}（{later}）早于 {first}（{earlier}）（{recorded} 取自该理赔已记录的值：如需更改请在请求中发送）",
    ),
    "intake.claim_photos_full": (
        "claim {claim_id!r} holds {held} photos and this request adds {adding}: a claim holds at most {largest} "
        "(verifying it again analyses them all); start a new claim",
        "理赔 {claim_id!r} 已有 {held} 张照片，本次请求再添加 {adding} 张：一个理赔最多 {largest} 张"
        "（重新核验时会全部重新分析）；请新建理赔",
    ),
    "intake.region_photo_missing": (
        "region: names photo {number}, but the claim has {photos}",
        "region：指向第 {number} 张照片，但该理赔只有 {photos} 张",
    ),
    "intake.region_photo_not_whole": (
        "region: region's photo number must be a whole number (N:X,Y,W,H), got {value!r}",
        "region：照片编号必须是整数（N:X,Y,W,H），收到的是 {value!r}",
    ),
    "intake.region_photo_from_one": (
        "region: region's photo number counts from 1, got {value!r}",
        "region：照片编号从 1 开始，收到的是 {value!r}",
    ),
    "intake.region_shape": (
        "region: region must be X,Y,W,H or N:X,Y,W,H, got {value!r}",
        "region：格式必须是 X,Y,W,H 或 N:X,Y,W,H，收到的是 {value!r}",
    ),
    "intake.region_not_whole": (
        "region: region must be four whole numbers X,Y,W,H, got {value!r}",
        "region：必须是四个整数 X,Y,W,H，收到的是 {value!r}",
    ),
    "intake.region_outside": (
        "region: region needs X,Y >= 0 and W,H > 0, got {value!r}",
        "region：要求 X,Y >= 0 且 W,H > 0，收到的是 {value!r}",
    ),
    "intake.region_too_large": (
        "region: region's numbers must be below 2147483648, got {value!r}",
        "region：区域的数字必须小于 2147483648，收到的是 {value!r}",
    ),
    "intake.photos_as_text": (
        "photos: send files (with a filename), not text",
        "photos：请发送文件（带文件名），而不是文本",
    ),
    "intake.no_photos": ("photos: send one or more photos", "photos：请发送一张或多张照片"),
    "intake.nothing_readable": ("no photo could be read ({problems})", "没有一张照片能够读取（{problems}）"),
    # A photo that cannot be read (imaging.load.PhotoError): the report's `error`, in its language.
    "photo.named": ("{filename}: {problem}", "{filename}：{problem}"),
    "photo.no_such_file": ("no such file", "没有这个文件"),
    "photo.folder": ("is a folder, not a file", "是文件夹，不是文件"),
    "photo.permission_denied": ("permission denied", "没有读取权限"),
    "photo.cannot_read": ("cannot read the file: {reason}", "无法读取文件：{reason}"),
    "photo.fifo": ("is a named pipe (FIFO), not a regular file", "是命名管道（FIFO），不是普通文件"),
    "photo.device": ("is a device, not a regular file", "是设备，不是普通文件"),
    "photo.socket": ("is a socket, not a regular file", "是套接字，不是普通文件"),
    "photo.special_file": ("is a special file, not a regular file", "是特殊文件，不是普通文件"),
    "photo.empty": ("the file is empty", "文件是空的"),
    "photo.too_large": ("the file is {size}, over the {limit} limit", "文件大小为 {size}，超过 {limit} 的上限"),
    "photo.not_an_image": (
        "not an image in a format we read (JPEG, PNG, WebP, HEIC, AVIF, TIFF, GIF)",
        "不是可读取格式的图片（JPEG、PNG、WebP、HEIC、AVIF、TIFF、GIF）",
    ),
    "photo.unsupported": (
        "{format} images are not supported yet; ask for a JPEG or HEIC",
        "暂不支持 {format} 图片；请索取 JPEG 或 HEIC 格式",
    ),
    "photo.empty_picture": (
        "the {format} file declares an empty picture ({width}x{height})",
        "该 {format} 文件声明的画面为空（{width}x{height}）",
    ),
    "photo.too_many_pixels": (
        "the {format} file declares {width}x{height} pixels ({megapixels} MP), over the {limit} MP limit",
        "该 {format} 文件声明 {width}x{height} 像素（{megapixels} MP），超过 {limit} MP 的上限",
    ),
    "photo.decoding_limit": (
        "the {format} file ({width}x{height} {mode}) needs {needed} to decode, "
        "over the {limit} decoding limit (setting EVIDENCE_CHECK_MAX_DECODED_BYTES)",
        "该 {format} 文件（{width}x{height} {mode}）解码需要 {needed}，"
        "超过 {limit} 的解码上限（设置 EVIDENCE_CHECK_MAX_DECODED_BYTES）",
    ),
    "photo.decoding_limit_progressive": (
        "the {format} file ({width}x{height} {mode}, progressive) needs {needed} to decode, "
        "over the {limit} decoding limit (setting EVIDENCE_CHECK_MAX_DECODED_BYTES)",
        "该 {format} 文件（{width}x{height} {mode}，渐进式）解码需要 {needed}，"
        "超过 {limit} 的解码上限（设置 EVIDENCE_CHECK_MAX_DECODED_BYTES）",
    ),
    "photo.pixels_over_limit": (
        "the {format} file declares more pixels than the {limit} MP limit",
        "该 {format} 文件声明的像素超过 {limit} MP 的上限",
    ),
    "photo.damaged_start": (
        "the file starts like {format} but cannot be read: it is damaged",
        "文件开头像 {format}，但无法读取：文件已损坏",
    ),
    "photo.too_large_to_decode": ("the {format} file is too large to decode", "该 {format} 文件太大，无法解码"),
    "photo.damaged": (
        "the {format} file is damaged or truncated ({problem})",
        "该 {format} 文件已损坏或不完整（{problem}）",
    ),
    "photo.gif_frame_too_large": (
        "the GIF file declares a {width}x{height} frame ({megapixels} MP), over the {limit} MP limit",
        "该 GIF 文件声明了 {width}x{height} 的帧（{megapixels} MP），超过 {limit} MP 的上限",
    ),
    "photo.gif_decoding_limit": (
        "the GIF file declares a {width}x{height} frame, which needs {needed} to decode, over the "
        "{limit} decoding limit (setting EVIDENCE_CHECK_MAX_DECODED_BYTES)",
        "该 GIF 文件声明了 {width}x{height} 的帧，解码需要 {needed}，"
        "超过 {limit} 的解码上限（设置 EVIDENCE_CHECK_MAX_DECODED_BYTES）",
    ),
    "photo.not_read": ("could not be read", "无法读取"),
    "photo.measuring_died": (
        "the process measuring it died (a file that crashes the image decoder, or too little memory)",
        "测量它的进程意外终止（文件使图像解码器崩溃，或内存不足）",
    ),
    "photo.outside_manifest_folder": ("outside the archive's manifest folder", "在压缩包中清单所在的文件夹之外"),
    "photo.not_in_archive": ("not in the archive", "不在压缩包中"),
    # References and the catalog (422)
    "references.no_photos": (
        "send the photos as multipart parts named {field!r}",
        "请以名为 {field!r} 的 multipart 部分发送照片",
    ),
    "catalog.no_images": (
        "send the images as multipart parts named {field!r}",
        "请以名为 {field!r} 的 multipart 部分发送图片",
    ),
    "references.other_kind": (
        "{filename}: already a {kind} photo (as {reference_id}), not added as a {wanted} photo: to make it one, "
        "remove it (evidence-check stock remove {image_id}, or DELETE /v1/stock/{image_id}) and add it again",
        "{filename}：已是{kind}照片（名为 {reference_id}），未作为{wanted}照片添加；如要改为{wanted}照片，"
        "请先删除（evidence-check stock remove {image_id}，或 DELETE /v1/stock/{image_id}）再重新添加",
    ),
    # A reference photo's kind within a line, in the reader's language.
    "references.kind_stock": ("stock", "图库"),
    "references.kind_review": ("review", "买家评价"),
    "references.nothing_readable": (
        "no image could be read ({filename}: {problem})",
        "没有一张图片能够读取（{filename}：{problem}）",
    ),
    "catalog.zones_not_json": (
        'zones: not JSON (expected {{"name": [x, y, w, h], ...}})',
        'zones：不是 JSON（应为 {{"name": [x, y, w, h], ...}}）',
    ),
    "catalog_import.one_archive": (
        "send one zip archive as the multipart part {field!r} (and optionally 'reindex')",
        "请以 multipart 部分 {field!r} 发送一个 zip 压缩包（可另附 'reindex'）",
    ),
    # The row's place, a zone's problem and an image's reason are each worded in the reader's language.
    "catalog_import.row_zones": ("{row}: SKU {sku}: zones: {problem}", "{row}：SKU {sku} 的 zones 有误：{problem}"),
    "catalog_import.nothing_usable": ("no image in the manifest could be used", "清单中没有一张图片可用"),
    "catalog_import.nothing_usable_because": (
        "no image in the manifest could be used ({sku} {image}: {problem})",
        "清单中没有一张图片可用（{sku} {image}：{problem}）",
    ),
    "catalog_import.measuring_died": (
        "stopped at {row} (SKU {sku}): the processes measuring images died on {deaths} files in a row, none "
        "measured between, the last {image} (files that crash the image decoder, or too little memory); "
        "the rows before it were stored",
        "已在 {row}（SKU {sku}）停止：测量图片的进程连续在 {deaths} 个文件上终止，其间没有一张测量成功，"
        "最后一个是 {image}（文件使图像解码器崩溃，或内存不足）；之前的行已存储",
    ),
    "catalog_import.reindex_not_flag": (
        "reindex: {value!r} is not true or false",
        "reindex：{value!r} 不是 true 或 false",
    ),
    # A body too slow (408); headers too slow or too large are answered before they are read, in English.
    "request.body_stalled": (
        "the request's body paused for more than {seconds} s",
        "请求体暂停超过 {seconds} 秒",
    ),
    "request.body_too_slow": (
        "the request's body came slower than {rate} bytes a second on average",
        "请求体的平均到达速度低于每秒 {rate} 字节",
    ),
    # A catalog image stored, but without a product outline for the location look (a warning, not a refusal)
    "catalog.no_outline": (
        "{filename}: no plain background (its product outline covers {share} of it), so the location look "
        "cannot tell a region off the product: add an image of the product on a plain background, or draw "
        "zones on this one",
        "{filename}：没有纯色背景（商品轮廓占图片的 {share}），位置检查无法判断区域是否在商品之外："
        "请添加一张纯色背景上的商品图片，或在这张图片上画出区域",
    ),
    # Zones drawn on catalog images (evidence_check.catalog.zones)
    "catalog.zones_invalid": ("zones: {problem}", "zones：{problem}"),
    # `catalog add --zones FILE`: the command line speaks English (only `verify --lang` changes that);
    # its lines are worded here all the same, one table for every way in.
    "catalog.zones_file": ("zones file {path}", "区域文件 {path}"),
    "catalog.zones_file_unreadable": ("cannot read {file}: {problem}", "无法读取{file}：{problem}"),
    "catalog.zones_file_not_json": ("{file} is not JSON ({problem})", "{file}不是 JSON（{problem}）"),
    "catalog.zones_file_invalid": ("{file}: {problem}", "{file}有误：{problem}"),
    # The console's zone rows (api/web/catalog.py) and its JSON form.
    "zones.row_without_name": ("the zone at {box!r} has no name", "位于 {box!r} 的区域没有名称"),
    "zones.row_not_a_box": ("zone {zone!r} must be X,Y,W,H, got {value!r}", "区域 {zone!r} 必须是 X,Y,W,H，收到 {value!r}"),
    "zones.no_image": ("zones need an image to be drawn on", "区域需要画在一张图片上"),
    "zones.unknown_image": (
        "zones name {image!r}, which is not one of the images ({images})",
        "区域指向 {image!r}，但它不是所发送的图片之一（{images}）",
    ),
    "zones.named_twice": (
        "zones name the image {image!r} twice ({names}): which zones are meant is not known",
        "区域两次指向图片 {image!r}（{names}）：无法确定以哪组区域为准",
    ),
    "zones.image_twice": (
        "two images are called {image!r}: rename one, zones are given by file name",
        "有两张图片都叫 {image!r}：请重命名其中一张，区域按文件名指定",
    ),
    "zones.not_an_object": (
        'zones must be a JSON object such as {{"zipper": [10, 20, 100, 40]}}',
        '区域必须是 JSON 对象，例如 {{"zipper": [10, 20, 100, 40]}}',
    ),
    "zones.not_a_zone": (
        "zone {zone!r} must be [x, y, w, h] or an object with a box or polygon, got {value!r}",
        "区域 {zone!r} 必须是 [x, y, w, h]，或带 box 或 polygon 的对象，收到的是 {value!r}",
    ),
    "zones.unknown_field": (
        "zone {zone!r} has an unknown field {key!r} (box, polygon, cause, note, label_zh)",
        "区域 {zone!r} 含有未知字段 {key!r}（可用：box, polygon, cause, note, label_zh）",
    ),
    "zones.one_shape": (
        "zone {zone!r} needs exactly one of box [x, y, w, h] or polygon [[x, y], ...]",
        "区域 {zone!r} 必须且只能有 box [x, y, w, h] 或 polygon [[x, y], ...] 之一",
    ),
    "zones.unknown_cause": (
        "zone {zone!r}: cause must be one of {causes}, got {value!r}",
        "区域 {zone!r}：cause 必须是 {causes} 之一，收到的是 {value!r}",
    ),
    "zones.empty_name": ("a zone needs a name", "区域需要一个名称"),
    "zones.name_too_long": (
        "zone name {zone!r}: at most {max_length} characters",
        "区域名称 {zone!r}：最多 {max_length} 个字符",
    ),
    "zones.text_too_long": (
        "zone {zone!r}: {key}: at most {max_length} characters",
        "区域 {zone!r}：{key}：最多 {max_length} 个字符",
    ),
    "zones.empty_text": (
        "zone {zone!r}: {key} must be non-empty text",
        "区域 {zone!r}：{key} 必须是非空文本",
    ),
    "zones.not_a_box": (
        "zone {zone!r} must be [x, y, w, h] in pixels, got {value!r}",
        "区域 {zone!r} 必须是以像素为单位的 [x, y, w, h]，收到的是 {value!r}",
    ),
    "zones.box_outside": (
        "zone {zone!r} needs x, y >= 0 and w, h > 0, got {value!r}",
        "区域 {zone!r} 要求 x, y >= 0 且 w, h > 0，收到的是 {value!r}",
    ),
    "zones.not_a_polygon": (
        "zone {zone!r}: polygon must be 3 to {max_points} points [[x, y], ...] with x, y >= 0",
        "区域 {zone!r}：polygon 必须是 3 到 {max_points} 个点 [[x, y], ...]，且 x, y >= 0",
    ),
    "zones.outside_image": (
        "zone {zone!r} lies wholly outside {image} ({width}x{height} pixels)",
        "区域 {zone!r} 完全在 {image}（{width}x{height} 像素）之外",
    ),
    "zones.polygon_flat": (
        "zone {zone!r}: polygon encloses no area",
        "区域 {zone!r}：polygon 围成的面积为零",
    ),
    # Text longer than the column that keeps it (evidence_check.widths): refused whole on both backends.
    "text.too_long": TEXT_TOO_LONG,
    "input.text_too_long": TEXT_TOO_LONG,  # the same line, as api.verifying.describe names pydantic's errors
    # Text PostgreSQL cannot hold, or a terminal would obey (evidence_check.storable): refused on both backends.
    "text.unstorable": TEXT_UNSTORABLE,
    "input.text_unstorable": TEXT_UNSTORABLE,
    "zones.unstorable": (
        "zone {zone!r}: a control character (tab and line breaks aside) or a lone surrogate cannot be stored",
        "区域 {zone!r}：不能保存控制字符（制表符和换行符除外）或孤立的代理码位",
    ),
    "label.control_characters": (
        "{field}: control characters are not allowed",
        "{field}：不允许包含控制字符",
    ),
    # A tenant's webhook receiver (evidence_check.webhooks)
    "webhook.not_http": (
        "webhook URL must be http:// or https:// with a host, got {url!r}",
        "webhook URL 必须是带主机名的 http:// 或 https:// 地址，收到的是 {url!r}",
    ),
    "webhook.too_long": (
        "webhook URL is longer than {max_length} characters",
        "webhook URL 超过 {max_length} 个字符",
    ),
    "webhook.unstorable": (
        "webhook URL holds a control character or a lone surrogate, which cannot be stored: {url!r}",
        "webhook URL 含有控制字符或孤立的代理码位，无法保存：{url!r}",
    ),
    "webhook.malformed": (
        "webhook URL's host or port cannot be read (a port is a number from 1 to 65535): {url!r}",
        "无法读取 webhook URL 的主机或端口（端口是 1 到 65535 之间的数字）：{url!r}",
    ),
    "webhook.credentials": (
        "webhook URL must not carry a user name or password: check the X-Evidence-Check-Signature instead",
        "webhook URL 不能包含用户名或密码：请改为校验 X-Evidence-Check-Signature",
    ),
    "webhook.not_public": (
        "webhook host {host!r} is {address}, not a public address: this server sends only to public "
        "addresses (its operator may allow others with WEBHOOK_PRIVATE_ADDRESSES)",
        "webhook 主机 {host!r} 是 {address}，不是公网地址：本服务器只向公网地址发送"
        "（运营者可用 WEBHOOK_PRIVATE_ADDRESSES 允许其他地址）",
    ),
    "webhook.name_not_public": (
        "webhook host {host!r} resolves to an address that is not public: this server sends only to public "
        "addresses (its operator may allow others with WEBHOOK_PRIVATE_ADDRESSES)",
        "webhook 主机 {host!r} 解析到的地址不是公网地址：本服务器只向公网地址发送"
        "（运营者可用 WEBHOOK_PRIVATE_ADDRESSES 允许其他地址）",
    ),
    "webhook.no_resolution": (
        "webhook host {host!r} did not resolve within {seconds} s: try again later, or check its DNS",
        "webhook 主机 {host!r} 在 {seconds} 秒内未能解析：请稍后重试，或检查其 DNS",
    ),
    "webhook.resolving_enough": (
        "webhook host {host!r} not looked up: {count} of this tenant's names are still waiting on their "
        "resolvers; try again later, or check their DNS",
        "webhook 主机 {host!r} 未被解析：本租户已有 {count} 个名称仍在等待其解析服务器；请稍后重试，或检查其 DNS",
    ),
    "webhook.none": ("no webhook is set for this tenant", "本租户尚未设置 webhook"),
    # A catalog import's archive (evidence_check.catalog.archive).
    "archive.unreadable": ("not a zip archive that can be read ({problem})", "不是可读取的 zip 压缩包（{problem}）"),
    "archive.too_many_entries": (
        "the archive holds {entries} entries, over the limit of {limit}",
        "压缩包含有 {entries} 个条目，超过 {limit} 的上限",
    ),
    "archive.entry_twice": ("the archive holds {entry!r} twice", "压缩包中 {entry!r} 出现了两次"),
    "archive.encrypted": (
        "{entry!r} is encrypted: send the archive without a password",
        "{entry!r} 已加密：请发送不带密码的压缩包",
    ),
    "archive.nested": (
        "{entry!r} is an archive inside the archive: send one flat archive",
        "{entry!r} 是压缩包中的压缩包：请发送一个不嵌套的压缩包",
    ),
    "archive.manifest_not_utf8": ("{manifest}: not UTF-8 text", "{manifest}：不是 UTF-8 文本"),
    "archive.manifest_row": ("{manifest}: {problem}", "{manifest} 有误：{problem}"),
    # A manifest's malformed row (evidence_check.catalog.manifest), named by its place in the
    # reader's language; the import's answer names its rows in English (`row`: "line 3"), a key.
    "manifest.line": ("line {number}", "第 {number} 行"),
    "manifest.row": ("row {number}", "第 {number} 行"),
    "manifest.kind": ("a manifest must be .csv or .jsonl", "清单必须是 .csv 或 .jsonl 文件"),
    "manifest.csv_header": (
        "the CSV needs a header with at least sku and images",
        "CSV 需要一行表头，至少含 sku 和 images",
    ),
    "manifest.not_csv": ("near row {number}: not CSV ({problem})", "第 {number} 行附近：不是 CSV（{problem}）"),
    "manifest.not_json": ("{where} is not JSON ({problem})", "{where}不是 JSON（{problem}）"),
    # Why a JSON parser stopped (`parser_stopped`): its own words in English, as clients have matched
    # them; where it stopped in Chinese, which the parser does not speak. The only lines whose
    # parameters differ between the languages.
    "json.stopped": ("{message}", "第 {line} 行第 {column} 列"),
    "json.stopped_at": ("{message} at character {character}", "第 {line} 行第 {column} 列"),
    "json.stopped_on_line": ("{message} at line {line}", "第 {line} 行第 {column} 列"),
    "manifest.not_object": ("{where} is not a JSON object", "{where}不是 JSON 对象"),
    "manifest.images_not_list": (
        "{where}: images must be a list of file names",
        "{where}：images 必须是文件名列表",
    ),
    "manifest.no_images": ("{where}: SKU {sku} lists no images", "{where}：SKU {sku} 没有列出图片"),
    "manifest.not_text": ("{where}: {field} must be text", "{where}：{field} 必须是文本"),
    "manifest.field": ("{where}: {problem}", "{where}：{problem}"),
    "manifest.unknown_key": (
        "{where}: unknown {named}; a row's keys are {known}",
        "{where}：未知的{named}；一行可用的键为 {known}",
    ),
    "manifest.unknown_column": (
        "{where}: unknown {named}; a row's columns are {known}",
        "{where}：未知的{named}；一行可用的列为 {known}",
    ),
    "manifest.meant": ("{name!r} (did you mean {meant!r}?)", "{name!r}（是否应为 {meant!r}？）"),
    # `unknown {named}`: the misspelt names, a list joined in the reader's language (manifest.Meant).
    "manifest.meant_key": ("key {pairs}", "键 {pairs}"),
    "manifest.meant_keys": ("keys {pairs}", "键 {pairs}"),
    "manifest.meant_column": ("column {pairs}", "列 {pairs}"),
    "manifest.meant_columns": ("columns {pairs}", "列 {pairs}"),
    # Every malformed row of a manifest, `; ` between them (evidence_check.catalog.manifest.RowsRefused).
    "catalog.rows_refused": ("{problems}", "{problems}"),
    "catalog.rows_refused_more": ("{problems}; and {more} more rows", "{problems}；另有 {more} 行有误"),
    "archive.manifest_empty": ("{manifest}: no SKU rows", "{manifest}：没有 SKU 行"),
    "archive.too_many_images": (
        "the manifest names {images} images, over the limit of {limit} per import",
        "清单列出了 {images} 张图片，超过每次导入 {limit} 张的上限",
    ),
    "archive.too_large": (
        "the images decompress to {size} MB, over the limit of {limit} MB",
        "图片解压后为 {size} MB，超过 {limit} MB 的上限",
    ),
    "archive.entry_too_large": (
        "{entry!r} decompresses to {size} bytes, over the limit per file",
        "{entry!r} 解压后为 {size} 字节，超过单个文件的上限",
    ),
    "archive.entry_expands": (
        "{entry!r} expands over {ratio} times: not a photo",
        "{entry!r} 解压后膨胀超过 {ratio} 倍：不是照片",
    ),
    "archive.no_manifest": (
        "the archive holds no manifest.jsonl or manifest.csv at its root or in its top folder",
        "压缩包的根目录或顶层文件夹中没有 manifest.jsonl 或 manifest.csv",
    ),
    "archive.manifests": (
        "the archive holds {count} manifests ({manifests}): send one",
        "压缩包含有 {count} 个清单（{manifests}）：请只放一个",
    ),
    "archive.entry_leaves": (
        "the archive's entry {entry!r} leads out of the archive",
        "压缩包条目 {entry!r} 指向压缩包之外",
    ),
    "archive.entry_over": ("{entry!r} is over {most} bytes once decompressed", "{entry!r} 解压后超过 {most} 字节"),
    "archive.entry_unreadable": (
        "{entry!r} cannot be read from the archive ({problem})",
        "无法从压缩包中读取 {entry!r}（{problem}）",
    ),
    # Paging (422)
    "request.bad_cursor": (
        "cursor: not one this server handed out; start again without it",
        "cursor：不是本服务器给出的游标；请去掉它重新开始",
    ),
    # A field of the request as pydantic (FastAPI) checks it (422): the English line is pydantic's
    # own message, written out here so that its Chinese can be; `input.invalid` for any other kind.
    "input.missing": ("{field}: Field required", "{field}：缺少必填字段"),
    "input.string_type": ("{field}: Input should be a valid string", "{field}：应为字符串"),
    "input.extra_forbidden": ("{field}: not a field of this request", "{field}：不是本请求的字段"),
    # A JSON body or zones, a manifest's row, the console's zone rows: one wording wherever it is said.
    "input.name_twice": (
        "{where}: the name {name!r} is given twice; which value is meant is not known",
        "{where}：名称 {name!r} 出现了两次，无法确定以哪个值为准",
    ),
    "input.json_invalid": ("body: not JSON ({error})", "请求体：不是有效的 JSON（{error}）"),
    # A JSON route's body missing or not an object (a form-encoded outcome, a list of zones): pydantic
    # says "Input should be a valid dictionary or object to extract fields from", which helps no
    # client. Worded for every JSON route: an outcome's are fields, a SKU's zones are images' names.
    "input.not_an_object": (
        "body: not a JSON object; send one, with Content-Type: application/json",
        "请求体：不是 JSON 对象；请发送一个 JSON 对象，Content-Type 为 application/json",
    ),
    # A JSON body over MAX_JSON_BYTES: 413, as an upload over its limit (api.json_body).
    "input.json_too_large": ("body: the JSON document is over the {limit} limit", "请求体：JSON 文档超过 {limit} 的上限"),
    "input.extra_forbidden_known": (
        "{field}: not a field of this request (known: {known})",
        "{field}：不是本请求的字段（可用字段：{known}）",
    ),
    # The API's query strings (api/query.py).
    "query.unknown": (
        "{field}: not a query parameter of this request (known: {known})",
        "{field}：不是本请求的查询参数（可用参数：{known}）",
    ),
    "query.none_taken": (
        "{field}: this request takes no query parameter",
        "{field}：本请求不接受查询参数",
    ),
    "input.string_too_long": (
        "{field}: String should have at most {max_length} characters",
        "{field}：最多 {max_length} 个字符",
    ),
    "input.string_too_short": (
        "{field}: String should have at least {min_length} characters",
        "{field}：至少需要 {min_length} 个字符",
    ),
    "input.string_pattern_mismatch": (
        "{field}: String should match pattern '{pattern}'",
        "{field}：格式应符合模式 '{pattern}'",
    ),
    "input.int_parsing": (
        "{field}: Input should be a valid integer, unable to parse string as an integer",
        "{field}：应为有效的整数",
    ),
    "input.greater_than_equal": (
        "{field}: Input should be greater than or equal to {ge}",
        "{field}：应大于或等于 {ge}",
    ),
    "input.less_than_equal": (
        "{field}: Input should be less than or equal to {le}",
        "{field}：应小于或等于 {le}",
    ),
    "input.bool_parsing": (
        "{field}: Input should be a valid boolean, unable to interpret input",
        "{field}：应为布尔值（true 或 false）",
    ),
    "input.enum": ("{field}: Input should be {choices}", "{field}：应为 {choices}"),
    "input.literal_error": ("{field}: Input should be {choices}", "{field}：应为 {choices}"),
    "input.invalid": ("{field}: {message}", "{field}：取值无效（{message}）"),
}


class WordedError(Exception):
    """An error named by its code and parameters; `str()` is its English line (logs, the command
    line), `text(lang)` its line in the reader's language."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(error_text(code, params))

    def text(self, lang: str = "en") -> str:
        return error_text(self.code, self.params, lang)


class NameGivenTwice(WordedError, ValueError):
    """Two values under one name (`{"sku": .., "sku": ..}`, a header `sku,SKU`, two zone rows `lid`):
    keeping either would drop the other unsaid."""

    def __init__(self, where: str | Worded, name: str) -> None:
        super().__init__("input.name_twice", where=where, name=name)


def parser_stopped(
    exc: json.JSONDecodeError, *, line: int = 1, named: Literal["", "character", "line"] = ""
) -> WordedError:
    """Why the parser stopped, worded in the reader's language (`json.stopped`): `line` is the
    number of the document's first line in its file; `named` names the character or the line in
    English too."""
    where = {"line": exc.lineno - 1 + line, "column": exc.colno}
    if named == "character":
        return WordedError("json.stopped_at", message=exc.msg, character=exc.pos, **where)
    if named == "line":
        return WordedError("json.stopped_on_line", message=exc.msg, **where)
    return WordedError("json.stopped", message=exc.msg, **where)


def error_text(code: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """The error's line in `lang` (Chinese for `zh`, else English); the code itself when unknown.

    `choices` given as a list is written out in the reader's language: "'a', 'b' or 'c'" (as
    pydantic writes them), "'a'、'b' 或 'c'"; an error given as a parameter, in its own words."""
    texts = ERRORS.get(code)
    if texts is None:
        return code
    template = texts[1 if lang == "zh" else 0]
    values = {
        name: _choices(value, lang) if name == "choices" and isinstance(value, list) else worded(value, lang)
        for name, value in params.items()
    }
    for name in _quoted_fields(template):
        if isinstance(values.get(name), str) and len(values[name]) > LONGEST_QUOTED:
            values[name] = _Clipped(values[name], lang)
    return template.format(**values)


# What a client sent is quoted back (`{value!r}`) whole up to this many characters: past an id's 128
# and a file name's 255 (two long names that differ only at their ends are told apart); a 16 KB field
# once made a 16 KB "line" in the answer and in the log, the part that says what is wrong at its end.
LONGEST_QUOTED = 1000
QUOTED_HEAD = 60


def _quoted_fields(template: str) -> set[str]:
    return {name for _, name, _, conversion in string.Formatter().parse(template) if name and conversion == "r"}


class _Clipped:
    """A long value quoted by its head and its length: `'xxxx…' (5000 characters)`."""

    def __init__(self, value: str, lang: str) -> None:
        self.value, self.lang = value, lang

    def __repr__(self) -> str:
        quoted = repr(self.value[:QUOTED_HEAD])
        head = quoted[:-1] + "…" + quoted[-1]
        count = len(self.value)
        return f"{head}（共 {count} 个字符）" if self.lang == "zh" else f"{head} ({count} characters)"


@runtime_checkable
class Worded(Protocol):
    """Words within an error's line that are in the reader's language too (a `WordedError`, a list)."""

    def text(self, lang: str = "en") -> str: ...


class Listed(tuple[Any, ...]):
    """Words listed in the reader's language: "a, b" or "a、b"."""

    def text(self, lang: str = "en") -> str:
        return ("、" if lang == "zh" else ", ").join(str(worded(item, lang)) for item in self)


def worded(value: Any, lang: str) -> Any:
    """`value` in the reader's language when it is words (an error, a list, a tuple of them, one after
    the other); any other value as it is (a recorded line, a name, None)."""
    if isinstance(value, Worded):
        return value.text(lang)
    if isinstance(value, tuple):
        return ("；" if lang == "zh" else "; ").join(str(worded(item, lang)) for item in value)
    return value


def _choices(items: list[Any], lang: str) -> str:
    words = [str(item) for item in items]
    if len(words) < 2:
        return "".join(words)
    if lang == "zh":
        return "、".join(words[:-1]) + " 或 " + words[-1]
    return ", ".join(words[:-1]) + " or " + words[-1]


def template_fields(code: str, lang: str = "en") -> set[str]:
    """The parameters the error's line in `lang` names."""
    template = ERRORS[code][1 if lang == "zh" else 0]
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
