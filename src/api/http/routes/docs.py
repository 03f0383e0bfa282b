"""`GET /docs`: Swagger UI from the installed `swagger-ui-bundle-v2` package, not from a CDN.

Many municipal networks keep their servers without internet: a page that loads its script from a
CDN stays blank there. The HTML, its script, style and icon all come from this server, and the
bundle's licence (Apache-2.0) is served beside them at `/docs/LICENSE`.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from eenplan.domain.errors import NotFoundError

router = APIRouter(include_in_schema=False)
DISTRIBUTION = "swagger-ui-bundle-v2"
ASSETS = Path(str(swagger_ui_path))
# The files the page loads; nothing else of the package is served.
SERVED = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="eenplan API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
        # Swagger UI would send the document to validator.swagger.io for its badge: not off this server.
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = bytes(page.body).decode().replace("<head>", '<head>\n<link rel="license" href="/docs/LICENSE">', 1)
    return HTMLResponse(html)


@router.get("/docs/assets/{name}")
def swagger_ui_asset(name: str) -> Response:
    if name not in SERVED:
        raise NotFoundError(f"no asset {name[:100]!r}")
    return FileResponse(ASSETS / name, media_type=SERVED[name], headers={"Cache-Control": "max-age=86400"})


@router.get("/docs/LICENSE")
def swagger_ui_licence() -> PlainTextResponse:
    """The licence of the Swagger UI files served under /docs/assets."""
    files = metadata.files(DISTRIBUTION) or []
    licence = next((f for f in files if f.name.upper().startswith("LICENSE")), None)
    version = metadata.version(DISTRIBUTION)
    text = licence.read_text() if licence is not None else "Apache-2.0"
    kind = metadata.metadata(DISTRIBUTION)["License"] or "Apache-2.0"
    return PlainTextResponse(f"Swagger UI {version} ({DISTRIBUTION}), {kind}\n\n{text}")
