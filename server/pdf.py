"""The project's one way to make PDFs: HTML in, bytes out, rendered by WeasyPrint off the event loop.

Domain-agnostic: quotes, invoices (PDF/A-3b with the UBL XML attached) and reports all come here.

- **One render thread.** Renders run in a dedicated single-thread executor, never on the event loop.
  The thread owns WeasyPrint's `FontConfiguration` (reused across renders: it saves setting up
  fontconfig and Pango each time) and WeasyPrint's objects are not documented as thread-safe, so
  confining them to one thread is the simple safe choice. Renders queue behind each other; a page
  takes tens of milliseconds, far below what this app's traffic needs.
- **Lazy import, in that thread.** `import weasyprint` takes ~0.3-0.8 s. Importing it at module import
  would make every process start, every CLI command and every test run pay for it, although most
  never make a PDF; importing it at the first render, inside the render thread, costs the first
  download that time once and keeps it off the event loop too.
- **Only our own static files.** HTML is resolved against `PROJECT_DIR` (write
  `<link rel="stylesheet" href="static/pdf.css">`) and the URL fetcher serves only regular files
  under `PROJECT_DIR/static`. Any other `file://` path, `http(s)://` and every other scheme is refused;
  WeasyPrint logs the refusal and leaves the resource out, the render goes on. `data:` URLs are
  allowed: they read nothing beyond the document itself (e.g. a QR code made by segno).
"""

from __future__ import annotations

import asyncio
import mimetypes
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from server.settings import PROJECT_DIR

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

STATIC_DIR = PROJECT_DIR / "static"
#: Relative URLs in PDF HTML resolve against the project directory: `static/pdf.css`.
BASE_URL = PROJECT_DIR.as_uri() + "/"
PDF_A_3B = "pdf/a-3b"

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf")
_thread_state = threading.local()


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF, e.g. the UBL XML of an invoice (relationship "Data" or "Source")."""

    filename: str
    content: bytes
    relationship: str = "Data"
    description: str = ""


class RefusedUrl(ValueError):
    """The HTML asked for something other than one of the project's static files."""


def static_path_for(url: str, static_dir: Path | None = None) -> Path:
    """The file under `static_dir` (default `STATIC_DIR`) that a `file://` URL names.

    Raises `RefusedUrl` for any other scheme or host, and for a path that leaves the directory
    (`..`, encoded or not, or a symbolic link pointing out) or is not a regular file.
    """
    root = (static_dir or STATIC_DIR).resolve()
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedUrl(f"refused, only the project's static files are served: {url}")
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise RefusedUrl(f"refused, not one of the project's static files: {url}")
    return path


def _fetcher() -> Any:
    """This thread's URL fetcher (WeasyPrint's fetcher keeps per-request state: one per thread)."""
    fetcher = getattr(_thread_state, "fetcher", None)
    if fetcher is None:
        fetcher = _thread_state.fetcher = _static_only_fetcher_class()(
            allowed_protocols=("file", "data"), allow_redirects=False
        )
    return fetcher


@cache
def _static_only_fetcher_class() -> type:
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves the project's static files and `data:` URLs; refuses the rest before any I/O."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.lower().startswith("data:"):
                return super().fetch(url, headers)
            path = static_path_for(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticOnlyFetcher


def _font_config() -> FontConfiguration:
    """This thread's font configuration, reused across renders (setting one up costs a few ms)."""
    font_config = getattr(_thread_state, "font_config", None)
    if font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        font_config = _thread_state.font_config = FontConfiguration()
    return font_config


def _render(html: str, attachments: Sequence[PdfAttachment], pdf_variant: str | None) -> bytes:
    import weasyprint

    fetcher = _fetcher()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(
        font_config=_font_config(),
        pdf_variant=pdf_variant,
        attachments=[
            weasyprint.Attachment(
                string=attachment.content,
                name=attachment.filename,
                description=attachment.description or None,
                relationship=attachment.relationship,
                url_fetcher=fetcher,
            )
            for attachment in attachments
        ],
    )


async def render_pdf(
    html: str, *, attachments: Sequence[PdfAttachment] = (), pdf_variant: str | None = None
) -> bytes:
    """Render `html` to PDF bytes in the render thread.

    `pdf_variant` is WeasyPrint's, e.g. `PDF_A_3B` ("pdf/a-3b") for an invoice with its UBL attached.
    Resources other than the project's static files are left out (and logged by WeasyPrint).
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, _render, html, tuple(attachments), pdf_variant)
