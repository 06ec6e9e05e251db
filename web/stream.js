// The relay's MJPEG stream read with fetch() instead of an <img src>, so the page sees each
// part's header fields (X-Timestamp, X-Frame-Seq, X-Pan, X-Tilt) and can tell how old the
// picture is. The relay's format (docs/API.md): every part has Content-Length, and its
// delimiter follows the JPEG at once, so a part is complete as soon as its bytes are in.

const HEAD_MAX = 4096; // part header fields of the relay's are ~150 bytes
const CRLFCRLF = [13, 10, 13, 10];

function indexOfBlank(buf, limit) {
    const end = Math.min(buf.length, limit) - 3;
    for (let i = 0; i < end; i++) {
        if (buf[i] === CRLFCRLF[0] && buf[i + 1] === CRLFCRLF[1] &&
            buf[i + 2] === CRLFCRLF[2] && buf[i + 3] === CRLFCRLF[3]) return i;
    }
    return -1;
}

// "Name: value" lines of one part (delimiter lines and blanks skipped), names lower-cased.
function parseFields(text) {
    const fields = {};
    for (const line of text.split("\r\n")) {
        const colon = line.indexOf(":");
        if (line.startsWith("--") || colon <= 0) continue;
        fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return fields;
}

function concat(a, b) {
    if (a.length === 0) return b;
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
}

/*
 * Open url (a stream of the relay's) and call, on the page's clock (performance.now(), ms):
 *   onHead(relayNowS, atMs)         the response head: the relay's X-Timestamp when it wrote it
 *   onFrame(blob, fields, atMs)     each whole JPEG (image/jpeg) and its part's fields
 *   onEnd(status)                   the stream ended or failed (HTTP status, 0 without one)
 * Returns { close() }, which ends it without calling onEnd.
 */
export function openStream(url, { onHead, onFrame, onEnd }) {
    const ctl = new AbortController();
    let isClosed = false;
    const end = (status) => {
        if (!isClosed) onEnd(status);
        isClosed = true;
    };

    async function run() {
        const r = await fetch(url, { signal: ctl.signal, cache: "no-store", credentials: "same-origin" });
        if (!r.ok || !r.body) return end(r.status);
        onHead(parseFloat(r.headers.get("X-Timestamp")), performance.now());
        const reader = r.body.getReader();
        const text = new TextDecoder();
        let buf = new Uint8Array(0);
        let part = null; // {length, fields} once its header fields are in
        for (;;) {
            const { done, value } = await reader.read();
            if (done) return end(r.status);
            buf = concat(buf, value);
            for (;;) {
                if (part === null) {
                    const blank = indexOfBlank(buf, HEAD_MAX);
                    if (blank < 0) {
                        if (buf.length >= HEAD_MAX) return end(0); // not the relay's format
                        break;
                    }
                    const fields = parseFields(text.decode(buf.subarray(0, blank)));
                    const length = parseInt(fields["content-length"], 10);
                    if (!(length >= 0)) return end(0);
                    part = { length, fields };
                    buf = buf.subarray(blank + 4);
                }
                if (buf.length < part.length) break;
                const jpeg = buf.slice(0, part.length);
                buf = buf.subarray(part.length);
                onFrame(new Blob([jpeg], { type: "image/jpeg" }), part.fields, performance.now());
                part = null;
            }
        }
    }

    run().catch(() => end(0));
    return {
        close() {
            isClosed = true;
            ctl.abort();
        },
    };
}

// Can this browser read a stream with fetch()? Otherwise the page falls back to <img src>.
export const canReadStreams = typeof ReadableStream === "function" && typeof AbortController === "function" &&
    typeof Response === "function" && "body" in Response.prototype;
