"""PDF rendering: only the project's static files get in, PDF/A-3b carries its attachment, the layout
numbers its pages, and the render leaves the event loop free."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from server import pdf as pdf_module
from server.pdf import PDF_A_3B, PdfAttachment, RefusedUrl, render_pdf, static_path_for
from server.templating import environment


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text_of(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def images_in(reader: PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


def fonts_in(reader: PdfReader) -> set[str]:
    fonts = reader.pages[0]["/Resources"]["/Font"]
    return {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in fonts.values()}


def png(path: Path) -> Path:
    Image.new("RGB", (8, 8), "red").save(path)
    return path


@pytest.fixture
def static_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A static directory of our own, so tests can put files in and beside it."""
    directory = tmp_path / "static"
    directory.mkdir()
    monkeypatch.setattr(pdf_module, "STATIC_DIR", directory)
    return directory


async def test_a_stylesheet_under_static_is_served_and_the_same_one_elsewhere_is_not(
    static_dir: Path, tmp_path: Path
) -> None:
    rule = 'p { font-family: "DejaVu Sans Mono"; }'
    (static_dir / "mono.css").write_text(rule)
    (tmp_path / "mono.css").write_text(rule)

    def page(href: str) -> str:
        return f'<html><head><link rel="stylesheet" href="{href}"></head><body><p>Hallo</p></body></html>'

    assert fonts_in(read(await render_pdf(page(f"{static_dir.as_uri()}/mono.css")))) == {"DejaVu-Sans-Mono"}
    assert fonts_in(read(await render_pdf(page((tmp_path / "mono.css").as_uri())))) == {"DejaVu-Sans"}


async def test_an_image_under_static_gets_in_and_the_same_image_elsewhere_does_not(
    static_dir: Path, tmp_path: Path
) -> None:
    inside = png(static_dir / "logo.png")
    outside = png(tmp_path / "secret.png")

    assert images_in(read(await render_pdf(f'<img src="{inside.as_uri()}">'))) == 1
    assert images_in(read(await render_pdf(f'<img src="{outside.as_uri()}">'))) == 0
    escaping = f"{static_dir.as_uri()}/%2e%2e/secret.png"
    assert images_in(read(await render_pdf(f'<img src="{escaping}">'))) == 0


async def test_file_and_http_urls_outside_static_are_refused_without_raising() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        html = f"""<html><head>
            <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
            <link rel="attachment" href="file:///etc/passwd">
            <link rel="attachment" href="static/../pyproject.toml">
            </head><body>
            <p>Zichtbaar</p>
            <img src="file:///etc/passwd">
            <img src="https://127.0.0.1:{port}/logo.png">
            </body></html>"""

        reader = read(await render_pdf(html))

        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked: the fetcher refused before connecting
    assert "Zichtbaar" in text_of(reader)
    assert images_in(reader) == 0
    assert not reader.attachments
    assert "root:" not in text_of(reader)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://otherhost/static/pdf.css",
        "http://127.0.0.1/static/pdf.css",
        "https://example.org/static/pdf.css",
        "ftp://example.org/pdf.css",
        "{static}/../outside.css",
        "{static}/%2E%2E/outside.css",
        "{static}/link.css",
        "{static}/missing.css",
        "{static}",
    ],
)
def test_the_fetcher_refuses_everything_but_files_under_static(
    url: str, static_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "outside.css").write_text("p { color: red }")
    (static_dir / "link.css").symlink_to(tmp_path / "outside.css")
    with pytest.raises(RefusedUrl):
        static_path_for(url.format(static=static_dir.as_uri()))


def test_the_fetcher_serves_a_file_under_static(static_dir: Path) -> None:
    (static_dir / "print").mkdir()
    css = static_dir / "print" / "a.css"
    css.write_text("p { color: red }")
    assert static_path_for(css.as_uri()) == css.resolve()
    assert static_path_for(f"{static_dir.as_uri()}/print/./a.css") == css.resolve()


async def test_a_pdf_a_3b_render_carries_its_xml_attachment() -> None:
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    )
    html = '<html lang="nl"><head><title>Factuur</title></head><body><p>Factuur</p></body></html>'

    reader = read(
        await render_pdf(html, attachments=[PdfAttachment("factuur.xml", xml)], pdf_variant=PDF_A_3B)
    )

    assert reader.attachments["factuur.xml"] == [xml]
    files = [entry.get_object() for entry in reader.trailer["/Root"]["/AF"]]
    assert {(str(f["/UF"]), str(f["/AFRelationship"])) for f in files} == {("factuur.xml", "/Data")}
    metadata = reader.xmp_metadata
    assert metadata is not None
    xmp = metadata.stream.get_data()
    assert b'pdfaid:part="3"' in xmp
    assert b'pdfaid:conformance="B"' in xmp


async def test_the_layout_repeats_the_header_and_numbers_the_pages() -> None:
    template = environment().from_string(
        '{% extends "pdf/base.html" %}{% block title %}Proef{% endblock %}'
        "{% block footer %}Proefdocument{% endblock %}"
        '{% block content %}<p style="break-after: page">Een</p><p>Twee</p>{% endblock %}'
    )

    reader = read(await render_pdf(template.render()))

    assert len(reader.pages) == 2
    first, second = (" ".join(page.extract_text().split()) for page in reader.pages)
    for page_text in (first, second):
        assert "Ondersteuningsteam Weerbaar Bestuur" in page_text
        assert "070 - 37 38 314" in page_text
        assert "Proefdocument" in page_text
    assert "pagina 1 van 2" in first
    assert "pagina 2 van 2" in second
    assert fonts_in(reader) == {"DejaVu-Sans", "DejaVu-Sans-Bold"}


async def test_rendering_leaves_the_event_loop_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """The render waits for a callback that only a free event loop can run: rendering on the loop
    would wait in vain. (Counting the loop's ticks during a render depended on the machine's speed.)"""
    loop_ran = threading.Event()
    render_here = pdf_module.render_pdf_here

    def render_once_the_loop_ran(*args: Any, **kwargs: Any) -> bytes:
        assert loop_ran.wait(timeout=60), "the event loop stood still while the PDF rendered"
        return render_here(*args, **kwargs)

    monkeypatch.setattr(pdf_module, "render_pdf_here", render_once_the_loop_ran)
    asyncio.get_running_loop().call_soon(loop_ran.set)
    assert (await render_pdf("<p>Hallo</p>")).startswith(b"%PDF")
