// Alerts: whether events are pushed to phones and hooks now (the relay's ALERT_SCHEDULE and
// snooze, GET /api/alerts), and for operators a button that snoozes them for an hour or resumes
// them (POST /api/alerts/snooze). Recording goes on either way.
import { call, query } from "./api.js";

const TIMEOUT_MS = 5000;
const REFRESH_MS = 30000;
const SNOOZE_MINUTES = 60;

function clock(unixS) {
    return new Date(unixS * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/*
 * el: {box, text, button}.
 * hooks.onError(text), hooks.onInfo(text): messages for the person.
 */
export function createAlerts(el, hooks) {
    let state = null;
    let mayChange = false;
    let isStarted = false;

    function render() {
        el.box.hidden = state === null;
        if (state === null) return;
        const until = state.snoozed_until_unix;
        if (until) el.text.textContent = `Alerts snoozed until ${clock(until)}`;
        else if (state.armed) el.text.textContent = "Alerts on";
        else el.text.textContent = "Alerts off (schedule)";
        el.box.classList.toggle("is-off", !state.armed);
        el.button.hidden = !mayChange || (!until && !state.armed);
        el.button.textContent = until ? "Resume" : "Snooze 1 h";
        el.button.setAttribute("aria-label", until ? "Resume alerts now"
                                                   : "Snooze alerts for one hour");
    }

    async function refresh() {
        try {
            state = await call("GET", "/api/alerts", TIMEOUT_MS);
        } catch {
            return; // the status poll reports a relay that is away
        }
        render();
    }

    el.button.addEventListener("click", async () => {
        const minutes = state && state.snoozed_until_unix ? 0 : SNOOZE_MINUTES;
        el.button.disabled = true;
        try {
            state = await call("POST", "/api/alerts/snooze?" + query({ minutes }), TIMEOUT_MS);
            hooks.onInfo(minutes ? "Alerts snoozed for an hour" : "Alerts resumed");
        } catch (err) {
            hooks.onError(`Cannot change the alerts: ${err.message}`);
        } finally {
            el.button.disabled = false;
        }
        render();
    });

    return {
        // Once a login (not a guest link) is known; later calls do nothing.
        start() {
            if (isStarted) return;
            isStarted = true;
            refresh();
            setInterval(refresh, REFRESH_MS);
        },
        setEnabled(isEnabled) {
            mayChange = isEnabled;
            render();
        },
    };
}
