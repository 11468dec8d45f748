"""A person at the Salesforce console plays the rep: the harness says exactly what to do, then waits, bounded.

The wait is a condition on the runtime's public API (polled at a steady pace until it holds or the bound runs
out), never a fixed sleep that assumes the person was quick enough. A person who does not act in time turns the
scenario into "needs a rep", never into a pass.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from harness.control import ControlClient
from harness.journey import ConversationTruth
from harness.judge import NeedsRep
from harness.sandbox.waiter import Waiter

__all__ = ["Console", "InteractiveControl", "InteractiveRep", "TerminalConsole"]


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

    async def inactivate(self, conversation_id: str) -> None:
        what = f"mark the customer inactive on conversation {conversation_id} (Customer Inactive)"
        self._ask(what)
        await self._wait(conversation_id, lambda t: t.session == "Inactive" or not t.open, what)


class InteractiveControl(ControlClient):
    """The control-client face of a person: the rep's actions work, everything else needs the mock's control API.

    Steps ask `Rig.need_control(...)` for a control client; against a real org in `--interactive` mode they get
    this one, so "the rep ends the session" becomes an instruction in the console. The clock, faults, settings
    and truth queries are not a person's job and raise NeedsRep.
    """

    def __init__(self, rep: InteractiveRep) -> None:
        self.rep = rep

    async def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        raise NeedsRep(f"a real org has no control API for {method} {path} (only the rep's actions are interactive)")

    async def _state(self, conversation_id: str) -> dict[str, Any]:
        truth = await self.rep.truth.conversation(conversation_id)
        if truth is None:
            return {"conversationId": conversation_id}
        return {"conversationId": conversation_id, "state": truth.state, "session": truth.session}

    async def add_participant(
        self, conversation_id: str, role: str = "Agent", display_name: str | None = None
    ) -> dict[str, Any]:
        await self.rep.accept(conversation_id)
        return await self._state(conversation_id)

    async def send_message(self, conversation_id: str, role: str = "Agent", text: str = "") -> dict[str, Any]:
        await self.rep.say(conversation_id, text)
        return await self._state(conversation_id)

    async def end_session(self, conversation_id: str, by: str = "Agent") -> dict[str, Any]:
        if by not in ("Agent", "Supervisor"):
            raise NeedsRep(f"a person cannot act as {by} in the console; only a rep or supervisor can end a session")
        await self.rep.end_session(conversation_id)
        return await self._state(conversation_id)

    async def inactivate(self, conversation_id: str) -> dict[str, Any]:
        await self.rep.inactivate(conversation_id)
        return await self._state(conversation_id)
