// The review page: the reviewer's queue (GET v1/reviews/queue), one item at a time, one key per
// verdict (POST v1/reviews). No build step, no dependencies. Text goes into the page as text
// nodes only (never innerHTML), so a sentence cannot inject markup.
"use strict";

const QUEUE_LIMIT = 20;
const STORAGE_KEY = "khitab.review.reviewer";
const state = { items: [], index: 0, label: 0, verdicts: {}, busy: false };
const $ = (id) => document.getElementById(id);

function status(message, isError = false) {
  $("status").textContent = message;
  $("status").classList.toggle("error", isError);
}

function reviewer() {
  return $("reviewer").value.trim();
}

function current() {
  return state.items[state.index];
}

function labelsOf(item) {
  return Object.keys(item.scores);
}

function judged(item, label) {
  const mine = state.verdicts[item.item_id] || {};
  return mine[label] || (item.judged.includes(label) ? "judged" : null);
}

// The sentence with its cue spans marked. Cue offsets index the document, like item.start.
function renderText(item) {
  const box = $("text");
  box.replaceChildren();
  const spans = [];
  for (const [label, cues] of Object.entries(item.cues || {})) {
    for (const cue of cues || []) {
      const start = Math.max(0, cue.start - item.start);
      const end = Math.min(item.text.length, cue.end - item.start);
      if (end > start) spans.push({ start, end, label });
    }
  }
  spans.sort((a, b) => a.start - b.start);
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue; // overlapping cues: the first one wins
    box.append(document.createTextNode(item.text.slice(at, span.start)));
    const mark = document.createElement("mark");
    mark.className = "cue";
    mark.title = span.label;
    mark.textContent = item.text.slice(span.start, span.end);
    box.append(mark);
    at = span.end;
  }
  box.append(document.createTextNode(item.text.slice(at)));
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function verdictButton(td, item, label, verdict, key) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = verdict;
  button.textContent = `${verdict === "confirm" ? "تأكيد" : "رفض"} (${key})`;
  button.setAttribute("aria-pressed", String(judged(item, label) === verdict));
  button.setAttribute("aria-label", `${verdict} ${label}`);
  button.addEventListener("click", () => {
    state.label = labelsOf(item).indexOf(label);
    judge(verdict);
  });
  td.append(button);
}

function render() {
  const item = current();
  $("item").hidden = !item;
  $("empty").hidden = Boolean(item) || state.busy;
  $("position").textContent = item ? `${state.index + 1} / ${state.items.length}` : "";
  if (!item) return;
  renderText(item);
  $("where").textContent = `doc ${item.doc_id || "-"} [${item.start}, ${item.end}) · ${item.model} ${item.model_version}` +
    ` · ${item.decision} · ${item.item_id}`;
  const body = $("labels");
  body.replaceChildren();
  labelsOf(item).forEach((label, i) => {
    const row = document.createElement("tr");
    row.classList.toggle("selected", i === state.label);
    row.classList.toggle("asked", item.asks.includes(label));
    if (i === state.label) row.setAttribute("aria-current", "true");
    cell(row, String(i + 1));
    cell(row, label, "name");
    const flagged = item.flagged.includes(label);
    cell(row, item.scores[label].toFixed(3) + (flagged ? " ⚑" : ""), flagged ? "score flagged" : "score");
    cell(row, (item.thresholds[label] ?? 0.5).toFixed(3), "score");
    const td = cell(row, "");
    verdictButton(td, item, label, "confirm", "Y");
    verdictButton(td, item, label, "reject", "N");
    body.append(row);
  });
  // re-rendering removed a focused button: keep the focus (and its outline) on the item
  if (document.activeElement === document.body) $("item").focus();
}

