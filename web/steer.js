// Steering: every way of moving the camera goes through one queue with at most one request in
// flight. Moves are absolute (/api/move?pan=&tilt=), computed from the last known target, so a
// held button sends one small move per tick and nothing piles up or drifts on a slow camera.
import { call, cam, query } from "./api.js";

const MOVE_TIMEOUT_MS = 6000; // the relay gives up on the camera after 5 s
const TICK_MS = 150;          // while held: one move per tick at most
const FIRST_REPEAT_MS = 350;  // a short click or key tap is one step, not two
export const STEP_DEG = 5;    // one click, key press or tick of a held button

// Pan increases to the LEFT and tilt DOWNWARD (docs/API.md), so these are the signs.
const DIRECTIONS = {
    left: [STEP_DEG, 0],
    right: [-STEP_DEG, 0],
    up: [0, -STEP_DEG],
    down: [0, STEP_DEG],
};
const KEYS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };

/*
 * hooks.onAngles(pan, tilt): the target changed (a move's answer, or the status).
 * hooks.onError(text): a move failed, in words for the person.
 * hooks.onForbidden(text): the relay says this account may not steer.
 */
export function createSteering(hooks) {
    const s = {
        isEnabled: false,
        target: null, // {pan, tilt}: where the relay says the camera is going
        limits: { pan: [0, 180], tilt: [0, 180] },
        isInFlight: false,
        sending: null, // {pan, tilt} of the move in flight, if it is one
        want: null, // the next command; a newer one replaces it
        answeredAt: 0, // when the last move's answer arrived: older status answers lose to it
    };
    let hold = null; // {vPan, vTilt, aim, timer, button}

    function clamp(v, range) {
        return Math.min(range[1], Math.max(range[0], v));
    }

    function setTarget(pan, tilt) {
        if (typeof pan !== "number" || typeof tilt !== "number") return;
        s.target = { pan, tilt };
        hooks.onAngles(pan, tilt);
    }

    function command(cmd) {
        if (!s.isEnabled) return;
        s.want = cmd;
        pump();
    }

    function pump() {
        if (s.isInFlight || s.want === null) return;
        const cmd = s.want;
        s.want = null;
        let path;
        if (cmd.kind === "move") {
            const pan = Math.round(cmd.pan);
            const tilt = Math.round(cmd.tilt);
            if (s.target && pan === s.target.pan && tilt === s.target.tilt) return;
            path = cam("/api/move?" + query({ pan, tilt }));
            s.sending = { pan, tilt };
        } else if (cmd.kind === "home") {
            path = cam("/api/home");
        } else {
            path = cam("/api/presets/recall?" + query({ name: cmd.name }));
        }
        s.isInFlight = true;
        call("POST", path, MOVE_TIMEOUT_MS)
            .then((a) => {
                s.answeredAt = Date.now();
                setTarget(a.pan, a.tilt);
            })
            .catch((err) => {
                if (err.status === 401) return; // on the way to the login page
                if (err.status === 403) hooks.onForbidden(err.message);
                // The relay's queue for the camera is full: the next tick tries again.
                else if (err.status !== 503 || !/too many moves/.test(err.message))
                    hooks.onError("Could not move: " + err.message);
            })
            .finally(() => {
                s.isInFlight = false;
                s.sending = null;
                pump();
            });
    }

    // Where the next relative step starts: the move waiting, else the one in flight, else the
    // known target. So two quick clicks on a slow camera make two steps, not one.
    function base() {
        if (s.want && s.want.kind === "move") return { pan: s.want.pan, tilt: s.want.tilt };
        if (s.sending) return { pan: s.sending.pan, tilt: s.sending.tilt };
        return s.target ? { pan: s.target.pan, tilt: s.target.tilt } : null;
    }

    function moveTo(pan, tilt) {
        const from = base();
        command({
            kind: "move",
            pan: clamp(typeof pan === "number" ? pan : from ? from.pan : 90, s.limits.pan),
            tilt: clamp(typeof tilt === "number" ? tilt : from ? from.tilt : 90, s.limits.tilt),
        });
    }

    function moveBy(dPan, dTilt) {
        const from = base();
        if (from) moveTo(from.pan + dPan, from.tilt + dTilt);
    }

    // --- holding: buttons, keys and the joystick -----------------------------------------

    function tick() {
        if (!hold || s.isInFlight || !s.target) return;
        if (!hold.aim) hold.aim = { pan: s.target.pan, tilt: s.target.tilt };
        hold.aim.pan = clamp(hold.aim.pan + hold.vPan, s.limits.pan);
        hold.aim.tilt = clamp(hold.aim.tilt + hold.vTilt, s.limits.tilt);
        command({ kind: "move", pan: hold.aim.pan, tilt: hold.aim.tilt });
    }

    // Keep moving by (vPan, vTilt) degrees per tick until stopHold(); the first step is now.
    function startHold(vPan, vTilt, button) {
        stopHold();
        if (!s.isEnabled) return;
        hold = { vPan, vTilt, aim: null, timer: null, button };
        if (button) button.classList.add("is-pressed");
        const from = base();
        if (from && (vPan !== 0 || vTilt !== 0)) {
            hold.aim = from;
            hold.aim.pan = clamp(from.pan + vPan, s.limits.pan);
            hold.aim.tilt = clamp(from.tilt + vTilt, s.limits.tilt);
            command({ kind: "move", pan: hold.aim.pan, tilt: hold.aim.tilt });
        }
        const h = hold;
        h.timer = setTimeout(function repeat() {
            if (hold !== h) return;
            tick();
            h.timer = setTimeout(repeat, TICK_MS);
        }, button === null && vPan === 0 && vTilt === 0 ? TICK_MS : FIRST_REPEAT_MS);
    }

    // The joystick changes speed while held; it starts with (0, 0).
    function setVelocity(vPan, vTilt) {
        if (!hold) startHold(0, 0, null);
        if (hold) {
            hold.vPan = vPan;
            hold.vTilt = vTilt;
        }
    }

    function stopHold() {
        if (!hold) return;
        clearTimeout(hold.timer);
        if (hold.button) hold.button.classList.remove("is-pressed");
        hold = null;
    }

    // --- the pad and the keyboard ---------------------------------------------------------

    function bindPad(root) {
        root.querySelectorAll(".pad[data-move]").forEach((b) => {
            const [dPan, dTilt] = DIRECTIONS[b.dataset.move];
            b.addEventListener("pointerdown", (e) => {
                if (e.button !== 0) return;
                e.preventDefault(); // no focus flash, no text selection on a long press
                if (b.setPointerCapture) b.setPointerCapture(e.pointerId);
                startHold(dPan, dTilt, b);
            });
            for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
                b.addEventListener(type, () => {
                    if (hold && hold.button === b) stopHold();
                });
            }
            b.addEventListener("contextmenu", (e) => e.preventDefault());
            // Enter or Space on a focused button is a click with detail 0; pointer clicks
            // (detail > 0) were handled on pointerdown.
            b.addEventListener("click", (e) => {
                if (e.detail === 0) moveBy(dPan, dTilt);
            });
        });
        const home = root.querySelector("#home");
        if (home) home.addEventListener("click", () => command({ kind: "home" }));
    }

    // Typing in a field (a preset's name) must not steer.
    function isTyping(e) {
        const t = e.target;
        return t instanceof HTMLElement &&
            (t.isContentEditable || t.tagName === "INPUT" || t.tagName === "TEXTAREA" ||
             t.tagName === "SELECT");
    }

    function bindKeys(doc) {
        doc.addEventListener("keydown", (e) => {
            if (!s.isEnabled || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || isTyping(e))
                return;
            if (e.key === "Home") {
                e.preventDefault();
                if (!e.repeat) command({ kind: "home" });
                return;
            }
            const dir = KEYS[e.key];
            if (!dir) return;
            e.preventDefault(); // arrows would scroll the page
            if (e.repeat || (hold && hold.key === dir)) return; // our timer repeats, not the keyboard
            const [dPan, dTilt] = DIRECTIONS[dir];
            startHold(dPan, dTilt, doc.querySelector(`.pad[data-move="${dir}"]`));
            if (hold) hold.key = dir;
        });
        doc.addEventListener("keyup", (e) => {
            if (hold && KEYS[e.key] === hold.key) stopHold();
        });
        // A key or finger released outside the window would otherwise keep the camera turning.
        window.addEventListener("blur", stopHold);
        doc.addEventListener("visibilitychange", () => {
            if (doc.hidden) stopHold();
        });
    }

    return {
        bindPad,
        bindKeys,
        moveTo,
        moveBy,
        setVelocity,
        stopHold,
        home: () => command({ kind: "home" }),
        recall: (name) => command({ kind: "recall", name }),
        get target() {
            return s.target;
        },
        get limits() {
            return s.limits;
        },
        // Another camera is shown: forget this one's target, limits and waiting moves.
        reset() {
            stopHold();
            s.want = null;
            s.target = null;
            s.limits = { pan: [0, 180], tilt: [0, 180] };
            s.answeredAt = Date.now();
        },
        setEnabled(on) {
            s.isEnabled = on;
            if (!on) {
                stopHold();
                s.want = null;
            }
        },
        // A status answer from a request that left at startedAt: limits always, angles unless
        // a move is under way or answered since (its answer is newer).
        fromStatus(st, startedAt) {
            if (st.limits && Array.isArray(st.limits.pan) && Array.isArray(st.limits.tilt))
                s.limits = { pan: st.limits.pan, tilt: st.limits.tilt };
            const isBusy = s.isInFlight || s.want !== null || hold !== null;
            if (s.target === null || (!isBusy && startedAt >= s.answeredAt))
                setTarget(st.pan, st.tilt);
        },
    };
}
