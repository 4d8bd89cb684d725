"""The claimr widget as the platform function serves it: `/widget.js` and `/widget.css` (the embed script
and its stylesheet, plain files under functions/platform/widget/) and `/widget`, the preview page
(`?pid=…&user_token=wt_…[&env=dev][&lang=es][&entity=…]`), which is nothing but a shell that loads the
script; the script reads its settings from the page's query string.

Every answer carries a strict Content-Security-Policy: the page runs only the API's own script and
stylesheet, talks only to the API, loads images only over https, and cannot be framed. The preview URL
holds a widget token, so the page sends no Referer."""

from __future__ import annotations

from html import escape

LANGUAGES = ("en", "es")

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' https:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ASSET_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
ASSET_HEADERS = {
    "Content-Security-Policy": ASSET_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
    "Cross-Origin-Resource-Policy": "cross-origin",  # embedded by the integrator's pages
}


def page_language(asked: str | None, accept_language: str | None) -> str:
    """The page's language: `lang` when the widget speaks it, else the browser's first one it speaks."""
    wanted = [asked or ""] + [part.split(";")[0] for part in (accept_language or "").split(",")]
    for tag in wanted:
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES:
            return code
    return "en"


def preview_page(language: str) -> str:
    """The preview page: the embed script in preview mode (its settings come from the query string)."""
    lang = escape(language if language in LANGUAGES else "en")
    return (
        "<!doctype html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<title>Questline widget preview</title><link rel="stylesheet" href="widget.css"></head>'
        '<body><main><h1 class="preview-title">Questline widget preview</h1>'
        '<script src="widget.js" data-preview></script></main></body></html>\n'
    )
