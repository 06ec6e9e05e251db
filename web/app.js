// Lookout page: status, the position map and the pieces wired together. No inline script: the
// CSP is default-src 'self'. Modules: api.js (the relay's JSON API), picture.js (the stream,
// aiming, full screen, snapshot), steer.js (the move queue, pad and keys), joystick.js,
// presets.js, cameras.js (the list of cameras, the overview, #/c/NAME in the URL), alerts.js.
import { createAlerts } from "./alerts.js";
import { call, cam, setCameraPrefix } from "./api.js";
import { createCameras } from "./cameras.js";
import { bindJoystick } from "./joystick.js";
import { createPicture } from "./picture.js";
import { createEvents } from "./events.js";
import { createPresets } from "./presets.js";
import { createSteering } from "./steer.js";

const STATUS_INTERVAL_MS = 1000;
const STATUS_HIDDEN_INTERVAL_MS = 5000;
const STATUS_TIMEOUT_MS = 3000;
const PICTURE_PATIENCE_MS = 6000; // online but no picture for this long: restart the stream
const MESSAGE_MS = 4000;
const LATE_MS = 1000; // a picture older than this is shown as late

const $ = (id) => document.getElementById(id);
const el = {
    badge: $("badge"),
    badgeText: $("badge-text"),
    fps: $("fps"),
    viewers: $("viewers"),
    userName: $("user-name"),
    roleTag: $("role-tag"),
    overlay: $("overlay"),
    overlayTitle: $("overlay-title"),
    overlayDetail: $("overlay-detail"),
    message: $("message"),
    aimHint: $("aim-hint"),
    steer: $("steer"),
    map: $("map"),
    mapView: $("map-view"),
    mapDot: $("map-dot"),
    pan: $("pan"),
    tilt: $("tilt"),
    anglesNote: $("angles-note"),
    lag: $("lag"),
};

const state = {
    online: null, // null until the first answer from /api/status
    isReachable: true,
    wasUnreachable: false,
    offlineReason: "",
    role: null,
    fovDeg: 60,
    isConfirmed: true,
    limits: null, // the map is laid out for these
    pictureSince: Date.now(), // when the stream was last (re)started
    view: null, // "camera" or "overview"; null until the list of cameras is known
    camera: null, // the name of the camera shown
    cameraSeq: 0, // changes with every camera shown: older status answers are dropped
};

// --- messages ----------------------------------------------------------------------------

let messageTimer = null;
function showMessage(text) {
    el.message.textContent = text;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => {
        el.message.textContent = "";
    }, MESSAGE_MS);
}

// --- the pieces --------------------------------------------------------------------------

const picture = createPicture({
    viewer: $("viewer"),
    frame: $("frame"),
    live: $("live"),
    marker: $("aim-marker"),
    fullscreen: $("fullscreen"),
    fullscreenText: $("fullscreen-text"),
    snapshot: $("snapshot"),
    rate: $("rate"),
}, () => render());

const steering = createSteering({
    onAngles: (pan, tilt) => {
        showAngles(pan, tilt);
        presets.markCurrent();
    },
    onError: showMessage,
    onForbidden: (text) => {
        showMessage(text);
        setRole("viewer");
    },
});

const presets = createPresets({
    panel: $("presets"),
    list: $("preset-list"),
    empty: $("preset-empty"),
    form: $("preset-form"),
    name: $("preset-name"),
    rule: $("preset-rule"),
}, steering, { onError: showMessage, onInfo: showMessage });

const alerts = createAlerts({
    box: $("alerts"),
    text: $("alerts-text"),
    button: $("alerts-snooze"),
}, { onError: showMessage, onInfo: showMessage });

const events = createEvents({
    events: $("events"),
    timeline: $("timeline"),
    now: $("timeline-now"),
    list: $("event-list"),
    empty: $("events-empty"),
    count: $("events-count"),
    player: $("player"),
    playerImg: $("player-img"),
    playerTitle: $("player-title"),
    seek: $("player-seek"),
    download: $("player-download"),
    del: $("player-delete"),
    close: $("player-close"),
    maskEdit: $("mask-edit"),
    maskPanel: $("mask-panel"),
    maskLayer: $("mask-layer"),
    sensitivity: $("mask-sensitivity"),
    sensitivityValue: $("mask-sensitivity-value"),
    maskSave: $("mask-save"),
    maskClear: $("mask-clear"),
    maskCancel: $("mask-cancel"),
}, { onError: showMessage, onInfo: showMessage });

