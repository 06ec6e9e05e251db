// The page in Debian's headless Chromium against the real binaries on loopback (issue 7).
// Run: node --test tests/browser/   (make test does, after npm ci). Artefacts: build/browser/.
//
// The cases share one camera, one relay and one operator's page, and run in order: each starts
// from where the last one left the camera, and asks the relay's /api/status for the angles.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
    ARTEFACTS, OPERATOR, Rig, VIEWER, login, screenshotWholePage, sleep, waitFor, Suite,
} from './harness.mjs';

const SUITE_TIMEOUT_MS = 240000; // everything, start-up and clean-up included
const CASE_TIMEOUT_MS = 45000;
const MOVE_TIMEOUT_MS = 5000;
const DESKTOP = { viewport: { width: 1280, height: 800 }, colorScheme: 'light' };
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: 'dark' };

let rig;
let browser;
let context;
let page; // the operator's, on a desktop
// Nothing may outlive the suite, whatever happens inside it (Suite's watchdog).
const suite = new Suite('page', SUITE_TIMEOUT_MS);
const { problems } = suite; // console errors (CSP violations among them) and uncaught exceptions
let isLoggingOut = false; // from then on, the 401s of a page whose session ended are expected

// After the logout, the 401s of a page whose session ended are expected.
const watch = (p, who) => suite.watch(p, who, (text) => isLoggingOut && /status of 401/.test(text));

// The relay's angles, once they satisfy ok(pan, tilt).
async function anglesWhere(what, ok) {
    return waitFor(what, async () => {
        const s = await rig.status();
        return ok(s.pan, s.tilt) ? { pan: s.pan, tilt: s.tilt } : null;
    }, MOVE_TIMEOUT_MS, 50);
}

async function angles() {
    const s = await rig.status();
    return { pan: s.pan, tilt: s.tilt };
}

// Grey levels of the picture as the page shows it, drawn to a canvas; kept in the page so the
// next call can say how many pixels changed meanwhile.
async function pictureChange(p) {
    return p.evaluate(async () => {
        const img = document.getElementById('live');
        // Each frame is a new blob URL in the <img>: between two frames, until the new one is
        // decoded, the <img> has no size. Wait for that frame (a busy machine makes it longer).
        if (!(img.naturalWidth > 0) && img.getAttribute('src')) {
            await new Promise((res) => {
                img.addEventListener('load', res, { once: true });
                setTimeout(res, 2000);
            });
        }
        const w = img.naturalWidth;
        const h = img.naturalHeight;
        if (!(w > 0 && h > 0)) return null;
        const c = document.createElement('canvas');
        c.width = w;
        c.height = h;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, w, h).data;
        const grey = new Uint8Array(w * h);
        let sum = 0;
        for (let i = 0; i < grey.length; i++) {
            grey[i] = (d[4 * i] + d[4 * i + 1] + d[4 * i + 2]) / 3;
            sum += grey[i];
        }
        const prev = window.__lookoutPrev;
        window.__lookoutPrev = grey;
        let changed = -1;
        if (prev && prev.length === grey.length) {
            changed = 0;
            for (let i = 0; i < grey.length; i++) if (Math.abs(grey[i] - prev[i]) > 24) changed++;
        }
        return { w, h, mean: sum / grey.length, changed };
    });
}

async function waitLive(p) {
    await waitFor('the badge to say Live and the picture to show', async () => {
        const text = await p.locator('#badge-text').textContent();
        const isGone = await p.locator('#overlay').evaluate((o) => o.classList.contains('is-gone'));
        const w = await p.locator('#live').evaluate((i) => i.naturalWidth);
        return text === 'Live' && isGone && w > 0;
    }, 20000);
}

// POSTs the page sends to the relay, and the most it ever had in flight at once.
function trackPosts(p) {
    const t = { count: 0, open: 0, maxOpen: 0 };
    const done = (r) => {
        if (r.method() === 'POST') t.open--;
    };
    p.on('request', (r) => {
        if (r.method() !== 'POST') return;
        t.count++;
        t.open++;
        t.maxOpen = Math.max(t.maxOpen, t.open);
    });
    p.on('requestfinished', done);
    p.on('requestfailed', done);
    return t;
}

