// Sharing from the page in Debian's headless Chromium (issue 16): an admin adds an account and
// makes a guest link on /manage; the guest opens the link in a fresh browser context (no cookie,
// no login) and sees the picture without any control. Screenshots: build/browser/manage.png,
// build/browser/guest.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';

import { ARTEFACTS, OPERATOR, Rig, login, screenshotWholePage, waitFor, Suite } from './harness.mjs';

const SUITE_TIMEOUT_MS = 120000;
const CASE_TIMEOUT_MS = 45000;
const DESKTOP = { viewport: { width: 1280, height: 800 }, colorScheme: 'light' };
const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true, colorScheme: 'dark' };

let rig;
let browser;
let admin;
let linkUrl;
const suite = new Suite('share', SUITE_TIMEOUT_MS);
const { problems } = suite; // console errors (CSP violations among them) and uncaught exceptions

const watch = (p, who) => suite.watch(p, who);

describe('sharing from the page', { timeout: SUITE_TIMEOUT_MS }, () => {
    before(async () => {
        ({ rig, browser } = await suite.start(() => new Rig().start()));
    });

    after(() => suite.stop());

    test('an admin adds an account and makes a guest link', { timeout: CASE_TIMEOUT_MS }, async () => {
        const context = await browser.newContext(DESKTOP);
        const p = watch(await login(context, rig, OPERATOR), 'admin');
        await p.getByRole('link', { name: 'Manage' }).click();
        await p.waitForURL(`${rig.url}/manage`);
        admin = p;

        await p.locator('#account-name').fill('dave');
        await p.locator('#account-role').selectOption('operator');
        await p.locator('#account-password').fill('dave-pass-4242');
        await p.getByRole('button', { name: 'Add account' }).click();
        await waitFor('dave in the accounts', async () =>
            (await p.locator('#account-list').textContent()).includes('dave'));
        assert.match(await p.locator('#notice').textContent(), /dave can log in now/);
        // The new account logs in at once, without a restart.
        const daveCtx = await browser.newContext(DESKTOP);
        const dave = await login(daveCtx, rig, { user: 'dave', password: 'dave-pass-4242' });
        /* The page shows '…' until its first /api/status answers. */
        await waitFor('dave shown as the user', async () =>
            (await dave.locator('#user-name').textContent()) === 'dave');
        await daveCtx.close();

        await p.locator('#link-label').fill('babysitter');
        await p.locator('#link-expires').selectOption('tonight');
        await p.getByRole('button', { name: 'Create link' }).click();
        linkUrl = await waitFor('the link', async () => {
            const v = await p.locator('#link-url').inputValue();
            return /\/s\/[0-9a-f]{64}$/.test(v) ? v : null;
        });
        await waitFor('the link in the list', async () =>
            (await p.locator('#link-list').textContent()).includes('babysitter'));
        // The audit shows who made it.
        await p.locator('#audit-action').selectOption('share_create');
        await p.getByRole('button', { name: 'Show' }).click();
        await waitFor('the audit line', async () =>
            (await p.locator('#audit-list').textContent()).includes('label=babysitter'));
        await screenshotWholePage(p, join(ARTEFACTS, 'manage.png'));
    });

    test('the guest sees the picture without controls and without a login', { timeout: CASE_TIMEOUT_MS }, async () => {
        assert.ok(linkUrl, 'no link from the previous case');
        const context = await browser.newContext(PHONE); // fresh: no cookie
        const g = watch(await context.newPage(), 'guest');
        await g.goto(linkUrl);
        assert.equal(g.url(), linkUrl); // the page itself, not a login redirect
        await waitFor('the picture', () => g.evaluate(() => {
            const img = document.getElementById('live');
            return img.complete && img.naturalWidth > 0;
        }), 15000);
        await waitFor('the guest badge', async () =>
            (await g.locator('#role-tag').textContent()).includes('guest'));
        assert.equal(await g.locator('#steer').isVisible(), false);
        assert.equal(await g.locator('#presets').isVisible(), false);
        assert.equal(await g.getByRole('button', { name: 'Log out' }).isVisible(), false);
        assert.equal(await g.getByRole('link', { name: 'Manage' }).isVisible(), false);
        assert.equal(await g.locator('#aim-hint').isVisible(), false);
        await g.waitForTimeout(500); // a few frames, for the screenshot
        await g.screenshot({ path: join(ARTEFACTS, 'guest.png') });

        // Revoked from the admin's page: the guest's next request is refused.
        await admin.getByRole('button', { name: 'Revoke' }).first().click();
        await waitFor('revoked in the list', async () =>
            (await admin.locator('#link-list').textContent()).includes('revoked'));
        const gone = await context.newPage();
        const r = await gone.goto(linkUrl);
        assert.equal(r.status(), 410);
        assert.match(await gone.locator('#link-gone').textContent(), /was revoked/);
        await context.close();
        assert.deepEqual(problems.filter((x) => !/status of (401|410)/.test(x)), []);
    });
});
