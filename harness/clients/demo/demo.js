// The demo web chat: the v2 REST API plus the event stream, no build step, no dependency.
//
// It reacts to the runtime as the Salesforce web sample does (the harness's `web` SDK profile): the chat turns
// read-only on a CONVERSATION_CLOSE_CONVERSATION event or when the conversation list says the conversation ended;
// session-status events are not acted on. How it picks and keeps its conversation id is the `policy` query
// parameter, one of the bundled app strategies (fixtures/apps/*.toml); `new_button=1|0` and
// `on_failed_send=retry-same|show-error|start-new-conversation` override the strategy's other two choices.
// `org` and `deployment` override the runtime's defaults (read from config.json beside this page).
//
// For test drivers, #chat carries data attributes: data-ready (1 once the chat is open), data-busy (requests in
// flight), data-stream (open|down), data-last-event-id (the newest event fully handled), data-conversation-id,
// data-subject. Each message is an <li class="msg"> with data-id, data-role and data-state.
"use strict";

(() => {
  const API = "/iamessage/api/v2";
  const STRATEGIES = {
    "new-per-launch": { button: false, failed: "show-error" },
    "persist-forever": { button: false, failed: "retry-same" },
    "persist-until-closed-event": { button: false, failed: "show-error" },
    "persist-until-participants-zero": { button: false, failed: "show-error" },
    "pick-first-from-list": { button: false, failed: "retry-same" },
    "pick-first-open-from-list": { button: true, failed: "start-new-conversation" },
    "web-storage": { button: false, failed: "show-error" },
  };
  const FAILED_POLICIES = ["retry-same", "show-error", "start-new-conversation"];
  const CLOSED_BANNER = "Conversation ended";
  const NOT_SENT = "Message not sent";
  const RECONNECT = { baseMs: 1000, factor: 1.5, capMs: 30000, maxAttempts: 10 };

  const $ = (id) => document.getElementById(id);
  const chat = $("chat");
  const params = new URLSearchParams(location.search);

  class ApiError extends Error {
    constructor(status, message) {
      super(`${status} ${message}`);
      this.status = status;
    }
  }

  // -- settings from the query string ------------------------------------------------------------------------
  function settings() {
    const policy = params.get("policy") || "web-storage";
    if (!(policy in STRATEGIES)) {
      throw new Error(`unknown policy '${policy}'; use one of ${Object.keys(STRATEGIES).join(", ")}`);
    }
    const strategy = STRATEGIES[policy];
    const rawButton = params.get("new_button");
    let button = strategy.button;
    if (rawButton !== null) {
      if (!["1", "0", "true", "false"].includes(rawButton)) throw new Error("new_button must be 1 or 0");
      button = rawButton === "1" || rawButton === "true";
    }
    const failed = params.get("on_failed_send") || strategy.failed;
    if (!FAILED_POLICIES.includes(failed)) {
      throw new Error(`unknown on_failed_send '${failed}'; use one of ${FAILED_POLICIES.join(", ")}`);
    }
    return { policy, button, failed };
  }

  // -- what survives a reload or a browser restart -------------------------------------------------------------
  class Store {
    constructor(prefix) { this.prefix = prefix; }
    get(key) { return localStorage.getItem(this.prefix + key); }
    set(key, value) {
      if (value === null || value === undefined) localStorage.removeItem(this.prefix + key);
      else localStorage.setItem(this.prefix + key, String(value));
    }
    clear() {
      for (const key of Object.keys(localStorage)) if (key.startsWith(this.prefix)) localStorage.removeItem(key);
    }
  }

  function uuid() { // v4, lower case; works outside secure contexts too (a phone on the LAN over plain HTTP)
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function subjectOf(token) {
    try {
      const body = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(body + "=".repeat((4 - (body.length % 4)) % 4))).sub || "";
    } catch (e) {
      return "";
    }
  }

  // -- the chat ---------------------------------------------------------------------------------------------------
  class DemoChat {
    constructor(config, chosen) {
      this.org = params.get("org") || config.orgId;
      this.deployment = params.get("deployment") || config.deployment;
      this.policy = chosen.policy;
      this.button = chosen.button;
      this.failed = chosen.failed;
      this.store = new Store(`miaw-demo:${this.org}:${this.deployment}:${this.policy}:`);
      this.token = null;
      this.subject = null;
      this.lastEventId = "0";
      this.conversationId = null;
      this.launchId = null;
      this.fresh = new Set(); // ids minted here and not yet created on the runtime
      this.knownStatus = "unknown";
      this.participants = new Set();
      this.hadParticipants = false;
      this.busy = 0;
      this.streamAbort = null;
      this.stopped = false;
    }

    // -- plumbing
    setBusy(delta) {
      this.busy += delta;
      chat.dataset.busy = String(this.busy);
    }

    async busyWhile(action) { // a user action counts as busy from the tap until everything it started is done
      this.setBusy(1);
      try {
        return await action();
      } finally {
        this.setBusy(-1);
      }
    }

    async request(method, path, { body, query, auth = true, renew = true } = {}) {
      const url = new URL(path, location.origin);
      for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, v);
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (auth && this.token) headers.Authorization = `Bearer ${this.token}`;
      this.setBusy(1);
      try {
        let response;
        try {
          response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        } catch (e) {
          throw new ApiError(0, `network error: ${e.message}`);
        }
        if (response.status === 401 && auth && renew) {
          await this.renewToken();
          return await this.request(method, path, { body, query, auth, renew: false });
        }
        const text = await response.text();
        let data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) throw new ApiError(response.status, (data && data.message) || text.slice(0, 200));
        return data;
      } finally {
        this.setBusy(-1);
      }
    }

    persist() {
      this.store.set("token", this.token);
      this.store.set("subject", this.subject);
      this.store.set("lastEventId", this.lastEventId);
    }

    show() {
      chat.dataset.conversationId = this.conversationId || "";
      chat.dataset.subject = this.subject || "";
      chat.dataset.policy = this.policy;
      $("status").textContent =
        `policy ${this.policy} · deployment ${this.deployment} · conversation ${this.conversationId || "none"}`;
    }

    // -- tokens
    takeToken(data) {
      if (!data || typeof data.accessToken !== "string") throw new ApiError(502, "token response without accessToken");
      this.token = data.accessToken;
      const endUser = ((data.context || {}).endUser) || {};
      this.subject = endUser.subject || subjectOf(this.token);
    }

    async newToken() {
      const body = { orgId: this.org, esDeveloperName: this.deployment, capabilitiesVersion: "1", platform: "Web" };
      const data = await this.request("POST", `${API}/authorization/unauthenticated/access-token`,
        { body, auth: false });
      this.takeToken(data);
      this.lastEventId = String(data.lastEventId || "0");
      chat.dataset.lastEventId = this.lastEventId;
      this.persist();
    }

    async renewToken() {
      if (this.token) {
        try {
          this.takeToken(await this.request("GET", `${API}/authorization/continuation-access-token`, { renew: false }));
          this.persist();
          return;
        } catch (e) { /* fall through: a new identity */ }
      }
      const before = this.subject;
      await this.newToken();
      if (before && before !== this.subject) this.restartStream();
    }

    // -- the event stream (fetch streaming: EventSource cannot send the Authorization header)
    restartStream() {
      if (this.streamAbort) this.streamAbort.abort();
    }

    async streamLoop() {
      let attempts = 0;
      while (!this.stopped) {
        const abort = new AbortController();
        this.streamAbort = abort;
        try {
          const response = await fetch(`/eventrouter/v1/sse?_ts=${Date.now()}`, {
            headers: {
              Accept: "text/event-stream",
              Authorization: `Bearer ${this.token}`,
              // The event router compares this header with the token's 15-character org id.
              "X-Org-Id": this.org.slice(0, 15),
              "Last-Event-Id": this.lastEventId,
            },
            cache: "no-store",
            signal: abort.signal,
          });
          if (response.status === 401) {
            await this.renewToken();
            continue;
          }
          if (!response.ok || !response.body) throw new ApiError(response.status, "stream refused");
          attempts = 0;
          chat.dataset.stream = "open";
          await this.readFrames(response.body);
        } catch (e) {
          if (!abort.signal.aborted) console.warn("event stream:", e.message);
        }
        chat.dataset.stream = "down";
        if (this.stopped) return;
        if (abort.signal.aborted) continue; // restarted on purpose (new identity): reconnect at once
        attempts += 1;
        if (attempts > RECONNECT.maxAttempts) {
          this.showError("Lost the connection; reload the page to try again");
          return;
        }
        const delay = Math.min(RECONNECT.baseMs * RECONNECT.factor ** (attempts - 1), RECONNECT.capMs);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }

    async readFrames(body) {
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          await this.onFrame(frame);
        }
      }
    }

    async onFrame(frame) {
      let event = "message";
      let id = null;
      const data = [];
      for (const line of frame.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (name === "event") event = value;
        else if (name === "id") id = value;
        else if (name === "data") data.push(value);
      }
      try {
        await this.onEvent(event, data.join("\n"));
      } catch (e) {
        console.warn("event", event, "not handled:", e.message);
      }
      if (id !== null) {
        this.lastEventId = id;
        this.store.set("lastEventId", id);
        chat.dataset.lastEventId = id;
      }
    }

    async onEvent(event, raw) {
      if (!event.startsWith("CONVERSATION_")) return; // pings and unknown event types are ignored
      const envelope = JSON.parse(raw);
      if (envelope.conversationId !== this.conversationId) return;
      const entry = envelope.conversationEntry || {};
      const payload = typeof entry.entryPayload === "string" ? JSON.parse(entry.entryPayload) : entry.entryPayload || {};
      if (event === "CONVERSATION_MESSAGE") this.onMessage(entry, payload);
      else if (event === "CONVERSATION_PARTICIPANT_CHANGED") this.onParticipants(envelope.conversationId, payload);
      else if (event === "CONVERSATION_CLOSE_CONVERSATION") this.learnClosed(envelope.conversationId, "close event");
    }

    onMessage(entry, payload) {
      const role = (entry.sender || {}).role || "Unknown";
      if (role === "EndUser") {
        const mine = this.findMessage(entry.identifier);
        if (mine) this.setState(mine, "sent");
        return;
      }
      const text = (((payload.abstractMessage || {}).staticContent) || {}).text || "";
      this.addMessage(entry.identifier, text, role, "sent", entry.senderDisplayName);
    }

    onParticipants(cid, payload) {
      for (const change of payload.entries || []) {
        const subject = ((change.participant || {}).subject) || "";
        if (change.operation === "add") {
          this.participants.add(subject);
          this.hadParticipants = true;
        } else if (change.operation === "remove") {
          this.participants.delete(subject);
        }
      }
      if (this.policy === "persist-until-participants-zero" && this.hadParticipants && this.participants.size === 0) {
        this.forgetStoredId(cid);
      }
    }

    // -- choosing and opening a conversation
    mint() {
      const cid = uuid();
      this.fresh.add(cid);
      return cid;
    }

    forgetStoredId(cid) {
      if (this.store.get("conversationId") === cid) this.store.set("conversationId", null);
    }

    async listConversations(includeClosed) {
      const data = await this.request("GET", `${API}/conversation/list`,
        { query: { inclClosedConvs: includeClosed ? "true" : "false", limit: "50" } });
      const found = ((data && data.conversations) || []).map((c) => ({
        id: String(c.conversationId), start: Number(c.startTimestamp || 0), end: Number(c.endTimestamp || 0),
      }));
      return found.sort((a, b) => b.start - a.start);
    }

    async chooseId() {
      const policy = this.policy;
      if (policy === "new-per-launch") {
        if (!this.launchId) this.launchId = this.mint();
        return this.launchId;
      }
      if (policy === "pick-first-from-list" || policy === "pick-first-open-from-list") {
        try {
          let found = await this.listConversations(true);
          if (policy === "pick-first-open-from-list") found = found.filter((c) => c.end === 0);
          const picked = found.length ? found[0].id : this.mint();
          this.store.set("conversationId", picked);
          return picked;
        } catch (e) { /* the list could not be read: the stored id is used */ }
      }
      const stored = this.store.get("conversationId");
      if (policy === "web-storage" && stored) {
        try {
          const open = (await this.listConversations(false)).filter((c) => c.end === 0).map((c) => c.id);
          if (!open.includes(stored)) this.forgetStoredId(stored); // no open conversation: stale data is wiped
        } catch (e) { /* keep what is stored */ }
      }
      if (this.store.get("conversationId")) return this.store.get("conversationId");
      const cid = this.mint();
      this.store.set("conversationId", cid);
      return cid;
    }

    async openChat(cid) {
      if (!cid) cid = await this.chooseId();
      this.conversationId = cid;
      this.knownStatus = "unknown";
      this.participants.clear();
      this.hadParticipants = false;
      $("messages").replaceChildren();
      this.setComposer(true);
      $("closed-banner").hidden = true;
      $("new-conversation").hidden = true;
      this.clearError();
      this.show();
      if (!this.fresh.has(cid)) await this.loadExisting(cid);
      else await this.createQuietly(cid);
    }

    async loadExisting(cid) {
      let data;
      try {
        data = await this.request("GET", `${API}/conversation/${cid}/entries`,
          { query: { limit: "50", direction: "FromStart" } });
      } catch (e) {
        if (e.status === 404) { // stored but never created (the page closed before the first send)
          this.fresh.add(cid);
          await this.createQuietly(cid);
        } else if (this.storedAsClosed(cid)) {
          this.learnClosed(cid, "local store");
        }
        return;
      }
      for (const entry of (data && data.conversationEntries) || []) {
        if (entry.entryType !== "Message") continue;
        const payload = typeof entry.entryPayload === "string" ? JSON.parse(entry.entryPayload) : entry.entryPayload;
        const text = ((((payload || {}).abstractMessage || {}).staticContent) || {}).text || "";
        const role = (entry.sender || {}).role || "Unknown";
        this.addMessage(entry.identifier, text, role, "sent", entry.senderDisplayName);
      }
      if (this.storedAsClosed(cid)) this.learnClosed(cid, "local store");
      try {
        const summary = (await this.listConversations(true)).find((c) => c.id === cid);
        if (summary && summary.end !== 0) this.learnClosed(cid, "conversation list");
        else if (summary) this.knownStatus = "open";
      } catch (e) { /* status unknown */ }
    }

    async create(cid) {
      await this.request("POST", `${API}/conversation`,
        { body: { conversationId: cid, esDeveloperName: this.deployment, routingAttributes: {} } });
      this.fresh.delete(cid);
    }

    async createQuietly(cid) {
      try {
        await this.create(cid);
      } catch (e) {
        console.warn("creating the conversation failed:", e.message);
      }
    }

    async startNewConversation() {
      const cid = this.mint();
      if (this.policy === "new-per-launch") this.launchId = cid;
      else this.store.set("conversationId", cid);
      await this.openChat(cid);
    }

    storedAsClosed(cid) {
      return (this.store.get("closedConversations") || "").split(",").includes(cid);
    }

    learnClosed(cid, via) {
      if (this.knownStatus === "closed" || cid !== this.conversationId) return;
      this.knownStatus = "closed";
      if (!this.storedAsClosed(cid)) {
        const seen = (this.store.get("closedConversations") || "").split(",").filter(Boolean);
        this.store.set("closedConversations", [...seen, cid].join(","));
      }
      if (this.policy === "persist-until-closed-event") this.forgetStoredId(cid);
      this.setComposer(false);
      const banner = $("closed-banner");
      banner.textContent = CLOSED_BANNER;
      banner.dataset.via = via;
      banner.hidden = false;
      $("new-conversation").hidden = !this.button;
    }

    // -- the screen
    setComposer(enabled) {
      $("input").disabled = !enabled;
      $("send").disabled = !enabled;
    }

    showError(text) {
      const error = $("error");
      error.textContent = text;
      error.hidden = false;
    }

    clearError() {
      $("error").hidden = true;
      $("error").textContent = "";
    }

    findMessage(id) {
      return Array.from($("messages").children).find((li) => li.dataset.id === id) || null;
    }

    addMessage(id, text, role, state, name) {
      if (this.findMessage(id)) return this.findMessage(id);
      const li = document.createElement("li");
      li.className = "msg";
      li.dataset.id = id;
      li.dataset.role = role;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = role === "EndUser" ? "You" : name || role;
      const body = document.createElement("span");
      body.className = "text";
      body.textContent = text;
      const mark = document.createElement("span");
      mark.className = "state";
      li.append(who, body, mark);
      $("messages").append(li);
      this.setState(li, state);
      return li;
    }

    setState(li, state) {
      li.dataset.state = state;
      li.querySelector(".state").textContent = state === "sent" ? "" : state;
    }

    // -- user actions
    async send(text) {
      if ($("input").disabled) return;
      const li = this.addMessage(uuid(), text, "EndUser", "sending");
      this.clearError();
      if (await this.deliver(li, this.conversationId)) return;
      if (this.failed === "retry-same") {
        this.setState(li, "sending");
        if (await this.deliver(li, this.conversationId)) return;
      } else if (this.failed === "start-new-conversation") {
        await this.startNewConversation();
        const retry = this.addMessage(uuid(), text, "EndUser", "sending");
        if (await this.deliver(retry, this.conversationId)) return;
      }
      this.showError(NOT_SENT);
    }

    async deliver(li, cid) {
      const body = {
        message: {
          id: li.dataset.id,
          messageType: "StaticContentMessage",
          staticContent: { formatType: "Text", text: li.querySelector(".text").textContent },
        },
        esDeveloperName: this.deployment,
      };
      const path = `${API}/conversation/${cid}/message`;
      try {
        if (this.fresh.has(cid)) await this.create(cid);
        try {
          await this.request("POST", path, { body });
        } catch (e) {
          if (e.status !== 417) throw e; // 417: no session and per-session pre-chat: resend as a new session
          Object.assign(body, { isNewMessagingSession: true, routingAttributes: {}, language: "en" });
          await this.request("POST", path, { body });
        }
        return true;
      } catch (e) {
        console.warn("send failed:", e.message);
        this.setState(li, "failed");
        return false;
      }
    }

    async start() {
      const token = this.store.get("token");
      if (token) {
        this.token = token;
        this.subject = this.store.get("subject") || subjectOf(token);
        this.lastEventId = this.store.get("lastEventId") || "0";
        chat.dataset.lastEventId = this.lastEventId;
      } else {
        await this.newToken();
      }
      this.show();
      this.streamLoop();
      await this.openChat();
    }
  }

  // -- wiring -----------------------------------------------------------------------------------------------------
  async function main() {
    let chosen;
    try {
      chosen = settings();
    } catch (e) {
      $("status").textContent = e.message;
      chat.dataset.ready = "error";
      return;
    }
    $("policy").value = chosen.policy;
    const config = await (await fetch("config.json", { cache: "no-store" })).json();
    const demo = new DemoChat(config, chosen);
    window.demoChat = demo;
    $("composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = $("input").value.trim();
      if (!text) return;
      $("input").value = "";
      await demo.busyWhile(() => demo.send(text));
    });
    $("input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("new-conversation").addEventListener("click", () => demo.busyWhile(() => demo.startNewConversation()));
    $("forget").addEventListener("click", () => {
      demo.store.clear();
      location.reload();
    });
    try {
      await demo.start();
      chat.dataset.ready = "1";
    } catch (e) {
      $("status").textContent = `Cannot start the chat: ${e.message}`;
      chat.dataset.ready = "error";
    }
  }

  main();
})();
