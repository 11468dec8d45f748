"""A person at the Salesforce console plays the rep: the harness says exactly what to do, then waits, bounded.

The wait is a condition on the runtime's public API (polled at a steady pace until it holds or the bound runs
out), never a fixed sleep that assumes the person was quick enough. A person who does not act in time turns the
scenario into "needs a rep", never into a pass.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from harness.run.judge import NeedsRep
from harness.run.truth import ConversationTruth
from harness.sandbox.waiter import Waiter

__all__ = ["Console", "InteractiveRep", "TerminalConsole"]


class Console(Protocol):
    """Where instructions for the person go."""

    def show(self, line: str) -> None: ...


class TerminalConsole:
    """Writes to the controlling terminal (so the prompt shows even when stdout is captured), else to `fallback`."""

    def __init__(self, fallback: TextIO | None = None) -> None:
        self._fallback = fallback or sys.__stderr__
        self._tty: TextIO | None = None
        if os.name == "posix":
            try:
                self._tty = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the console
            except OSError:
                self._tty = None

    def show(self, line: str) -> None:
        out = self._tty or self._fallback
        if out is not None:
            print(line, file=out, flush=True)

    def close(self) -> None:
        if self._tty is not None:
            self._tty.close()
            self._tty = None


class TruthReader(Protocol):
    async def conversation(self, conversation_id: str) -> ConversationTruth | None: ...


@dataclass
class InteractiveRep:
    """Turns rep actions into instructions for a person, and checks through the public API that they happened."""

    truth: TruthReader
    console: Console
    waiter: Waiter = field(default_factory=Waiter)

    def _ask(self, instruction: str) -> None:
        self.console.show(f"[miaw-harness] ACTION NEEDED: {instruction}")
        self.console.show(f"[miaw-harness] waiting up to {self.waiter.timeout_s:.0f}s, checking the public API ...")

    async def _wait(self, conversation_id: str, holds: Callable[[ConversationTruth], bool], what: str) -> None:
        async def check() -> bool:
            truth = await self.truth.conversation(conversation_id)
            return truth is not None and holds(truth)

        if not await self.waiter.until(check):
            raise NeedsRep(f"nobody did this within {self.waiter.timeout_s:.0f}s: {what}")
        self.console.show(f"[miaw-harness] done: {what}")

    async def accept(self, conversation_id: str) -> None:
        what = f"accept the chat on conversation {conversation_id} in the Omni-Channel widget"
        self._ask(what)
        await self._wait(conversation_id, lambda t: t.rep_present, what)

    async def say(self, conversation_id: str, text: str) -> None:
        what = f"as the rep, send exactly this message on conversation {conversation_id}: {text}"
        self._ask(what)
        wanted = text.strip()
        await self._wait(conversation_id, lambda t: any(r.strip() == wanted for r in t.rep_texts), what)

    async def end_session(self, conversation_id: str) -> None:
        what = f"end the session on conversation {conversation_id} (End Chat in the console)"
        self._ask(what)
        await self._wait(conversation_id, lambda t: t.session == "Ended" or not t.open, what)

    async def change_setup(self, instruction: str, holds: Callable[[], Awaitable[bool]]) -> None:
        """Ask for a change in Setup (then Publish), and wait until `holds()` says it is in effect."""
        self._ask(instruction)
        if not await self.waiter.until(holds):
            raise NeedsRep(f"nobody did this within {self.waiter.timeout_s:.0f}s: {instruction}")
        self.console.show(f"[miaw-harness] done: {instruction}")

    async def inactivate(self, conversation_id: str) -> None:
        what = f"mark the customer inactive on conversation {conversation_id} (Customer Inactive)"
        self._ask(what)
        await self._wait(conversation_id, lambda t: t.session == "Inactive" or not t.open, what)
