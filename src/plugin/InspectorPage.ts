/**
 * The property inspector: one self-contained HTML page for every action (nothing loaded from
 * the internet, so it works offline and in OpenDeck's webview). It shows the selected
 * action's options as fields, with pickers filled from Discord by the plugin, and the setup
 * steps. The secret goes straight to the plugin, which writes it to deckcord's own config
 * file; the page never stores it in the host's settings.
 *
 * @since 0.1.0
 */
import { type OptionField, optionFields, PLUGIN_ACTIONS } from "./Manifest.ts"
import { actionUuid } from "./PluginSurface.ts"

/** What the page knows about every action, by UUID. */
export const inspectorData = (): Record<string, { readonly name: string; readonly fields: ReadonlyArray<OptionField> }> =>
  Object.fromEntries(PLUGIN_ACTIONS.map((a) => [actionUuid(a.name), { name: a.name, fields: optionFields(a) }]))

// The script is a classic one: the host calls the global connectElgatoStreamDeckSocket.
const SCRIPT = String.raw`
"use strict";
var ws, context, action, settings = {}, choices = {};
function $(id) { return document.getElementById(id); }
function send(o) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(o)); }
function toPlugin(payload) { send({ event: "sendToPlugin", action: action, context: context, payload: payload }); }
function save() { send({ event: "setSettings", context: context, payload: settings }); }
function el(tag, attrs, text) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function fillList(list) {
  var dl = $("list-" + list); if (!dl) return;
  dl.textContent = "";
  (choices[list] || []).forEach(function (c) { dl.appendChild(el("option", { value: c.id, label: c.name })); });
}
function renderFields() {
  var box = $("fields"); box.textContent = "";
  var spec = DECKCORD_ACTIONS[action];
  if (!spec || spec.fields.length === 0) { box.appendChild(el("p", { class: "hint" }, "This action has no options.")); return; }
  spec.fields.forEach(function (f) {
    var row = el("div", { class: "row" });
    var id = "field-" + f.name;
    row.appendChild(el("label", { for: id }, f.name + (f.optional ? "" : " *")));
    var input;
    if (f.kind === "choice") {
      input = el("select", { id: id });
      if (f.optional) input.appendChild(el("option", { value: "" }, "(default)"));
      f.values.forEach(function (v) { input.appendChild(el("option", { value: v }, v)); });
      input.value = settings[f.name] === undefined ? (f.optional ? "" : f.values[0]) : settings[f.name];
    } else if (f.kind === "boolean") {
      input = el("select", { id: id });
      [["", "(default)"], ["true", "yes"], ["false", "no"]].forEach(function (o) { input.appendChild(el("option", { value: o[0] }, o[1])); });
      input.value = settings[f.name] === undefined ? "" : String(settings[f.name]);
    } else {
      input = el("input", { id: id, type: f.kind === "number" ? "number" : "text" });
      if (f.picker) { input.setAttribute("list", "list-" + f.picker); input.setAttribute("placeholder", "pick or paste an id"); }
      input.value = settings[f.name] === undefined ? "" : String(settings[f.name]);
    }
    input.addEventListener("change", function () {
      var v = input.value;
      if (v === "") delete settings[f.name];
      else if (f.kind === "number") settings[f.name] = Number(v);
      else if (f.kind === "boolean") settings[f.name] = v === "true";
      else settings[f.name] = v;
      if (f.picker === "sounds") {
        var s = (choices.sounds || []).filter(function (c) { return c.id === v; })[0];
        if (s) settings.guild = s.guild; else delete settings.guild;
      }
      save();
    });
    row.appendChild(input);
    box.appendChild(row);
  });
}
function showStatus(s) {
  $("status").textContent = s.message;
  $("status").className = s.connected ? "ok" : "warn";
  if (s.clientId && !$("clientId").value) $("clientId").value = s.clientId;
  $("secret").placeholder = s.hasSecret ? "saved (enter to replace)" : "the client secret";
  $("configFile").textContent = s.configFile;
  $("setup").open = !s.connected;
}
window.connectElgatoStreamDeckSocket = function (port, uuid, registerEvent, _info, actionInfo) {
  var ai = JSON.parse(actionInfo);
  context = uuid; action = ai.action; settings = (ai.payload && ai.payload.settings) || {};
  renderFields();
  ws = new WebSocket("ws://127.0.0.1:" + port);
  ws.onopen = function () {
    send({ event: registerEvent, uuid: uuid });
    toPlugin({ type: "status" });
    toPlugin({ type: "choices" });
  };
  ws.onmessage = function (m) {
    var msg = JSON.parse(m.data);
    if (msg.event === "didReceiveSettings") { settings = msg.payload.settings || {}; renderFields(); }
    if (msg.event !== "sendToPropertyInspector") return;
    var p = msg.payload || {};
    if (p.type === "status") showStatus(p);
    if (p.type === "error") { $("status").textContent = p.message; $("status").className = "warn"; }
    if (p.type === "choices") { choices = p; ["voiceChannels", "textChannels", "members", "inputDevices", "outputDevices", "sounds"].forEach(fillList); }
  };
};
window.connectOpenActionSocket = window.connectElgatoStreamDeckSocket;
document.addEventListener("DOMContentLoaded", function () {
  $("save").addEventListener("click", function () {
    toPlugin({ type: "saveSetup", clientId: $("clientId").value, clientSecret: $("secret").value });
    $("secret").value = "";
  });
  $("authorize").addEventListener("click", function () { toPlugin({ type: "authorize" }); });
  $("refresh").addEventListener("click", function () { toPlugin({ type: "choices", refresh: true }); });
});
`

