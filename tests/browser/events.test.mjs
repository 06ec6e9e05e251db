// Events in Chromium (issue 14): a simulated intruder's event on the timeline and in the list,
// playing it shows moving frames, a viewer cannot delete it, an operator can; the motion mask
// editor draws and saves a rectangle; continuous segments show as a band that downloads one. Artefacts: build/browser/events*.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import { ARTEFACTS, OPERATOR, Rig, VIEWER, login, sleep, waitFor, Suite } from './harness.mjs';

const SUITE_TIMEOUT_MS = 150000;
const CASE_TIMEOUT_MS = 45000;
const DESKTOP = { viewport: { width: 1280, height: 1000 }, colorScheme: 'light' };

let rig;
let browser;
let eventId;
const suite = new Suite('events', SUITE_TIMEOUT_MS);
const { problems } = suite; // console errors (CSP violations among them) and uncaught exceptions

// The viewer's refused delete is expected to log its 403.
const watch = (p, who) => suite.watch(p, who, (text) => /status of 403/.test(text));

async function events() {
    const r = await rig.request('GET', '/api/events');
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body).events;
}

describe('events in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
    before(async () => {
        ({ rig, browser } = await suite.start(() => new Rig().start(['RECORD_DIR=@',
            'RECORD_QUIET_MS=1500', 'RECORD_PREROLL_MS=1000', 'MOTION_SETTLE_MS=1000',
            'RECORD_SEGMENT_S=2'])));
        await sleep(2500); // the detector learns the scene
        const sim = await rig.sim('/sim/intruder?seconds=3');
        assert.equal(sim.status, 200);
        const list = await waitFor('a finished event', async () => {
            const evs = await events();
            return evs.length === 1 && !evs[0].recording ? evs : null;
        }, 20000, 250);
        eventId = list[0].id;
    });

    after(() => suite.stop());

    test('the timeline and the list show the event; playing it shows moving frames', { timeout: CASE_TIMEOUT_MS }, async () => {
        const ctx = await browser.newContext(DESKTOP);
        try {
            const page = watch(await login(ctx, rig, OPERATOR), 'operator');
            const mark = page.locator(`.timeline-mark[data-id="${eventId}"]`);
            await mark.waitFor({ state: 'visible', timeout: 10000 });
            const item = page.locator(`.event-item[data-id="${eventId}"]`);
            await item.waitFor({ state: 'visible' });
            await waitFor('the thumbnail', () => item.locator('img').evaluate((i) => i.complete && i.naturalWidth > 0));
            await mark.click();
            const img = page.locator('#player-img');
            await img.waitFor({ state: 'visible' });
            await waitFor('replayed frames', () => img.evaluate((i) => i.naturalWidth > 0), 10000);
            const a = await img.screenshot();
            await sleep(700);
            const b = await img.screenshot();
            assert.notDeepEqual(a, b, 'the replay shows the same picture twice');
            await page.screenshot({ path: join(ARTEFACTS, 'events.png') });
            const dl = await page.locator('#player-download').getAttribute('href');
            assert.match(dl, new RegExp(`/api/events/${eventId}/recording.mkv$`));
        } finally {
            await ctx.close();
        }
    });

    test('a viewer sees no delete and the relay refuses one', { timeout: CASE_TIMEOUT_MS }, async () => {
        const ctx = await browser.newContext(DESKTOP);
        try {
            const page = watch(await login(ctx, rig, VIEWER), 'viewer');
            const mark = page.locator(`.timeline-mark[data-id="${eventId}"]`);
            await mark.waitFor({ state: 'visible', timeout: 10000 });
            await mark.click();
            await page.locator('#player-img').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#player-delete').isVisible(), false);
            assert.equal(await page.locator('#mask-edit').isVisible(), false);
            const status = await page.evaluate(async (id) =>
                (await fetch(`/api/events/${id}/delete`, { method: 'POST' })).status, eventId);
            assert.equal(status, 403);
            assert.equal((await events()).length, 1);
        } finally {
            await ctx.close();
        }
    });

    test('an operator draws a motion mask and saves it', { timeout: CASE_TIMEOUT_MS }, async () => {
        const ctx = await browser.newContext(DESKTOP);
        try {
            const page = watch(await login(ctx, rig, OPERATOR), 'operator');
            // The picture first: its size sets the frame's (and the layer's) shape.
            await waitFor('the live picture', () => page.locator('#live').evaluate((i) => i.naturalWidth > 0));
            await page.locator('#mask-edit').click();
            const layer = page.locator('#mask-layer');
            await layer.waitFor({ state: 'visible' });
            await page.locator('#mask-panel').waitFor({ state: 'visible' });
            await layer.scrollIntoViewIfNeeded();
            const box = await layer.boundingBox();
            await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
            await page.mouse.down();
            await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.3, { steps: 5 });
            await page.mouse.up();
            await waitFor('the drawn rectangle', async () => (await page.locator('#mask-layer .mask-rect').count()) === 1);
            await page.locator('#mask-save').click();
            await waitFor('the saved mask', async () => {
                const r = await rig.request('GET', '/api/motion');
                return JSON.parse(r.body).masks.length === 1;
            });
            await page.locator('#frame').screenshot({ path: join(ARTEFACTS, 'events-mask.png') });
            await page.locator('#mask-cancel').click();
        } finally {
            await ctx.close();
        }
    });

    test('continuous segments show under the events; a click downloads one', { timeout: CASE_TIMEOUT_MS }, async () => {
        await waitFor('a finished segment', async () => {
            const r = await rig.request('GET', '/api/segments');
            return JSON.parse(r.body).segments.some((x) => !x.recording);
        }, 15000, 250);
        const ctx = await browser.newContext({ ...DESKTOP, acceptDownloads: true });
        try {
            const page = watch(await login(ctx, rig, VIEWER), 'viewer');
            const band = page.locator('.timeline-segments').first();
            await band.waitFor({ state: 'visible', timeout: 10000 });
            assert.match(await band.getAttribute('title'), /^Recorded continuously/);
            const [download] = await Promise.all([page.waitForEvent('download'), band.click()]);
            assert.match(download.suggestedFilename(), /^lookout-cam-segment-\d{8}-\d{6}Z-\d+\.mkv$/);
        } finally {
            await ctx.close();
        }
    });

    test('an operator deletes the event', { timeout: CASE_TIMEOUT_MS }, async () => {
        const ctx = await browser.newContext(DESKTOP);
        try {
            const page = watch(await login(ctx, rig, OPERATOR), 'operator');
            const mark = page.locator(`.timeline-mark[data-id="${eventId}"]`);
            await mark.waitFor({ state: 'visible', timeout: 10000 });
            await mark.click();
            const del = page.locator('#player-delete');
            await del.click();
            await del.click(); // the second click confirms
            await mark.waitFor({ state: 'detached' });
            await waitFor('the event gone from the relay', async () => (await events()).length === 0);
        } finally {
            await ctx.close();
        }
    });

    test('no console errors or exceptions', () => {
        assert.deepEqual(problems, []);
    });
});