steering.bindPad(el.steer);
steering.bindKeys(document);
bindJoystick($("joystick"), $("joystick-knob"), steering);
const canSteer = (role) => role === "operator" || role === "admin";
picture.bindAim(steering, () => state.fovDeg, () => canSteer(state.role));

// --- badge and overlay -------------------------------------------------------------------

function setBadge(kind, text) {
    el.badge.className = "badge is-" + kind;
    el.badgeText.textContent = text;
}

function showOverlay(kind, title, detail) {
    el.overlay.className = "overlay" + (kind === "offline" ? " is-offline" : "");
    el.overlayTitle.textContent = title;
    el.overlayDetail.textContent = detail || "";
}

function hideOverlay() {
    el.overlay.className = "overlay is-gone";
}

// "standby" (nobody watched until now) and "connecting" are the relay waking up, not a fault.
function isStarting(reason) {
    return /^(standby|connecting)/.test(reason);
}

function render() {
    if (!state.isReachable) {
        setBadge("offline", "No connection");
        showOverlay("offline", "Relay unreachable", "Retrying every second…");
    } else if (state.online === null || (state.online === false && isStarting(state.offlineReason))) {
        setBadge("connecting", "Connecting");
        showOverlay("connecting", "Connecting to the camera…", "");
    } else if (state.online === false) {
        setBadge("offline", "Offline");
        const why = state.offlineReason;
        showOverlay("offline", "Camera offline",
            (why ? why.charAt(0).toUpperCase() + why.slice(1) + ". " : "") +
            "The picture comes back by itself.");
    } else if (!picture.hasPicture) {
        setBadge("live", "Live");
        showOverlay("connecting", "Waiting for the picture…", "");
    } else if (picture.ageMs > LATE_MS) {
        setBadge("late", (picture.ageMs / 1000).toFixed(1) + " s late");
        hideOverlay();
    } else {
        setBadge("live", "Live");
        hideOverlay();
    }
    showLag();
    $("frame").classList.toggle("is-broken", !picture.hasPicture);
}

// A slow connection: say how late the picture is, and offer the lighter stream.
function showLag() {
    const late = state.isReachable && state.online && picture.ageMs > LATE_MS;
    el.lag.hidden = !late;
    if (!late) return;
    const s = (picture.ageMs / 1000).toFixed(1);
    el.lag.textContent = "Slow connection: the picture is " + s + " s late. " +
        (picture.rate === "" || Number(picture.rate) > 2
            ? "A lower rate gets fresher pictures."
            : "Moves show up late.");
}

// --- the position map --------------------------------------------------------------------

// The map's coordinates are degrees: x = pan_max - pan (pan grows to the left), y = tilt - tilt_min.
function layoutMap(limits) {
    const w = Math.max(1, limits.pan[1] - limits.pan[0]);
    const h = Math.max(1, limits.tilt[1] - limits.tilt[0]);
    el.map.setAttribute("viewBox", `0 0 ${w} ${h}`);
    const range = el.map.querySelector(".map-range");
    range.setAttribute("width", w);
    range.setAttribute("height", h);
    const [vAxis, hAxis] = el.map.querySelectorAll(".map-axis");
    const cx = w / 2;
    const cy = h / 2;
    vAxis.setAttribute("x1", cx);
    vAxis.setAttribute("x2", cx);
    vAxis.setAttribute("y2", h);
    hAxis.setAttribute("y1", cy);
    hAxis.setAttribute("y2", cy);
    hAxis.setAttribute("x2", w);
    const size = Math.min(w, h);
    const labels = el.map.querySelectorAll(".map-label");
    const places = [[size * 0.04, cy + size * 0.03], [w - size * 0.04, cy + size * 0.03],
                    [cx, size * 0.09], [cx, h - size * 0.04]];
    labels.forEach((t, i) => {
        t.setAttribute("x", places[i][0].toFixed(1));
        t.setAttribute("y", places[i][1].toFixed(1));
        t.setAttribute("font-size", (size * 0.075).toFixed(1));
    });
    el.mapDot.setAttribute("r", (size * 0.028).toFixed(1));
}