describe('the page in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
    before(async () => {
        ({ rig, browser } = await suite.start(() => new Rig().start()));
    });

    after(() => suite.stop());

    test('logging in through the form shows the camera', { timeout: CASE_TIMEOUT_MS }, async () => {
        context = await browser.newContext(DESKTOP);
        const p = watch(await context.newPage(), 'operator');
        await p.goto(`${rig.url}/`);
        await p.waitForURL(/\/login$/); // no session: sent to the form, no browser popup
        await p.screenshot({ path: join(ARTEFACTS, 'login.png') });
        page = await login(context, rig, OPERATOR);
        await p.close();
        watch(page, 'operator');
        await waitLive(page);
        assert.equal(await page.locator('#user-name').textContent(), OPERATOR.user);
        assert.ok(await page.getByRole('button', { name: 'Log out' }).isVisible());
    });

    test('the picture loads at its aspect ratio and changes over time', { timeout: CASE_TIMEOUT_MS }, async () => {
        const first = await pictureChange(page);
        assert.equal(first.w, 640);
        assert.equal(first.h, 480);
        assert.ok(first.mean > 20 && first.mean < 235, `picture is blank (mean grey ${first.mean})`);
        const box = await page.locator('#frame').boundingBox();
        assert.ok(Math.abs(box.width / box.height - 640 / 480) < 0.02,
            `frame is ${box.width}x${box.height}, not 4:3`);
        await sleep(1200);
        const second = await pictureChange(page);
        // The simulated camera draws the time and a frame counter: they must have moved on.
        assert.ok(second.changed > 50, `only ${second.changed} pixels changed in 1.2 s`);
        const s = await rig.status();
        assert.equal(s.online, true);
        assert.ok(s.frames > 10);
        assert.equal(await page.locator('#fps').textContent() !== '–', true);

        // Snapshot: a JPEG download named after the moment.
        const [download] = await Promise.all([
            page.waitForEvent('download', { timeout: 10000 }),
            page.getByRole('link', { name: 'Save snapshot' }).click(),
        ]);
        assert.match(download.suggestedFilename(), /^lookout-\d{8}-\d{6}\.jpg$/);
        const jpeg = await readFile(await download.path());
        assert.ok(jpeg.length > 1000 && jpeg[0] === 0xff && jpeg[1] === 0xd8, 'not a JPEG');

        // Full screen: the picture and its buttons, and back.
        await page.getByRole('button', { name: 'Full screen' }).click();
        await waitFor('full screen', () => page.evaluate(() =>
            document.fullscreenElement?.id === 'viewer' &&
            document.getElementById('fullscreen').getAttribute('aria-pressed') === 'true'), 5000);
        await sleep(300); // the browser's own resize settles
        await page.screenshot({ path: join(ARTEFACTS, 'fullscreen.png') });
        await page.getByRole('button', { name: 'Leave full screen' }).click();
        await waitFor('the end of full screen', () => page.evaluate(() =>
            document.fullscreenElement === null &&
            document.getElementById('fullscreen').getAttribute('aria-pressed') === 'false'), 5000);
    });

    test('every control has a name, and the pad is reachable by keyboard', { timeout: CASE_TIMEOUT_MS }, async () => {
        const unnamed = await page.evaluate(() => {
            const nameOf = (e) => (e.getAttribute('aria-label') ||
                (e.getAttribute('aria-labelledby') || '').split(' ')
                    .map((id) => document.getElementById(id)?.textContent || '').join(' ') ||
                (e.labels && Array.from(e.labels).map((l) => l.textContent).join(' ')) ||
                e.textContent || '').trim();
            return Array.from(document.querySelectorAll('button, a[href], input, select, textarea, [role]'))
                .filter((e) => e.getClientRects().length > 0 && !nameOf(e) && e.getAttribute('role') !== 'status')
                .map((e) => e.outerHTML.slice(0, 80));
        });
        assert.deepEqual(unnamed, []);
        // Tab from the top of the page reaches the pad's buttons.
        await page.locator('body').click({ position: { x: 5, y: 5 } });
        const seen = new Set();
        for (let i = 0; i < 20 && !seen.has('Pan right'); i++) {
            await page.keyboard.press('Tab');
            seen.add(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') || ''));
        }
        assert.ok(seen.has('Tilt up') && seen.has('Pan right'), `Tab visited: ${[...seen].join(', ')}`);
    });

    test('the right arrow button and the ArrowRight key turn right', { timeout: CASE_TIMEOUT_MS }, async () => {
        const posts = trackPosts(page);
        const a = await angles();
        await page.getByRole('button', { name: 'Pan right' }).click();
        const b = await anglesWhere('pan to drop by 5 after a click', (pan) => pan === a.pan - 5);
        assert.equal(b.tilt, a.tilt);
        await waitFor(`the page to show pan ${b.pan}°`,
            async () => (await page.locator('#pan').textContent()) === `${b.pan}°`, MOVE_TIMEOUT_MS);

        await page.locator('body').click({ position: { x: 5, y: 5 } }); // focus on nothing in particular
        await page.keyboard.press('ArrowRight');
        await anglesWhere('pan to drop by 5 after ArrowRight', (pan) => pan === b.pan - 5);

        // Two quick clicks are two steps, even while the first move is still on its way.
        const right = page.getByRole('button', { name: 'Pan right' });
        await right.click();
        await right.click();
        await anglesWhere('pan to drop by 10 after two clicks', (pan) => pan === b.pan - 15);
        await page.getByRole('button', { name: 'Pan left' }).click();
        await page.getByRole('button', { name: 'Pan left' }).click();
        await anglesWhere('pan to rise by 10 after two clicks', (pan) => pan === b.pan - 5);

        // Keyboard users: Tab to a button and press Enter.
        await page.getByRole('button', { name: 'Pan left' }).focus();
        await page.keyboard.press('Enter');
        await anglesWhere('pan to rise by 5 after Enter on Pan left', (pan) => pan === b.pan);

        // Held: keeps turning, one request at a time, and stops when let go.
        await page.keyboard.down('ArrowLeft');
        await sleep(1200);
        await page.keyboard.up('ArrowLeft');
        await sleep(400);
        const held = await angles();
        assert.ok(held.pan >= b.pan + 15, `held ArrowLeft for 1.2 s: pan ${b.pan} -> ${held.pan}`);
        await sleep(600);
        assert.equal((await angles()).pan, held.pan, 'still turning after the key was released');
        assert.equal(posts.maxOpen, 1, 'more than one move in flight');
    });

    test('clicking near the left edge of the picture turns left', { timeout: CASE_TIMEOUT_MS }, async () => {
        await page.getByRole('button', { name: 'Home: centre the camera' }).click();
        await anglesWhere('home (90/90)', (pan, tilt) => pan === 90 && tilt === 90);
        await waitFor('the page to show 90°', async () => (await page.locator('#pan').textContent()) === '90°');
        const box = await page.locator('#live').boundingBox();
        const x = box.width * 0.04;
        await page.locator('#live').click({ position: { x, y: box.height / 2 } });
        // Offset from the centre times fov_deg (60) over the width; pan grows to the left.
        const expected = Math.round(90 + (box.width / 2 - x) * 60 / box.width);
        const a = await anglesWhere(`pan near ${expected}`, (pan) => Math.abs(pan - expected) <= 1);
        assert.ok(Math.abs(a.tilt - 90) <= 1, `tilt moved to ${a.tilt}`);

        // The upper half tilts up (tilt decreases).
        await page.locator('#live').click({ position: { x: box.width / 2, y: box.height * 0.25 } });
        await anglesWhere('tilt to go up', (pan, tilt) => tilt < 90 - 5 && Math.abs(pan - a.pan) <= 1);
    });

    test('a preset saved, the camera moved away, then recalled, returns to it', { timeout: CASE_TIMEOUT_MS }, async () => {
        const here = await angles();
        await page.getByLabel('Save this position as').fill('front door');
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        const go = page.getByRole('button', { name: /^Go to front door/ });
        await go.waitFor({ timeout: 5000 });
        assert.match(await go.getAttribute('aria-label'), new RegExp(`pan ${here.pan}°, tilt ${here.tilt}°`));
        await waitFor('the saved preset to be marked current', () => go.evaluate((b) => b.classList.contains('is-current')));
        await page.screenshot({ path: join(ARTEFACTS, 'desktop.png') });

        await page.getByRole('button', { name: 'Home: centre the camera' }).click();
        await anglesWhere('home (90/90)', (pan, tilt) => pan === 90 && tilt === 90);
        await go.click();
        await anglesWhere(`the preset (${here.pan}/${here.tilt})`, (pan, tilt) => pan === here.pan && tilt === here.tilt);

        // Deleting asks once more, then the list is empty again.
        const del = page.getByRole('button', { name: 'Delete front door' });
        await del.click();
        await page.getByRole('button', { name: /^Really delete front door/ }).click();
        await go.waitFor({ state: 'detached', timeout: 5000 });
        assert.ok(await page.locator('#preset-empty').isVisible());
    });

    test('losing the camera shows it offline, and the picture comes back by itself', { timeout: 60000 }, async (t) => {
        const streamPort = rig.streamPort;
        const controlPort = rig.controlPort;
        const lostAt = Date.now();
        await rig.stopCam();
        await waitFor('the offline badge', async () => (await page.locator('#badge-text').textContent()) === 'Offline', 5000);
        const shownAfterMs = Date.now() - lostAt;
        assert.match(await page.locator('#overlay-title').textContent(), /Camera offline/);
        await waitFor('the overlay to fade in', () =>
            page.locator('#overlay').evaluate((o) => getComputedStyle(o).opacity === '1'));
        await sleep(1200); // the relay's own "camera offline" picture arrives meanwhile
        await page.screenshot({ path: join(ARTEFACTS, 'offline.png') });

        await rig.startCam(streamPort, controlPort);
        await waitLive(page);
        await waitFor('the picture to change again', async () => {
            await pictureChange(page);
            await sleep(700);
            return (await pictureChange(page)).changed > 50;
        }, 15000, 0);
        t.diagnostic(`offline shown ${shownAfterMs} ms after the camera died`);
    });

    test('logging out leads back to the login form, in every tab', { timeout: CASE_TIMEOUT_MS }, async () => {
        const other = watch(await context.newPage(), 'operator tab 2');
        await other.goto(`${rig.url}/`);
        await waitLive(other);
        isLoggingOut = true;
        // Out in one tab: that tab gets the form, the other one finds out on its next status.
        await Promise.all([other.waitForURL(/\/login$/), other.getByRole('button', { name: 'Log out' }).click()]);
        await page.waitForURL(/\/login$/, { timeout: 5000 });
        await page.goto(`${rig.url}/`);
        await page.waitForURL(/\/login$/);
        await context.close();
        isLoggingOut = false;
    });

    test('on a 360 px phone: no sideways scroll, and the joystick steers', { timeout: CASE_TIMEOUT_MS }, async () => {
        const ctx = await browser.newContext(PHONE);
        try {
            const p = watch(await login(ctx, rig, OPERATOR), 'phone');
            await waitLive(p);
            const { scrollWidth, clientWidth } = await p.evaluate(() => ({
                scrollWidth: document.documentElement.scrollWidth,
                clientWidth: document.documentElement.clientWidth,
            }));
            assert.ok(scrollWidth <= clientWidth, `scrollWidth ${scrollWidth} > clientWidth ${clientWidth}`);
            assert.ok(await p.locator('#joystick').isVisible(), 'no joystick on a touch screen');
            await p.screenshot({ path: join(ARTEFACTS, 'phone.png') });

            // A finger drags the knob to the right and holds: the camera keeps turning right.
            const a = await angles();
            const knob = await p.locator('#joystick').boundingBox();
            const cx = knob.x + knob.width / 2;
            const cy = knob.y + knob.height / 2;
            const cdp = await ctx.newCDPSession(p);
            const touch = (type, x, y) => cdp.send('Input.dispatchTouchEvent',
                { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
            await touch('touchStart', cx, cy);
            for (let dx = 10; dx <= 60; dx += 10) await touch('touchMove', cx + dx, cy);
            await sleep(1000);
            await touch('touchEnd');
            const b = await anglesWhere('the joystick to turn right', (pan) => pan <= a.pan - 10);
            assert.ok(Math.abs(b.tilt - a.tilt) <= 1, `tilt moved from ${a.tilt} to ${b.tilt}`);

            // A tap on the right part of the picture turns right too.
            const box = await p.locator('#live').boundingBox();
            await p.touchscreen.tap(box.x + box.width * 0.9, box.y + box.height / 2);
            await anglesWhere('a tap to turn right', (pan) => pan <= b.pan - 10);
            await screenshotWholePage(p, join(ARTEFACTS, 'phone-full.png'));

            // Turned sideways: picture and controls side by side, every control inside its panel.
            await p.setViewportSize({ width: 740, height: 360 });
            await sleep(300);
            const out = await p.evaluate(() => {
                const panel = document.getElementById('steer').getBoundingClientRect();
                return ['#joystick', '.dpad'].filter((sel) => {
                    const r = document.querySelector(sel).getBoundingClientRect();
                    return r.left < panel.left || r.right > panel.right || r.top < panel.top || r.bottom > panel.bottom;
                });
            });
            assert.deepEqual(out, [], 'controls spill out of the steering panel');
            assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
            await p.screenshot({ path: join(ARTEFACTS, 'phone-landscape.png') });
        } finally {
            await ctx.close();
        }
    });

    test('the dark theme follows the system', { timeout: CASE_TIMEOUT_MS }, async () => {
        const ctx = await browser.newContext({ ...DESKTOP, colorScheme: 'dark' });
        try {
            const p = watch(await login(ctx, rig, OPERATOR), 'dark');
            await waitLive(p);
            const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
            assert.equal(bg, 'rgb(13, 17, 23)');
            await p.screenshot({ path: join(ARTEFACTS, 'desktop-dark.png') });
        } finally {
            await ctx.close();
        }
    });

    test('a viewer-role user sees no steering controls and cannot steer', { timeout: CASE_TIMEOUT_MS }, async () => {
        const ctx = await browser.newContext(DESKTOP);
        try {
            const p = watch(await login(ctx, rig, VIEWER), 'viewer');
            const posts = trackPosts(p);
            await waitLive(p);
            assert.equal(await p.locator('#user-name').textContent(), VIEWER.user);
            assert.ok(await p.getByText('view only').isVisible());
            for (const name of ['Pan left', 'Pan right', 'Tilt up', 'Tilt down', 'Home: centre the camera']) {
                assert.equal(await p.getByRole('button', { name }).count(), 0, `"${name}" is shown to a viewer`);
            }
            assert.equal(await p.locator('#steer').isVisible(), false);
            assert.equal(await p.locator('#presets').isVisible(), false);
            assert.equal(await p.locator('#joystick').isVisible(), false);
            assert.ok(await p.getByRole('link', { name: 'Save snapshot' }).isVisible());

            const a = await angles();
            await p.keyboard.press('ArrowRight');
            await p.locator('#live').click({ position: { x: 10, y: 10 } });
            await sleep(1000);
            assert.deepEqual(await angles(), a);
            assert.equal(posts.count, 0, 'the viewer\'s page sent a move');
            await p.screenshot({ path: join(ARTEFACTS, 'viewer.png') });
        } finally {
            await ctx.close();
        }
    });

    test('no console errors, CSP violations or exceptions in any page', () => {
        assert.deepEqual(problems, []);
    });
});
