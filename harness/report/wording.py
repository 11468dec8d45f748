"""Reason codes and app strategies in words a reader of the report understands."""

from __future__ import annotations

from functools import cache

REASON_TEXT: dict[str, str] = {
    "recovered": "the user got back to a rep",
    "ui_lied": "the app showed the chat as open while the runtime had closed it",
    "message_lost": "a message the user sent never reached a rep",
    "conversation_split": "the app left an open conversation behind and started another",
    "reused_closed_id": "the app kept sending to a conversation the runtime had closed",
    "no_way_out": "nothing the user could do in the app led to a new conversation",
    "lost_identity": "the user's identity was lost, so the runtime refused them",
    "relaunch_required": "the user got back only by killing and relaunching the app",
    "not_applicable": "the scenario does not apply to this SDK and app",
    "needs_rep": "the scenario needs a rep, which this run could not play",
    "harness_error": "the harness failed on this cell",
}


RECOVERY_TEXT: dict[str, str] = {
    "type": "in the app, by typing in the chat",
    "new_conversation": 'in the app, with its "start a new conversation" button',
    "reopen": "in the app, by closing and reopening the chat",
    "relaunch": "only by killing and relaunching the app",
    "none": "never: nothing the user did reached a rep",
}


def recovery_text(path: str | None) -> str:
    """How the user got back, as words; empty when the scenario made no recovery attempt."""
    if path is None:
        return ""
    return RECOVERY_TEXT.get(path, path.replace("_", " "))


def reason_text(code: str) -> str:
    """A reason code as words; an unknown code is shown as it is."""
    return REASON_TEXT.get(code, code.replace("_", " "))


@cache
def strategy_descriptions() -> dict[str, str]:
    """The bundled app strategies' one-line descriptions, by name (empty when they cannot be read)."""
    try:
        from harness.sdk.strategies import load_strategies

        return {s.name: s.description for s in load_strategies([])}
    except Exception:  # the report must render from a results file alone, whatever the bundled files hold
        return {}