function showAngles(pan, tilt) {
    el.pan.textContent = Math.round(pan) + "°";
    el.tilt.textContent = Math.round(tilt) + "°";
    el.anglesNote.textContent = "estimated: the camera does not report its angles";
    el.anglesNote.hidden = state.isConfirmed;
    const lim = steering.limits;
    if (!state.limits || state.limits.pan[0] !== lim.pan[0] || state.limits.pan[1] !== lim.pan[1] ||
        state.limits.tilt[0] !== lim.tilt[0] || state.limits.tilt[1] !== lim.tilt[1]) {
        state.limits = { pan: lim.pan.slice(), tilt: lim.tilt.slice() };
        layoutMap(state.limits);
    }
    const x = lim.pan[1] - pan;
    const y = tilt - lim.tilt[0];
    const live = $("live");
    const ar = live.naturalWidth > 0 && live.naturalHeight > 0 ? live.naturalWidth / live.naturalHeight : 4 / 3;
    const vw = state.fovDeg;
    const vh = state.fovDeg / ar;
    el.mapView.setAttribute("x", (x - vw / 2).toFixed(1));
    el.mapView.setAttribute("y", (y - vh / 2).toFixed(1));
    el.mapView.setAttribute("width", vw.toFixed(1));
    el.mapView.setAttribute("height", vh.toFixed(1));
    el.mapDot.setAttribute("cx", x.toFixed(1));
    el.mapDot.setAttribute("cy", y.toFixed(1));
    el.mapView.removeAttribute("hidden");
    el.mapDot.removeAttribute("hidden");
    el.map.setAttribute("aria-label",
        `Camera points at pan ${Math.round(pan)}°, tilt ${Math.round(tilt)}°, within pan ` +
        `${lim.pan[0]}–${lim.pan[1]}° and tilt ${lim.tilt[0]}–${lim.tilt[1]}°`);
}

// Clicking the map points the camera there (operators).
el.map.addEventListener("click", (e) => {
    if (!canSteer(state.role) || !state.limits) return;
    const m = el.map.getScreenCTM();
    if (!m) return;
    const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    steering.moveTo(state.limits.pan[1] - pt.x, state.limits.tilt[0] + pt.y);
});

// --- who is logged in --------------------------------------------------------------------

function setRole(role) {
    if (role === state.role) return;
    state.role = role;
    const mayMove = canSteer(role);
    el.steer.hidden = !mayMove;
    el.aimHint.hidden = !mayMove;
    el.roleTag.hidden = mayMove;
    document.body.classList.toggle("can-steer", mayMove);
    steering.setEnabled(mayMove);
    presets.setEnabled(mayMove);
    alerts.setEnabled(mayMove);
    events.setRole(mayMove);
}

// A guest link's page: watching only, nothing to log out of (the link ends by itself).
function showGuest() {
    if (document.body.classList.contains("is-guest")) return;
    document.body.classList.add("is-guest");
    el.roleTag.textContent = "guest link · view only";
    el.userName.textContent = "Guest";
    document.querySelector(".logout-form").hidden = true;
    $("manage-link").hidden = true;
}

// --- polling /api/status -----------------------------------------------------------------

function applyStatus(s, startedAt) {
    const wasUnreachable = state.wasUnreachable;
    state.isReachable = true;
    state.wasUnreachable = false;
    state.online = s.online !== false;
    state.offlineReason = s.offline_reason || "";
    state.isConfirmed = s.angles_confirmed !== false;
    if (typeof s.fov_deg === "number" && s.fov_deg > 0) state.fovDeg = s.fov_deg;
    el.fps.textContent = typeof s.fps === "number" ? s.fps.toFixed(1) : "–";
    el.viewers.textContent = typeof s.viewers === "number" ? String(s.viewers) : "–";
    if (typeof s.user === "string" && !s.is_guest) el.userName.textContent = s.user;
    if (s.is_guest) showGuest();
    else alerts.start(); // a guest link may not see the alert state
    setRole(["operator", "admin"].includes(s.role) ? s.role : "viewer");
    steering.fromStatus(s, startedAt);
    events.setRecording(s.recording === true);

    // The stream broke, the relay was away (its connection is gone), or no picture came for a
    // while although the camera is online: start the picture again.
    picture.check();
    const isStuck = state.online && !picture.hasPicture &&
        Date.now() - state.pictureSince > PICTURE_PATIENCE_MS;
    if (!picture.isPaused && (picture.isBroken || wasUnreachable || isStuck)) {
        state.pictureSince = Date.now();
        picture.reload();
    }
    render();
}

