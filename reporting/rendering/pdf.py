"""PDF rendering: ``html_to_pdf(html) -> bytes`` with WeasyPrint.

Resources come only from the project's ``static/`` folder (fonts, the print stylesheet) or from
``data:`` URLs (the charts): the URL fetcher refuses the network and every other local file. Output
is tagged PDF/UA-1, with the fonts shipped in ``static/fonts`` so it does not depend on the host."""
from __future__ import annotations

import ctypes.util
import logging
from pathlib import Path

from reporting.errors import RenderError

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent.parent / "static"
BASE_URL = STATIC.as_uri() + "/"


def check_environment() -> None:
    """WeasyPrint silently falls back to a much slower path without libharfbuzz-subset: refuse to start."""
    if not ctypes.util.find_library("harfbuzz-subset"):
        raise RenderError("libharfbuzz-subset0 is not installed: PDF rendering would be about twice as slow. "
                          "Install it (apt-get install libharfbuzz-subset0), or run scripts/setup.sh.")


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves data: URLs and files under static/; refuses everything else."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                from urllib.request import url2pathname
                path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
                if path.is_relative_to(STATIC) and path.is_file():
                    return URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": _mime(path)})
            log.warning("refused to fetch %s while rendering a PDF", url[:120])
            raise ValueError(f"only the project's static files may be used in a report, not {url[:80]}")

    return StaticOnlyFetcher


def _mime(path: Path) -> str:
    return {".css": "text/css", ".ttf": "font/ttf", ".svg": "image/svg+xml", ".png": "image/png"}.get(
        path.suffix, "application/octet-stream")


_FETCHER = None


def html_to_pdf(html: str) -> bytes:
    global _FETCHER
    import weasyprint
    if _FETCHER is None:
        _FETCHER = _fetcher_class()()
    try:
        document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=_FETCHER)
        return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True, custom_metadata=True)
    except Exception as e:  # WeasyPrint raises many kinds; the job boundary records them
        raise RenderError(f"The PDF could not be rendered: {type(e).__name__}: {e}") from e


def page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(pdf)).pages)
