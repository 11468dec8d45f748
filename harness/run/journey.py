"""A user's journey through a closing conversation: the actions a real user takes, and what they show.

The journey drives a `SimulatedApp` (the user's side) and asks an `Oracle` for the runtime's truth (the mock's
control API, or the public API against a real org). It never decides a verdict itself: it fills `Observations`
for `harness.run.judge`.

Recovery protocol (bounded): after a conversation ends, a user first types into the composer if it is open, then
taps "start a new conversation" if the app shows one, then reopens the chat (the article's "refresh or reopen"),
then relaunches the app, up to `max_relaunches` times. After each step that lets them type, they send one message
(and once more if it fails while the composer stays open); the journey succeeds when that message sits in an open
conversation with a rep or bot present and the rep's answer shows up in the app. The first step that works is the
way out (`RecoveryPath`): typing, the button or reopening are inside the app; a relaunch is not. Each step tried,
each send the runtime refused and each change of the app's identity is written to the timeline as a `Fact`, so
that the reason codes can be checked against the run's own evidence (`harness.run.preconditions`).

Black-box clients (`harness.clients`): a step of the protocol the adapter cannot do is skipped, and a run that did
not recover with the steps left is not applicable (its reason names what was missing). A client that cannot report
message ids is matched by the text it sent; one that cannot tell its identity or conversation is followed through
the runtime's own record (every subject the runtime holds, the conversation the last message reached).
`runtime_record`, when set, writes what the runtime holds as evidence after the opening and after the recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from harness.clients.adapter import Capability, ClientAdapter, capabilities_of
from harness.run.judge import PATH_RANK, Observations, RecoveryPath, RefusedSend
from harness.run.truth import ConversationTruth, Oracle
from harness.timeline import Fact, Kind, Timeline

__all__ = ["ConversationTruth", "Journey", "Oracle"]


@dataclass
class Journey:
    app: ClientAdapter  # the simulated app, or a real client behind an adapter (harness.clients)
    oracle: Oracle
    timeline: Timeline
    text: Callable[[], str]  # where message texts come from (seeded Faker)
    obs: Observations = field(default_factory=Observations)
    subjects: set[str] = field(default_factory=set)
    first_conversation_id: str | None = None
    current_conversation_id: str | None = None  # where the user's last message reached a rep
    max_relaunches: int = 2
    recoveries: int = 0  # how many times the protocol ran (a scenario may make the user come back twice)
    runtime_record: Callable[[str], Awaitable[None]] | None = None  # evidence from the runtime (real clients)
    skipped: list[str] = field(default_factory=list)  # recovery steps the client cannot do

    # -- helpers ----------------------------------------------------------------------------------------------
    def note(self, summary: str, **detail: Any) -> None:
        self.timeline.add(Kind.NOTE, "harness", summary, detail)

    def _remember_identity(self) -> None:
        subject = self.app.subject
        if subject and subject not in self.subjects:
            if self.subjects:
                self.timeline.add_fact(Fact.IDENTITY_CHANGED, "the app speaks as another end user now", subject=subject)
            self.subjects.add(subject)
        if self.first_conversation_id is None and self.app.conversation_id:
            self.first_conversation_id = self.app.conversation_id

    async def settle(self) -> None:
        await self.app.settle()
        self._remember_identity()

    def can(self, capability: Capability) -> bool:
        return capability in capabilities_of(self.app)

    async def truth(self) -> ConversationTruth | None:
        cid = self.app.conversation_id
        if cid is None and not self.can(Capability.READ_CONVERSATION_ID):
            cid = self.current_conversation_id  # the client cannot say: where its last message reached a rep
        return None if cid is None else await self.oracle.conversation(cid)

    async def _learn_identity(self) -> None:
        """A client that cannot tell its identity: every end user the runtime holds is this run's user."""
        if self.can(Capability.READ_SUBJECT):
            return
        subjects = getattr(self.oracle, "subjects", None)
        if subjects is not None:
            self.subjects |= set(await subjects())
            if self.subjects and hasattr(self.app, "learned_subject"):
                self.app.learned_subject = sorted(self.subjects)[0]

    # -- the opening ------------------------------------------------------------------------------------------
    async def open_chat(self) -> None:
        """Launch the app and write until a rep answers: every scenario starts from a live chat."""
        await self.app.launch()
        text = self.text()
        view = await self.app.send(text)
        await self.settle()
        where = await self._find_message(str(view.id), text)
        if where is None or not where.rep_present:
            if self.runtime_record is not None:
                await self.runtime_record("setup failed: the first message did not reach a rep")
                raise AssertionError(
                    "setup failed: the first message did not reach a rep "
                    f"({'the runtime never got it' if where is None else f'its conversation is {where.state}'}): "
                    "check the client's URL, org id and deployment (see the runtime's record in the evidence)"
                )
            raise AssertionError(
                f"the first message did not reach a rep (state {None if where is None else where.state})"
            )
        if self.runtime_record is not None:
            await self.runtime_record("the first message reached a rep")
        self.first_conversation_id = where.conversation_id
        self.current_conversation_id = where.conversation_id

    async def send_during(self, other: Callable[[], Awaitable[Any]]) -> None:
        """Send a message while something else happens on the runtime (both start before either finishes)."""
        await asyncio.gather(self.app.send(self.text()), other())
        await self.settle()

    # -- checks -----------------------------------------------------------------------------------------------
    async def check_ui_truth(self, moment: str) -> None:
        """Compare the composer with the runtime's state of the app's current conversation."""
        await self._checked_truth(moment)

    async def _checked_truth(self, moment: str) -> ConversationTruth | None:
        """`check_ui_truth`, returning the truth it compared with."""
        await self.settle()
        truth = await self.truth()
        composer = str(self.app.ui.composer)
        if truth is None:
            return None
        if not truth.open and composer == "enabled":
            lie = f"{moment}: composer open on closed conversation {truth.conversation_id[:8]}"
        elif truth.open and composer != "enabled":
            lie = f"{moment}: no composer ({composer}) while conversation {truth.conversation_id[:8]} is open"
        else:
            return truth
        self.obs.ui_lies.append(lie)
        self.timeline.add_fact(
            Fact.UI_DISAGREES, "UI disagrees with the runtime", moment=moment, composer=composer, state=truth.state
        )
        return truth

    async def send_and_reach_rep(self, action: str) -> bool:
        """Send one message through the composer; True if it reached a rep and the answer came back."""
        if str(self.app.ui.composer) != "enabled":
            return False
        return await self._send_and_reach_rep(action, await self.truth())

    async def _type(self, action: str, checked: ConversationTruth | None) -> bool:
        """One protocol step's typing, straight after `_checked_truth` (nothing runs in between, so the truth the
        check read is the conversation as the send finds it). When the message fails and the composer is still
        open, the user types once more, as a person does after "Message not sent": one failed send is no reason
        yet to leave the app."""
        if str(self.app.ui.composer) != "enabled":
            return False
        if await self._send_and_reach_rep(action, checked):
            return True
        return await self.send_and_reach_rep(f"{action}, again")

    async def _send_and_reach_rep(self, action: str, before: ConversationTruth | None) -> bool:
        if before is not None and not before.open:
            self.obs.sends_to_closed += 1
        identity_changed = len(self.subjects) > 1
        start = len(self.timeline.steps)
        text = self.text()
        view = await self.app.send(text)
        await self.settle()
        self._record_refusals(action, before, start, identity_changed)
        where = await self._find_message(str(view.id), text)
        if where is None or not where.open or not where.rep_present:
            self.note(
                "message did not reach a rep",
                action=action,
                state=None if where is None else where.state,
                ui_state=str(view.state),
            )
            return False
        reply = self.text()
        await self.oracle.rep_says(where.conversation_id, reply)
        await self.settle()
        shown = any(str(m.text) == reply for m in self.app.ui.messages)
        if not shown:
            self.obs.ui_lies.append(f"{action}: the rep's answer never showed in the app")
            self.timeline.add_fact(Fact.UI_DISAGREES, "the rep's answer never showed in the app", action=action)
        if (
            self.first_conversation_id is not None
            and where.conversation_id != self.first_conversation_id
            and (first := await self.oracle.conversation(self.first_conversation_id)) is not None
            and first.open
        ):
            self.obs.split_conversations.append(
                f"{action}: the app left open conversation {self.first_conversation_id[:8]} for a new one"
            )
            self.timeline.add_fact(
                Fact.CONVERSATION_SPLIT,
                "the app left an open conversation for a new one",
                left_open=self.first_conversation_id,
                now=where.conversation_id,
            )
        self.current_conversation_id = where.conversation_id
        self.note("message reached a rep", action=action, conversation=where.conversation_id)
        return True

    def _record_refusals(
        self, action: str, before: ConversationTruth | None, start: int, identity_changed: bool
    ) -> None:
        """The error statuses the runtime answered while the app sent the user's message, as one fact."""
        statuses = tuple(
            int(s.detail["status"])
            for s in self.timeline.steps[start:]
            if s.kind is Kind.REQUEST and isinstance(s.detail.get("status"), int) and s.detail["status"] >= 400
        )
        if not statuses:
            return
        identity_changed = identity_changed or len(self.subjects) > 1
        refused = RefusedSend(
            conversation=None if before is None else before.conversation_id,
            conversation_state=None if before is None else before.state.value,
            statuses=statuses,
            identity_changed=identity_changed,
        )
        self.obs.refused_sends.append(refused)
        self.timeline.add_fact(
            Fact.SEND_REFUSED,
            f"the runtime refused the user's message ({', '.join(map(str, statuses))})",
            action=action,
            conversation=refused.conversation,
            conversation_state=refused.conversation_state,
            statuses=list(statuses),
            identity_changed=identity_changed,
        )

    async def _find_message(self, message_id: str, text: str) -> ConversationTruth | None:
        """The conversation holding the message the user sent: by its id, or by its text when the client cannot
        report ids (the newest conversation that holds the text)."""
        self._remember_identity()
        await self._learn_identity()
        found: ConversationTruth | None = None
        for subject in sorted(self.subjects):
            for conv in await self.oracle.conversations_of(subject):
                if message_id and message_id in conv.message_ids:
                    return conv
                if not message_id and text in conv.user_texts:
                    found = conv
        return found

    # -- the protocol -----------------------------------------------------------------------------------------
    async def recover(self) -> bool:
        """Run the bounded recovery protocol; record the result, and the way out, in the observations."""
        self.recoveries += 1
        recovered = await self._recover()
        if not recovered:
            self._way_out(RecoveryPath.NONE, None)
        self.obs.recovered = recovered
        if not recovered and self.skipped:  # the steps it could do did not lead back: no verdict on the rest
            name = str(getattr(self.app, "name", "the client"))
            self.obs.not_applicable = (
                f"{name} cannot {', nor '.join(self.skipped)}: the recovery protocol could not be finished"
            )
        if self.runtime_record is not None:
            await self.runtime_record("after the recovery")
        return recovered

    def _able(self, capability: Capability, what: str) -> bool:
        """Whether the client can do a step of the recovery protocol; a step it cannot do is noted and skipped."""
        if self.can(capability):
            return True
        if what not in self.skipped:
            self.skipped.append(what)
            self.note(f"skipped: the client cannot {what}")
        return False

    async def _recover(self) -> bool:
        checked = await self._checked_truth("after the session ended")
        self.obs.recovery_actions.append("type in the chat")
        typed = await self._type("type in the chat", checked)
        if self._tried(RecoveryPath.TYPE, "type in the chat", typed):
            return True
        if await self._tap_new_conversation(RecoveryPath.NEW_CONVERSATION, "tap 'start a new conversation'"):
            return True
        if self._able(Capability.REOPEN_CHAT, "reopen the chat") and await self._reopen():
            return True
        if not self._able(Capability.RELAUNCH, "relaunch the app"):
            return False
        for n in range(1, self.max_relaunches + 1):
            action = f"relaunch the app ({n})"
            self.obs.recovery_actions.append(action)
            await self.app.relaunch()
            checked = await self._checked_truth(f"after relaunch {n}")
            if self._tried(
                RecoveryPath.RELAUNCH, action, await self._type(action, checked)
            ) or await self._tap_new_conversation(RecoveryPath.RELAUNCH, f"{action}, then tap"):
                return True
        return False

    async def _reopen(self) -> bool:
        self.obs.recovery_actions.append("reopen the chat")
        await self.app.reopen_chat()
        checked = await self._checked_truth("after reopening the chat")
        return self._tried(
            RecoveryPath.REOPEN, "reopen the chat", await self._type("reopen the chat", checked)
        ) or await self._tap_new_conversation(RecoveryPath.REOPEN, "reopen, then tap")

    async def _tap_new_conversation(self, way: RecoveryPath, action: str) -> bool:
        if not (
            self._able(Capability.READ_NEW_CONVERSATION_BUTTON, "read whether a new-conversation button shows")
            and self._able(Capability.TAP_NEW_CONVERSATION, "tap 'start a new conversation'")
        ):
            return False
        if not self.app.ui.new_conversation_button:
            return False
        self.obs.recovery_actions.append(action)
        if not await self.app.tap_new_conversation():
            return self._tried(way, action, False)
        await self.settle()
        return self._tried(way, action, await self._type(action, await self.truth()))

    def _tried(self, way: RecoveryPath, action: str, reached: bool) -> bool:
        """One step of the protocol, as a fact; the first that reaches a rep is the way out."""
        self.timeline.add_fact(
            Fact.WAY_OUT_TRIED,
            f"way out tried: {action} ({'reached a rep' if reached else 'no rep'})",
            recovery=self.recoveries,
            action=action,
            way=way.value,
            reached_rep=reached,
        )
        if reached:
            self._way_out(way, action)
        return reached

    def _way_out(self, way: RecoveryPath, action: str | None) -> None:
        """Keep the worst way out over the run's recoveries."""
        current = self.obs.recovery_path
        if current is None or PATH_RANK[way] > PATH_RANK[current]:
            self.obs.recovery_path, self.obs.recovery_action = way, action

    async def audit_messages(self) -> None:
        """Every message the user sent either reached the runtime or shows as failed."""
        self._remember_identity()
        await self._learn_identity()
        delivered: set[str] = set()
        texts: set[str] = set()
        for subject in sorted(self.subjects):
            for conv in await self.oracle.conversations_of(subject):
                delivered |= conv.message_ids
                texts |= set(conv.user_texts)
        for message in self.app.ui.messages:
            if str(getattr(message, "from_role", "EndUser")) != "EndUser":
                continue
            if str(message.id) in delivered or str(message.state) == "failed":
                continue
            if not str(message.id) and str(message.text) in texts:  # a client without message ids: by its text
                continue
            self.obs.lost_messages.append(f"'{str(message.text)[:24]}' shows as {message.state} but never arrived")
            self.timeline.add_fact(
                Fact.MESSAGE_LOST, "a message never arrived", message=str(message.id), shown_as=str(message.state)
            )
