// The manage page: guest links (operators), accounts and the audit log (admins), and one's own
// sessions and password (everyone). Every list is rendered with textContent: names, labels and
// addresses come from users and are never parsed as HTML.
import { call } from "./api.js";

const TIMEOUT_MS = 5000;
const $ = (id) => document.getElementById(id);
const RANK = { viewer: 1, operator: 2, admin: 3 };

function notice(text, isError) {
    const n = $("notice");
    n.textContent = text;
    n.className = "notice" + (isError ? " is-error" : "");
    n.hidden = !text;
}

function failed(err) {
    notice(err.message || String(err), true);
}

function when(seconds) {
    if (!seconds) return "never";
    return new Date(seconds * 1000).toLocaleString();
}

function ago(seconds) {
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " days ago";
}

function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
}

function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button button-quiet";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
}

function fill(tbody, items, render) {
    tbody.replaceChildren();
    for (const item of items) {
        const tr = document.createElement("tr");
        render(tr, item);
        tbody.appendChild(tr);
    }
}

// --- guest links -------------------------------------------------------------------------

function showLinks(answer) {
    fill($("link-list"), answer.links, (tr, l) => {
        if (l.state !== "live") tr.className = "is-dead";
        cell(tr, l.label || "—");
        cell(tr, l.cameras.join(", "));
        cell(tr, l.creator);
        cell(tr, when(l.expires));
        cell(tr, l.last_used ? when(l.last_used) + ` (${l.uses}×)` : "never");
        cell(tr, l.state);
        const td = cell(tr, "");
        if (l.state === "live") {
            td.appendChild(button("Revoke", () => {
                call("POST", "/api/shares/revoke", TIMEOUT_MS, { id: l.id })
                    .then((a) => { showLinks(a); notice(`Link for ${l.label || "guest"} revoked.`); })
                    .catch(failed);
            }));
        }
    });
}

function loadLinks() {
    return call("GET", "/api/shares", TIMEOUT_MS).then(showLinks);
}

$("link-expires").addEventListener("change", () => {
    $("link-at").hidden = $("link-expires").value !== "at";
});

$("link-form").addEventListener("submit", (e) => {
    e.preventDefault();
    let expires = $("link-expires").value;
    if (expires === "tonight") {
        // 06:00 tomorrow on this browser's clock (the babysitter's evening is local time).
        const t = new Date();
        if (t.getHours() >= 6) t.setDate(t.getDate() + 1);
        t.setHours(6, 0, 0, 0);
        expires = String(Math.floor(t.getTime() / 1000));
    } else if (expires === "at") {
        const t = new Date($("link-at").value);
        if (isNaN(t)) {
            notice("Pick the time the link ends.", true);
            return;
        }
        expires = String(Math.floor(t.getTime() / 1000));
    }
    const form = { expires, label: $("link-label").value.trim() };
    const cameras = $("link-cameras").value.replace(/\s+/g, "");
    if (cameras) form.cameras = cameras;
    call("POST", "/api/shares", TIMEOUT_MS, form)
        .then((a) => {
            $("link-url").value = a.url;
            $("link-made").hidden = false;
            notice("Link made: send it to your guest. It is shown only this once.");
            return loadLinks();
        })
        .catch(failed);
});

$("link-copy").addEventListener("click", () => {
    const url = $("link-url").value;
    if (navigator.clipboard) navigator.clipboard.writeText(url).then(() => notice("Copied."), () => {});
    $("link-url").select();
});

// --- accounts ----------------------------------------------------------------------------

function showAccounts(a) {
    const err = $("accounts-error");
    err.textContent = a.error ? "USERS_FILE does not read, the last good accounts are in use: " + a.error : "";
    err.hidden = !a.error;
    $("account-form").hidden = !a.is_editable;
    fill($("account-list"), a.accounts, (tr, u) => {
        cell(tr, u.name + (u.is_fixed ? " (.env)" : ""));
        const roleCell = cell(tr, u.is_fixed ? u.role : "");
        if (!u.is_fixed && a.is_editable) {
            const sel = document.createElement("select");
            sel.setAttribute("aria-label", `Role of ${u.name}`);
            for (const r of ["viewer", "operator", "admin"]) sel.add(new Option(r, r, false, r === u.role));
            sel.addEventListener("change", () => change({ name: u.name, role: sel.value }));
            roleCell.appendChild(sel);
        } else if (!u.is_fixed) {
            roleCell.textContent = u.role;
        }
        cell(tr, u.cameras ? u.cameras.replace(/,/g, ", ") : "all");
        cell(tr, String(u.sessions));
        const td = cell(tr, "");
        if (!u.is_fixed && a.is_editable) {
            td.appendChild(button("Cameras", () => {
                const list = prompt(`Cameras ${u.name} may see, comma-separated (empty: all)`, u.cameras);
                if (list !== null) change({ name: u.name, cameras: list.replace(/\s+/g, "") });
            }));
            td.appendChild(button("Reset password", () => {
                const pw = prompt(`New password for ${u.name} (8 or more characters). Their sessions will end.`);
                if (pw) change({ name: u.name, password: pw });
            }));
            td.appendChild(button("Remove", () => {
                if (confirm(`Remove ${u.name}? Their sessions and streams end now.`)) {
                    call("POST", "/api/accounts/remove", TIMEOUT_MS, { name: u.name })
                        .then((x) => { showAccounts(x); notice(`${u.name} removed.`); }).catch(failed);
                }
            }));
        }
    });
}

