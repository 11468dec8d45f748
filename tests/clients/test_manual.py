"""The manual adapter with scripted answers: what it tells the tester, what it makes of the answers, its bounds."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator

import pytest

from harness.clients.adapter import Capability, ClientAdapter, ClientError, capabilities_of, not_applicable_reason
from harness.clients.manual import ManualAdapter, Prompter

pytestmark = pytest.mark.anyio

OPEN_SCREEN = ["y", "n", "n", ""]  # composer enabled, no banner, no button, no rep message


def scripted(*answers: str) -> tuple[ManualAdapter, io.StringIO]:
    out = io.StringIO()
    return ManualAdapter(Prompter(io.StringIO("".join(a + "\n" for a in answers)), out)), out


async def test_a_whole_closing_conversation_as_the_tester_reports_it() -> None:
    app, out = scripted(
        *["y", *OPEN_SCREEN],  # launch: done; the screen
        *["y", "sending", "y", "n", "n", ""],  # send: done; shows 'sending'; the screen
        *["", "y", "n", "n", "Hello, I am Sam"],  # settle: the rep's answer shows
        *["", "r", "Conversation ended", "y", "Hello, I am Sam"],  # settle after the rep ended the session
        *["y", *OPEN_SCREEN],  # tap 'start a new conversation'
    )
    assert isinstance(app, ClientAdapter)
    await app.launch()
    assert app.ui.composer == "enabled" and app.ui.banner is None and app.ui.messages == []
    sent = await app.send("My parcel is late")
    assert sent.state == "sending" and sent.id == ""
    await app.settle()
    assert [(m.text, m.from_role) for m in app.ui.messages] == [
        ("My parcel is late", "EndUser"),
        ("Hello, I am Sam", "Agent"),
    ]
    await app.settle()
    assert app.ui.composer == "read_only" and app.ui.banner == "Conversation ended" and app.ui.new_conversation_button
    assert len([m for m in app.ui.messages if m.text == "Hello, I am Sam"]) == 1
    assert await app.tap_new_conversation()
    assert app.ui.composer == "enabled" and app.ui.messages == []
    said = out.getvalue()
    assert ">> Launch the app and open its chat screen." in said
    assert ">> Type this message and send it: My parcel is late" in said
    assert ">> Tap 'Start a new conversation'." in said
    assert app.conversation_id is None and app.subject is None


async def test_nothing_is_asked_for_what_the_screen_rules_out() -> None:
    app, out = scripted("y", "r", "Chat ended", "n", "")
    await app.launch()
    refused = await app.send("Hello?")
    assert refused.state == "failed"
    assert not await app.tap_new_conversation()
    assert "Type this message" not in out.getvalue()


async def test_a_wrong_answer_is_asked_again_then_given_up() -> None:
    with pytest.raises(ClientError, match="the tester could not"):
        await ManualAdapter(Prompter(io.StringIO("n\n"), io.StringIO())).launch()
    app, out = scripted("y", "perhaps", "dunno", "what")
    with pytest.raises(ClientError, match=r"no valid answer after 3 tries to: Can you type in the message box\?"):
        await app.launch()
    assert out.getvalue().count("Please answer one of: y/r/h.") == 3


async def test_closed_input_is_an_error_not_a_hang() -> None:
    app, _ = scripted("y")
    with pytest.raises(ClientError, match="no answer \\(input closed\\) to: Can you type"):
        await app.launch()


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):
            os.close(fd)


async def test_answers_through_a_pipe_are_read_one_line_at_a_time(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, b"y\ny\nno\nn\nHi there")
    os.close(write_fd)
    with os.fdopen(read_fd, closefd=False) as stream:
        app = ManualAdapter(Prompter(stream, io.StringIO(), timeout_s=5))
        await app.launch()
    assert app.ui.composer == "enabled" and app.ui.banner is None
    assert [m.text for m in app.ui.messages] == ["Hi there"], "a last line without a newline still counts"


async def test_no_answer_within_the_timeout_is_an_error(pipe: tuple[int, int]) -> None:
    read_fd, _ = pipe  # the write end stays open and silent
    with os.fdopen(read_fd, closefd=False) as stream:
        app = ManualAdapter(Prompter(stream, io.StringIO(), timeout_s=0.05))
        with pytest.raises(ClientError, match=r"no answer within 0\.05s"):
            await app.launch()


def test_what_a_person_cannot_report_makes_scenarios_not_applicable() -> None:
    caps = capabilities_of(ManualAdapter(Prompter(io.StringIO(), io.StringIO())))
    assert Capability.READ_MESSAGE_IDS not in caps and Capability.EXACT_SETTLE not in caps
    reason = not_applicable_reason("manual tester", [Capability.RELAUNCH, Capability.READ_CONVERSATION_ID], caps)
    assert reason == "manual tester cannot read the conversation id it uses"
    assert not_applicable_reason("manual tester", [Capability.SEND, Capability.RELAUNCH], caps) is None
