"""The one way pages send a file: as an attachment, its name encoded for the header by ``send_file`` (RFC 6266)."""

from __future__ import annotations

import io

from flask import Response, send_file


def send_download(content: bytes, name: str, *, mimetype: str = "application/octet-stream") -> Response:
    """Send ``content`` as a download called ``name``, whatever its spaces or accents."""
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)
