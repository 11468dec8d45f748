"""The control-client face of a real org: the channel is checked (not changed), and the rep is a person or nobody.

Steps ask `Rig.need_control(...)` for a control client. Against a real org they get a `SandboxControl`:

* saving channel settings checks them instead: Session-Based Chat is probed through the public API, and a
  scenario that needs the other setting is not applicable to this channel (or, in `--interactive` mode, the
  person is asked to change it in Setup and publish); other settings cannot be checked and need the mock;
* the rep's actions (accept, write, end the session, mark inactive) go to a person in `--interactive` mode;
* the clock, faults, bots and every truth query have no real-org equivalent and raise NeedsRep.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from harness.run.control import ControlClient
from harness.run.judge import NeedsRep, NotApplicable
from harness.sandbox.interactive import InteractiveRep
from harness.sandbox.probe import ProbeResult, SbcState
from harness.sandbox.public_oracle import PublicOracle

__all__ = ["SandboxControl"]

Prober = Callable[[], Awaitable[ProbeResult]]
_SETUP_PATH = "Setup > Messaging Settings > the channel > Session-Based Chat > End chat when session ends"


class SandboxControl(ControlClient):
    def __init__(self, deployment: str, oracle: PublicOracle, probe: Prober, rep: InteractiveRep | None) -> None:
        self.deployment = deployment
        self.oracle = oracle
        self.probe = probe
        self.rep = rep
        self._sbc: SbcState | None = None

    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        raise NeedsRep(f"a real org has no control API for {method} {path}: run this scenario against the mock")

    def _person(self, what: str) -> InteractiveRep:
        if self.rep is None:
            raise NeedsRep(f"nobody can {what} on this target (rerun with --interactive to play the rep)")
        return self.rep

    async def _state(self, conversation_id: str) -> dict[str, Any]:
        truth = await self.oracle.conversation(conversation_id)
        if truth is None:
            return {"conversationId": conversation_id}
        return {"conversationId": conversation_id, "state": truth.state, "session": truth.session}

    # -- the channel: checked, not changed ---------------------------------------------------------------------
    async def session_based_chat(self) -> SbcState:
        """What the probe finds (once per run of the scenario)."""
        if self._sbc is None:
            self._sbc = (await self.probe()).state
        return self._sbc

    async def put_deployment(self, name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        if name != self.deployment:
            raise NeedsRep(f"a real org's deployment {name} is changed in Setup, not by the harness")
        others = sorted(k for k in settings if k != "session_based_chat")
        if others:
            raise NeedsRep(f"this scenario sets {', '.join(others)} on the channel: run it against the mock")
        if "session_based_chat" in settings:
            await self._require_sbc(bool(settings["session_based_chat"]))
        return {"name": name, **dict(settings)}

    async def publish(self, name: str) -> dict[str, Any]:
        return {"name": name, "published": "in Setup, by the admin"}

    async def _require_sbc(self, wanted: bool) -> None:
        state = await self.session_based_chat()
        want = SbcState.IN_EFFECT if wanted else SbcState.NOT_IN_EFFECT
        if state is want:
            return
        if state not in (SbcState.IN_EFFECT, SbcState.NOT_IN_EFFECT):
            raise NeedsRep(f"cannot tell whether Session-Based Chat is in effect on {self.deployment} ({state.value})")
        if self.rep is None:
            raise NotApplicable(
                f"deployment {self.deployment} has Session-Based Chat {'on' if state is SbcState.IN_EFFECT else 'off'}"
                f"; this scenario needs it {'on' if wanted else 'off'}"
            )
        verb = "select" if wanted else "clear"

        async def holds() -> bool:
            self._sbc = None
            return await self.session_based_chat() is want

        await self.rep.change_setup(f"in {_SETUP_PATH}, {verb} the box, save, then publish {self.deployment}", holds)

    # -- the rep: a person, or nobody ----------------------------------------------------------------------------
    async def add_participant(
        self, conversation_id: str, role: str = "Agent", display_name: str | None = None
    ) -> dict[str, Any]:
        if role != "Agent":
            raise NeedsRep(f"a person cannot join as {role}")
        await self._person("accept the chat").accept(conversation_id)
        return await self._state(conversation_id)

    async def send_message(self, conversation_id: str, role: str = "Agent", text: str = "") -> dict[str, Any]:
        if role != "Agent":
            raise NeedsRep(f"a person cannot write as {role}")
        await self._person("write as the rep").say(conversation_id, text)
        return await self._state(conversation_id)

    async def end_session(self, conversation_id: str, by: str = "Agent") -> dict[str, Any]:
        if by not in ("Agent", "Supervisor"):
            raise NeedsRep(f"a person cannot act as {by} in the console; only a rep or supervisor ends a session")
        await self._person("end the session as the rep").end_session(conversation_id)
        return await self._state(conversation_id)

    async def inactivate(self, conversation_id: str) -> dict[str, Any]:
        await self._person("mark the customer inactive").inactivate(conversation_id)
        return await self._state(conversation_id)
