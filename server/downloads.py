"""File responses: PDFs, CSV files and ZIPs that belong to one signed-in person."""

from __future__ import annotations

from starlette.responses import Response


def download(content: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    """`content` as a file named `filename`, to save (or with `inline`, to show in the browser).

    Never cached by a proxy or kept by the browser: these files hold an organisation's data.
    """
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
