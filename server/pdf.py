"""The project's one way to make PDFs: HTML in, bytes out, rendered by WeasyPrint off the event loop.

Domain-agnostic: quotes, invoices (PDF/A-3b with the UBL XML attached) and reports all come here.

- **One render thread.** Renders run in a dedicated single-thread executor, never on the event loop.
  The thread owns WeasyPrint's `FontConfiguration` (reused across renders: it saves setting up
  fontconfig and Pango each time) and WeasyPrint's objects are not documented as thread-safe, so
  confining them to one thread is the simple safe choice. Renders queue behind each other; a page
  takes tens of milliseconds, far below what this app's traffic needs.
- **One parsed stylesheet.** `static/pdf.css` styles every PDF. It is parsed once per render thread
  (or pool process) and handed to WeasyPrint as a parsed `CSS` object, so `templates/pdf/base.html`
  does not link it: a link would be fetched and parsed again at every render (~6 ms of an invoice's
  ~50 ms). As a user stylesheet it loses to a template's own `<style>`, as a first link would.
- **A process pool for batches.** `pdf_process_pool()` gives a `ProcessPoolExecutor` whose processes
  (started with `spawn`: forking a process with an event loop, database connections and threads is
  unsafe) lower their own CPU priority, then load WeasyPrint, the fonts and the stylesheet once and
  render a warm-up page. Submit module-level functions that call `render_pdf_here`. The lower
  priority keeps web requests served first while a batch uses every core.
- **Lazy import, in that thread.** `import weasyprint` takes ~0.3-0.8 s. Importing it at module import
  would make every process start, every CLI command and every test run pay for it, although most
  never make a PDF; importing it at the first render, inside the render thread, costs the first
  download that time once and keeps it off the event loop too.
- **Only our own static files.** HTML is resolved against `PROJECT_DIR` (write
  `<img src="static/logo.png">`) and the URL fetcher serves only regular files
  under `PROJECT_DIR/static`. Any other `file://` path, `http(s)://` and every other scheme is refused;
  WeasyPrint logs the refusal and leaves the resource out, the render goes on. `data:` URLs are
  allowed: they read nothing beyond the document itself (e.g. a QR code made by segno).
"""

from __future__ import annotations

import asyncio
import mimetypes
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from server.settings import PROJECT_DIR

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

STATIC_DIR = PROJECT_DIR / "static"
#: Applied to every PDF (read once per render thread or pool process: restart after editing it).
STYLESHEET = PROJECT_DIR / "static" / "pdf.css"
#: Relative URLs in PDF HTML resolve against the project directory: `static/logo.png`.
BASE_URL = PROJECT_DIR.as_uri() + "/"
PDF_A_3B = "pdf/a-3b"
#: How much a pool process lowers its CPU priority (nice 0-19): web requests (nice 0) come first.
POOL_NICENESS = 10

Result = TypeVar("Result")

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


def _stylesheet() -> CSS:
    """This thread's parsed `static/pdf.css` (parsed with this thread's font configuration)."""
    stylesheet = getattr(_thread_state, "stylesheet", None)
    if stylesheet is None:
        from weasyprint import CSS

        stylesheet = _thread_state.stylesheet = CSS(
            string=STYLESHEET.read_text(encoding="utf-8"),
            base_url=STYLESHEET.as_uri(),
            url_fetcher=_fetcher(),
            font_config=_font_config(),
        )
    return stylesheet


def render_pdf_here(
    html: str, *, attachments: Sequence[PdfAttachment] = (), pdf_variant: str | None = None
) -> bytes:
    """Render `html` in the calling thread: for the render thread and pool processes, never an event loop.

    The same result as `render_pdf`; use that one from async code.
    """
    import weasyprint

    fetcher = _fetcher()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(
        font_config=_font_config(),
        stylesheets=[_stylesheet()],
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
    return await run_in_render_thread(
        lambda: render_pdf_here(html, attachments=attachments, pdf_variant=pdf_variant)
    )


async def run_in_render_thread(work: Callable[[], Result]) -> Result:
    """Run `work` (which calls `render_pdf_here`, maybe after preparing its HTML) in the render thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, work)


def _start_pool_process() -> None:
    """Initializer of a pool process: lower priority, then load WeasyPrint, fonts and stylesheet once."""
    os.nice(POOL_NICENESS)
    render_pdf_here("<p>.</p>")


@contextmanager
def pdf_process_pool(workers: int | None = None) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` (default: one per core) warm render processes, shut down at the end.

    Leaving the block does not wait for renders still running (they are abandoned with their
    results), so an error or a cancelled task is not held up by the rest of a batch.
    """
    pool = ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_pool_process,
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