function pollStatus() {
    if (state.view !== "camera") {
        setTimeout(pollStatus, STATUS_INTERVAL_MS);
        return;
    }
    const startedAt = Date.now();
    const seq = state.cameraSeq;
    call("GET", cam("/api/status"), STATUS_TIMEOUT_MS)
        .then((s) => {
            if (seq === state.cameraSeq) applyStatus(s, startedAt);
        })
        .catch((err) => {
            if (err.status === 401 || seq !== state.cameraSeq) return;
            if (err.status === 404) {
                // The camera is gone (removed, or no longer this user's): back to the list.
                location.hash = "#/";
                return;
            }
            state.isReachable = false;
            state.wasUnreachable = true;
            el.fps.textContent = "–";
            el.viewers.textContent = "–";
            render();
        })
        .finally(() => {
            // Chained, not setInterval: a slow relay never has two status requests queued.
            setTimeout(pollStatus, document.hidden ? STATUS_HIDDEN_INTERVAL_MS : STATUS_INTERVAL_MS);
        });
}

document.addEventListener("visibilitychange", () => {
    if (!document.hidden) picture.check();
});

// --- cameras: one, or an overview of several ----------------------------------------------

const cameras = createCameras({
    overview: $("overview"),
    tiles: $("tiles"),
    empty: $("overview-empty"),
}, {
    onList: (a) => {
        if (typeof a.user === "string") el.userName.textContent = a.user;
        if (typeof a.role === "string") setRole(["operator", "admin"].includes(a.role) ? a.role : "viewer");
    },
});

function showCamera(name) {
    const list = cameras.list;
    const info = cameras.find(name);
    const isOnly = list.length === 1;
    // One camera: the page is the one it always was, on the original routes if it is the
    // relay's default camera.
    setCameraPrefix(isOnly && name === cameras.defaultName ? "" : "/c/" + name);
    const isSame = state.view === "camera" && state.camera === name;
    state.view = "camera";
    state.camera = name;
    cameras.hide();
    $("camera-view").hidden = false;
    $("stats").hidden = false;
    $("crumbs").hidden = isOnly;
    $("camera-title").textContent = info ? info.title || info.name : name;
    document.title = (isOnly ? "" : (info ? info.title || info.name : name) + " – ") + "Lookout";
    if (isSame) return;
    state.cameraSeq++;
    state.online = null;
    state.limits = null;
    state.isConfirmed = true;
    el.pan.textContent = "–";
    el.tilt.textContent = "–";
    el.fps.textContent = "–";
    el.viewers.textContent = "–";
    el.mapView.setAttribute("hidden", "");
    el.mapDot.setAttribute("hidden", "");
    steering.reset();
    presets.reload();
    events.refresh(); // this camera's events (the status says whether it records)
    state.pictureSince = Date.now();
    picture.reload();
    render();
}

function showOverview() {
    state.view = "overview";
    state.camera = null;
    state.cameraSeq++;
    steering.stopHold();
    picture.stop(); // the live stream's connection closes
    $("camera-view").hidden = true;
    $("stats").hidden = true;
    $("crumbs").hidden = true;
    document.title = "Cameras – Lookout";
    cameras.show();
}

// What the URL says: #/c/NAME opens that camera; otherwise one camera is shown as the page
// always was, several as the overview.
function route() {
    const list = cameras.list || [];
    const name = cameras.routed();
    if (name !== null && cameras.find(name)) showCamera(name);
    else if (list.length === 1) showCamera(list[0].name);
    else showOverview();
}

window.addEventListener("hashchange", () => {
    cameras.load().catch(() => {}).finally(route);
});

function start() {
    cameras.load().then(route, (err) => {
        if (err.status === 401) return;
        // No list (an older relay, or the relay is away): the default camera, as before.
        setTimeout(start, STATUS_INTERVAL_MS);
    });
}

render();
start();
pollStatus();
