"""The event router's `X-Org-Id` check (miaw-api.md §11.4).

Two live integrations saw the header compared literally with the token's org id, which is the 15-character form:
an 18-character header gets 400 "OrgId in the header and token must match, ...", a missing one 400 "OrgId is
required". That is the default rule, `exact`; `first-15` is the lenient rule of §2 (either length, first 15 compared).
"""

from __future__ import annotations

from harness.server.state import ApiError
from harness.wire.ids import is_valid_org_id, org_id_key


def check_org_header(rule: str, header: str | None, token_org_id: str) -> None:
    """Raise ApiError(400) when the `X-Org-Id` header does not pass `rule` against the token's org id."""
    if not header:
        raise ApiError(400, "OrgId is required")
    if rule == "exact":
        if header != token_org_id:
            raise ApiError(
                400,
                f"OrgId in the header and token must match, but got '{header}' in the header and "
                f"'{token_org_id}' in the token",
            )
        return
    if not is_valid_org_id(header) or org_id_key(header) != org_id_key(token_org_id):
        raise ApiError(
            400,
            f"OrgId in the header and token must match, but got '{header}' in the header and "
            f"'{token_org_id}' in the token",
        )
