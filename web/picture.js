// The live picture: the MJPEG stream in an <img>, kept at its own aspect ratio; click or tap to
// aim the camera at that point; full screen; snapshot download; the stream is let go while the
// tab stays hidden, so a forgotten tab does not keep the camera awake.
import { cam, here } from "./api.js";

const PAUSE_HIDDEN_MS = 30000;

function pad2(n) {
    return (n < 10 ? "0" : "") + n;
}

/*
 * el: {viewer, frame, live, marker, fullscreen, fullscreenText, snapshot}.
 * onChange(): the picture appeared, broke or restarted; the page re-renders its overlay.
 */
export function createPicture(el, onChange) {
    const p = { hasPicture: false, isBroken: false, isPaused: false, isStopped: false, pauseTimer: null };

    function reload() {
        p.hasPicture = false;
        p.isBroken = false;
        p.isPaused = false;
        p.isStopped = false;
        el.live.src = here(cam("/mjpeg?t=" + Date.now()));
        el.snapshot.href = here(cam("/snapshot.jpg"));
        onChange();
    }

    // Let the stream go (the overview shows no live picture): its connection closes.
    function stop() {
        clearTimeout(p.pauseTimer);
        p.isPaused = true;
        p.isStopped = true;
        p.hasPicture = false;
        el.live.removeAttribute("src");
    }

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

    el.live.addEventListener("load", check);
    el.live.addEventListener("error", () => {
        if (p.isPaused) return;
        p.isBroken = true;
        p.hasPicture = false;
        onChange();
    });

    document.addEventListener("visibilitychange", () => {
        clearTimeout(p.pauseTimer);
        if (document.hidden) {
            p.pauseTimer = setTimeout(() => {
                p.isPaused = true;
                el.live.removeAttribute("src"); // closes the stream
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
    };
}
