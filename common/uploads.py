"""What an uploaded file may be, checked once for every way a file arrives.

A work sample uploaded in a form and a deliverable received by email or through
the check-in link pass the same check: the type is read from the file's bytes,
never from its name, and the name's ending must agree with what the bytes are.
Anything else (HTML, scripts, programs) is refused, whatever its name says,
because these files are later downloaded and opened by the owner.
"""

import secrets
import unicodedata
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

# The allowed types, by the type read from the bytes, with the name endings each may carry.
ALLOWED_TYPES = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    # Office files are ZIP archives inside; a short read may only see that.
    "application/zip": {".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {".xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {".pptx"},
    "application/vnd.oasis.opendocument.text": {".odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {".ods"},
    "application/vnd.oasis.opendocument.presentation": {".odp"},
    "application/msword": {".doc"},
    "application/vnd.ms-excel": {".xls"},
    "application/vnd.ms-powerpoint": {".ppt"},
}
ALLOWED_NAMES = "PDF, PNG, JPEG, GIF, WebP, Word, Excel, PowerPoint, OpenDocument or ZIP"
# filetype reads no further than this into a file.
HEAD_BYTES = 8192
NAME_LIMIT = 200


def allowed_files_help():
    """The words under a file field: what may be uploaded and how large."""
    return f"{ALLOWED_NAMES}; at most {filesizeformat(settings.UPLOAD_MAX_BYTES)}."


def check_file(*, name, size, head):
    """Refuse a file that is too large, empty, or not an allowed type by its bytes (`head`,
    its first HEAD_BYTES bytes or more), or whose name's ending says another type.
    Returns the type read from the bytes (the content type to serve it with)."""
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            f"This file is {filesizeformat(size)}; the limit is {filesizeformat(settings.UPLOAD_MAX_BYTES)}.",
            code="too_large",
        )
    if not size:
        raise ValidationError("This file is empty.", code="empty")
    kind = filetype.guess(bytes(head[:HEAD_BYTES]))
    mime = kind.mime if kind else None
    if mime not in ALLOWED_TYPES:
        raise ValidationError(
            f"This file's content is not a {ALLOWED_NAMES} file, whatever its name says.", code="type"
        )
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_TYPES[mime]:
        raise ValidationError(
            f"The file is named {suffix or 'without an ending'} but its content is "
            f"{kind.extension.upper()}. Rename it or upload the right file.",
            code="name",
        )
    return mime


def clean_file_name(name):
    """The name a file was sent with, kept as data only (it is never a path on disk): its last
    part whichever slash a sender's system used, without control characters, at most
    NAME_LIMIT characters with its ending kept."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > NAME_LIMIT:
        suffix = PurePath(name).suffix[:10]
        name = name[: NAME_LIMIT - len(suffix)] + suffix
    return name


def random_stored_name(folder, filename):
    """Where a file is stored: a random name in `folder`, with the sent name's ending only, so
    nobody can choose or guess a path on disk."""
    suffix = PurePath(clean_file_name(filename)).suffix.lower()[:10]
    return f"{folder}/{secrets.token_hex(16)}{suffix}"
