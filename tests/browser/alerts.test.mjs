// The page's alert control in Debian's headless Chromium against the real binaries (issue 15):
// an operator snoozes alerts for an hour and resumes them; a viewer sees the state, no button.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import { ARTEFACTS, OPERATOR, Rig, VIEWER, login, Suite } from './harness.mjs';

const SUITE_TIMEOUT_MS = 120000;
const CASE_TIMEOUT_MS = 30000;

let rig;
let browser;
const suite = new Suite('alert', SUITE_TIMEOUT_MS);
const { problems } = suite; // console errors (CSP violations among them) and uncaught exceptions

const watch = (p, who) => suite.watch(p, who);

describe('alerts on the page', { timeout: SUITE_TIMEOUT_MS }, () => {
    before(async () => {
        ({ rig, browser } = await suite.start(() => new Rig().start()));
    });

    after(() => suite.stop());

    test('an operator snoozes alerts for an hour, then resumes them', { timeout: CASE_TIMEOUT_MS }, async () => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = watch(await login(context, rig, OPERATOR), 'operator');
        const text = page.locator('#alerts-text');
        await text.waitFor({ state: 'visible' });
        assert.equal(await text.textContent(), 'Alerts on');
        await page.getByRole('button', { name: 'Snooze alerts for one hour' }).click();
        await page.waitForFunction(() =>
            document.getElementById('alerts-text').textContent.startsWith('Alerts snoozed until'));
        const state = await page.evaluate(async () => (await fetch('/api/alerts')).json());
        assert.equal(state.armed, false);
        const left = state.snoozed_until_unix - Date.now() / 1000;
        assert.ok(left > 3500 && left <= 3600, `snoozed for ${left} s`);
        await page.screenshot({ path: join(ARTEFACTS, 'alerts-snoozed.png') });
        await page.getByRole('button', { name: 'Resume alerts now' }).click();
        await page.waitForFunction(() =>
            document.getElementById('alerts-text').textContent === 'Alerts on');
        await context.close();
    });

    test('a viewer sees the state but cannot change it', { timeout: CASE_TIMEOUT_MS }, async () => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = watch(await login(context, rig, VIEWER), 'viewer');
        await page.locator('#alerts-text').waitFor({ state: 'visible' });
        assert.equal(await page.locator('#alerts-snooze').isHidden(), true);
        const r = await page.evaluate(async () =>
            (await fetch('/api/alerts/snooze?minutes=60', { method: 'POST' })).status);
        assert.equal(r, 403);
        await context.close();
        assert.deepEqual(problems.filter((p) => !/403/.test(p)), []);
    });
});
