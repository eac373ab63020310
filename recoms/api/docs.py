"""``/docs``: Swagger UI over ``/openapi.json``, from the files of the swagger-ui-bundle-v2
package; nothing is fetched from elsewhere, and the page may load nothing but its own files."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import hdrs, web
from swagger_ui_bundle import swagger_ui_path

from recoms.api.params import path_params
from recoms.api.queries import DocsAssetPath

routes = web.RouteTableDef()

SWAGGER_UI = Path(swagger_ui_path)

ASSETS: Final = "/docs/{asset}"
STYLE = "swagger-ui.css"
SCRIPT = "swagger-ui-bundle.js"
START = "start.js"

PACKAGED: Final[dict[str, str]] = {
    STYLE: "text/css",
    SCRIPT: "text/javascript",
    "favicon-32x32.png": "image/png",
}
"""The package's files the page uses, by name, with their types: with ``START``, the only
names ``DocsAssetPath`` accepts, and so the only files served."""

START_SCRIPT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
"""
# A script of its own file, not inline: the policy below allows no inline script.

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>recoms API</title>
<link rel="stylesheet" href="/docs/{STYLE}">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<noscript>The API's OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="swagger-ui"></div>
<script src="/docs/{SCRIPT}"></script>
<script src="/docs/{START}"></script>
</body>
</html>
"""

# Swagger UI's stylesheet draws its icons from data: URIs; everything else is this server's.
POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS: Final = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
ASSET_CACHE = "public, max-age=3600"


@routes.get("/docs")
async def docs(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html", headers=HEADERS)


@routes.get(ASSETS)
async def docs_asset(request: web.Request) -> web.StreamResponse:
    """One of the page's files, by its exact name: any other name, and so any path, is a 400."""
    name = path_params(DocsAssetPath, request).asset
    headers = {**HEADERS, hdrs.CACHE_CONTROL: ASSET_CACHE}
    if name == START:
        return web.Response(text=START_SCRIPT, content_type="text/javascript", headers=headers)
    content_type = PACKAGED[name]
    return web.FileResponse(
        SWAGGER_UI / name, headers={**headers, hdrs.CONTENT_TYPE: content_type}
    )
