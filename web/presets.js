// Presets: named positions stored by the relay and shared by everyone who logs in. Save the
// current position under a name, recall one (through the steering queue), delete one (a second
// click confirms). Operators only: the panel stays hidden for viewers.
import { call, cam, query } from "./api.js";

const TIMEOUT_MS = 5000;
const CONFIRM_MS = 4000;
const REFRESH_MS = 15000; // others may add or delete presets meanwhile
const NAME_RE = /^[A-Za-z0-9 _.-]{1,32}$/;

const TRASH_ICON =
    '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" ' +
    'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">' +
    '<path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/></svg>';

/*
 * el: {panel, list, empty, form, name, rule}.
 * hooks.onError(text), hooks.onInfo(text): messages for the person.
 */
export function createPresets(el, steering, hooks) {
    let presets = [];
    let isEnabled = false;
    let refreshTimer = null;

    function isCurrent(p) {
        const t = steering.target;
        return !!t && t.pan === p.pan && t.tilt === p.tilt;
    }

    function item(p) {
        const li = document.createElement("li");
        li.className = "preset";

        const go = document.createElement("button");
        go.type = "button";
        go.className = "preset-go";
        go.dataset.name = p.name;
        go.setAttribute("aria-label", `Go to ${p.name} (pan ${p.pan}°, tilt ${p.tilt}°)`);
        const name = document.createElement("span");
        name.className = "preset-name";
        name.textContent = p.name;
        const angles = document.createElement("span");
        angles.className = "preset-angles";
        angles.textContent = `${p.pan}° · ${p.tilt}°`;
        angles.setAttribute("aria-hidden", "true");
        go.append(name, angles);
        go.addEventListener("click", () => steering.recall(p.name));

        const del = document.createElement("button");
        del.type = "button";
        del.className = "preset-delete";
        del.setAttribute("aria-label", `Delete ${p.name}`);
        del.title = "Delete";
        del.innerHTML = TRASH_ICON; // a constant: names only ever go in as textContent
        let confirmTimer = null;
        del.addEventListener("click", () => {
            if (!del.classList.contains("is-confirming")) {
                del.classList.add("is-confirming");
                del.textContent = "Delete?";
                del.setAttribute("aria-label", `Really delete ${p.name}? Click again`);
                confirmTimer = setTimeout(() => {
                    del.classList.remove("is-confirming");
                    del.innerHTML = TRASH_ICON;
                    del.setAttribute("aria-label", `Delete ${p.name}`);
                }, CONFIRM_MS);
                return;
            }
            clearTimeout(confirmTimer);
            change("delete", p.name).then(() => hooks.onInfo(`Deleted “${p.name}”`), () => {});
        });

        li.append(go, del);
        return li;
    }

    function render() {
        // Keep focus on the same preset across a re-render (keyboard users).
        const focused = document.activeElement;
        const focusName = focused && el.list.contains(focused) && focused.classList.contains("preset-go")
            ? focused.dataset.name : null;
        el.list.replaceChildren(...presets.map(item));
        el.empty.hidden = presets.length > 0;
        markCurrent();
        if (focusName !== null) {
            const again = Array.from(el.list.querySelectorAll(".preset-go"))
                .find((b) => b.dataset.name === focusName);
            if (again) again.focus();
        }
    }

    function markCurrent() {
        el.list.querySelectorAll(".preset-go").forEach((b) => {
            const p = presets.find((q) => q.name === b.dataset.name);
            const on = !!p && isCurrent(p);
            b.classList.toggle("is-current", on);
            if (on) b.setAttribute("aria-current", "true");
            else b.removeAttribute("aria-current");
        });
    }

    function accept(answer) {
        if (answer && Array.isArray(answer.presets)) {
            presets = answer.presets;
            render();
        }
    }

    function load() {
        return call("GET", cam("/api/presets"), TIMEOUT_MS).then(accept, () => {});
    }

    function change(action, name) {
        return call("POST", cam(`/api/presets/${action}?` + query({ name })), TIMEOUT_MS).then(accept, (err) => {
            if (err.status !== 401) hooks.onError(`Could not ${action} the preset: ${err.message}`);
            load();
            throw err;
        });
    }

    function validate() {
        const name = el.name.value.trim();
        const ok = NAME_RE.test(name);
        el.name.setAttribute("aria-invalid", String(!ok && el.name.value !== ""));
        el.rule.classList.toggle("is-error", !ok && el.name.value !== "");
        return ok ? name : null;
    }

    el.name.addEventListener("input", validate);
    el.form.addEventListener("submit", (e) => {
        e.preventDefault();
        const name = validate();
        if (name === null) {
            el.name.setAttribute("aria-invalid", "true");
            el.rule.classList.add("is-error");
            el.name.focus();
            return;
        }
        change("save", name).then(() => {
            el.name.value = "";
            validate();
            hooks.onInfo(`Saved “${name}”`);
        }, () => {});
    });

    window.addEventListener("focus", () => {
        if (isEnabled) load();
    });

    return {
        setEnabled(on) {
            if (on === isEnabled) return;
            isEnabled = on;
            el.panel.hidden = !on;
            clearInterval(refreshTimer);
            if (on) {
                load();
                refreshTimer = setInterval(load, REFRESH_MS);
            }
        },
        markCurrent,
        // Another camera is shown: its presets, not the last one's.
        reload() {
            presets = [];
            render();
            if (isEnabled) load();
        },
    };
}
