// Events: today's motion events as marks on a 24 h bar and as a list with thumbnails; a click
// plays the recording in the page (the relay replays it as MJPEG at its recorded pace, and
// ?t= seeks), a download button, delete for operators. With continuous recording
// (RECORD_SEGMENT_S), a band under the marks shows what was recorded; a click on it downloads
// the segment of that moment. Operators also draw the motion masks:
// rectangles on the live picture that detection ignores. Hidden when recording is off (404).
import { cam, call, here, query } from "./api.js";

const TIMEOUT_MS = 5000;
const REFRESH_MS = 10000;
const DAY_MS = 86400000;
const MAX_PAGES = 20; // of 1000 each: the most one day's list is read in
const CONFIRM_MS = 4000;
const MIN_MASK = 0.01; // a drawn rectangle smaller than 1 % of the picture is a stray click
const RUN_GAP_MS = 5000; // segments closer than this are drawn as one run

function pad2(n) {
    return (n < 10 ? "0" : "") + n;
}

function clock(ms) {
    const d = new Date(ms);
    return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function startOfToday() {
    const d = new Date();
    d.setHours(0, 0, 0, 0);
    return d.getTime();
}

/*
 * el: ids of index.html's events section (events, timeline, now, list, empty, count, player,
 * playerImg, playerTitle, seek, download, del, close, maskEdit, maskPanel, maskLayer,
 * sensitivity, sensitivityValue, maskSave, maskClear, maskCancel).
 * hooks.onError(text), hooks.onInfo(text).
 */
export function createEvents(el, hooks) {
    let events = [];
    let segments = []; // finished continuous segments of today, oldest first
    let playing = null;
    let mayEdit = false;
    let isOn = false; // /api/status says the relay records
    let masks = []; // [x, y, w, h] in per-mille
    let confirmTimer = null;

    function duration(ev) {
        return Math.max(0, ((ev.end_ms || ev.start_ms) - ev.start_ms) / 1000);
    }

    function mark(ev, dayStart) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "timeline-mark" + (playing && playing.id === ev.id ? " is-playing" : "");
        b.setAttribute("role", "listitem");
        b.setAttribute("aria-label", `Event at ${clock(ev.start_ms)}, ${Math.round(duration(ev))} s`);
        b.title = `${clock(ev.start_ms)} · ${Math.round(duration(ev))} s`;
        b.style.left = `${((ev.start_ms - dayStart) / DAY_MS) * 100}%`;
        b.style.width = `${Math.max(0.3, (duration(ev) * 1000 / DAY_MS) * 100)}%`;
        b.dataset.id = ev.id;
        b.addEventListener("click", () => play(ev));
        return b;
    }

    function item(ev) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.className = "event-item";
        b.dataset.id = ev.id;
        b.setAttribute("aria-label", `Play the event at ${clock(ev.start_ms)}`);
        const img = document.createElement("img");
        img.alt = "";
        img.loading = "lazy";
        if (!ev.recording) img.src = here(cam(ev.thumbnail));
        const time = document.createElement("span");
        time.className = "event-time";
        time.textContent = clock(ev.start_ms);
        const what = document.createElement("span");
        what.textContent = ev.recording ? "recording…"
            : `${Math.round(duration(ev))} s · ${ev.peak_pct.toFixed(1)} % moved`;
        b.append(img, time, what);
        b.addEventListener("click", () => play(ev));
        li.append(b);
        return li;
    }

    // Consecutive segments as runs [start_ms, end_ms, count].
    function runs() {
        const out = [];
        for (const s of segments) {
            const last = out[out.length - 1];
            if (last && s.start_ms - last[1] < RUN_GAP_MS) {
                last[1] = s.end_ms;
                last[2]++;
            } else {
                out.push([s.start_ms, s.end_ms, 1]);
            }
        }
        return out;
    }

    // Download the segment recorded at the click's moment on the bar.
    function downloadAt(e) {
        const box = el.timeline.getBoundingClientRect();
        const t = startOfToday() + ((e.clientX - box.left) / box.width) * DAY_MS;
        const s = segments.find((x) => x.start_ms <= t && t <= x.end_ms + RUN_GAP_MS)
            || segments.reduce((a, b) => (Math.abs(b.start_ms - t) < Math.abs(a.start_ms - t) ? b : a));
        const a = document.createElement("a");
        a.href = here(cam(s.file));
        a.download = "";
        a.click();
    }

    function band(run, dayStart) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "timeline-segments";
        b.setAttribute("role", "listitem");
        const what = `Recorded continuously ${clock(run[0])}–${clock(run[1])}, ${run[2]} file${run[2] > 1 ? "s" : ""}`;
        b.setAttribute("aria-label", what + ": download the segment clicked");
        b.title = what;
        b.style.left = `${((run[0] - dayStart) / DAY_MS) * 100}%`;
        b.style.width = `${Math.max(0.2, ((run[1] - run[0]) / DAY_MS) * 100)}%`;
        b.addEventListener("click", downloadAt);
        return b;
    }

    function render() {
        const dayStart = startOfToday();
        for (const m of el.timeline.querySelectorAll(".timeline-mark, .timeline-segments")) m.remove();
        for (const run of runs()) el.timeline.append(band(run, dayStart));
        for (const ev of events) el.timeline.append(mark(ev, dayStart));
        el.now.style.left = `${((Date.now() - dayStart) / DAY_MS) * 100}%`;
        el.list.replaceChildren(...events.slice().reverse().map(item));
        el.empty.hidden = events.length > 0;
        el.count.textContent = events.length ? `${events.length}` : "";
    }

    // A whole day's list (route, key: "events" or "segments"), page after page: the relay sends
    // at most 1000 a time and says where the next page starts (a day of 60 s segments is 1440).
    async function listDay(route, key, from, to) {
        const seen = new Map();
        for (let page = 0, at = from; page < MAX_PAGES; page++) {
            const r = await call("GET", cam(`${route}?` + query({ from: at, to })), TIMEOUT_MS);
            for (const x of r[key]) seen.set(x.id, x);
            if (!r.truncated || r.next_from <= at) break;
            at = r.next_from;
        }
        return [...seen.values()].sort((a, b) => a.start_ms - b.start_ms || a.id - b.id);
    }

    async function load() {
        if (!isOn) return;
        const from = startOfToday();
        try {
            events = await listDay("/api/events", "events", from, from + DAY_MS);
            try {
                const all = await listDay("/api/segments", "segments", from, from + DAY_MS);
                segments = all.filter((x) => !x.recording);
            } catch (e) {
                segments = []; // this camera has no segments
            }
            el.events.hidden = false;
            render();
        } catch (e) {
            // Kept as it was; the next refresh tries again.
        }
    }

    function seekTo(t) {
        if (!playing) return;
        el.playerImg.src = here(cam(playing.play) + (t > 0 ? "?" + query({ t }) : ""));
    }

    function play(ev) {
        if (ev.recording) {
            hooks.onInfo("This event is still being recorded");
            return;
        }
        playing = ev;
        el.player.hidden = false;
        el.playerTitle.textContent = `${clock(ev.start_ms)} · ${Math.round(duration(ev))} s`;
        el.seek.max = String(Math.ceil(duration(ev) + 5));
        el.seek.value = "0";
        el.download.href = here(cam(ev.file));
        el.del.hidden = !mayEdit;
        resetDelete();
        seekTo(0);
        render();
    }

    function stop() {
        playing = null;
        el.playerImg.removeAttribute("src"); // ends the replay stream
        el.player.hidden = true;
        render();
    }

    function resetDelete() {
        clearTimeout(confirmTimer);
        el.del.textContent = "Delete";
        el.del.classList.remove("is-confirming");
    }

    async function remove() {
        if (!playing) return;
        if (!el.del.classList.contains("is-confirming")) {
            el.del.classList.add("is-confirming");
            el.del.textContent = "Delete? Click again";
            confirmTimer = setTimeout(resetDelete, CONFIRM_MS);
            return;
        }
        const ev = playing;
        resetDelete();
        try {
            await call("POST", cam(`/api/events/${ev.id}/delete`), TIMEOUT_MS);
            hooks.onInfo(`Deleted the event at ${clock(ev.start_ms)}`);
            stop();
            events = events.filter((e) => e.id !== ev.id);
            render();
        } catch (e) {
            hooks.onError(e.message);
        }
    }

    // --- motion masks ------------------------------------------------------------------

    function drawMasks() {
        el.maskLayer.replaceChildren(...masks.map((m, i) => {
            const r = document.createElement("span");
            r.className = "mask-rect";
            r.title = "Click to remove";
            r.style.left = `${m[0] / 10}%`;
            r.style.top = `${m[1] / 10}%`;
            r.style.width = `${m[2] / 10}%`;
            r.style.height = `${m[3] / 10}%`;
            r.addEventListener("pointerdown", (e) => {
                e.stopPropagation();
                masks.splice(i, 1);
                drawMasks();
            });
            return r;
        }));
    }

    async function openMasks() {
        try {
            const s = await call("GET", cam("/api/motion"), TIMEOUT_MS);
            masks = s.masks;
            el.sensitivity.value = String(s.sensitivity);
            el.sensitivityValue.textContent = String(s.sensitivity);
            el.maskPanel.hidden = false;
            el.maskLayer.hidden = false;
            drawMasks();
            // The button is below the picture: bring the picture (where masks are drawn) into view.
            el.maskLayer.scrollIntoView({ block: "nearest" });
        } catch (e) {
            hooks.onError(e.message);
        }
    }

    function closeMasks() {
        el.maskPanel.hidden = true;
        el.maskLayer.hidden = true;
    }

    async function saveMasks() {
        const params = { sensitivity: el.sensitivity.value, masks: masks.map((m) => m.join(",")).join(";") };
        try {
            const s = await call("POST", cam("/api/motion/save?" + query(params)), TIMEOUT_MS);
            masks = s.masks;
            drawMasks();
            hooks.onInfo("Motion settings saved");
        } catch (e) {
            hooks.onError(e.message);
        }
    }

    function bindDrawing() {
        let start = null;
        let box = null;
        const at = (e) => {
            const r = el.maskLayer.getBoundingClientRect();
            return [Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)),
                Math.min(1, Math.max(0, (e.clientY - r.top) / r.height))];
        };
        const rect = (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]),
            Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1])];
        el.maskLayer.addEventListener("pointerdown", (e) => {
            e.preventDefault();
            e.stopPropagation();
            start = at(e);
            box = document.createElement("span");
            box.className = "mask-rect";
            el.maskLayer.append(box);
            el.maskLayer.setPointerCapture(e.pointerId);
        });
        el.maskLayer.addEventListener("pointermove", (e) => {
            if (!start) return;
            const r = rect(start, at(e));
            box.style.left = `${r[0] * 100}%`;
            box.style.top = `${r[1] * 100}%`;
            box.style.width = `${r[2] * 100}%`;
            box.style.height = `${r[3] * 100}%`;
        });
        el.maskLayer.addEventListener("pointerup", (e) => {
            if (!start) return;
            const r = rect(start, at(e));
            start = null;
            if (r[2] >= MIN_MASK && r[3] >= MIN_MASK && masks.length < 16) {
                const pm = r.map((v) => Math.round(v * 1000));
                pm[2] = Math.max(1, Math.min(pm[2], 1000 - pm[0]));
                pm[3] = Math.max(1, Math.min(pm[3], 1000 - pm[1]));
                masks.push(pm);
            }
            drawMasks();
        });
        // The picture's own click aims the camera: not while drawing masks.
        el.maskLayer.addEventListener("click", (e) => e.stopPropagation());
    }

    el.close.addEventListener("click", stop);
    el.del.addEventListener("click", remove);
    el.seek.addEventListener("change", () => seekTo(Number(el.seek.value)));
    el.maskEdit.addEventListener("click", openMasks);
    el.maskCancel.addEventListener("click", closeMasks);
    el.maskSave.addEventListener("click", saveMasks);
    el.maskClear.addEventListener("click", () => {
        masks = [];
        drawMasks();
    });
    el.sensitivity.addEventListener("input", () => {
        el.sensitivityValue.textContent = el.sensitivity.value;
    });
    bindDrawing();
    setInterval(load, REFRESH_MS);

    return {
        setRole(isOperator) {
            mayEdit = isOperator;
            el.maskEdit.hidden = !isOperator;
            el.del.hidden = !isOperator || !playing;
            if (!isOperator) closeMasks();
        },
        refresh: load,
        // From /api/status: the relay records (RECORD_DIR). Until then the section stays hidden.
        setRecording(isRecording) {
            if (isRecording === isOn) return;
            isOn = isRecording;
            el.events.hidden = !isOn;
            if (isOn) load();
        },
    };
}
