"""What is running: the package's version and, in an image built with the
Dockerfile's BUILD_COMMIT argument, the commit it was built from. /health
answers it and every Sentry event carries it as the release, so an error or a
probe names the code that produced it."""

from __future__ import annotations

from prescripcare import __version__
from prescripcare.settings import Settings


def build_info(settings: Settings) -> dict[str, str]:
    info = {"version": __version__}
    if settings.build_commit:
        info["commit"] = settings.build_commit
    return info


def release(settings: Settings) -> str:
    """Sentry's release name: package@version, plus +commit when known."""
    name = f"prescripcare@{__version__}"
    return f"{name}+{settings.build_commit[:12]}" if settings.build_commit else name
