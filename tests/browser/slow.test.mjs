// A viewer on a slow link (issue 17), in Debian's headless Chromium against the real binaries:
// the page says how late the picture is, and its frame-rate choice asks the relay for a lighter
// stream (/mjpeg?fps=N) that it remembers. Artefacts (screenshots): build/browser/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import { ARTEFACTS, OPERATOR, Rig, login, waitFor, Suite } from './harness.mjs';

const SUITE_TIMEOUT_MS = 150000;
const CASE_TIMEOUT_MS = 60000;
const DESKTOP = { viewport: { width: 1280, height: 800 }, colorScheme: 'light' };

let rig;
let browser;
let context;
let page;
const suite = new Suite('slow link', SUITE_TIMEOUT_MS);
const { problems } = suite; // console errors (CSP violations among them) and uncaught exceptions

// The stream URLs the page opens, newest last.
function trackStreams(p) {
    const urls = [];
    p.on('request', (r) => {
        if (new URL(r.url()).pathname === '/mjpeg') urls.push(r.url());
    });
    return urls;
}

async function badge(p) {
    return p.locator('#badge-text').textContent();
}

describe('the page on a slow link', { timeout: SUITE_TIMEOUT_MS }, () => {
    before(async () => {
        ({ rig, browser } = await suite.start(() => new Rig().start()));
        context = await browser.newContext(DESKTOP);
        page = await login(context, rig, OPERATOR);
        suite.watch(page, 'operator');
    });

    after(() => suite.stop());

    test('on a fast link the picture is live, not late', { timeout: CASE_TIMEOUT_MS }, async () => {
        await waitFor('a live picture', async () => (await badge(page)) === 'Live' &&
            (await page.locator('#live').evaluate((i) => i.naturalWidth)) > 0, 20000);
        assert.ok(await page.locator('#lag').isHidden());
        assert.equal(await page.locator('#rate').inputValue(), '');
    });

    test('throttled to 30 KB/s, the page says how late the picture is', { timeout: CASE_TIMEOUT_MS }, async () => {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', {
            offline: false, latency: 50, downloadThroughput: 30 * 1024, uploadThroughput: 30 * 1024,
        });
        // The current stream is already open at full speed: start it again under the throttle.
        await page.evaluate(() => {
            document.getElementById('rate').dispatchEvent(new Event('change'));
        });
        const text = await waitFor('the badge to say the picture is late', async () => {
            const t = await badge(page);
            return /^\d+\.\d s late$/i.test(t) ? t : null;
        }, 40000, 200);
        assert.ok(await page.locator('#lag').isVisible());
        const lag = await page.locator('#lag').textContent();
        assert.match(lag, /Slow connection: the picture is \d+\.\d s late\. A lower rate gets fresher pictures\./);
        await page.screenshot({ path: join(ARTEFACTS, 'slow-link-late.png') });
        console.log(`# late: badge "${text}", note "${lag}"`);
        await cdp.send('Network.emulateNetworkConditions', {
            offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
        });
        await cdp.detach();
    });

    test('choosing 2 fps asks the relay for ?fps=2, and is remembered', { timeout: CASE_TIMEOUT_MS }, async () => {
        const urls = trackStreams(page);
        await page.locator('#rate').selectOption('2');
        await waitFor('a stream opened with fps=2', async () => urls.some((u) => /[?&]fps=2(&|$)/.test(u)));
        await waitFor('a live picture at 2 fps', async () => (await badge(page)) === 'Live' &&
            (await page.locator('#live').evaluate((i) => i.naturalWidth)) > 0, 20000);
        await page.screenshot({ path: join(ARTEFACTS, 'slow-link-2fps.png') });

        const again = await context.newPage();
        const againUrls = trackStreams(again);
        await again.goto(`${rig.url}/`);
        await waitFor('the new page to open its stream', async () => againUrls.length > 0);
        assert.equal(await again.locator('#rate').inputValue(), '2');
        assert.match(againUrls[0], /[?&]fps=2(&|$)/);
        await again.close();

        await page.locator('#rate').selectOption('');
        await waitFor('a full-rate stream', async () => !/[?&]fps=/.test(urls[urls.length - 1]));
    });

    test('no console errors, CSP violations or exceptions', () => {
        assert.deepEqual(problems, []);
    });
});
