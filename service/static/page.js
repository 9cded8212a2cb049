// claimwire's page: a client of GET /index and POST /verify. No framework, no external files.
// Every text from the API goes into the page through textContent, never as HTML.
"use strict";

(function () {
  const VERDICTS = {
    supported: "Supported",
    refuted: "Refuted",
    conflicting: "Conflicting",
    not_enough_info: "Not enough information",
  };
  const UNKNOWN = "unknown";

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
    const body = { claim: $("claim").value };
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
    fill("supporting", result.supporting || [], "No supporting passage found.");
    fill("contradicting", result.contradicting || [], "No contradicting passage found.");
    $("result").hidden = false;
    $("verdict-heading").focus();
  }

  function fill(side, evidence, empty) {
    const list = $(side);
    list.replaceChildren();
    $(side + "-count").textContent = String(evidence.length);
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
    return li;
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
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
