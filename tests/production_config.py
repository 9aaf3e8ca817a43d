"""A complete production configuration (nothing listens at its addresses),
for tests of what settings accept and refuse."""

from __future__ import annotations

import base64
import os

KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
GOOD = {
    "prescripcare_env": "production",
    "database_url": "postgresql://app@db:5432/prescripcare",
    "redis_url": "redis://cache:6379/2",
    "jwt_secret": "Zq8#vL2!mP9@xR4$wT7^bN1&cF6*hJ3(kD5)",
    "encryption_key": KEY,
}
