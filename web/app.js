// Lookout page: live picture, pan/tilt pad, status. No inline script: CSP is default-src 'self'.
(function () {
    "use strict";

    var STATUS_INTERVAL_MS = 1000;
    var STATUS_TIMEOUT_MS = 3000;
    var MOVE_TIMEOUT_MS = 5000;
    var REPEAT_MS = 150;
    var MESSAGE_MS = 4000;

    var KEYS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };

    var $ = function (id) {
        return document.getElementById(id);
    };
    var el = {
        badge: $("badge"),
        badgeText: $("badge-text"),
        fps: $("fps"),
        viewers: $("viewers"),
        viewersLabel: $("viewers-label"),
        frame: $("frame"),
        live: $("live"),
        overlay: $("overlay"),
        overlayTitle: $("overlay-title"),
        overlayDetail: $("overlay-detail"),
        pan: $("pan"),
        tilt: $("tilt"),
        angles: $("angles"),
        snapshot: $("snapshot"),
        message: $("message"),
    };

    // What we know, and what we show.
    var state = {
        online: null, // null until the first answer from /api/status
        reachable: true,
        hasPicture: false,
        isBroken: false,
        lastMoveAt: 0, // when the last move reply arrived: older status replies lose to it
    };

    // --- fetch with a deadline ---------------------------------------------------------------

    // Absolute URLs from location.origin, which never holds "user:pass@": opened as
    // http://user:pass@host/, the page's relative URLs would carry the credentials, and fetch()
    // refuses those. The browser still sends the login it cached for this origin.
    function here(path) {
        return location.origin + path;
    }

    function fetchWithTimeout(path, options, timeoutMs) {
        var ctl = typeof AbortController === "function" ? new AbortController() : null;
        var timer = null;
        if (ctl) {
            options.signal = ctl.signal;
            timer = setTimeout(function () {
                ctl.abort();
            }, timeoutMs);
        }
        options.cache = "no-store";
        options.credentials = "same-origin";
        return fetch(here(path), options).finally(function () {
            if (timer) clearTimeout(timer);
        });
    }

    // --- status line, badge and overlay ------------------------------------------------------

    function setBadge(kind, text) {
        el.badge.className = "badge is-" + kind;
        el.badgeText.textContent = text;
    }

    function showOverlay(kind, title, detail) {
        el.overlay.className = "overlay" + (kind === "offline" ? " is-offline" : "");
        el.overlayTitle.textContent = title;
        el.overlayDetail.textContent = detail || "";
        el.overlay.hidden = false;
    }

    function hideOverlay() {
        el.overlay.hidden = true;
    }

    function render() {
        if (!state.reachable) {
            setBadge("offline", "No connection");
            showOverlay("offline", "Relay unreachable", "Retrying every second…");
        } else if (state.online === false) {
            setBadge("offline", "Offline");
            showOverlay("offline", "Camera offline", state.offlineReason || "Waiting for the camera to come back…");
        } else if (state.online === null) {
            setBadge("connecting", "Connecting");
            showOverlay("connecting", "Connecting…", "");
        } else if (!state.hasPicture || state.isBroken) {
            setBadge("live", "Live");
            showOverlay("connecting", "Waiting for the picture…", "");
        } else {
            setBadge("live", "Live");
            hideOverlay();
        }
        el.frame.classList.toggle("is-broken", state.isBroken || !state.hasPicture);
    }

    function setAngles(pan, tilt) {
        if (typeof pan === "number" && isFinite(pan)) el.pan.textContent = Math.round(pan) + "°";
        if (typeof tilt === "number" && isFinite(tilt)) el.tilt.textContent = Math.round(tilt) + "°";
        el.angles.setAttribute("aria-label", "Pan " + el.pan.textContent + ", tilt " + el.tilt.textContent);
    }

    var messageTimer = null;
    function showMessage(text) {
        el.message.textContent = text;
        if (messageTimer) clearTimeout(messageTimer);
        messageTimer = setTimeout(function () {
            el.message.textContent = "";
        }, MESSAGE_MS);
    }

    // --- the picture -------------------------------------------------------------------------

    // Restart the stream: a new URL, so neither the browser nor a proxy hands back the old one.
    function reloadPicture() {
        state.hasPicture = false;
        state.isBroken = false;
        el.live.src = here("/mjpeg?t=" + Date.now());
        render();
    }

    // Keep the frame at the stream's own aspect ratio once the first frame tells us what it is.
    function checkPicture() {
        var w = el.live.naturalWidth;
        var h = el.live.naturalHeight;
        if (w > 0 && h > 0) {
            el.frame.style.setProperty("--ar", (w / h).toFixed(4));
            if (!state.hasPicture) {
                state.hasPicture = true;
                state.isBroken = false;
                render();
            }
        }
    }

    el.live.addEventListener("load", checkPicture);
    el.live.addEventListener("error", function () {
        state.isBroken = true;
        state.hasPicture = false;
        render();
    });

    // --- polling /api/status -----------------------------------------------------------------

    function applyStatus(s, startedAt) {
        var wasOnline = state.online;
        state.reachable = true;
        state.online = s.online !== false;
        state.offlineReason = s.offline_reason || "";
        if (typeof s.fps === "number") el.fps.textContent = s.fps.toFixed(1);
        if (typeof s.viewers === "number") {
            el.viewers.textContent = String(s.viewers);
            el.viewersLabel.textContent = "watching";
        }
        // A move reply that arrived after this request left is newer than its angles.
        if (startedAt >= state.lastMoveAt) setAngles(s.pan, s.tilt);

        // The camera came back (or the stream broke meanwhile): start the picture again.
        if (state.online && (wasOnline === false || state.isBroken)) reloadPicture();
        checkPicture();
        render();
    }

    function pollStatus() {
        var startedAt = Date.now();
        fetchWithTimeout("/api/status", { method: "GET" }, STATUS_TIMEOUT_MS)
            .then(function (r) {
                if (!r.ok) throw new Error("HTTP " + r.status);
                return r.json();
            })
            .then(function (s) {
                applyStatus(s, startedAt);
            })
            .catch(function () {
                state.reachable = false;
                el.fps.textContent = "–";
                el.viewers.textContent = "–";
                render();
            })
            .finally(function () {
                // Chained, not setInterval: a slow relay never has two status requests queued.
                setTimeout(pollStatus, STATUS_INTERVAL_MS);
            });
    }

    // --- moving ------------------------------------------------------------------------------

    // One request in flight at most; one click may wait behind it. Held buttons and keys just
    // skip their turn while a request is out, so nothing piles up on a slow camera.
    var inFlight = false;
    var queued = null;

    function move(dir) {
        if (inFlight) {
            queued = dir;
            return;
        }
        inFlight = true;
        fetchWithTimeout("/turn" + dir, { method: "POST" }, MOVE_TIMEOUT_MS)
            .then(function (r) {
                if (r.ok) return r.json();
                return r.text().then(function (text) {
                    throw new Error(text.trim().split("\n")[0] || "HTTP " + r.status);
                });
            })
            .then(function (a) {
                state.lastMoveAt = Date.now();
                setAngles(a.pan, a.tilt);
            })
            .catch(function (err) {
                var text = err && err.name === "AbortError" ? "The camera did not answer in time" : err.message;
                showMessage("Could not move: " + text);
            })
            .finally(function () {
                inFlight = false;
                if (queued) {
                    var next = queued;
                    queued = null;
                    move(next);
                }
            });
    }

    // Hold to repeat: move now, then every REPEAT_MS while held, skipping while one is out.
    var hold = { dir: null, timer: null, button: null };

    function startHold(dir, button) {
        stopHold();
        hold.dir = dir;
        hold.button = button;
        if (button) button.classList.add("is-pressed");
        move(dir);
        hold.timer = setInterval(function () {
            if (!inFlight) move(hold.dir);
        }, REPEAT_MS);
    }

    function stopHold() {
        if (hold.timer) clearInterval(hold.timer);
        if (hold.button) hold.button.classList.remove("is-pressed");
        hold.dir = null;
        hold.timer = null;
        hold.button = null;
    }

    function buttonFor(dir) {
        return document.querySelector('.pad[data-move="' + dir + '"]');
    }

    Array.prototype.forEach.call(document.querySelectorAll(".pad[data-move]"), function (b) {
        var dir = b.getAttribute("data-move");
        b.addEventListener("pointerdown", function (e) {
            if (e.button !== 0) return;
            e.preventDefault(); // no focus ring flash, no text selection on long press
            if (b.setPointerCapture) b.setPointerCapture(e.pointerId);
            startHold(dir, b);
        });
        ["pointerup", "pointercancel", "lostpointercapture"].forEach(function (t) {
            b.addEventListener(t, function () {
                if (hold.button === b) stopHold();
            });
        });
        b.addEventListener("contextmenu", function (e) {
            e.preventDefault();
        });
        // Enter/Space on a focused button: a click with detail 0. Pointer clicks (detail > 0)
        // were already handled on pointerdown.
        b.addEventListener("click", function (e) {
            if (e.detail === 0) move(dir);
        });
    });

    document.addEventListener("keydown", function (e) {
        var dir = KEYS[e.key];
        if (!dir || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault(); // arrows would scroll the page
        if (e.repeat || hold.dir === dir) return; // our own timer repeats, not the keyboard's
        startHold(dir, buttonFor(dir));
    });

    document.addEventListener("keyup", function (e) {
        if (KEYS[e.key] && KEYS[e.key] === hold.dir) stopHold();
    });

    // A key or finger released outside the window would otherwise keep the camera turning.
    window.addEventListener("blur", stopHold);
    document.addEventListener("visibilitychange", function () {
        if (document.hidden) stopHold();
    });

    // --- snapshot ----------------------------------------------------------------------------

    function pad2(n) {
        return (n < 10 ? "0" : "") + n;
    }

    el.snapshot.addEventListener("click", function () {
        var d = new Date();
        el.snapshot.download =
            "lookout-" + d.getFullYear() + pad2(d.getMonth() + 1) + pad2(d.getDate()) + "-" +
            pad2(d.getHours()) + pad2(d.getMinutes()) + pad2(d.getSeconds()) + ".jpg";
    });

    // --- start -------------------------------------------------------------------------------

    checkPicture();
    render();
    pollStatus();
})();
