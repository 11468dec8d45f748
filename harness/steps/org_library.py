"""Org-level steps: an admin's Setup actions, and rollout checks across several SDK profiles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_bdd import given, parsers, then, when

from harness.lifecycle import ConversationState
from harness.run.control import ControlError
from harness.run.judge import Verdict
from harness.run.rig import closing_probe
from harness.sdk.profiles import SdkProfile, load_profiles
from harness.sdk.strategies import AppStrategy, load_strategies
from harness.steps.library import World


@dataclass
class AdminAttempt:
    """What the runtime answered to the admin's last change."""

    refused: ControlError | None = None


@dataclass
class Rollout:
    profiles: list[SdkProfile] = field(default_factory=list)
    strategy: AppStrategy | None = None
    verdicts: dict[str, Verdict] = field(default_factory=dict)


# -- Setup ----------------------------------------------------------------------------------------------------
@given("an Enhanced In-App channel with Session-Based Chat off")
def _(world: World) -> None:
    """An Enhanced In-App channel with Session-Based Chat off."""
    world.run(lambda: world.rig.configure(channel_type="EmbeddedInApp", session_based_chat=False))


@given("an Enhanced In-App channel with User Verification on")
def _(world: World) -> None:
    """An Enhanced In-App channel with User Verification on and Session-Based Chat off."""
    world.run(
        lambda: world.rig.configure(channel_type="EmbeddedInApp", session_based_chat=False, user_verification=True)
    )


@given(parsers.parse("a {channel} channel"))
def _(world: World, channel: str) -> None:
    """A channel of this type (for example EmbeddedWeb or EmbeddedInApp) with Session-Based Chat off."""
    world.run(lambda: world.rig.configure(channel_type=channel, session_based_chat=False))


def _save(world: World, publish: bool, **settings: Any) -> AdminAttempt:
    attempt = AdminAttempt()
    try:
        world.run(lambda: world.rig.save(**settings))
        if publish:
            world.run(world.rig.publish)
    except ControlError as exc:
        attempt.refused = exc
    return attempt


@when('the admin saves "End chat when session ends" without publishing', target_fixture="admin")
def _(world: World) -> AdminAttempt:
    """The admin saves the Session-Based Chat setting but does not publish the deployment."""
    return _save(world, False, session_based_chat=True)


@when('the admin saves "End chat when session ends" and publishes the deployment', target_fixture="admin")
def _(world: World) -> AdminAttempt:
    """The admin saves the Session-Based Chat setting and publishes the deployment."""
    return _save(world, True, session_based_chat=True)


@when('the admin saves "End chat when session ends"', target_fixture="admin")
def _(world: World) -> AdminAttempt:
    """The admin saves the Session-Based Chat setting."""
    return _save(world, False, session_based_chat=True)


@when("the admin turns off User Verification")
def _(world: World) -> None:
    """The admin turns off User Verification for the channel."""
    world.run(lambda: world.rig.configure(user_verification=False))


@when("a rep ends a user's session")
def _(world: World) -> None:
    """A user chats with a rep, and the rep ends the session."""
    world.run(world.journey.open_chat)
    control = world.rig.need_control("play the rep")
    world.control_action("rep", "the rep ends the session", control.end_session, world.conversation_id(), "Agent")
    world.run(world.journey.settle)


@then(parsers.re(r"that user's conversation is (?P<state>still open|closed) on the runtime"))
def _(world: World, state: str) -> None:
    """Checks the state of that user's conversation on the runtime."""
    truth = world.run(world.journey.oracle.conversation, world.conversation_id())
    expected = ConversationState.OPEN if state == "still open" else ConversationState.CLOSED
    assert truth is not None and truth.state is expected, f"the conversation is {truth and truth.state}"


def _published(world: World) -> dict[str, Any]:
    control = world.rig.need_control("read the channel's settings")
    info = world.run(control.info)
    return dict(info["deployments"][world.rig.deployment]["published"])


@then("the change is refused with a message about User Verification")
def _(admin: AdminAttempt) -> None:
    """Checks that the runtime refused the change with a 4xx naming User Verification."""
    assert admin.refused is not None, "the runtime accepted Session-Based Chat for verified users"
    assert 400 <= admin.refused.status < 500
    assert "verification" in admin.refused.message.lower(), admin.refused.message


@then("the change is refused with a message naming the channel type")
def _(world: World, admin: AdminAttempt) -> None:
    """Checks that the runtime refused the change with a 4xx naming the channel type."""
    assert admin.refused is not None, "the runtime accepted Session-Based Chat on this channel type"
    assert 400 <= admin.refused.status < 500
    channel = str(_published(world).get("channel_type"))
    assert channel in admin.refused.message, admin.refused.message


@then("the channel still has Session-Based Chat off")
def _(world: World) -> None:
    """Checks that the published channel still has Session-Based Chat off."""
    assert _published(world).get("session_based_chat") is False


@then("the channel has Session-Based Chat on")
def _(world: World) -> None:
    """Checks that the published channel has Session-Based Chat on."""
    assert _published(world).get("session_based_chat") is True


# -- rollout ----------------------------------------------------------------------------------------------------
def _by_platform(pick_last: bool) -> list[SdkProfile]:
    chosen: dict[str, SdkProfile] = {}
    for profile in load_profiles():  # sorted by platform, then version
        if profile.platform in ("ios", "android") and (pick_last or profile.platform not in chosen):
            chosen[profile.platform] = profile
    return list(chosen.values())


@given(parsers.re(r"the (?P<which>latest|oldest) bundled SDK of each mobile platform"), target_fixture="rollout")
def _(which: str) -> Rollout:
    """Picks the latest or oldest bundled SDK profile of iOS and Android for a rollout check."""
    return Rollout(profiles=_by_platform(which == "latest"))


def _strategy(name: str) -> AppStrategy:
    return next(s for s in load_strategies() if s.name == name)


@given("an app that clears its stored conversation id when the conversation closes")
def _(rollout: Rollout) -> None:
    """The rollout's app clears its stored conversation id when the conversation closes."""
    rollout.strategy = _strategy("persist-until-closed-event")


@given("an app that keeps its conversation id forever")
def _(rollout: Rollout) -> None:
    """The rollout's app keeps its conversation id forever."""
    rollout.strategy = _strategy("persist-forever")


@when("a rep ends the session under Session-Based Chat")
def _(world: World, rollout: Rollout) -> None:
    """For each SDK of the rollout, a rep ends a session and the app tries to reach a rep again."""
    assert rollout.strategy is not None
    for profile in rollout.profiles:
        result = world.run(closing_probe, profile, rollout.strategy, world.state.seed, world.rig)
        rollout.verdicts[profile.name] = result.verdict


@then("every user can start a new conversation and reach a rep")
def _(rollout: Rollout) -> None:
    """Checks that no SDK of the rollout left its users blocked."""
    blocked = [name for name, v in rollout.verdicts.items() if v in (Verdict.BLOCKED, Verdict.ERROR)]
    assert rollout.verdicts and not blocked, f"blocked: {blocked}"


@then("every user is permanently prevented from continuing messaging")
def _(rollout: Rollout) -> None:
    """Checks that every SDK of the rollout left its users blocked."""
    free = [name for name, v in rollout.verdicts.items() if v is not Verdict.BLOCKED]
    assert rollout.verdicts and not free, f"not blocked: {free}"
