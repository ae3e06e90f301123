"""Every download's answer: the file name made safe and encoded as RFC 6266 / RFC 5987 say, whatever an
uploader called the file."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response

from reporting.ingest.readers import safe_filename


def content_disposition(name: str) -> str:
    """``attachment`` with a quoted ASCII fallback and, when the name is not plain ASCII, ``filename*``."""
    name = safe_filename(name)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch if ch.isalnum() or ch in "-_.() " else "_" for ch in ascii_name).strip() or "download"
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def download(content, name: str, mimetype: str) -> Response:
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": content_disposition(name)})
