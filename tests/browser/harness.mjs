// Test support for the browser tests: the real binaries on loopback, and Debian's Chromium.
//
// The simulated camera (lookout-cam) and the relay (lookout) are started from $LOOKOUT_BIN_DIR
// (default build/) on ephemeral loopback ports read back from their log lines, with a .env, a
// USERS_FILE, a PRESETS_FILE and an AUDIT_LOG in a temporary directory. Every process is ended by its PID, and
// every wait has a deadline. Set LOOKOUT_KEEP_TMP=1 to keep the temporary directory (logs).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN_DIR = resolve(REPO, process.env.LOOKOUT_BIN_DIR || 'build');
export const ARTEFACTS = join(REPO, 'build', 'browser');
export const CHROMIUM = process.env.LOOKOUT_CHROMIUM || '/usr/bin/chromium';

const STARTUP_TIMEOUT_MS = 10000;
const STOP_GRACE_MS = 3000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn() until it returns a truthy value, and returns that; throws after timeoutMs.
export async function waitFor(what, fn, timeoutMs = 10000, intervalMs = 100) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        try {
            const v = await fn();
            if (v) return v;
            last = v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
                (last instanceof Error ? `: ${last.message}` : ''));
        }
        await sleep(intervalMs);
    }
}

// The relay and the camera read settings from the environment before .env: keep ours out.
function childEnv() {
    const env = {};
    for (const k of ['PATH', 'LANG', 'TZ', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) {
        if (process.env[k] !== undefined) env[k] = process.env[k];
    }
    return env;
}

// One child process with its output in a log file, so a failed run can show it.
class Proc {
    constructor(name, argv, logPath) {
        this.name = name;
        this.logPath = logPath;
        const fd = openSync(logPath, 'a');
        this.child = spawn(argv[0], argv.slice(1), { env: childEnv(), stdio: ['ignore', fd, fd] });
        closeSync(fd);
        this.pid = this.child.pid;
        this.exited = new Promise((res) => this.child.once('exit', (code, sig) => res({ code, sig })));
        this.isRunning = true;
        this.exited.then(() => { this.isRunning = false; });
        live.add(this);
    }

    log() {
        try {
            return readFileSync(this.logPath, 'utf8');
        } catch {
            return '';
        }
    }

    // The port in the first log line "...<prefix>127.0.0.1:PORT/" (prefix ends in "://").
    async port(prefix) {
        const re = new RegExp(prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') + '[^\\s:]+:(\\d+)/');
        return waitFor(`${this.name} to log "${prefix}"`, () => {
            const m = re.exec(this.log());
            if (m) return Number(m[1]);
            if (!this.isRunning) throw new Error(`${this.name} exited:\n${this.tail()}`);
            return 0;
        }, STARTUP_TIMEOUT_MS, 50);
    }

    tail(lines = 30) {
        return this.log().split('\n').slice(-lines).join('\n');
    }

    // SIGTERM by PID, SIGKILL after a grace period. Returns the exit status.
    async stop(signal = 'SIGTERM') {
        if (this.isRunning) {
            try {
                process.kill(this.pid, signal);
            } catch {
                // already gone
            }
            const timer = setTimeout(() => {
                try {
                    process.kill(this.pid, 'SIGKILL');
                } catch {
                    // already gone
                }
            }, STOP_GRACE_MS);
            await this.exited;
            clearTimeout(timer);
        }
        live.delete(this);
        return this.exited;
    }
}

// Whatever a crashed or interrupted test left behind is killed by PID when node exits.
const live = new Set();
const tmpDirs = new Set();
function killAll() {
    for (const p of live) {
        try {
            process.kill(p.pid, 'SIGKILL');
        } catch {
            // already gone
        }
    }
    if (process.env.LOOKOUT_KEEP_TMP !== '1') {
        for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
    }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
        killAll();
        process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
}

export const OPERATOR = { user: 'alice', password: 'op-pass-7f3a' };
export const VIEWER = { user: 'viola', password: 'view-pass-19c2' };

// The simulated camera and the relay, as a deployment would run them.
export class Rig {
    // extraEnv: more .env lines, e.g. ['RECORD_DIR=...'] ("RECORD_DIR=@" records into the
    // rig's own temporary directory).
    async start(extraEnv = []) {
        this.dir = mkdtempSync(join(tmpdir(), 'lookout-browser-'));
        tmpDirs.add(this.dir);
        await this.startCam(0, 0);

        const usersFile = join(this.dir, 'users');
        writeFileSync(usersFile, viewerLine(), { mode: 0o600 });
        await startRelay(this, [
            `USERS_FILE=${usersFile}`,
            `PRESETS_FILE=${join(this.dir, 'presets.txt')}`,
            `AUDIT_LOG=${join(this.dir, 'audit.log')}`,
            `CAM_URL=http://127.0.0.1:${this.streamPort}/mjpeg`,
            `SERVO_URL=http://127.0.0.1:${this.controlPort}/control_servo`,
            ...extraEnv.map((line) => {
                if (line !== 'RECORD_DIR=@') return line;
                mkdirSync(join(this.dir, 'rec'));
                return `RECORD_DIR=${join(this.dir, 'rec')}`;
            }),
        ]);
        return this;
    }

    // Starts lookout-cam; with ports given (a restart), retries while the old socket lingers.
    async startCam(streamPort, controlPort) {
        const deadline = Date.now() + STARTUP_TIMEOUT_MS;
        for (;;) {
            this.cam = new Proc('lookout-cam', [join(BIN_DIR, 'lookout-cam'), '--bind', '127.0.0.1',
                '--stream-port', String(streamPort), '--control-port', String(controlPort),
                '--fps', '15'], join(this.dir, 'lookout-cam.log'));
            try {
                this.streamPort = await this.cam.port('stream listening on http://');
                this.controlPort = await this.cam.port('control listening on http://');
                return;
            } catch (e) {
                await this.cam.stop();
                if (Date.now() > deadline) throw e;
                await sleep(200);
            }
        }
    }

    async stopCam() {
        await this.cam.stop('SIGKILL');
        // The next start appends to the same log: mark where it begins so ports are read anew.
        const log = join(this.dir, 'lookout-cam.log');
        writeFileSync(log, readFileSync(log, 'utf8').replace(/listening on/g, 'was listening on'));
    }

    // The relay's /api/status with HTTP Basic (the test's own view, not the page's). node:http,
    // not fetch: Debian's Node 18 has fetch only with its separate undici package.
    status(who = OPERATOR) {
        const auth = Buffer.from(`${who.user}:${who.password}`).toString('base64');
        return getJson(`${this.url}/api/status`, { Authorization: `Basic ${auth}` }, '/api/status');
    }

    // A request to the relay with HTTP Basic as `who`; resolves to {status, body}.
    request(method, path, who = OPERATOR) {
        const auth = Buffer.from(`${who.user}:${who.password}`).toString('base64');
        return httpRequest(`${this.url}${path}`, method, { Authorization: `Basic ${auth}` });
    }

    // POST to the simulated camera's control port (/sim/intruder, /sim/light?percent=N).
    sim(path) {
        return httpRequest(`http://127.0.0.1:${this.controlPort}${path}`, 'POST', {});
    }

    stop() {
        return stopAll([this.relay, this.cam], this.dir);
    }

    logs() {
        return logsOf([this.relay, this.cam]);
    }
}

// The USERS_FILE line of the VIEWER user, from `lookout passwd`.
function viewerLine() {
    const passwd = spawnSync(join(BIN_DIR, 'lookout'), ['passwd', VIEWER.user, 'viewer'], {
        input: VIEWER.password + '\n', env: childEnv(), encoding: 'utf8', timeout: 10000,
    });
    if (passwd.status !== 0) throw new Error(`lookout passwd failed: ${passwd.stderr}`);
    return passwd.stdout;
}

// The relay of rig (its dir set) with the OPERATOR's login and `lines` in its .env, on a port
// it picks; sets rig.relay, rig.relayPort, rig.url.
async function startRelay(rig, lines) {
    rig.envFile = join(rig.dir, '.env');
    writeFileSync(rig.envFile, [
        `HTTP_AUTH_USERNAME=${OPERATOR.user}`,
        `HTTP_AUTH_PASSWORD=${OPERATOR.password}`,
        ...lines,
        '',
    ].join('\n'), { mode: 0o600 });
    rig.relay = new Proc('lookout', [join(BIN_DIR, 'lookout'), '--env', rig.envFile,
        '--listen', '127.0.0.1:0'], join(rig.dir, 'lookout.log'));
    rig.relayPort = await rig.relay.port('listening on http://');
    rig.url = `http://127.0.0.1:${rig.relayPort}`;
}

// GET url with headers and parse the JSON answer (a 200); `what` names it in errors. node:http,
// not fetch: Debian's Node 18 has fetch only with its separate undici package.
function getJson(url, headers, what) {
    return new Promise((res, rej) => {
        const req = http.get(url, { headers, timeout: 5000 }, (r) => {
            let body = '';
            r.setEncoding('utf8');
            r.on('data', (d) => { body += d; });
            r.on('end', () => {
                if (r.statusCode !== 200) {
                    rej(new Error(`${what}: HTTP ${r.statusCode}: ${body}`));
                    return;
                }
                try {
                    res(JSON.parse(body));
                } catch (e) {
                    rej(e);
                }
            });
        });
        req.on('timeout', () => req.destroy(new Error(`${what}: no answer in 5 s`)));
        req.on('error', rej);
    });
}

// Stops every process by PID and removes dir (kept with LOOKOUT_KEEP_TMP=1); returns what went
// wrong, one string per process that did not exit cleanly.
async function stopAll(procs, dir) {
    const failures = [];
    for (const p of procs) {
        if (!p) continue;
        const { code, sig } = await p.stop();
        if (code !== 0 && sig !== 'SIGTERM' && sig !== 'SIGKILL') {
            failures.push(`${p.name} exited with ${code ?? sig}:\n${p.tail()}`);
        }
    }
    if (dir && process.env.LOOKOUT_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`# logs kept in ${dir}`);
    tmpDirs.delete(dir);
    return failures;
}

function logsOf(procs) {
    return procs.filter(Boolean).map((p) => `--- ${p.name} (${p.logPath})\n${p.tail()}`).join('\n');
}

function httpRequest(url, method, headers) {
    return new Promise((res, rej) => {
        const req = http.request(url, { method, headers, timeout: 5000 }, (r) => {
            let body = '';
            r.setEncoding('utf8');
            r.on('data', (d) => { body += d; });
            r.on('end', () => res({ status: r.statusCode, body }));
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in 5 s`)));
        req.on('error', rej);
        req.end();
    });
}

// Debian's Chromium, headless, with nothing that reaches the network on its own. Playwright
// gives every launch a fresh temporary profile (user-data dir) and removes it on close.
export async function launchBrowser() {
    mkdirSync(ARTEFACTS, { recursive: true });
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 30000,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
}

// What every suite file shares: a watchdog that ends the process if the suite runs over suiteMs
// (the binaries are then killed by PID on exit), the page problems its cases assert on at the
// end (console errors, CSP violations among them, and uncaught exceptions), and the start and
// stop of its rig and browser (suite.start in before(), suite.stop in after()).
export class Suite {
    constructor(name, suiteMs) {
        this.problems = [];
        this.rig = null;
        this.browser = null;
        this.watchdog = setTimeout(() => {
            console.error(`# ${name} browser tests: over ${suiteMs} ms, stopping`);
            process.exit(1);
        }, suiteMs);
        this.watchdog.unref();
    }

    // Collects p's console errors (except those isExpected(text) accepts) and its uncaught
    // exceptions into problems, each tagged with who. Returns p.
    watch(p, who, isExpected = () => false) {
        p.on('console', (m) => {
            if (m.type() === 'error' && !isExpected(m.text())) this.problems.push(`${who}: console: ${m.text()}`);
        });
        p.on('pageerror', (e) => this.problems.push(`${who}: exception: ${e.message}`));
        return p;
    }

    // Starts the rig (startRig(), e.g. () => new Rig().start()) and Chromium; returns both.
    async start(startRig) {
        this.rig = await startRig();
        this.browser = await launchBrowser();
        return { rig: this.rig, browser: this.browser };
    }

    // Closes the browser, stops the rig asserting that every binary exited cleanly (under
    // `make asan`: without leaks), and the watchdog.
    async stop() {
        if (this.browser) await this.browser.close().catch(() => {});
        const failures = this.rig ? await this.rig.stop() : [];
        clearTimeout(this.watchdog);
        assert.deepEqual(failures, [], `a binary did not exit cleanly: ${failures.join('; ')}`);
    }
}

// Logs in through the form, as a person would, and returns the page showing the camera.
export async function login(context, rig, who) {
    const page = await context.newPage();
    await page.goto(`${rig.url}/`);
    await page.waitForURL(/\/login/);
    await page.getByLabel('User name').fill(who.user);
    await page.getByLabel('Password').fill(who.password);
    await Promise.all([
        page.waitForURL(`${rig.url}/`),
        page.getByRole('button', { name: 'Log in' }).click(),
    ]);
    return page;
}

// A screenshot of the whole page. Playwright's fullPage option drops Chromium's touch
// emulation on the way (the joystick would vanish): grow the viewport instead, then restore it.
export async function screenshotWholePage(page, path) {
    const size = page.viewportSize();
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    if (height > size.height) await page.setViewportSize({ width: size.width, height });
    await page.screenshot({ path });
    if (height > size.height) await page.setViewportSize(size);
}

// Several cameras behind one relay: three lookout-cam, each with its own picture size (so a
// picture tells which camera it is), and one camera file each in CAMERAS_DIR. The viewer-role
// user may see `limitedTo` only.
export const MULTI_CAMERAS = [
    { name: 'back', title: 'Back door', size: '320x240' },
    { name: 'front', title: 'Front door', size: '480x360' },
    { name: 'garden', title: 'Garden', size: '640x480' },
];

export class MultiRig {
    async start(limitedTo = 'garden') {
        this.dir = mkdtempSync(join(tmpdir(), 'lookout-browser-multi-'));
        tmpDirs.add(this.dir);
        const camsDir = join(this.dir, 'cameras');
        mkdirSync(camsDir);
        this.cams = [];
        for (const c of MULTI_CAMERAS) {
            const p = new Proc(`lookout-cam ${c.name}`, [join(BIN_DIR, 'lookout-cam'), '--bind',
                '127.0.0.1', '--stream-port', '0', '--control-port', '0', '--fps', '10', '--size',
                c.size], join(this.dir, `cam-${c.name}.log`));
            this.cams.push(p);
            const stream = await p.port('stream listening on http://');
            const control = await p.port('control listening on http://');
            c.controlPort = control;
            writeFileSync(join(camsDir, `${c.name}.env`), [
                `TITLE="${c.title}"`,
                `CAM_URL=http://127.0.0.1:${stream}/mjpeg`,
                `SERVO_URL=http://127.0.0.1:${control}/control_servo`,
                `PRESETS_FILE=${join(this.dir, c.name + '.presets')}`,
                '',
            ].join('\n'));
        }
        const usersFile = join(this.dir, 'users');
        writeFileSync(usersFile, viewerLine().trim() + ':' + limitedTo + '\n', { mode: 0o600 });
        await startRelay(this, [`USERS_FILE=${usersFile}`, `CAMERAS_DIR=${camsDir}`]);
        return this;
    }

    // A camera node's own /status (its target angles), as JSON.
    nodeStatus(name) {
        const c = MULTI_CAMERAS.find((x) => x.name === name);
        return getJson(`http://127.0.0.1:${c.controlPort}/status`, {}, 'node /status');
    }

    // TCP connections open from clients (the browser) to the relay right now, counted by the
    // kernel (ss), not by the page.
    clientConnections() {
        const r = spawnSync('ss', ['-Htn', 'state', 'established', `( dport = :${this.relayPort} )`],
            { encoding: 'utf8', timeout: 5000 });
        if (r.status !== 0) throw new Error(`ss failed: ${r.stderr}`);
        return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
    }

    stop() {
        return stopAll([this.relay, ...(this.cams || [])], this.dir);
    }

    logs() {
        return logsOf([this.relay, ...(this.cams || [])]);
    }
}
