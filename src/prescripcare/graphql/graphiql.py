"""The development GraphiQL page, with its scripts and styles served by the
app from GRAPHIQL_ASSETS_DIR (filled by `prescripcare graphiql-assets`) so it
works without internet, and from unpkg when that directory is incomplete.

The packages, versions and SRI hashes are those of strawberry's own GraphiQL
page; the hashes stay on the local tags too, so the browser refuses a file
that is not byte-for-byte the published one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from prescripcare.demo.accounts import CLINICIAN

ASSETS_URL_PATH = "/graphiql-assets"
CDN = "https://unpkg.com"


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    path: str  # inside the npm package's tarball (under package/)
    integrity: str  # SRI of the file
    kind: Literal["style", "head-script", "body-script"]

    @property
    def relative(self) -> str:
        """Where it lives under the assets directory (and the URL path)."""
        return f"{self.package}@{self.version}/{self.path}"


ASSETS = (
    Asset(
        "react",
        "18.2.0",
        "umd/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
        "head-script",
    ),
    Asset(
        "react-dom",
        "18.2.0",
        "umd/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
        "head-script",
    ),
    Asset(
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
        "style",
    ),
    Asset(
        "@graphiql/plugin-explorer",
        "1.0.2",
        "dist/style.css",
        "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
        "style",
    ),
    Asset(
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
        "body-script",
    ),
    Asset(
        "@graphiql/plugin-explorer",
        "1.0.2",
        "dist/index.umd.js",
        "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
        "body-script",
    ),
)


def assets_present(directory: Path) -> bool:
    return all((directory / asset.relative).is_file() for asset in ASSETS)


def demo_document() -> str:
    """The first screen: the demo clinician's Login, ready to run. Its answer
    signs the page in (graphiql.html); the other demo logins are in the
    README and in `prescripcare dev`'s banner."""
    return f"""# Run Login (Ctrl-Enter): the page then signs every
# request in with its token, and keeps it fresh.
mutation Login {{
  login(email: "{CLINICIAN.email}", password: "{CLINICIAN.password}") {{
    accessToken
    refreshToken
    user {{ id email role }}
    errors {{ code field message }}
  }}
}}
"""


def _tag(asset: Asset, base: str) -> str:
    url = f"{base}/{asset.relative}"
    if asset.kind == "style":
        return f'<link rel="stylesheet" crossorigin href="{url}" integrity="{asset.integrity}" />'
    return f'<script crossorigin src="{url}" integrity="{asset.integrity}"></script>'


def graphiql_page(local_assets: bool) -> str:
    base = ASSETS_URL_PATH if local_assets else CDN
    page = resources.files(__package__).joinpath("graphiql.html").read_text(encoding="utf-8")
    for kind in ("style", "head-script", "body-script"):
        tags = "\n    ".join(_tag(a, base) for a in ASSETS if a.kind == kind)
        page = page.replace(f"<!-- {kind}s -->", tags)
    # "</" never ends the inline script early, whatever the document holds.
    document = json.dumps(demo_document()).replace("</", "<\\/")
    return page.replace("/* demo-document */", document)
