// Several cameras: the list the relay lets this user see (/api/cameras), the overview of tiles,
// and the URL that says which camera is open (#/c/NAME), so a view can be bookmarked and shared.
//
// Tiles show snapshots, not streams: a browser opens at most six HTTP/1.1 connections to a host,
// and one MJPEG stream per tile would take them all and leave none for the controls. The
// snapshots are fetched one at a time, round the tiles, one every TILE_REFRESH_MS, so the
// overview holds at most two connections (a snapshot and the list).
import { call, here } from "./api.js";

const LIST_INTERVAL_MS = 2000;
const LIST_TIMEOUT_MS = 3000;
const TILE_REFRESH_MS = 700; // one tile's snapshot per period: each tile every few seconds
const ROUTE_RE = /^#\/c\/([a-z0-9_-]{1,32})$/;

/*
 * el: {overview, tiles, empty}.
 * hooks.onList(answer): the relay's answer to /api/cameras (who is asking, the cameras).
 */
export function createCameras(el, hooks) {
    const c = {
        list: null, // [{name, title, online, fps, viewers}] once known
        defaultName: null,
        isShown: false,
        listTimer: null,
        tileTimer: null,
        next: 0, // the tile whose snapshot comes next
        tiles: new Map(), // name -> {li, img, badge, meta, loading}
    };

    // The camera the URL names, or null.
    function routed() {
        const m = ROUTE_RE.exec(location.hash);
        return m ? m[1] : null;
    }

    function load() {
        return call("GET", "/api/cameras", LIST_TIMEOUT_MS).then((a) => {
            c.list = Array.isArray(a.cameras) ? a.cameras : [];
            c.defaultName = typeof a.default === "string" ? a.default : null;
            if (c.isShown) render();
            hooks.onList(a);
            return c.list;
        });
    }

    function tile(cam) {
        const li = document.createElement("li");
        li.className = "tile";
        const a = document.createElement("a");
        a.className = "tile-link";
        a.href = "#/c/" + cam.name;
        const frame = document.createElement("span");
        frame.className = "tile-frame";
        const img = document.createElement("img");
        img.className = "tile-picture";
        img.alt = "";
        img.width = 320;
        img.height = 240;
        img.hidden = true;
        const badge = document.createElement("span");
        badge.className = "badge tile-badge";
        const dot = document.createElement("span");
        dot.className = "dot";
        const badgeText = document.createElement("span");
        badge.append(dot, badgeText);
        frame.append(img, badge);
        const caption = document.createElement("span");
        caption.className = "tile-caption";
        const title = document.createElement("strong");
        title.className = "tile-title";
        const meta = document.createElement("span");
        meta.className = "tile-meta";
        caption.append(title, meta);
        a.append(frame, caption);
        li.append(a);
        return { li, a, img, badge, badgeText, title, meta, loading: false };
    }

    function update(t, cam) {
        // standby: nobody watched it, the relay let it rest; the overview's snapshots wake it.
        const kind = cam.online ? "live" : cam.state === "offline" ? "offline" : "connecting";
        const text = cam.online ? "Live" : cam.state === "offline" ? "Offline"
            : cam.state === "standby" ? "Standby" : "Connecting";
        t.title.textContent = cam.title || cam.name;
        t.a.setAttribute("aria-label", `${cam.title || cam.name}: ${text.toLowerCase()}`);
        t.badge.className = "badge tile-badge is-" + kind;
        t.badgeText.textContent = text;
        const fps = typeof cam.fps === "number" ? cam.fps.toFixed(1) : "–";
        const viewers = typeof cam.viewers === "number" ? cam.viewers : "–";
        t.meta.textContent = `${fps} fps · ${viewers} watching`;
    }

    function render() {
        const names = new Set(c.list.map((cam) => cam.name));
        for (const [name, t] of c.tiles) {
            if (!names.has(name)) {
                t.li.remove();
                c.tiles.delete(name);
            }
        }
        c.list.forEach((cam, i) => {
            let t = c.tiles.get(cam.name);
            if (!t) {
                t = tile(cam);
                c.tiles.set(cam.name, t);
            }
            update(t, cam);
            if (el.tiles.children[i] !== t.li) el.tiles.insertBefore(t.li, el.tiles.children[i] || null);
        });
        el.empty.hidden = c.list.length > 0;
    }

    // One snapshot, into the next tile in turn; the next one only after this one is in.
    function refreshOne() {
        if (!c.isShown || !c.list || c.list.length === 0) return schedule();
        const cam = c.list[c.next % c.list.length];
        c.next++;
        const t = c.tiles.get(cam.name);
        if (!t) return schedule();
        const img = new Image();
        const done = () => schedule();
        img.onload = () => {
            t.img.src = img.src;
            t.img.hidden = false;
            done();
        };
        img.onerror = () => {
            t.img.hidden = true; // offline: the badge says so, no stale picture
            done();
        };
        img.src = here(`/c/${encodeURIComponent(cam.name)}/snapshot.jpg?t=${Date.now()}`);
    }

    function schedule() {
        clearTimeout(c.tileTimer);
        if (c.isShown) c.tileTimer = setTimeout(refreshOne, TILE_REFRESH_MS);
    }

    function pollList() {
        clearTimeout(c.listTimer);
        if (!c.isShown) return;
        load().catch(() => {}).finally(() => {
            if (c.isShown) c.listTimer = setTimeout(pollList, LIST_INTERVAL_MS);
        });
    }

    return {
        load,
        routed,
        get list() {
            return c.list;
        },
        get defaultName() {
            return c.defaultName;
        },
        find(name) {
            return (c.list || []).find((cam) => cam.name === name) || null;
        },
        show() {
            if (c.isShown) return;
            c.isShown = true;
            el.overview.hidden = false;
            if (c.list) render();
            c.next = 0;
            refreshOne();
            c.listTimer = setTimeout(pollList, LIST_INTERVAL_MS);
        },
        hide() {
            c.isShown = false;
            el.overview.hidden = true;
            clearTimeout(c.tileTimer);
            clearTimeout(c.listTimer);
        },
    };
}