function change(form) {
    call("POST", "/api/accounts/change", TIMEOUT_MS, form)
        .then((x) => { showAccounts(x); notice(`${form.name} changed.`); })
        .catch((e) => { failed(e); loadAccounts(); });
}

function loadAccounts() {
    return call("GET", "/api/accounts", TIMEOUT_MS).then(showAccounts);
}

$("account-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = { name: $("account-name").value, role: $("account-role").value,
        password: $("account-password").value };
    const cameras = $("account-cameras").value.replace(/\s+/g, "");
    if (cameras) form.cameras = cameras;
    call("POST", "/api/accounts/add", TIMEOUT_MS, form)
        .then((x) => {
            showAccounts(x);
            notice(`${form.name} can log in now.`);
            $("account-form").reset();
        })
        .catch(failed);
});

// --- audit -------------------------------------------------------------------------------

const SKIP = new Set(["t", "ts", "action", "user", "address"]);

function loadAudit() {
    const params = new URLSearchParams();
    if ($("audit-user").value) params.set("user", $("audit-user").value);
    if ($("audit-action").value) params.set("action", $("audit-action").value);
    const since = new Date($("audit-since").value);
    if (!isNaN(since)) params.set("since", String(Math.floor(since.getTime() / 1000)));
    return call("GET", "/api/audit?" + params.toString(), TIMEOUT_MS).then((a) => {
        $("audit-off").hidden = a.enabled;
        fill($("audit-list"), a.entries, (tr, e) => {
            cell(tr, new Date(e.t * 1000).toLocaleString());
            cell(tr, e.user || "—");
            cell(tr, e.action);
            cell(tr, e.address || "—");
            cell(tr, Object.keys(e).filter((k) => !SKIP.has(k)).map((k) => `${k}=${e[k]}`).join(" "),
                "details");
        });
    });
}

$("audit-form").addEventListener("submit", (e) => {
    e.preventDefault();
    loadAudit().catch(failed);
});

// --- my sessions and password ------------------------------------------------------------

function showSessions(a) {
    fill($("session-list"), a.sessions, (tr, s) => {
        cell(tr, (s.address || "?") + (s.is_current ? " (this browser)" : ""));
        cell(tr, ago(s.age_s));
        cell(tr, ago(s.idle_s));
        const td = cell(tr, "");
        if (!s.is_current) {
            td.appendChild(button("End", () => {
                call("POST", "/api/sessions/end", TIMEOUT_MS, { id: s.id }).then(showSessions).catch(failed);
            }));
        }
    });
}

$("end-others").addEventListener("click", () => {
    call("POST", "/api/sessions/end", TIMEOUT_MS, { all: "1" })
        .then((a) => { showSessions(a); notice("Every other session has ended."); })
        .catch(failed);
});

$("password-form").addEventListener("submit", (e) => {
    e.preventDefault();
    call("POST", "/api/account/password", TIMEOUT_MS,
        { current: $("pw-current").value, password: $("pw-new").value })
        .then(() => {
            notice("Password changed; your other sessions have ended.");
            $("password-form").reset();
            return call("GET", "/api/sessions", TIMEOUT_MS).then(showSessions);
        })
        .catch(failed);
});

// --- start -------------------------------------------------------------------------------

call("GET", "/api/status", TIMEOUT_MS).then((s) => {
    $("who").textContent = `${s.user} (${s.role})`;
    const rank = RANK[s.role] || 0;
    $("links").hidden = rank < RANK.operator;
    $("accounts").hidden = rank < RANK.admin;
    $("audit").hidden = rank < RANK.admin;
    const loads = [call("GET", "/api/sessions", TIMEOUT_MS).then(showSessions)];
    loads.push(call("GET", "/api/cameras", TIMEOUT_MS).then((c) => {
        const names = c.cameras.map((x) => x.name);
        $("link-cameras").placeholder = (c.default || names[0] || "this camera") +
            (names.length > 1 ? ` (of ${names.join(", ")})` : "");
    }));
    if (rank >= RANK.operator) loads.push(loadLinks());
    if (rank >= RANK.admin) loads.push(loadAccounts(), loadAudit());
    return Promise.all(loads);
}).catch(failed);
