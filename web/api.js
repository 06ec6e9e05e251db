// The relay's JSON API (docs/API.md), as the page uses it: every call has a deadline, errors
// carry the relay's one-line reason, and a lost session sends the browser to the login page.

// Absolute URLs from location.origin, which never holds "user:pass@": opened as
// http://user:pass@host/, the page's relative URLs would carry the credentials, and fetch()
// refuses those.
export function here(path) {
    return location.origin + path;
}

// The camera the page shows: its routes are under /c/NAME/ ("" for the relay's default camera,
// whose routes are also the original ones: /mjpeg, /api/status, ...).
let cameraPrefix = "";

export function setCameraPrefix(prefix) {
    cameraPrefix = prefix;
}

// The path of one of the shown camera's routes, e.g. cam("/api/status").
export function cam(path) {
    return cameraPrefix + path;
}

export class ApiError extends Error {
    constructor(status, message) {
        super(message);
        this.name = "ApiError";
        this.status = status; // HTTP status, or 0 when the relay did not answer
    }
}

let isLeaving = false;

// The session ended (expired, logged out in another tab, relay restarted): log in again.
function toLogin() {
    if (isLeaving) return;
    isLeaving = true;
    location.assign(here("/login"));
}

// GET or POST path (with form, an object, as the urlencoded body: passwords never go in a
// URL); resolves to the parsed JSON answer, rejects with an ApiError.
export async function call(method, path, timeoutMs, form) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    let r;
    try {
        r = await fetch(here(path), {
            method,
            cache: "no-store",
            headers: form ? { "Content-Type": "application/x-www-form-urlencoded" } : undefined,
            body: form ? query(form) : undefined,
            credentials: "same-origin",
            signal: ctl.signal,
        });
    } catch (err) {
        clearTimeout(timer);
        throw new ApiError(0, err.name === "AbortError" ? "the relay did not answer in time"
                                                        : "cannot reach the relay");
    }
    try {
        if (r.status === 401) {
            toLogin();
            throw new ApiError(401, "login required");
        }
        if (!r.ok) {
            const text = (await r.text()).trim().split("\n")[0];
            throw new ApiError(r.status, text || "HTTP " + r.status);
        }
        return await r.json();
    } catch (err) {
        if (err instanceof ApiError) throw err;
        throw new ApiError(0, err.name === "AbortError" ? "the relay did not answer in time"
                                                        : "bad answer from the relay");
    } finally {
        clearTimeout(timer);
    }
}

export function query(params) {
    return Object.keys(params)
        .map((k) => encodeURIComponent(k) + "=" + encodeURIComponent(params[k]))
        .join("&");
}
