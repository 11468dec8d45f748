"""What an SDK does when the runtime refuses a send: a profile's `send_refusal_<status>` flags, read as data.

The status of a send to a closed conversation is not documented (miaw-api.md §10 q1); §11.1's leading inference is
403, and a live integration treats 403 and 401 alike as "session no longer valid". Clients do not treat 400, 401
and 403 alike, so each profile says what its SDK does with each, with the evidence for it:

- `treat_as_closed`: the SDK takes the refusal as the end of the conversation (as on a close event): its closed
  view if it has one, and the app's closed handling;
- `renew_and_retry` (401 only): the SDK renews its access token (a continuation, else a new anonymous identity)
  and resends once; a second refusal leaves a failed entry;
- `generic_failure` (400, 403): the entry fails (iOS `networkRESTFailure`, an Android entry error); what happens
  next is the app's failed-send policy.

The client core renews the token and resends once on every 401, whatever the profile (`CoreClient.request`), so a
401 flag says what the SDK does once that resend is refused too, and `generic_failure` is not a 401 choice.
Statuses without a flag (404, 409, 5xx) are generic failures: no SDK or client documents anything else for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from harness.sdk.profiles import SdkProfile

__all__ = ["REFUSAL_STATUSES", "Reaction", "Refusal", "flag_name", "reaction", "reacts_differently", "refusal"]

REFUSAL_STATUSES: tuple[int, ...] = (400, 401, 403)


class Reaction(StrEnum):
    TREAT_AS_CLOSED = "treat_as_closed"
    RENEW_AND_RETRY = "renew_and_retry"
    GENERIC_FAILURE = "generic_failure"


@dataclass(frozen=True, slots=True)
class Refusal:
    """One SDK's reaction to one refused send, and why we believe it."""

    status: int
    reaction: Reaction
    evidence: str
    source: str


def flag_name(status: int) -> str:
    return f"send_refusal_{status}"


def refusal(profile: SdkProfile, status: int) -> Refusal:
    """What `profile`'s SDK does when a send is refused with `status`."""
    if status not in REFUSAL_STATUSES:
        return Refusal(status, Reaction.GENERIC_FAILURE, "inferred", "no client documents a reaction to this status")
    name = flag_name(status)
    capability = profile.capabilities[name]
    return Refusal(status, Reaction(str(profile.flag(name))), capability.evidence, capability.source)


def reaction(profile: SdkProfile, status: int) -> Reaction:
    return refusal(profile, status).reaction


def reacts_differently(profile: SdkProfile, status: int, baseline: int) -> bool:
    """Whether a send refused with `status` makes this SDK do something else than one refused with `baseline`: the
    test of whether a runtime variant with that status can change anything for this profile."""
    return reaction(profile, status) is not reaction(profile, baseline)
