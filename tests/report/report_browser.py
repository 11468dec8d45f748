"""Headless Chromium driven over the DevTools protocol: open a page, evaluate, click, take screenshots."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run")
TIMEOUT = 60.0


class Browser:
    """One Chromium process with a fresh profile and one page, closed on exit."""

    def __init__(self, width: int = 1400, height: int = 1000) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="miaw-chromium-")
        self._process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile.name}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": self._profile.name},  # its org.chromium.Chromium.* goes with the profile
        )
        self._stack = contextlib.ExitStack()
        try:
            self._socket: ClientConnection = self._stack.enter_context(
                connect(self._endpoint(), max_size=None, open_timeout=TIMEOUT)
            )
            self._next_id = 0
            target = self.send("Target.createTarget", url="about:blank")["targetId"]
            self._session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self.send("Page.enable", session=True)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                session=True,
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
        except BaseException:
            self._process.kill()
            self._process.wait()
            if self._process.stderr is not None:
                self._process.stderr.close()
            self._profile.cleanup()
            raise

    def _endpoint(self) -> str:
        assert self._process.stderr is not None
        stderr = self._process.stderr
        for line in stderr:  # Chromium announces its DevTools endpoint once it listens
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                # keep draining its log so a full pipe never stalls the browser
                self._drain = threading.Thread(target=stderr.read, daemon=True)
                self._drain.start()
                return found.group(1)
        raise RuntimeError(f"chromium exited ({self._process.wait()}) without a DevTools endpoint")

    def _socket_recv(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self._socket.recv(timeout=TIMEOUT))
        return message

    def send(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._socket.send(json.dumps(message))
        while True:
            reply = self._socket_recv()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    def wait_for_event(self, method: str) -> dict[str, Any]:
        while True:
            message = self._socket_recv()
            if message.get("method") == method:
                return message

    def open(self, path: Path) -> None:
        self.send("Page.navigate", session=True, url=path.resolve().as_uri())
        self.wait_for_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element, after scrolling it into view."""
        box = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " el.scrollIntoView({block: 'center'});"
            " const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent", session=True, type=kind, x=box[0], y=box[1], button="left", clickCount=1
            )

    def screenshot(self, path: Path, full_page: bool = False) -> None:
        data = self.send("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=full_page)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self._process.terminate()
            self._process.wait()
            self._drain.join()
            if self._process.stderr is not None:
                self._process.stderr.close()
            self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
