"""A scripted fake device for the command adapter's tests: one process per action, state kept in a JSON file.

    python fake_device.py STATE_FILE BASE_URL POLICY ACTION

The org id and deployment come from MIAW_ORG_ID and MIAW_DEPLOYMENT when set (as `run --client` sets them).

ACTION is launch, send (the text in $MIAW_TEXT), tap_new_conversation, reopen_chat, relaunch or state (prints the
screen as JSON). It is a real client of the runtime's v2 API (no event stream: `state` reads the history and the
conversation list, as a polling app would). POLICY is persist-forever or pick-first-open-from-list.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

V2 = "/iamessage/api/v2"
ORG_ID = os.environ.get("MIAW_ORG_ID", "00DHA0000001HRNAAA")
DEPLOYMENT = os.environ.get("MIAW_DEPLOYMENT", "MIAW_Web")


class Device:
    def __init__(self, state_file: Path, base_url: str, policy: str) -> None:
        self.file = state_file
        self.policy = policy
        self.data: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
        self.http = httpx.Client(base_url=base_url, timeout=10.0)

    def save(self) -> None:
        self.file.write_text(json.dumps(self.data))

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.data['token']}"} if "token" in self.data else {}
        return self.http.request(method, V2 + path, headers=headers, **kwargs)

    def open_chat(self) -> None:
        if "token" not in self.data:
            answer = self.call(
                "POST",
                "/authorization/unauthenticated/access-token",
                json={"orgId": ORG_ID, "esDeveloperName": DEPLOYMENT, "capabilitiesVersion": "1", "platform": "Mobile"},
            )
            answer.raise_for_status()
            self.data["token"] = answer.json()["accessToken"]
            self.data["subject"] = answer.json()["context"]["endUser"]["subject"]
        cid = self.data.get("conversation_id")
        if self.policy == "pick-first-open-from-list":
            listed = self.call("GET", "/conversation/list", params={"inclClosedConvs": "true"}).json()["conversations"]
            open_ones = sorted((c for c in listed if c["endTimestamp"] == 0), key=lambda c: -c["startTimestamp"])
            cid = open_ones[0]["conversationId"] if open_ones else None
        if cid is None:
            self.new_conversation()
        else:
            self.data["conversation_id"] = cid

    def new_conversation(self) -> None:
        cid = str(uuid.uuid4())
        self.call(
            "POST", "/conversation", json={"conversationId": cid, "esDeveloperName": DEPLOYMENT}
        ).raise_for_status()
        self.data["conversation_id"] = cid

    def send(self, text: str) -> None:
        message_id = str(uuid.uuid4())
        body = {
            "message": {"id": message_id, "messageType": "StaticContentMessage", "staticContent": {"text": text}},
            "esDeveloperName": DEPLOYMENT,
        }
        answer = self.call("POST", f"/conversation/{self.data['conversation_id']}/message", json=body)
        if answer.status_code >= 400:
            self.data.setdefault("failed", []).append({"id": message_id, "text": text})

    def closed(self) -> bool:
        listed = self.call("GET", "/conversation/list", params={"inclClosedConvs": "true"}).json()["conversations"]
        return any(c["conversationId"] == self.data["conversation_id"] and c["endTimestamp"] != 0 for c in listed)

    def screen(self) -> dict[str, Any]:
        cid = self.data["conversation_id"]
        entries = self.call("GET", f"/conversation/{cid}/entries", params={"direction": "FromStart"}).json()
        messages = []
        for entry in entries["conversationEntries"]:
            if entry["entryType"] != "Message":
                continue
            text = entry["entryPayload"]["abstractMessage"]["staticContent"]["text"]
            messages.append({"id": entry["identifier"], "text": text, "from_role": entry["sender"]["role"]})
        messages += [{**m, "from_role": "EndUser", "state": "failed"} for m in self.data.get("failed", [])]
        closed = self.closed()
        return {
            "composer": "read_only" if closed else "enabled",
            "banner": "This conversation has ended" if closed else None,
            "new_conversation_button": closed and self.policy == "pick-first-open-from-list",
            "messages": [{"state": "sent", **m} for m in messages],
            "conversation_id": cid,
            "subject": self.data["subject"],
        }


def main(argv: list[str]) -> int:
    state_file, base_url, policy, action = argv
    device = Device(Path(state_file), base_url, policy)
    if action in ("launch", "reopen_chat", "relaunch"):
        device.open_chat()
    elif action == "send":
        device.send(os.environ["MIAW_TEXT"])
    elif action == "tap_new_conversation":
        device.new_conversation()
    elif action == "state":
        print(json.dumps(device.screen()))
    else:
        print(f"unknown action {action}", file=sys.stderr)
        return 2
    device.save()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