async function loadQueue() {
  if (!reviewer()) {
    status("اكتب اسم المراجِع أولًا (type a reviewer name first: U)", true);
    $("reviewer").focus();
    return;
  }
  state.busy = true;
  status("…");
  try {
    const query = new URLSearchParams({ limit: String(QUEUE_LIMIT), reviewer: reviewer() });
    const response = await fetch(`v1/reviews/queue?${query}`, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`queue: HTTP ${response.status}`);
    const body = await response.json();
    state.items = body.items || [];
    state.index = 0;
    state.verdicts = {};
    state.label = openLabel(current());
    status(state.items.length ? "" : "القائمة فارغة (queue empty)");
  } catch (error) {
    status(String(error.message || error), true);
  } finally {
    state.busy = false;
    render();
    if (current()) $("item").focus();
  }
}

function firstOpenLabel(item, from = 0) {
  if (!item) return 0;
  const labels = labelsOf(item);
  for (let i = 0; i < labels.length; i++) {
    const j = (from + i) % labels.length;
    if (item.asks.includes(labels[j]) && !judged(item, labels[j])) return j;
  }
  return -1;
}

// The first label still asked, else the first label (an item judged in full can be re-judged).
function openLabel(item) {
  return Math.max(0, firstOpenLabel(item));
}

async function judge(verdict) {
  const item = current();
  if (!item || state.busy) return;
  if (!reviewer()) return loadQueue();
  const label = labelsOf(item)[state.label];
  state.busy = true;
  try {
    const response = await fetch("v1/reviews", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ item_id: item.item_id, label, verdict, reviewer: reviewer(), note: $("note").value }),
    });
    if (!response.ok) throw new Error(`verdict: HTTP ${response.status} ${await response.text()}`);
    (state.verdicts[item.item_id] ||= {})[label] = verdict;
    $("note").value = "";
    status(`${label}: ${verdict} ✓`);
    const next = firstOpenLabel(item, state.label + 1);
    if (next >= 0) state.label = next;
    else moveItem(1);
  } catch (error) {
    status(String(error.message || error), true);
  } finally {
    state.busy = false;
    render();
  }
}

function moveItem(step) {
  const target = state.index + step;
  if (target >= state.items.length && step > 0) {
    loadQueue(); // the items judged so far drop out of the reviewer's queue
    return;
  }
  state.index = Math.max(0, Math.min(state.items.length - 1, target));
  state.label = openLabel(current());
  render();
}

function moveLabel(step) {
  const item = current();
  if (!item) return;
  const n = labelsOf(item).length;
  state.label = (state.label + step + n) % n;
  render();
}

// Physical keys (event.code), so the keymap works on an Arabic keyboard layout too.
const KEYS = {
  KeyJ: () => moveItem(1), ArrowDown: () => moveItem(1),
  KeyK: () => moveItem(-1), ArrowUp: () => moveItem(-1),
  ArrowLeft: () => moveLabel(1), ArrowRight: () => moveLabel(-1),
  KeyY: () => judge("confirm"), KeyN: () => judge("reject"),
  KeyR: () => loadQueue(),
  KeyE: () => $("note").focus(), KeyU: () => $("reviewer").focus(),
};

document.addEventListener("keydown", (event) => {
  const inField = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement;
  if (inField) {
    if (event.key === "Escape" || (event.key === "Enter" && event.target.id === "reviewer")) {
      event.preventDefault();
      if (event.target.id === "reviewer") {
        localStorage.setItem(STORAGE_KEY, reviewer());
        loadQueue();
      }
      $("item").hidden ? event.target.blur() : $("item").focus();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const digit = /^(Digit|Numpad)([1-9])$/.exec(event.code);
  if (digit && current()) {
    const i = Number(digit[2]) - 1;
    if (i < labelsOf(current()).length) state.label = i;
    render();
    event.preventDefault();
    return;
  }
  const action = KEYS[event.code];
  if (action) {
    event.preventDefault();
    action();
  }
});

$("reviewer").value = localStorage.getItem(STORAGE_KEY) || "";
$("reviewer").addEventListener("change", () => localStorage.setItem(STORAGE_KEY, reviewer()));
if (reviewer()) loadQueue();
else {
  status("اكتب اسم المراجِع ثم Enter (type your reviewer name, then Enter)");
  $("reviewer").focus();
}
