// The live picture: the MJPEG stream read with fetch() (stream.js) and shown frame by frame in
// an <img>, kept at its own aspect ratio; how late it is (each frame's X-Timestamp against the
// page's clock); a frame-rate cap for slow links (?fps=N); click or tap to aim the camera at that
// point; full screen; snapshot download; the stream is let go while the tab stays hidden, so a
// forgotten tab does not keep the camera awake.
import { cam, here } from "./api.js";
import { canReadStreams, openStream } from "./stream.js";

const PAUSE_HIDDEN_MS = 30000;
const AGE_WINDOW = 8; // frames whose ages are looked at together
const RATE_KEY = "lookout.fps";

function pad2(n) {
    return (n < 10 ? "0" : "") + n;
}

function median(values) {
    const v = values.slice().sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : 0;
}

/*
 * el: {viewer, frame, live, marker, fullscreen, fullscreenText, snapshot, rate}.
 * onChange(): the picture appeared, broke, restarted or changed lateness; the page re-renders.
 */
export function createPicture(el, onChange) {
    const p = {
        hasPicture: false, isBroken: false, isPaused: false, isStopped: false, pauseTimer: null,
        stream: null, shownUrl: null, pendingUrl: null,
        offsetMs: null, // page clock minus relay clock, from the response head, in ms
        ages: [], ageMs: 0,
    };

    function storedRate() {
        try {
            return localStorage.getItem(RATE_KEY) || "";
        } catch (e) {
            return "";
        }
    }

    function streamUrl() {
        const fps = el.rate.value;
        return here(cam("/mjpeg?" + (fps ? "fps=" + encodeURIComponent(fps) + "&" : "") + "t=" + Date.now()));
    }

    function closeStream() {
        if (p.stream) p.stream.close();
        p.stream = null;
        for (const u of [p.pendingUrl, p.shownUrl]) if (u) URL.revokeObjectURL(u);
        p.pendingUrl = null;
        p.shownUrl = null;
    }

    /*
     * How late a frame is: the page's clock when its last byte arrived, less the relay's when the
     * camera's frame came in (X-Timestamp), less the clocks' offset measured on the response head
     * (which left the relay just before the first frame). A frame that seems early means the
     * head was held up: the offset is taken from it instead.
     */
    function noteAge(fields, atMs) {
        const ts = parseFloat(fields["x-timestamp"]);
        if (!(ts > 0) || p.offsetMs === null) return;
        let age = atMs - ts * 1000 - p.offsetMs;
        if (age < 0) {
            p.offsetMs += age;
            age = 0;
        }
        p.ages.push(age);
        if (p.ages.length > AGE_WINDOW) p.ages.shift();
        const before = p.ageMs;
        p.ageMs = median(p.ages);
        if (Math.round(before / 100) !== Math.round(p.ageMs / 100)) onChange();
    }

    function showFrame(blob) {
        // A frame that has not been decoded yet when the next arrives is dropped, never queued.
        if (p.pendingUrl) URL.revokeObjectURL(p.pendingUrl);
        p.pendingUrl = URL.createObjectURL(blob);
        el.live.src = p.pendingUrl;
    }

    function reload() {
        closeStream();
        p.hasPicture = false;
        p.isBroken = false;
        p.isPaused = false;
        p.isStopped = false;
        el.snapshot.href = here(cam("/snapshot.jpg"));
        p.offsetMs = null;
        p.ages = [];
        p.ageMs = 0;
        if (!canReadStreams) {
            el.live.src = streamUrl();
            onChange();
            return;
        }
        el.live.removeAttribute("src");
        p.stream = openStream(streamUrl(), {
            onHead: (relayNowS, atMs) => {
                p.offsetMs = relayNowS > 0 ? atMs - relayNowS * 1000 : null;
            },
            onFrame: (blob, fields, atMs) => {
                noteAge(fields, atMs);
                showFrame(blob);
            },
            onEnd: () => {
                p.stream = null;
                if (p.isPaused) return;
                p.isBroken = true;
                p.hasPicture = false;
                onChange();
            },
        });
        onChange();
    }

    // Let the stream go (the overview shows no live picture): its connection closes.
    function stop() {
        clearTimeout(p.pauseTimer);
        p.isPaused = true;
        p.isStopped = true;
        p.hasPicture = false;
        closeStream();
        el.live.removeAttribute("src");
    }

    el.rate.value = storedRate();
    if (el.rate.value !== storedRate()) el.rate.value = ""; // a value the list no longer has
    el.rate.addEventListener("change", () => {
        try {
            localStorage.setItem(RATE_KEY, el.rate.value);
        } catch (e) {
            // private mode: the choice lasts as long as the page
        }
        reload();
    });

    // Keep the frame at the stream's aspect ratio once the first frame tells us what it is.
    function check() {
        const w = el.live.naturalWidth;
        const h = el.live.naturalHeight;
        if (p.isPaused || !(w > 0 && h > 0)) return;
        el.frame.style.setProperty("--ar", (w / h).toFixed(4));
        if (!p.hasPicture || p.isBroken) {
            p.hasPicture = true;
            p.isBroken = false;
            onChange();
        }
    }

    el.live.addEventListener("load", () => {
        if (p.pendingUrl && el.live.src === p.pendingUrl) {
            if (p.shownUrl) URL.revokeObjectURL(p.shownUrl);
            p.shownUrl = p.pendingUrl;
            p.pendingUrl = null;
        }
        check();
    });
    el.live.addEventListener("error", () => {
        if (p.isPaused || !el.live.getAttribute("src")) return;
        if (p.stream) return; // one frame that did not decode; the next replaces it
        p.isBroken = true;
        p.hasPicture = false;
        onChange();
    });

    document.addEventListener("visibilitychange", () => {
        clearTimeout(p.pauseTimer);
        if (document.hidden) {
            p.pauseTimer = setTimeout(() => {
                p.isPaused = true;
                closeStream();
                el.live.removeAttribute("src"); // closes the stream (without fetch: the <img>'s)
            }, PAUSE_HIDDEN_MS);
        } else if (p.isPaused && !p.isStopped) {
            reload();
        }
    });

    // The box the picture occupies inside the <img> (object-fit: contain letterboxes it when
    // full screen), in client pixels.
    function pictureBox() {
        const r = el.live.getBoundingClientRect();
        const w = el.live.naturalWidth;
        const h = el.live.naturalHeight;
        if (!(w > 0 && h > 0)) return r;
        const scale = Math.min(r.width / w, r.height / h);
        const bw = w * scale;
        const bh = h * scale;
        return { left: r.left + (r.width - bw) / 2, top: r.top + (r.height - bh) / 2, width: bw, height: bh };
    }

    function showMarker(clientX, clientY) {
        const f = el.frame.getBoundingClientRect();
        el.marker.style.left = (clientX - f.left).toFixed(1) + "px";
        el.marker.style.top = (clientY - f.top).toFixed(1) + "px";
        el.marker.classList.remove("is-shown");
        void el.marker.offsetWidth; // restart the animation
        el.marker.classList.add("is-shown");
    }

    /*
     * Click or tap to aim: the offset from the picture's centre, in degrees, is the offset in
     * pixels times fov_deg / the picture's width (the same scale vertically). Pan increases to
     * the left and tilt downward, hence the signs.
     */
    function bindAim(steering, getFovDeg, canSteer) {
        el.live.addEventListener("click", (e) => {
            if (!canSteer() || !p.hasPicture || !steering.target) return;
            const box = pictureBox();
            const x = e.clientX - box.left;
            const y = e.clientY - box.top;
            if (x < 0 || y < 0 || x > box.width || y > box.height) return;
            const degPerPx = getFovDeg() / box.width;
            steering.moveBy(-(x - box.width / 2) * degPerPx, (y - box.height / 2) * degPerPx);
            showMarker(e.clientX, e.clientY);
        });
    }

    // Full screen: the picture with its buttons, so steering by tap and keys still works.
    const fs = {
        isEnabled: !!(document.fullscreenEnabled || document.webkitFullscreenEnabled),
        element: () => document.fullscreenElement || document.webkitFullscreenElement || null,
        enter: (node) => (node.requestFullscreen ? node.requestFullscreen() : node.webkitRequestFullscreen()),
        exit: () => (document.exitFullscreen ? document.exitFullscreen() : document.webkitExitFullscreen()),
    };
    el.fullscreen.hidden = !fs.isEnabled;
    el.fullscreen.addEventListener("click", () => {
        const r = fs.element() ? fs.exit() : fs.enter(el.viewer);
        if (r && r.catch) r.catch(() => {});
    });
    function onFullscreenChange() {
        const isOn = fs.element() === el.viewer;
        el.fullscreen.setAttribute("aria-pressed", String(isOn));
        el.fullscreen.setAttribute("aria-label", isOn ? "Leave full screen" : "Full screen");
        el.fullscreenText.textContent = isOn ? "Exit full screen" : "Full screen";
    }
    document.addEventListener("fullscreenchange", onFullscreenChange);
    document.addEventListener("webkitfullscreenchange", onFullscreenChange);

    // Name the download after the moment it was taken.
    el.snapshot.addEventListener("click", () => {
        const d = new Date();
        el.snapshot.download = "lookout-" + d.getFullYear() + pad2(d.getMonth() + 1) +
            pad2(d.getDate()) + "-" + pad2(d.getHours()) + pad2(d.getMinutes()) +
            pad2(d.getSeconds()) + ".jpg";
    });

    return {
        reload,
        stop,
        check,
        bindAim,
        get hasPicture() {
            return p.hasPicture && !p.isBroken;
        },
        get isBroken() {
            return p.isBroken;
        },
        get isPaused() {
            return p.isPaused;
        },
        // How late the picture is, in ms: the median age of the last frames (0 until known).
        get ageMs() {
            return p.hasPicture && !p.isBroken ? p.ageMs : 0;
        },
        // The frame-rate cap asked for ("" for the camera's full rate).
        get rate() {
            return el.rate.value;
        },
    };
}
