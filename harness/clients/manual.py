"""The manual adapter: a human tester does each action on a real device, and answers what the screen shows.

Every question is bounded: an answer must come within `timeout_s`, and an answer that is not one of the offered
choices is asked again at most `tries` times; then the adapter gives up with a `ClientError`. A person cannot read
ids or event ids off a screen, so this adapter declares neither (scenarios that need them are not applicable), and
`settle()` is the tester's "the screen stopped changing".

Input and output are injectable streams (the terminal by default). A stream with a file descriptor (a terminal or
a pipe) is read without blocking the event loop, so the timeout holds; a stream without one (an `io.StringIO` of
scripted answers) is read line by line as it is.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Mapping
from typing import TextIO, TypeVar

from harness.clients.adapter import Capability, ClientError, ClientMessage, ClientUi, Composer, MessageState, Recorder
from harness.timeline import Timeline

__all__ = ["ManualAdapter", "Prompter"]

T = TypeVar("T")

YES_NO = {"y": True, "yes": True, "n": False, "no": False}
COMPOSER_ANSWERS: dict[str, Composer] = {"y": "enabled", "r": "read_only", "h": "hidden"}
STATE_ANSWERS: dict[str, MessageState] = {"sent": "sent", "sending": "sending", "failed": "failed"}


class Prompter:
    """Asks one question at a time on `output` and reads one line of answer from `input`, within a timeout."""

    def __init__(
        self,
        input: TextIO | None = None,
        output: TextIO | None = None,
        *,
        timeout_s: float = 300.0,
        owned: tuple[TextIO, ...] = (),
    ) -> None:
        self.input = input if input is not None else sys.stdin
        self.output = output if output is not None else sys.stdout
        self.timeout_s = timeout_s
        self.owned = owned  # streams opened for this prompter, closed by `close()`
        self._fd = _fileno(self.input)
        self._buffer = b""

    def close(self) -> None:
        for stream in self.owned:
            stream.close()
        self.owned = ()

    def say(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()

    async def ask(self, question: str) -> str:
        self.output.write(question + " ")
        self.output.flush()
        line = await self._line()
        if line is None:
            raise ClientError(f"no answer (input closed) to: {question}")
        return line.strip()

    async def _line(self) -> str | None:
        if self._fd is None:
            line = self.input.readline()
            return line if line else None
        try:
            async with asyncio.timeout(self.timeout_s):
                while b"\n" not in self._buffer:
                    chunk = await self._read_chunk(self._fd)
                    if not chunk:
                        if not self._buffer:
                            return None
                        self._buffer += b"\n"  # a last line without its newline
                        break
                    self._buffer += chunk
        except TimeoutError:
            raise ClientError(f"no answer within {self.timeout_s:g}s") from None
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode(errors="replace")

    @staticmethod
    async def _read_chunk(fd: int) -> bytes:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            loop.remove_reader(fd)
        return os.read(fd, 4096)


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (io.UnsupportedOperation, AttributeError, ValueError):
        return None


class ManualAdapter:
    """A person in front of the app; use `ManualAdapter(Prompter(input, output, timeout_s=...))`."""

    capabilities = frozenset(
        {
            Capability.LAUNCH,
            Capability.SEND,
            Capability.TAP_NEW_CONVERSATION,
            Capability.REOPEN_CHAT,
            Capability.RELAUNCH,
            Capability.READ_COMPOSER,
            Capability.READ_BANNER,
            Capability.READ_NEW_CONVERSATION_BUTTON,
            Capability.READ_MESSAGES,
            Capability.READ_MESSAGE_STATE,
        }
    )

    def __init__(self, prompter: Prompter | None = None, *, tries: int = 3, timeline: Timeline | None = None) -> None:
        self.prompter = prompter or Prompter()
        self.tries = tries
        self.record = Recorder(timeline)
        self.ui = ClientUi()
        self.conversation_id: str | None = None  # a person cannot read it off the screen
        self.subject: str | None = None
        self._mine: list[ClientMessage] = []
        self._theirs: list[ClientMessage] = []

    @property
    def name(self) -> str:
        return "manual tester"

    async def reset(self) -> None:
        """A scenario of a run starts: the tester starts from a fresh install."""
        self.record.act("clear the app's data")
        await self._do("A new scenario starts. Clear the app's data (or reinstall it); do not open it yet.")

    async def aclose(self) -> None:
        self.prompter.close()

    # -- asking -----------------------------------------------------------------------------------------------------
    async def _choose(self, question: str, choices: Mapping[str, T]) -> T:
        options = "/".join(dict.fromkeys(choices))
        for _ in range(self.tries):
            answer = (await self.prompter.ask(f"{question} [{options}]")).lower()
            if answer in choices:
                return choices[answer]
            self.prompter.say(f"Please answer one of: {options}.")
        raise ClientError(f"no valid answer after {self.tries} tries to: {question}")

    async def _do(self, instruction: str) -> None:
        """Tell the tester what to do; they confirm it is done, or say they could not."""
        self.prompter.say(f"\n>> {instruction}")
        if not await self._choose("Done?", YES_NO):
            raise ClientError(f"the tester could not: {instruction}")

    async def _read_screen(self) -> None:
        composer = await self._choose(
            "Can you type in the message box? y = yes, r = it shows but is read-only, h = there is none",
            COMPOSER_ANSWERS,
        )
        banner = await self.prompter.ask("Does the chat say the conversation ended? Type the words you see, or n:")
        button = await self._choose("Is there a 'start a new conversation' button?", YES_NO)
        last = await self.prompter.ask("Type the newest message from the support side exactly (Enter if none):")
        if last and not any(m.text == last for m in self._theirs):
            self._theirs.append(ClientMessage("", last, "sent", "Agent"))
        self.ui = ClientUi(
            composer=composer,
            banner=None if banner.lower() in ("", "n", "no") else banner,
            new_conversation_button=button,
            messages=[*self._mine, *self._theirs],
        )
        self.record.screen(self.ui)

    # -- actions ----------------------------------------------------------------------------------------------------
    async def launch(self) -> None:
        self.record.act("launch the app")
        await self._do("Launch the app and open its chat screen.")
        await self._read_screen()

    async def relaunch(self) -> None:
        self.record.act("relaunch the app (process restart)")
        await self._do("Kill the app (swipe it away from the recent apps), then launch it and open the chat again.")
        self._theirs.clear()
        self._mine.clear()
        await self._read_screen()

    async def reopen_chat(self) -> None:
        self.record.act("close and reopen the chat screen")
        await self._do("Close the chat screen (back or X), then open the chat again. Do not kill the app.")
        await self._read_screen()

    async def send(self, text: str) -> ClientMessage:
        self.record.act(f"type and send {text!r}")
        if self.ui.composer != "enabled":
            return ClientMessage("", text, "failed", "EndUser")
        await self._do(f"Type this message and send it: {text}")
        state = await self._choose("How does your message show now?", STATE_ANSWERS)
        message = ClientMessage("", text, state, "EndUser")
        self._mine.append(message)
        await self._read_screen()
        return message

    async def tap_new_conversation(self) -> bool:
        self.record.act("tap 'Start a new conversation'")
        if not self.ui.new_conversation_button:
            return False
        await self._do("Tap 'Start a new conversation'.")
        self._theirs.clear()
        self._mine.clear()
        await self._read_screen()
        return True

    async def settle(self) -> None:
        await self.prompter.ask("Wait until the screen stops changing, then press Enter.")
        await self._read_screen()
