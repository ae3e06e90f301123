"""PDF rendering: ``html_to_pdf(html) -> bytes`` with WeasyPrint.

Resources come only from the project's ``static/`` folder (fonts, the print stylesheet) or from
``data:`` URLs (the charts): the URL fetcher refuses the network and every other local file. Output
is tagged PDF/UA-1, with the fonts shipped in ``static/fonts`` so it does not depend on the host."""

from __future__ import annotations

import ctypes.util
import gc
import hashlib
import logging
import re
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reporting.errors import RenderError

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent.parent / "static"
BASE_URL = STATIC.as_uri() + "/"


def check_environment() -> None:
    """WeasyPrint silently falls back to a much slower path without libharfbuzz-subset: refuse to start."""
    if not ctypes.util.find_library("harfbuzz-subset"):
        raise RenderError(
            "libharfbuzz-subset0 is not installed: PDF rendering would be about twice as slow. "
            "Install it (apt-get install libharfbuzz-subset0), or run scripts/setup.sh."
        )


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
        path.suffix, "application/octet-stream"
    )


# What every report shares, prepared once per process: the URL fetcher, the fonts and the print
# stylesheet (parsed once; its @font-face fonts registered once), and the measure definitions' pages
# (laid out once per specification and joined to each report's own pages, see ``_with_appendix``).
_STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="reports\.css">')
_APPENDIX = re.compile(r'<section class="definitions">.*?</section>', re.S)
_PLACEHOLDER = '<div style="break-before: page; height: 1px"></div>'
_APPENDIX_CACHE_SIZE = 8


class _Renderer:
    def __init__(self):
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        self.weasyprint = weasyprint
        self.fetcher = _fetcher_class()()
        self.fonts = FontConfiguration()
        self.stylesheet_mtime = None
        self.stylesheet = None
        self.appendices: OrderedDict[str, list] = OrderedDict()

    def css(self):
        mtime = (STATIC / "reports.css").stat().st_mtime_ns
        if mtime != self.stylesheet_mtime:  # edited while the process runs (development)
            self.stylesheet = self.weasyprint.CSS(
                url=BASE_URL + "reports.css", url_fetcher=self.fetcher, font_config=self.fonts
            )
            self.stylesheet_mtime = mtime
            self.appendices.clear()
        return self.stylesheet

    def render(self, html: str):
        css = self.css()
        document = self.weasyprint.HTML(
            string=_STYLESHEET_LINK.sub("", html, count=1), base_url=BASE_URL, url_fetcher=self.fetcher
        )
        return document.render(stylesheets=[css], font_config=self.fonts, **_OPTIONS)

    def appendix(self, html: str, section: str) -> list:
        """The definitions' pages laid out alone, once per distinct section (the specification's text)."""
        key = hashlib.sha256(section.encode()).hexdigest()
        pages = self.appendices.get(key)
        if pages is None:
            head = html[: html.index("<body")]
            pages = self.render(f"{head}<body>{section}</body></html>").pages
            self.appendices[key] = pages
            while len(self.appendices) > _APPENDIX_CACHE_SIZE:
                self.appendices.popitem(last=False)
        self.appendices.move_to_end(key)
        return pages


_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True, "custom_metadata": True}
_RENDERER: _Renderer | None = None


def _with_appendix(renderer: _Renderer, html: str):
    """The report laid out with blank pages where its definitions go, then those pages' bodies replaced
    by the definitions laid out once: the report's own running header and "Page n of N" stay, the
    definitions are not laid out again for every report. Layout only: every page is drawn (and tagged)
    as usual when the PDF is written."""
    from weasyprint.document import Page
    from weasyprint.formatting_structure.boxes import MarginBox

    match = _APPENDIX.search(html)
    if match is None:
        return renderer.render(html)
    appendix = renderer.appendix(html, match.group())
    document = renderer.render(html[: match.start()] + _PLACEHOLDER * len(appendix) + html[match.end() :])
    own = len(document.pages) - len(appendix)
    joined = list(document.pages[:own])
    for holder, page in zip(document.pages[own:], appendix):
        body = [c for c in page._page_box.children if not isinstance(c, MarginBox)]
        margins = [c for c in holder._page_box.children if isinstance(c, MarginBox)]
        joined.append(Page(holder._page_box.copy_with_children(body + margins)))
    return document.copy(joined)


@contextmanager
def _no_cyclic_gc():
    """A render allocates a few hundred thousand short-lived objects; in a process that holds
    DataFrames the collector's full passes over them cost 10-15 % of the render. The cycles left are
    collected after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def prepare() -> None:
    """Parse the stylesheet and register the fonts now (before forking workers, which then inherit them)."""
    global _RENDERER
    if _RENDERER is None:
        _RENDERER = _Renderer()
    _RENDERER.css()


def html_to_pdf(html: str) -> bytes:
    return printed(html).pdf


@dataclass(frozen=True)
class Printed:
    """A report's PDF and its number of pages (counted from the layout, not by parsing the PDF again)."""

    pdf: bytes
    pages: int


def printed(html: str) -> Printed:
    global _RENDERER
    try:
        with _no_cyclic_gc():
            if _RENDERER is None:
                _RENDERER = _Renderer()
            document = _with_appendix(_RENDERER, html)
            return Printed(document.write_pdf(**_OPTIONS), len(document.pages))
    except Exception as e:  # WeasyPrint raises many kinds; the job boundary records them
        raise RenderError(f"The PDF could not be rendered: {type(e).__name__}: {e}") from e
