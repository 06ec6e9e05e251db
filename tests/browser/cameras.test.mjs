// Several cameras in Chromium (issue 12): the overview of three tiles, one opened, steered, and
// back; the URL names the camera; a user limited to one camera sees only it. Three lookout-cam
// with different picture sizes, so the page's picture tells which camera it shows.
// Run: node --test tests/browser/   (make test does). Artefacts: build/browser/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import {
    ARTEFACTS, MultiRig, OPERATOR, VIEWER, login, sleep, waitFor, Suite,
} from './harness.mjs';

const SUITE_TIMEOUT_MS = 180000;
const CASE_TIMEOUT_MS = 45000;
const BROWSER_HOST_LIMIT = 6; // HTTP/1.1 connections a browser opens to one host at most
const DESKTOP = { viewport: { width: 1280, height: 800 }, colorScheme: 'light' };

let rig;
let browser;
let context;
let page;
const suite = new Suite('cameras', SUITE_TIMEOUT_MS);
const { problems } = suite; // console errors (CSP violations among them) and uncaught exceptions

// Requests of the page still open, as Chromium's network layer reports them (the DevTools
// protocol): each holds one of the browser's connections to the relay, an MJPEG stream for as
// long as it plays. Idle keep-alive connections hold none.
const open = new Set();
let peak = 0; // the most requests open at once since it was last reset
async function track(p) {
    const cdp = await p.context().newCDPSession(p);
    await cdp.send('Network.enable');
    cdp.on('Network.requestWillBeSent', (e) => {
        open.add(e.requestId);
        peak = Math.max(peak, open.size);
    });
    cdp.on('Network.loadingFinished', (e) => open.delete(e.requestId));
    cdp.on('Network.loadingFailed', (e) => open.delete(e.requestId));
    return p;
}

const watch = (p, who) => suite.watch(p, who);

// The width of the live picture the page shows (0 while none).
function liveWidth(p) {
    return p.evaluate(() => {
        const img = document.getElementById('live');
        return img.getAttribute('src') ? img.naturalWidth : 0;
    });
}

describe('several cameras in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
    before(async () => {
        ({ rig, browser } = await suite.start(() => new MultiRig().start('garden')));
        context = await browser.newContext(DESKTOP);
    });

    after(() => suite.stop());

    test('the overview shows three tiles with pictures, and no live stream', { timeout: CASE_TIMEOUT_MS }, async () => {
        page = await track(watch(await login(context, rig, OPERATOR), 'operator'));
        await waitFor('three tiles', async () => (await page.locator('.tile').count()) === 3);
        assert.deepEqual(await page.locator('.tile-title').allTextContents(),
            ['Back door', 'Front door', 'Garden']);
        await waitFor('a snapshot in every tile', () => page.evaluate(() =>
            Array.from(document.querySelectorAll('.tile-picture'))
                .every((img) => !img.hidden && img.naturalWidth > 0)), 20000);
        assert.equal(await page.locator('#camera-view').isHidden(), true);
        assert.equal(await liveWidth(page), 0);
        // The relay agrees: nobody streams any camera, the tiles are snapshots.
        await waitFor('no stream open on the relay', async () => {
            const list = await page.evaluate(async () => (await fetch('/api/cameras')).json());
            return list.cameras.every((c) => c.viewers === 0);
        });
        // Snapshots one at a time and the list: few connections busy at any moment, so the
        // controls always find one. (The kernel's count also has the idle keep-alive
        // connections the page's files came on; Chromium keeps at most six.)
        peak = open.size;
        await sleep(3000); // a few rounds of snapshots and of the list
        assert.ok(peak <= 2, `${peak} requests open at once in the overview`);
        assert.ok(rig.clientConnections() <= BROWSER_HOST_LIMIT);
        await page.screenshot({ path: join(ARTEFACTS, 'cameras-overview.png') });
    });

    test('a tile opens its camera, the URL names it, and steering keeps connections few', { timeout: CASE_TIMEOUT_MS }, async () => {
        await page.getByRole('link', { name: /^Front door/ }).click();
        await page.waitForURL(/#\/c\/front$/);
        await waitFor('the front camera\'s picture', async () => (await liveWidth(page)) === 480);
        assert.equal(await page.locator('#overview').isHidden(), true);
        assert.equal(await page.locator('#camera-title').textContent(), 'Front door');
        await waitFor('the steering controls', () => page.locator('#steer').isVisible());
        const before = (await rig.nodeStatus('front')).target_pan;

        // Hold "Pan right" for a second while counting the connections to the relay.
        peak = open.size;
        let sockets = 0;
        const button = page.getByRole('button', { name: 'Pan right' });
        const box = await button.boundingBox();
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        for (let i = 0; i < 10; i++) {
            sockets = Math.max(sockets, rig.clientConnections());
            await sleep(100);
        }
        await page.mouse.up();
        await waitFor('the front camera to turn right', async () =>
            (await rig.nodeStatus('front')).target_pan < before);
        // The stream, a move, the status: well below the limit, whatever the tiles did before.
        console.log(`# while steering: at most ${peak} requests open at once, ${sockets} sockets`);
        assert.ok(peak < BROWSER_HOST_LIMIT, `${peak} requests open at once while steering`);
        assert.ok(sockets <= BROWSER_HOST_LIMIT, `${sockets} sockets`);
        // Only this camera moved.
        assert.equal((await rig.nodeStatus('back')).target_pan, 90);
        assert.equal((await rig.nodeStatus('garden')).target_pan, 90);
        await page.screenshot({ path: join(ARTEFACTS, 'cameras-front.png') });
    });

    test('"All cameras" goes back to the overview and lets the stream go', { timeout: CASE_TIMEOUT_MS }, async () => {
        await page.getByRole('link', { name: 'All cameras' }).click();
        await page.waitForURL(/#\/$/);
        await waitFor('the overview', () => page.locator('#overview').isVisible());
        assert.equal(await page.locator('#camera-view').isHidden(), true);
        assert.equal(await liveWidth(page), 0);
        await waitFor('fewer connections than the browser allows',
            () => rig.clientConnections() < BROWSER_HOST_LIMIT);
    });

    test('a bookmarked #/c/NAME opens that camera directly', { timeout: CASE_TIMEOUT_MS }, async () => {
        const p = watch(await context.newPage(), 'bookmark');
        await p.goto(`${rig.url}/#/c/garden`);
        await waitFor('the garden camera\'s picture', async () => (await liveWidth(p)) === 640);
        assert.equal(await p.locator('#camera-title').textContent(), 'Garden');
        await p.close();
    });

    test('a user limited to one camera sees only it, as the one-camera page', { timeout: CASE_TIMEOUT_MS }, async () => {
        const viewerContext = await browser.newContext(DESKTOP);
        const p = watch(await login(viewerContext, rig, VIEWER), 'viewer');
        await waitFor('the garden camera\'s picture', async () => (await liveWidth(p)) === 640);
        assert.equal(await p.locator('#crumbs').isHidden(), true);
        assert.equal(await p.locator('#overview').isHidden(), true);
        const list = await p.evaluate(async () => (await fetch('/api/cameras')).json());
        assert.deepEqual(list.cameras.map((c) => c.name), ['garden']);
        // Another camera's URL shows her camera, not the other one.
        await p.goto(`${rig.url}/#/c/front`);
        await waitFor('her own camera', async () => (await liveWidth(p)) === 640);
        await p.screenshot({ path: join(ARTEFACTS, 'cameras-limited-viewer.png') });
        await viewerContext.close();
    });

    test('no console errors, CSP violations or exceptions in any page', () => {
        assert.deepEqual(problems, []);
    });
});
