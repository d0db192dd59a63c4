/* fluorowatch dashboard: sign-in, alert actions, charges, imports with upload progress, report downloads with a
   busy indicator, and the live updates (polling /live; the page's content is re-read when it changes). */
(function () {
  "use strict";
  const messages = JSON.parse((document.getElementById("messages") || {}).textContent || "{}");
  const busy = document.getElementById("busy");
  let pending = 0;

  function cookie(name) {
    const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }
  function setBusy(delta) {
    pending += delta;
    if (busy) busy.hidden = pending <= 0;
  }
  async function call(method, url, body) {
    setBusy(1);
    try {
      const response = await fetch(url, {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": cookie("fw_csrf") },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      return { ok: response.ok, status: response.status, data: data };
    } finally {
      setBusy(-1);
    }
  }
  function errorText(result) {
    const error = (result.data && result.data.error) || {};
    const text = error.message || messages["error.title"] + " " + result.status;
    return error.rule ? text + " (" + error.rule + ")" : text;
  }
  function show(element, text, isError) {
    if (!element) return;
    element.textContent = text;
    element.hidden = false;
    element.classList.toggle("error", !!isError);
  }

  // Sign-in and sign-out (the session API of api/routers/session.py).
  const login = document.getElementById("login");
  if (login) {
    login.addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(login);
      const result = await call("POST", "/api/v1/session", { email: form.get("email"), password: form.get("password") });
      if (result.ok) window.location.assign(login.dataset.next || "/");
      else show(login.querySelector(".error"), messages["login.failed"], true);
    });
  }
  const logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("click", async () => {
      await call("DELETE", "/api/v1/session");
      window.location.assign("/login");
    });
  }

  // Acknowledge and resolve (the alerts API); a refusal shows the API's message in the row.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const row = button.closest("tr");
    const reasonInput = row && row.querySelector("input[name=reason]");
    const body = button.dataset.action === "resolve" ? { reason: reasonInput ? reasonInput.value : "" } : {};
    const result = await call("POST", "/api/v1/alerts/" + button.dataset.alert + "/" + button.dataset.action, body);
    if (result.ok) {
      show(row.querySelector(".error"), messages["alerts.done"], false);
      refresh();
    } else {
      show(row.querySelector(".error"), errorText(result), true);
    }
  });

  // Recording a charge on a ticket (the charges API); the law's refusal (409) is shown with its rule.
  document.querySelectorAll("form.charge-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = Object.fromEntries(new FormData(form).entries());
      const body = {
        circuit_no: Number(form.dataset.circuit), refrigerant: form.dataset.refrigerant, amount_kg: f.kg,
        certificate_no: f.certificate_no, ticket_id: Number(form.dataset.ticket),
        contractor_id: Number(form.dataset.contractor),
        qualified_person: { name: f.technician, qualification_no: f.qualification_no },
      };
      if (f.emergency) body.emergency = f.emergency;
      if (f.planned_repair_on) body.planned_repair_on = f.planned_repair_on;
      const result = await call("POST", "/api/v1/equipment/" + form.dataset.unit + "/charges", body);
      const out = form.querySelector(".result");
      if (result.ok) show(out, messages["tickets.recorded"], false);
      else show(out, messages["tickets.refused"] + ": " + errorText(result), true);
    });
  });

  // Imports: XHR for the upload's progress; row-level errors in a table.
  const importForm = document.getElementById("import");
  if (importForm) {
    importForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(importForm);
      const upload = new FormData();
      upload.append("file", form.get("file"));
      const bar = importForm.querySelector("progress");
      const out = importForm.querySelector(".result");
      const table = document.getElementById("import-errors");
      const rows = table.querySelector("tbody");
      rows.replaceChildren();
      table.hidden = true;
      out.hidden = true;
      bar.hidden = false;
      bar.value = 0;
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/imports/" + form.get("what"));
      xhr.setRequestHeader("X-CSRF-Token", cookie("fw_csrf"));
      xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; });
      setBusy(1);
      xhr.addEventListener("loadend", () => {
        setBusy(-1);
        bar.hidden = true;
        let data = {};
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
        if (xhr.status >= 200 && xhr.status < 300) {
          show(out, messages["imports.ok"] + ": " + data.rows + " (+" + data.created + ", ~" + data.updated + ")", false);
          return;
        }
        show(out, messages["imports.failed"] + " — " + errorText({ data: data, status: xhr.status }), true);
        (data.rows || []).forEach((r) => {
          const tr = document.createElement("tr");
          [r.line, r.field || "", r.message].forEach((v) => {
            const td = document.createElement("td");
            td.textContent = v;
            tr.appendChild(td);
          });
          rows.appendChild(tr);
        });
        table.hidden = !(data.rows || []).length;
      });
      xhr.send(upload);
    });
  }

  // Report downloads: fetched with the busy indicator showing while the file is generated.
  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a.busy-link");
    if (!link) return;
    event.preventDefault();
    setBusy(1);
    try {
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok) {
        let data = {};
        try { data = await response.json(); } catch (e) { data = {}; }
        window.alert(errorText({ data: data, status: response.status }));
        return;
      }
      const disposition = response.headers.get("Content-Disposition") || "";
      const match = /filename\*?=(?:UTF-8'')?"?([^";]+)/i.exec(disposition);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(await response.blob());
      a.download = match ? decodeURIComponent(match[1]) : "report";
      document.body.appendChild(a);
      a.click();
      a.remove();
    } finally {
      setBusy(-1);
    }
  });

  // Live updates: poll /live every data-poll seconds; re-read the page's content when its fingerprint changes.
  const seconds = Number(document.body.dataset.poll || 0);
  let version = null;
  async function refresh() {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("content");
    if (fresh) document.getElementById("content").replaceChildren(...fresh.childNodes);
  }
  async function poll() {
    const active = document.activeElement;
    const typing = active && active.closest("#content") && /INPUT|SELECT|TEXTAREA/.test(active.tagName);
    const unit = document.body.dataset.unit;
    try {
      const response = await fetch("/live" + (unit ? "?unit=" + unit : ""), { credentials: "same-origin" });
      if (response.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname)); return; }
      const data = await response.json();
      if (version !== null && data.version !== version && !typing) await refresh();
      if (!typing) version = data.version;
    } catch (e) { /* offline for a moment: try again next time */ }
  }
  if (seconds > 0) {
    poll();
    window.setInterval(poll, seconds * 1000);
  }
})();