const STYLE = `
body { font: 13px system-ui, sans-serif; color: #ddd; background: #2d2d2d; margin: 8px; }
.row { display: flex; align-items: center; margin: 4px 0; }
.row label { width: 38%; color: #aaa; }
.row input, .row select { flex: 1; background: #3d3d3d; color: #eee; border: 1px solid #555; padding: 3px; }
button { background: #3d3d3d; color: #eee; border: 1px solid #666; padding: 3px 8px; margin: 4px 4px 0 0; }
.ok { color: #8fd18f; } .warn { color: #f0c060; } .hint { color: #999; }
details { margin-top: 10px; border-top: 1px solid #444; padding-top: 6px; }
ol { padding-left: 18px; } code { color: #ccc; }
`

const escapeScriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c")

export const inspectorHtml = (): string => `<!doctype html>
<html><head><meta charset="utf-8"><title>deckcord</title><style>${STYLE}</style></head>
<body>
<p id="status" class="warn">Waiting for the deckcord plugin…</p>
<div id="fields"></div>
<button id="refresh" type="button">Refresh lists from Discord</button>
${["voiceChannels", "textChannels", "members", "inputDevices", "outputDevices", "sounds"].map((l) => `<datalist id="list-${l}"></datalist>`).join("")}
<details id="setup"><summary>Setup</summary>
<ol>
<li>Create an application at the Discord Developer Portal; under OAuth2 add the redirect <code>http://localhost</code>.</li>
<li>Paste its Application ID and client secret here and save. They go to deckcord's own file (<code id="configFile"></code>, readable by you only), not to the Stream Deck profile.</li>
<li>Press Authorize, then accept the prompt in Discord.</li>
</ol>
<div class="row"><label for="clientId">Application ID</label><input id="clientId" inputmode="numeric"></div>
<div class="row"><label for="secret">Client secret</label><input id="secret" type="password" autocomplete="off"></div>
<button id="save" type="button">Save</button><button id="authorize" type="button">Authorize</button>
</details>
<script>var DECKCORD_ACTIONS = ${escapeScriptJson(inspectorData())};</script>
<script>${SCRIPT}</script>
</body></html>
`
