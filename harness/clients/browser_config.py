"""The TOML file that describes a team's web chat to the browser adapter.

name = "our web chat"
url = "https://shop.example.test/support"  # or "{base_url}/demo/": the runtime `run --client` uses

[selectors]                          # CSS selectors
input = "#chat textarea"             # required: the composer
send = "#chat button.send"           # optional: without it, Enter sends
messages = "#chat .message"          # required: one element per message
message_text = ".body"               # optional: the text inside a message (default: the whole element)
own_message = ".message.mine"        # optional: matches the user's own messages (if no role attribute)
failed_message = ".message.failed"   # optional: matches messages that failed to send
closed_banner = "#chat .ended"       # optional: shown when the conversation ended
new_conversation = "#chat .restart"  # optional: the 'start a new conversation' button
ready = "#chat.ready"                # optional: present once the chat can be used
idle = "#chat:not(.busy)"            # optional: present while nothing is in flight

[attributes]                         # optional: attributes of each message element
message_id = "data-id"               # the id the client sent the message with
message_role = "data-role"           # EndUser, Agent, Chatbot...
message_state = "data-state"         # sending, sent, failed

[page]                               # optional: attributes of one element that tell more
element = "#chat"
conversation_id = "data-conversation-id"
subject = "data-subject"             # the end user's token subject
last_event_id = "data-last-event-id" # the newest event the page has handled: settle() waits for it exactly

[actions]
reopen = "reload"                    # reload | navigate (open the URL again)
relaunch = "restart"                 # restart (close the browser, keep its profile) | none

[browser]
executable = "/usr/bin/chromium"
args = ["--host-resolver-rules=MAP *.my.salesforce-scrt.com 127.0.0.1:8443"]
ignore_https_errors = false          # true only for a runtime whose certificate the browser does not trust
timeout_s = 10                       # per action
quiet_ms = 400                       # settle(): the screen unchanged this long counts as settled
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.clients.adapter import Capability
from harness.clients.toml_fields import (
    DataFileError,
    load_table,
    optional_str,
    positive_number,
    required_str,
    str_list,
    table,
)

__all__ = ["BrowserClientConfig", "load_browser_config", "parse_browser_config"]

DEFAULT_CHROMIUM = "/usr/bin/chromium"
BASE_URL = "{base_url}"  # in `url`: the mock runtime a run uses (`miaw-harness run --client`)
REOPEN = ("reload", "navigate")
RELAUNCH = ("restart", "none")
_SELECTORS = (
    "input",
    "send",
    "messages",
    "message_text",
    "own_message",
    "failed_message",
    "closed_banner",
    "new_conversation",
    "ready",
    "idle",
)
_ATTRIBUTES = ("message_id", "message_role", "message_state")
_PAGE = ("element", "conversation_id", "subject", "last_event_id")
_ACTIONS = ("reopen", "relaunch")
_BROWSER = ("executable", "args", "ignore_https_errors", "timeout_s", "quiet_ms")


@dataclass(frozen=True, slots=True)
class BrowserClientConfig:
    name: str
    url: str
    selectors: dict[str, str]
    attributes: dict[str, str]
    page: dict[str, str]
    reopen: str = "reload"
    relaunch: str = "restart"
    executable: str = DEFAULT_CHROMIUM
    args: tuple[str, ...] = ()
    ignore_https_errors: bool = False
    timeout_s: float = 10.0
    quiet_ms: float = 400.0
    path: Path | None = None

    def selector(self, key: str) -> str | None:
        return self.selectors.get(key)

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What a page described like this lets the adapter do and read."""
        caps = {
            Capability.LAUNCH,
            Capability.SEND,
            Capability.REOPEN_CHAT,
            Capability.READ_COMPOSER,
            Capability.READ_MESSAGES,
        }
        optional = {
            Capability.RELAUNCH: self.relaunch != "none",
            Capability.TAP_NEW_CONVERSATION: "new_conversation" in self.selectors,
            Capability.READ_NEW_CONVERSATION_BUTTON: "new_conversation" in self.selectors,
            Capability.READ_BANNER: "closed_banner" in self.selectors,
            Capability.READ_MESSAGE_STATE: "message_state" in self.attributes or "failed_message" in self.selectors,
            Capability.READ_MESSAGE_IDS: "message_id" in self.attributes,
            Capability.READ_CONVERSATION_ID: "conversation_id" in self.page,
            Capability.READ_SUBJECT: "subject" in self.page,
            Capability.EXACT_SETTLE: {"subject", "last_event_id"} <= self.page.keys(),
        }
        return frozenset(caps | {c for c, ok in optional.items() if ok})


def _strings(path: Path, section: dict[str, Any], name: str) -> dict[str, str]:
    return {key: required_str(path, section, key, f"{name}.") for key in section}


def parse_browser_config(path: Path, data: dict[str, Any]) -> BrowserClientConfig:
    url = required_str(path, data, "url")
    parts = urlsplit(url.replace(BASE_URL, "http://mock.invalid", 1) if url.startswith(BASE_URL) else url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DataFileError(path, "url", f"must be an http:// or https:// URL (or start with {BASE_URL}), got {url!r}")
    selectors = _strings(path, table(path, data, "selectors", _SELECTORS, required=True), "selectors")
    for key in ("input", "messages"):
        if key not in selectors:
            raise DataFileError(path, f"selectors.{key}", "required, a CSS selector")
    attributes = _strings(path, table(path, data, "attributes", _ATTRIBUTES), "attributes")
    page = _strings(path, table(path, data, "page", _PAGE), "page")
    if page and "element" not in page:
        raise DataFileError(path, "page.element", "required when [page] is given: the element whose attributes to read")
    actions = table(path, data, "actions", _ACTIONS)
    browser = table(path, data, "browser", _BROWSER)
    ignore = browser.get("ignore_https_errors", False)
    if not isinstance(ignore, bool):
        raise DataFileError(path, "browser.ignore_https_errors", "must be true or false")
    return BrowserClientConfig(
        name=optional_str(path, data, "name") or path.stem,
        url=url,
        selectors=selectors,
        attributes=attributes,
        page=page,
        reopen=optional_str(path, actions, "reopen", "actions.", REOPEN) or "reload",
        relaunch=optional_str(path, actions, "relaunch", "actions.", RELAUNCH) or "restart",
        executable=optional_str(path, browser, "executable", "browser.") or DEFAULT_CHROMIUM,
        args=str_list(path, browser, "args", "browser."),
        ignore_https_errors=ignore,
        timeout_s=positive_number(path, browser, "timeout_s", 10.0, "browser."),
        quiet_ms=positive_number(path, browser, "quiet_ms", 400.0, "browser."),
        path=path,
    )


def load_browser_config(path: Path) -> BrowserClientConfig:
    data = load_table(path, ("name", "url", "selectors", "attributes", "page", "actions", "browser"))
    return parse_browser_config(path, data)
