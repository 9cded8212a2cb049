// claimwire's page: a client of GET /index, POST /verify and POST /feedback. No framework, no
// external files. Every text from the API goes into the page through textContent, never as HTML.
// `/?claim=...` (the ClaimReview permalink) fills the claim box and verifies it on load.
"use strict";

(function () {
  const VERDICTS = {
    supported: "Supported",
    refuted: "Refuted",
    conflicting: "Conflicting",
    not_enough_info: "Not enough information",
  };
  const UNKNOWN = "unknown";
  const VOICES = { outlet: "Outlet's own", quote: "Quote", reported_speech: "Reported speech" };
  const JUDGEMENTS = [
    ["supports", "Supports"],
    ["contradicts", "Contradicts"],
    ["neither", "Neither"],
  ];
  const TOKEN_KEY = "claimwire.feedbackToken"; // kept for this browser tab only (sessionStorage)
  let answeredClaim = null; // the claim of the answer on screen, which feedback is about

  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function score(value) {
    return typeof value === "number" ? value.toFixed(2) : UNKNOWN;
  }

  function percent(value) {
    return typeof value === "number" ? Math.round(value * 100) + "%" : UNKNOWN;
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  // --- the index: what is served, and its outlets for the filter --------------------------------

  async function loadIndex() {
    const info = $("index-info");
    let response;
    try {
      response = await fetch("/index", { headers: { Accept: "application/json" } });
    } catch (error) {
      info.textContent = "The service cannot be reached.";
      window.setTimeout(loadIndex, 3000);
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      info.textContent = "The service is not ready yet: " + (body.detail || response.statusText) + " Retrying…";
      window.setTimeout(loadIndex, 3000);
      return;
    }
    info.textContent =
      body.documents + " articles, " + body.passages + " passages · snapshot " + body.snapshot;
    renderOutlets(body.outlets || []);
  }

  function renderOutlets(outlets) {
    const box = $("outlets");
    const ticked = new Set(selectedOutlets());
    box.replaceChildren();
    if (!outlets.length) {
      box.append(el("p", "hint", "No outlet is known in this index."));
      return;
    }
    outlets.forEach((name, i) => {
      const id = "outlet-" + i;
      const label = el("label", "check");
      label.htmlFor = id;
      const input = el("input");
      input.type = "checkbox";
      input.id = id;
      input.name = "outlet";
      input.value = name;
      input.checked = ticked.has(name);
      label.append(input, el("span", null, name));
      box.append(label);
    });
  }

  function selectedOutlets() {
    return Array.from(document.querySelectorAll('input[name="outlet"]:checked')).map((i) => i.value);
  }

  // --- verify -----------------------------------------------------------------------------------

  function request() {
    const body = { claim: $("claim").value, explain: true };
    const topK = Number.parseInt($("top-k").value, 10);
    if (Number.isFinite(topK)) body.top_k = topK;
    const outlets = selectedOutlets();
    if (outlets.length) body.outlets = outlets;
    if ($("date-from").value) body.date_from = $("date-from").value;
    if ($("date-to").value) body.date_to = $("date-to").value;
    return body;
  }

  async function submit(event) {
    event.preventDefault();
    const claim = $("claim").value.trim();
    if (!claim) {
      showProblem({ title: "No claim", detail: "Type a claim to verify." });
      $("claim").focus();
      return;
    }
    const button = $("verify-button");
    button.disabled = true;
    $("result").setAttribute("aria-busy", "true");
    setStatus("Verifying…");
    try {
      const response = await fetch("/verify", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(request()),
      });
      const body = await response.json().catch(() => null);
      if (!response.ok || body === null) {
        showProblem(body || { title: response.statusText, detail: "The service answered " + response.status + "." });
        setStatus("");
        return;
      }
      render(body);
      setStatus("");
    } catch (error) {
      showProblem({ title: "Network error", detail: "The service cannot be reached; try again." });
      setStatus("");
    } finally {
      button.disabled = false;
      $("result").removeAttribute("aria-busy");
    }
  }

  function showProblem(problem) {
    const box = $("error");
    box.replaceChildren();
    box.append(el("p", "problem-title", problem.title || "Error"));
    if (problem.detail) box.append(el("p", "problem-detail", problem.detail));
    const errors = problem.errors || {};
    const fields = Object.keys(errors);
    if (fields.length) {
      const list = el("ul", "problem-fields");
      fields.forEach((field) => {
        const item = el("li");
        item.append(el("code", null, field), document.createTextNode(": " + [].concat(errors[field]).join(" ")));
        list.append(item);
      });
      box.append(list);
    }
    box.hidden = false;
    $("result").hidden = true;
  }

  function render(result) {
    $("error").hidden = true;
    answeredClaim = result.claim;
    const card = $("verdict-card");
    card.className = "verdict-card verdict-" + result.verdict;
    $("verdict").textContent = VERDICTS[result.verdict] || result.verdict;
    $("verdict").dataset.verdict = result.verdict;
    $("verdict-claim").textContent = "“" + result.claim + "”";
    $("confidence").textContent = percent(result.confidence);
    $("confidence-bar").style.width = Math.max(0, Math.min(100, result.confidence * 100)) + "%";
    const models = result.models || {};
    const index = result.index || {};
    $("answered-by").textContent =
      "Snapshot " + index.snapshot + " (" + index.passages + " passages) · embedding " + models.embedding +
      " · stance " + models.stance;
    const sources = result.independent_sources || {};
    fill("supporting", result.supporting || [], "No supporting passage found.", sources.supporting);
    fill("contradicting", result.contradicting || [], "No contradicting passage found.", sources.contradicting);
    explainRows(result.explanation || []);
    $("result").hidden = false;
    $("verdict-heading").focus();
  }

  function explainRows(entries) {
    const rows = $("explain-rows");
    rows.replaceChildren();
    entries.forEach((entry) => {
      const row = el("tr", "decision-" + entry.decision);
      row.append(
        el("td", "explain-text", entry.text),
        el("td", null, entry.outlet || "unknown"),
        el("td", null, score(entry.similarity)),
        el("td", null, entry.decision.replace("_", " ")),
        el("td", "explain-reason", entry.reason),
      );
      rows.append(row);
    });
  }

  function fill(side, evidence, empty, independent) {
    const list = $(side);
    list.replaceChildren();
    $(side + "-count").textContent = String(evidence.length);
    $(side + "-count").title =
      typeof independent === "number"
        ? independent + " independent source" + (independent === 1 ? "" : "s") + " (copies and relays counted once)"
        : "";
    if (!evidence.length) {
      list.append(el("li", "empty", empty));
      return;
    }
    evidence.forEach((item) => list.append(card(item)));
  }

  function meta(term, value, className) {
    const row = el("div", "meta-row");
    const known = value !== null && value !== undefined && value !== "";
    const dd = el("dd", className + (known ? "" : " unknown"), known ? value : UNKNOWN);
    row.append(el("dt", null, term), dd);
    return row;
  }

  function context(kind, text) {
    const p = el("p", "context context-" + kind);
    p.append(el("span", "context-label", kind === "before" ? "Before" : "After"));
    p.append(el("span", "context-text", text));
    return p;
  }

  function card(item) {
    const li = el("li", "evidence");
    li.dataset.passageId = item.passage_id;
    const ctx = item.context || {};
    if (ctx.before) li.append(context("before", ctx.before));
    li.append(el("blockquote", "passage-text", item.text));
    if (ctx.after) li.append(context("after", ctx.after));

    const dl = el("dl", "meta");
    dl.append(
      meta("Outlet", item.outlet, "outlet"),
      meta("Date", item.date, "date"),
      meta("Similarity", score(item.similarity), "similarity"),
      meta("Stance score", score(item.stance_score), "stance-score"),
    );
    li.append(dl);
    li.append(provenance(item));

    const source = el("p", "source");
    if (item.title) {
      const safeUrl = typeof item.url === "string" && /^https?:\/\//i.test(item.url);
      const title = safeUrl ? el("a", "title", item.title) : el("span", "title", item.title);
      if (safeUrl) {
        title.href = item.url;
        title.rel = "noopener noreferrer";
      }
      source.append(title, document.createTextNode(" · "));
    }
    const ref = el("span", "passage-ref", item.document_id + " #" + item.sentence_index);
    ref.title = "passage " + item.passage_id + " · sentence_index " + item.sentence_index + " (0-based)";
    source.append(ref);
    li.append(source);
    li.append(feedbackBox(item));
    return li;
  }

  // --- evidence a fact-checker can trust: voice, relays, copies, mismatches ---------------------

  function provenance(item) {
    const box = el("div", "provenance");
    const attribution = item.attribution || {};
    if (attribution.kind) {
      const voice = VOICES[attribution.kind] || attribution.kind;
      const speaker = attribution.speaker ? ": " + attribution.speaker : "";
      box.append(el("p", "voice voice-" + attribution.kind, "Voice · " + voice + speaker));
    }
    if (item.source) box.append(el("p", "origin", "Counted as · " + item.source));
    if (item.relays && item.relays.length) box.append(el("p", "relays", "Relays · " + item.relays.join(", ")));
    if (item.also_in && item.also_in.length) {
      const where = item.also_in.map((c) => (c.outlet || UNKNOWN) + " (" + c.document_id + ")");
      box.append(el("p", "also-in", "Also in · " + where.join(", ")));
    }
    (item.mismatches || []).forEach((m) => {
      box.append(el("p", "mismatch", "Mismatch (" + m.kind + ") · claim " + m.claim + ", passage " + m.passage));
    });
    return box;
  }

  // --- reviewer feedback: one button per passage, POST /feedback with the reviewer's token --------

  function feedbackBox(item) {
    const box = el("div", "feedback");
    const toggle = el("button", "secondary feedback-toggle", "Judge this passage");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    const form = el("form", "feedback-form");
    form.hidden = true;
    const id = "fb-" + item.passage_id;
    toggle.setAttribute("aria-controls", id);
    form.id = id;

    const choices = el("fieldset", "feedback-choices");
    choices.append(el("legend", null, "For this claim the passage…"));
    JUDGEMENTS.forEach(([value, label]) => {
      const wrap = el("label", "check");
      const input = el("input");
      input.type = "radio";
      input.name = id + "-label";
      input.value = value;
      input.required = true;
      input.checked = value === item.stance; // the service's reading, for the reviewer to confirm or change
      wrap.append(input, el("span", null, label));
      choices.append(wrap);
    });
    const note = el("input", "feedback-note");
    note.type = "text";
    note.maxLength = 2000;
    note.placeholder = "Note (optional)";
    note.setAttribute("aria-label", "Note (optional)");
    const token = el("input", "feedback-token");
    token.type = "password";
    token.autocomplete = "off";
    token.placeholder = "Reviewer token";
    token.setAttribute("aria-label", "Reviewer token");
    token.value = window.sessionStorage.getItem(TOKEN_KEY) || "";
    const send = el("button", "primary feedback-send", "Send judgement");
    send.type = "submit";
    const status = el("p", "feedback-status");
    status.setAttribute("role", "status");
    form.append(choices, note, token, send, status);

    toggle.addEventListener("click", () => {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.querySelector("input").focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = form.querySelector('input[type="radio"]:checked');
      sendFeedback(item, chosen ? chosen.value : null, note.value, token.value, status, send);
    });
    box.append(toggle, form);
    return box;
  }

  async function sendFeedback(item, label, note, token, status, button) {
    if (!label) {
      status.textContent = "Choose supports, contradicts or neither.";
      return;
    }
    if (!token) {
      status.textContent = "Enter the reviewer token (ask whoever runs this service).";
      return;
    }
    window.sessionStorage.setItem(TOKEN_KEY, token);
    const body = { claim: answeredClaim, passage_id: item.passage_id, label: label };
    if (note.trim()) body.note = note.trim();
    button.disabled = true;
    status.textContent = "Sending…";
    try {
      const response = await fetch("/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: "Bearer " + token },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        status.textContent = "Recorded (#" + answer.id + "): " + answer.label + ".";
      } else {
        if (response.status === 401) window.sessionStorage.removeItem(TOKEN_KEY);
        const fields = answer.errors ? " " + Object.values(answer.errors).flat().join(" ") : "";
        status.textContent = (answer.title || response.statusText) + ": " + (answer.detail || "") + fields;
      }
    } catch (error) {
      status.textContent = "The service cannot be reached; try again.";
    } finally {
      button.disabled = false;
    }
  }

  // --- wiring -----------------------------------------------------------------------------------

  function init() {
    const form = $("verify-form");
    form.addEventListener("submit", submit);
    form.addEventListener("reset", () => {
      $("error").hidden = true;
      window.setTimeout(() => $("claim").focus(), 0);
    });
    $("claim").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    loadIndex();
    // A permalink (`/?claim=...`, as in ClaimReview answers) verifies its claim straight away.
    const linked = new URLSearchParams(window.location.search).get("claim");
    if (linked && linked.trim()) {
      $("claim").value = linked;
      form.requestSubmit();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
