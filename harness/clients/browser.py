"""The browser adapter: Playwright drives an installed Chromium through a team's web chat, as a user would.

Theory of operation: Chromium runs on a fresh profile for as long as the adapter lives. The page lives in a browser
context; `reopen_chat()` reloads it (web storage and memory of the context survive), and `relaunch()` closes the
context and opens a new one that starts from the first one's cookies, local storage and IndexedDB, as a browser
closed and opened again keeps them on a user's machine (session storage and page memory are gone). Every action
ends with a `ClientUi` snapshot read in one script from the selectors of the page's TOML description.
`settle()` waits on a condition: when the page tells its subject and the newest event it handled, until that reaches
the newest event id the runtime has for the subject (asked through the control API) and the page is idle; otherwise
until the page's DOM has not changed for `quiet_ms`.

Playwright is an optional dependency (`miaw-harness[browser]`); no browser is downloaded: the adapter starts the
Chromium named in the TOML (Debian's /usr/bin/chromium by default).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from harness.clients.adapter import (
    COMPOSER_STATES,
    MESSAGE_STATES,
    Capability,
    ClientError,
    ClientMessage,
    ClientUi,
    Composer,
    Recorder,
    usable_capabilities,
)
from harness.clients.browser_config import BrowserClientConfig
from harness.sdk.app import EventWatermark
from harness.timeline import Timeline

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright, StorageState

__all__ = ["CHROMIUM_ARGS", "BrowserAdapter"]

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# Reads the whole screen at once: composer, banner, button, messages, and the page element's attributes.
_READ_SCREEN = """
(c) => {
  const visible = (el) => !!el && !el.hidden && el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden';
  const one = (sel) => sel ? document.querySelector(sel) : null;
  const input = one(c.sel.input), send = one(c.sel.send);
  let composer = 'hidden';
  if (visible(input)) {
    const blocked = (el) => !!el && (el.disabled || el.readOnly || el.getAttribute('aria-disabled') === 'true'
      || el.getAttribute('contenteditable') === 'false');
    composer = blocked(input) || (send && blocked(send)) ? 'read_only' : 'enabled';
  }
  const banner = one(c.sel.closed_banner);
  const button = one(c.sel.new_conversation);
  const messages = Array.from(document.querySelectorAll(c.sel.messages)).map((el) => {
    const textEl = c.sel.message_text ? el.querySelector(c.sel.message_text) : el;
    const attr = (name) => name ? el.getAttribute(name) : null;
    let role = attr(c.attr.message_role);
    if (role === null) role = c.sel.own_message ? (el.matches(c.sel.own_message) ? 'EndUser' : 'Agent') : 'Unknown';
    let state = attr(c.attr.message_state);
    if (state === null) state = c.sel.failed_message && el.matches(c.sel.failed_message) ? 'failed' : 'sent';
    return { id: attr(c.attr.message_id) || '', text: (textEl ? textEl.textContent : '').trim(), role, state };
  });
  const page = one(c.page.element);
  const pageAttr = (name) => page && name ? page.getAttribute(name) : null;
  return {
    composer,
    banner: visible(banner) ? (banner.innerText.trim() || 'shown') : null,
    button: visible(button),
    messages,
    conversationId: pageAttr(c.page.conversation_id),
    subject: pageAttr(c.page.subject),
    lastEventId: pageAttr(c.page.last_event_id),
    idle: c.sel.idle ? !!document.querySelector(c.sel.idle) : true,
  };
}
"""

# Resolves once the DOM has not changed for `ms` milliseconds (a quiet screen).
_QUIET = """
(ms) => new Promise((resolve) => {
  let timer = setTimeout(done, ms);
  const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, ms); });
  function done() { observer.disconnect(); resolve(true); }
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})
"""

# True once the page's newest handled event id reaches `target` and nothing is in flight.
_CAUGHT_UP = """
(c) => {
  const page = document.querySelector(c.element);
  const seen = page ? Number(page.getAttribute(c.attribute)) : NaN;
  return seen >= c.target && (!c.idle || !!document.querySelector(c.idle));
}
"""


def _int_or_none(raw: object) -> int | None:
    try:
        return int(str(raw))
    except ValueError:
        return None


class BrowserAdapter:
    """A team's web chat in headless Chromium; use as `async with BrowserAdapter(config) as app:`."""

    def __init__(
        self,
        config: BrowserClientConfig,
        *,
        control: EventWatermark | None = None,
        timeline: Timeline | None = None,
        headless: bool = True,
    ) -> None:
        self.config = config
        self.control = control
        self.headless = headless
        self.record = Recorder(timeline)
        self.ui = ClientUi()
        self.conversation_id: str | None = None
        self.subject: str | None = None
        self.last_event_id: int | None = None
        self._idle = True
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._storage: StorageState | None = None  # cookies and web storage kept across a relaunch
        self.temp_dir: Path | None = None  # the browser's own TMPDIR while it runs, removed when it closes

    @property
    def name(self) -> str:
        return f"browser client '{self.config.name}'"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return usable_capabilities(self.config.capabilities, has_control=self.control is not None)

    # -- the browser ------------------------------------------------------------------------------------------------
    async def _start_browser(self) -> Page:
        """Start Chromium if it is not running, and open a page in a context holding the kept web storage."""
        if self._browser is None:
            await self._launch_chromium()
        assert self._browser is not None
        self._context = await self._browser.new_context(
            storage_state=self._storage,
            ignore_https_errors=self.config.ignore_https_errors,
        )
        self._context.set_default_timeout(self.config.timeout_s * 1000)
        self._page = await self._context.new_page()
        return self._page

    async def _launch_chromium(self) -> None:
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise ClientError(
                "the browser adapter needs Playwright: pip install 'miaw-harness[browser]' (no browser download needed)"
            ) from None
        executable = Path(self.config.executable)
        if not (executable.is_file() and os.access(executable, os.X_OK)):
            raise ClientError(
                f"{self.config.path or self.name}: browser.executable {str(executable)!r} is not an executable file "
                "(on Debian: apt-get install chromium)"
            )
        self._playwright = await async_playwright().start()
        # Playwright gives the browser a fresh user-data directory of its own and removes it on close. Chromium also
        # makes an org.chromium.Chromium.* folder in its TMPDIR that it never removes: give it a private one.
        self.temp_dir = Path(tempfile.mkdtemp(prefix="miaw-browser-"))
        self._browser = await self._playwright.chromium.launch(
            executable_path=str(executable),
            headless=self.headless,
            args=[*CHROMIUM_ARGS, *self.config.args],
            env={**os.environ, "TMPDIR": str(self.temp_dir)},
        )

    async def _stop_page(self, *, keep_storage: bool) -> None:
        if self._context is not None:
            context, self._context, self._page = self._context, None, None
            if keep_storage:
                self._storage = await context.storage_state(indexed_db=True)
            await context.close()

    async def aclose(self) -> None:
        """Close the browser (its profile goes with it)."""
        await self._stop_page(keep_storage=False)
        if self._browser is not None:
            browser, self._browser = self._browser, None
            await browser.close()
        if self._playwright is not None:
            playwright, self._playwright = self._playwright, None
            await playwright.stop()
        if self.temp_dir is not None:
            temp_dir, self.temp_dir = self.temp_dir, None
            shutil.rmtree(temp_dir, ignore_errors=True)

    async def __aenter__(self) -> BrowserAdapter:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def _live_page(self) -> Page:
        if self._page is None:
            raise ClientError(f"{self.name}: the page is not open (call launch() first)")
        return self._page

    async def _open(self, *, navigate: bool) -> None:
        page = self._live_page()
        from playwright.async_api import Error as PlaywrightError

        try:
            if navigate:
                await page.goto(self.config.url)
            else:
                await page.reload()
            ready = self.config.selector("ready")
            await page.wait_for_selector(ready or self.config.selectors["input"], state="attached")
        except PlaywrightError as exc:
            raise ClientError(f"{self.name}: {self.config.url} did not get ready: {_first_line(exc)}") from exc
        await self.settle()

    # -- actions ----------------------------------------------------------------------------------------------------
    async def launch(self) -> None:
        self.record.act("launch the app (open the web chat)")
        if self._page is None:
            await self._start_browser()
        await self._open(navigate=True)

    async def relaunch(self) -> None:
        """Close the browser window and open it again: memory and session storage are lost, cookies, local storage
        and IndexedDB survive (as on a user's machine)."""
        if self.config.relaunch == "none":
            raise ClientError(f"{self.name} cannot relaunch ([actions] relaunch = 'none')")
        self.record.act("relaunch the app (close the browser and open it again)")
        await self._stop_page(keep_storage=True)
        await self._start_browser()
        await self._open(navigate=True)

    async def reopen_chat(self) -> None:
        self.record.act(f"close and reopen the chat ({self.config.reopen} the page)")
        await self._open(navigate=self.config.reopen == "navigate")

    async def send(self, text: str) -> ClientMessage:
        """Type `text` and send it; returns the message as the screen then shows it."""
        self.record.act(f"type and send {text!r}")
        await self._snapshot()
        if self.ui.composer != "enabled":
            self.record.note(f"nothing sent: composer is {self.ui.composer}")
            return ClientMessage("", text, "failed", "EndUser", self.conversation_id)
        page = self._live_page()
        before = len(self.ui.messages)
        known = {(m.id, m.text) for m in self.ui.messages}
        from playwright.async_api import Error as PlaywrightError

        try:
            await page.fill(self.config.selectors["input"], text)
            send = self.config.selector("send")
            if send:
                await page.click(send)
            else:
                await page.press(self.config.selectors["input"], "Enter")
            # The message shows: one more message, or (a page that redraws its list, e.g. for a new conversation)
            # a message with the text.
            await page.wait_for_function(
                "([sel, n, text]) => { const all = document.querySelectorAll(sel);"
                " return all.length > n || Array.from(all).some((el) => el.textContent.includes(text)); }",
                arg=[self.config.selectors["messages"], before, text],
            )
        except PlaywrightError as exc:
            raise ClientError(f"{self.name}: sending failed: {_first_line(exc)}") from exc
        await self._wait_idle()
        await self._snapshot()
        own = [m for m in self.ui.messages if m.text == text and m.from_role in ("EndUser", "Unknown")]
        mine = [m for m in own if (m.id, m.text) not in known] or own
        if not mine:
            self.record.note("the sent message does not show on screen")
            return ClientMessage("", text, "failed", "EndUser", self.conversation_id)
        return mine[-1]

    async def tap_new_conversation(self) -> bool:
        self.record.act("tap 'Start a new conversation'")
        await self._snapshot()
        button = self.config.selector("new_conversation")
        if button is None or not self.ui.new_conversation_button:
            self.record.note("no 'Start a new conversation' button on screen")
            return False
        await self._live_page().click(button)
        await self._wait_idle()
        await self._snapshot()
        return True

    # -- settling and reading ---------------------------------------------------------------------------------------
    async def settle(self) -> None:
        """Wait until the page caught up with the runtime (exactly, or by a quiet screen), then read the screen."""
        await self._snapshot()
        from playwright.async_api import Error as PlaywrightError

        try:
            if Capability.EXACT_SETTLE in self.capabilities and self.subject:
                await self._catch_up()
            else:
                await self._wait_idle()
                await self._live_page().evaluate(_QUIET, self.config.quiet_ms)
        except PlaywrightError as exc:
            raise ClientError(f"{self.name}: the page did not settle: {_first_line(exc)}") from exc
        await self._snapshot()

    async def _catch_up(self) -> None:
        assert self.control is not None and self.subject is not None
        page = self._live_page()
        while True:
            target = await self.control.last_event_id(self.subject)
            arg = {
                "element": self.config.page["element"],
                "attribute": self.config.page["last_event_id"],
                "target": target,
                "idle": self.config.selector("idle"),
            }
            await page.wait_for_function(_CAUGHT_UP, arg=arg, polling="raf")
            if await self.control.last_event_id(self.subject) == target:
                return  # nothing new arrived while the page caught up

    async def _wait_idle(self) -> None:
        idle = self.config.selector("idle")
        if idle is not None:
            await self._live_page().wait_for_selector(idle, state="attached")

    async def _snapshot(self) -> None:
        page = self._live_page()
        config = self.config
        raw: dict[str, Any] = await page.evaluate(
            _READ_SCREEN, {"sel": config.selectors, "attr": config.attributes, "page": config.page}
        )
        composer: Composer = next((c for c in COMPOSER_STATES if c == raw["composer"]), "hidden")
        if raw["conversationId"]:
            self.conversation_id = str(raw["conversationId"])
        if raw["subject"]:
            self.subject = str(raw["subject"])
        self.last_event_id = _int_or_none(raw["lastEventId"])
        self._idle = bool(raw["idle"])
        messages = [
            ClientMessage(
                id=str(m["id"]),
                text=str(m["text"]),
                state=m["state"] if m["state"] in MESSAGE_STATES else "sent",
                from_role=str(m["role"]),
                conversation_id=self.conversation_id,
            )
            for m in raw["messages"]
        ]
        self.ui = ClientUi(
            composer=composer,
            banner=raw["banner"],
            new_conversation_button=bool(raw["button"]),
            messages=messages,
        )
        self.record.screen(self.ui)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
