"""The public-API oracle: the same truth the control API gives, read as the end user may read it."""

from __future__ import annotations

from typing import Any

import pytest

from harness.lifecycle import EndCause
from harness.run.judge import NeedsRep
from harness.run.oracle import truth_from_control
from harness.run.truth import ConversationTruth
from harness.sandbox.public_oracle import ListedConversation, PublicOracle, truth_from_public
from harness.wire import new_uuid

from .conftest import InProcess

pytestmark = pytest.mark.anyio
API = "/iamessage/api/v2"


async def _user(env: InProcess, deployment: str) -> tuple[str, str]:
    body = {"orgId": env.config.org_id, "esDeveloperName": deployment}
    data = (await env.http.post(f"{API}/authorization/unauthenticated/access-token", json=body)).json()
    return str(data["context"]["endUser"]["subject"]), str(data["accessToken"])


async def _open(env: InProcess, token: str, deployment: str, text: str = "hello") -> str:
    cid = new_uuid()
    headers = {"Authorization": f"Bearer {token}"}
    await env.http.post(
        f"{API}/conversation", json={"conversationId": cid, "esDeveloperName": deployment}, headers=headers
    )
    message = {
        "id": new_uuid(),
        "messageType": "StaticContentMessage",
        "staticContent": {"formatType": "Text", "text": text},
    }
    r = await env.http.post(f"{API}/conversation/{cid}/message", json={"message": message}, headers=headers)
    assert r.status_code == 202, r.text
    return cid


def _same(public: ConversationTruth | None, control: dict[str, Any]) -> None:
    expected = truth_from_control(control)
    assert public is not None
    assert (public.state, public.session, public.participants) == (
        expected.state,
        expected.session,
        expected.participants,
    )
    assert public.message_ids == expected.message_ids and public.rep_texts == expected.rep_texts


@pytest.mark.parametrize(("deployment", "state"), [("New_Channel", "CLOSED"), ("Existing_Channel", "OPEN")])
async def test_the_public_truth_matches_the_runtimes_own(in_process: InProcess, deployment: str, state: str) -> None:
    subject, token = await _user(in_process, deployment)
    oracle = PublicOracle(in_process.http, lambda: (subject, token))
    cid = await _open(in_process, token, deployment)
    conv = in_process.runtime.conversations[cid]
    in_process.runtime.say(conv, conv.participants[0].role, "How can I help?")
    _same(await oracle.conversation(cid), conv.to_control())
    truth = await oracle.conversation(cid)
    assert truth is not None and truth.rep_present and truth.rep_texts == ("How can I help?",)
    in_process.runtime.end_session(conv, EndCause.AGENT)
    after = await oracle.conversation(cid)
    _same(after, conv.to_control())
    assert after is not None and after.state == state and after.session == "Ended" and not after.rep_present


async def test_the_oracle_remembers_every_identity_the_app_used(in_process: InProcess) -> None:
    first = await _user(in_process, "Existing_Channel")
    second = await _user(in_process, "Existing_Channel")
    current = [first]
    oracle = PublicOracle(in_process.http, lambda: current[0])
    old = await _open(in_process, first[1], "Existing_Channel")
    assert [t.conversation_id for t in await oracle.conversations_of(first[0])] == [old]
    current[0] = second
    new = await _open(in_process, second[1], "Existing_Channel")
    assert (await oracle.conversation(old)) is not None and (await oracle.conversation(new)) is not None
    assert [t.conversation_id for t in await oracle.conversations_of(second[0])] == [new]
    assert await oracle.conversations_of("v2/iamessage/UNAUTH/NA/uid:stranger") == []
    assert await oracle.conversation(new_uuid()) is None


async def test_nobody_plays_the_rep_without_interactive_mode(in_process: InProcess) -> None:
    oracle = PublicOracle(in_process.http, lambda: (None, None))
    with pytest.raises(NeedsRep, match="--interactive"):
        await oracle.rep_says(new_uuid(), "hi")


def _entry(kind: str, payload: dict[str, Any], role: str = "System", ident: str = "e") -> dict[str, Any]:
    return {"identifier": ident, "entryType": kind, "entryPayload": payload, "sender": {"role": role, "subject": "s"}}


def _participant(op: str, role: str, subject: str) -> dict[str, Any]:
    return _entry(
        "ParticipantChanged", {"entries": [{"operation": op, "participant": {"role": role, "subject": subject}}]}
    )


@pytest.mark.parametrize(
    ("end_ms", "entries", "state", "session", "roles"),
    [
        (0, [], "OPEN", None, frozenset()),
        (0, [_participant("add", "Agent", "a")], "OPEN", "Active", frozenset({"Agent"})),
        (0, [_participant("add", "Agent", "a"), _participant("remove", "Agent", "a")], "OPEN", None, frozenset()),
        (
            0,
            [_participant("add", "Chatbot", "b"), _entry("SessionStatusChanged", {"sessionStatus": "Inactive"})],
            "OPEN",
            "Inactive",
            frozenset({"Chatbot"}),
        ),
        (5, [_participant("add", "Agent", "a")], "CLOSED", "Ended", frozenset()),
        (0, [{"entryType": "Nonsense"}, _entry("Message", {}, "EndUser", "m1")], "OPEN", None, frozenset()),
    ],
)
def test_folding_the_entries(
    end_ms: int, entries: list[dict[str, Any]], state: str, session: str | None, roles: frozenset[str]
) -> None:
    truth = truth_from_public(ListedConversation("c", 1, end_ms), entries)
    assert (truth.state, truth.session, truth.participants) == (state, session, roles)
