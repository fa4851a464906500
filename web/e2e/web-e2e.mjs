// End-to-end test of guildhall's web client: two users (A, B) in two contexts of headless Debian
// Chromium (playwright-core), plus a real discord.js bot, against one fresh seeded server.
//
// Usage: node web-e2e.mjs BASE_URL SEED_JSON ARTIFACT_DIR   (run by scripts/e2e-web.sh)
//
// Every step has a name, runs with bounded waits (STEP_WAIT), and on failure records the reason and
// screenshots both pages (fail-<step>-A.png / -B.png). Later steps still run when what they need is
// there, so one broken control does not hide the state of the rest. Exit 0 iff every step passed.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const { Client, Events, GatewayIntentBits } = require('discord.js');

const [base, seedPath, artifacts] = process.argv.slice(2);
if (!base || !seedPath || !artifacts) {
  console.error('usage: node web-e2e.mjs BASE_URL SEED_JSON ARTIFACT_DIR');
  process.exit(2);
}
const seed = JSON.parse(fs.readFileSync(seedPath, 'utf8'));
const BOT = seed.bots[0];
const WAIT = 12_000; // one UI expectation
const T0 = Date.now();
const BUDGET = 130_000; // steps starting later are skipped (scripts/e2e-web.sh kills the run at 170 s)
const run = Math.random().toString(36).slice(2, 8);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const elapsed = () => `${((Date.now() - T0) / 1000).toFixed(1)}s`;

// ---------------------------------------------------------------- results

const results = []; // {step, status: pass|fail|skip, ms, error?, notes[]}
const state = {}; // what steps produced: gid, generalId, secretId, bId, ...
let current = null;

function note(text) {
  console.log(`    note: ${text}`);
  current?.notes.push(text);
}

async function step(name, needs, fn) {
  const missing = needs.filter((k) => state[k] === undefined);
  const entry = { step: name, status: 'pass', ms: 0, notes: [], soft: false };
  results.push(entry);
  if (Date.now() - T0 > BUDGET && !name.startsWith('8.')) {
    entry.status = 'skip';
    entry.error = `skipped: the test ran past its ${BUDGET / 1000} s budget`;
    console.log(`SKIP ${name} (${entry.error})`);
    return;
  }
  if (missing.length) {
    entry.status = 'skip';
    entry.error = `skipped: needs ${missing.join(', ')} from an earlier step`;
    console.log(`SKIP ${name} (${entry.error})`);
    return;
  }
  current = entry;
  const t = Date.now();
  console.log(`---- ${name} [${elapsed()}]`);
  try {
    await fn();
    entry.ms = Date.now() - t;
    console.log(`PASS ${name} (${entry.ms} ms)`);
  } catch (err) {
    entry.ms = Date.now() - t;
    entry.status = entry.soft ? 'warn' : 'fail';
    entry.error = String(err?.message ?? err).split('\n').slice(0, 6).join('\n');
    console.log(`${entry.status.toUpperCase()} ${name} (${entry.ms} ms): ${entry.error}`);
    const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40);
    for (const [who, page] of [['A', pageA], ['B', pageB]]) {
      await page?.screenshot({ path: path.join(artifacts, `fail-${slug}-${who}.png`) }).catch(() => {});
    }
  } finally {
    current = null;
  }
}

/** Throws `message` (plus the cause) unless `fn` succeeds within the wait. */
async function expect(message, fn) {
  try {
    return await fn();
  } catch (err) {
    const cause = String(err?.message ?? err).split('\n')[0];
    throw new Error(`${message}\n      (${cause})`);
  }
}

async function waitFor(message, predicate, timeout = WAIT) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await predicate();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`${message} (within ${timeout} ms; last: ${String(last?.message ?? last)})`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------- pages

const args = JSON.parse(fs.readFileSync(new URL('./chromium-flags.json', import.meta.url), 'utf8')).base;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args, // playwright gives the browser a fresh temporary profile
});
const problems = { dialogs: [], pageErrors: [], consoleErrors: [], httpErrors: [] };

async function openPage(who) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: base });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('dialog', async (dialog) => {
    problems.dialogs.push({ who, type: dialog.type(), message: dialog.message() });
    console.log(`    ${who} DIALOG (${dialog.type()}): ${dialog.message()}`);
    await dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (err) => {
    problems.pageErrors.push({ who, message: String(err?.stack ?? err) });
    console.log(`    ${who} PAGE ERROR: ${err}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.consoleErrors.push({ who, text: msg.text(), url: msg.location()?.url });
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.httpErrors.push({ who, status: response.status(), method: response.request().method(), url: response.url().replace(base, '') });
  });
  return page;
}

const pageA = await openPage('A');
const pageB = await openPage('B');

const tid = (page, id) => page.getByTestId(id);
const channelItem = (page, attrs) =>
  page.locator(
    `[data-testid="channel-list"] [data-testid="channel-item"]` +
      Object.entries(attrs)
        .map(([k, v]) => `[data-channel-${k}="${v}"]`)
        .join(''),
  );
/** The rendered message(s) whose content contains `text`. */
const messageWith = (page, text) =>
  page
    .locator('[data-testid="message-list"] [data-testid="message"]')
    .filter({ has: page.getByTestId('message-content').filter({ hasText: text }) });

async function visible(locator, message, timeout = WAIT) {
  await expect(message, () => locator.first().waitFor({ state: 'visible', timeout }));
  return locator.first();
}

async function gone(locator, message, timeout = WAIT) {
  await waitFor(message, async () => (await locator.count()) === 0, timeout);
}

async function send(page, text) {
  const input = await visible(tid(page, 'composer-input'), 'composer-input is not visible');
  await expect('composer-input is disabled', () => waitFor('composer enabled', () => input.isEnabled(), 5000));
  await input.fill(text);
  await input.press('Enter');
}

/** Posts `text` from `page` and returns the message id once `page` shows the server's copy. */
async function post(page, text, who) {
  await send(page, text);
  const msg = await visible(messageWith(page, text), `${who}'s own message "${text}" did not appear in ${who}'s page`);
  return waitFor(
    `${who}'s message "${text}" never got a server id (data-message-id stays a nonce?)`,
    async () => {
      const id = await msg.getAttribute('data-message-id');
      return /^\d{15,21}$/.test(id ?? '') && (await messageWith(page, text).count()) === 1 ? id : null;
    },
    WAIT,
  );
}

/** Closes the open modal with its modal-close button; `inside` is an element of that modal. */
async function closeModal(page, who, inside) {
  const close = tid(page, 'modal-close');
  if ((await close.count()) === 0) throw new Error(`${who}: the modal has no modal-close button`);
  await close.last().click();
  await gone(inside, `${who}: the modal did not close on modal-close`, 5000);
}

const log = (page) => page.evaluate(() => window.__guildhall?.gateway?.log?.map((e) => ({ ...e })) ?? null);
const me = (page) => page.evaluate(() => window.__guildhall?.getState?.()?.me?.id ?? null);

async function openChannel(page, who, channelId) {
  const item = await visible(channelItem(page, { id: channelId }), `${who}: channel ${channelId} not in channel-list`);
  await item.click();
  await expect(`${who}: URL did not change to the channel`, () =>
    page.waitForURL((url) => url.pathname.endsWith(`/${channelId}`), { timeout: WAIT }),
  );
  await visible(tid(page, 'composer-input'), `${who}: no composer-input after opening channel ${channelId}`);
}

// ---------------------------------------------------------------- bot

const botMessages = []; // messageCreate as discord.js parsed it
const bot = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api: `${base}/api` },
});
bot.on(Events.MessageCreate, (m) => botMessages.push({ id: m.id, channelId: m.channelId, content: m.content, author: m.author.id }));
const botReady = new Promise((resolve, reject) => {
  bot.once(Events.ClientReady, resolve);
  setTimeout(() => reject(new Error('discord.js bot: no ClientReady within 20 s')), 20_000);
});
const botLogin = bot.login(BOT.token).then(() => botReady);
botLogin.catch(() => {});

// ---------------------------------------------------------------- scenario

const userA = `alice_${run}`;
const userB = `bob_${run}`;
const password = `pw-${run}-correct-horse`;
const guildName = `E2E Guild ${run}`;

async function register(page, who, username) {
  await expect(`${who}: GET /register failed`, () => page.goto('/register', { waitUntil: 'domcontentloaded' }));
  const name = await visible(tid(page, 'auth-username'), `${who}: /register shows no auth-username input`);
  await name.fill(username);
  await tid(page, 'auth-password').fill(password);
  await tid(page, 'auth-submit').click();
  await visible(tid(page, 'guild-rail'), `${who}: no guild-rail after registering (auth-error: ${await tid(page, 'auth-error').textContent({ timeout: 500 }).catch(() => 'none')})`);
  const token = await page.evaluate(() => localStorage.getItem('guildhall.token'));
  if (!token) throw new Error(`${who}: localStorage guildhall.token not set after registering`);
  const id = await waitFor(`${who}: window.__guildhall.getState().me never set (READY not applied?)`, () => me(page));
  return { token, id };
}

await step('1. A and B register through /register', [], async () => {
  const [a, b] = await Promise.all([register(pageA, 'A', userA), register(pageB, 'B', userB)]);
  Object.assign(state, { aToken: a.token, aId: a.id, bToken: b.token, bId: b.id });
  note(`A=${userA} (${a.id}), B=${userB} (${b.id})`);
});

await step('2a. A creates a guild with Discord\'s default channels', ['aId'], async () => {
  await (await visible(tid(pageA, 'guild-create'), 'A: no guild-create button')).click();
  await (await visible(tid(pageA, 'create-guild-name'), 'A: create-guild modal has no create-guild-name')).fill(guildName);
  await tid(pageA, 'create-guild-submit').click();
  const item = await visible(
    pageA.locator(`[data-testid="guild-rail"] [data-testid="guild-item"][aria-label="${guildName}"]`),
    `A: guild-item aria-label="${guildName}" did not appear in the guild rail`,
  );
  const gid = await item.getAttribute('data-guild-id');
  if (!/^\d+$/.test(gid ?? '')) throw new Error(`A: guild-item has no data-guild-id (${gid})`);
  await item.click();
  const general = await visible(channelItem(pageA, { name: 'general', type: 0 }), 'A: new guild has no text channel "general" (data-channel-type=0)');
  await visible(channelItem(pageA, { name: 'General', type: 2 }), 'A: new guild has no voice channel "General" (data-channel-type=2)');
  const categories = await channelItem(pageA, { type: 4 }).count();
  if (categories < 1) throw new Error('A: new guild has no category (data-channel-type=4)');
  state.generalId = await general.getAttribute('data-channel-id');
  state.gid = gid;
  note(`guild ${gid}, #general ${state.generalId}, ${categories} categories`);
  await openChannel(pageA, 'A', state.generalId);
});

await step('2b. A creates an invite; B accepts it and sees #general', ['gid', 'bId'], async () => {
  await (await visible(tid(pageA, 'invite-create'), 'A: no invite-create button in the guild header')).click();
  const input = await visible(tid(pageA, 'invite-link'), 'A: invite modal has no invite-link input');
  const link = await waitFor('A: invite-link never held base/invite/CODE', async () => {
    const v = await input.inputValue();
    return v.startsWith(`${base}/invite/`) && v.length > `${base}/invite/`.length ? v : null;
  });
  note(`invite ${link}`);
  await closeModal(pageA, 'A', tid(pageA, 'invite-link'));
  await expect('B: could not open the invite link', () => pageB.goto(link, { waitUntil: 'domcontentloaded' }));
  await (await visible(tid(pageB, 'invite-accept'), 'B: invite page has no invite-accept button')).click();
  await visible(
    pageB.locator(`[data-testid="guild-rail"] [data-testid="guild-item"][data-guild-id="${state.gid}"]`),
    'B: the guild did not appear in B\'s guild rail after accepting',
  );
  // Discord lands the joiner in the guild; note when the UI does not, and click the guild as a user would.
  const landed = await pageB
    .waitForURL((url) => url.pathname.startsWith(`/channels/${state.gid}`), { timeout: 3000 })
    .then(() => true, () => false);
  if (!landed) {
    note(`UI: after invite-accept B is at ${new URL(pageB.url()).pathname}, not in the guild; clicking the guild-item`);
    await pageB.locator(`[data-testid="guild-rail"] [data-testid="guild-item"][data-guild-id="${state.gid}"]`).click();
  }
  await visible(channelItem(pageB, { id: state.generalId, name: 'general' }), 'B: #general not in B\'s channel list');
  await openChannel(pageB, 'B', state.generalId);
  state.joined = true;
});

await step('3a. A types (B sees the typing indicator) and posts; B sees it live', ['joined'], async () => {
  const text = `hello from A ${run}`;
  const input = await visible(tid(pageA, 'composer-input'), 'A: composer-input is not visible');
  await input.fill(text);
  const indicator = await visible(tid(pageB, 'typing-indicator'), 'B: no typing-indicator while A types in #general');
  const shown = (await indicator.textContent()) ?? '';
  if (!shown.includes(userA)) throw new Error(`B: typing-indicator says "${shown}", expected A's name ${userA}`);
  await input.press('Enter');
  await visible(messageWith(pageB, text), `B: A's message "${text}" did not appear without reload`);
  await gone(tid(pageB, 'typing-indicator'), 'B: typing-indicator stayed after A\'s message arrived', 5000);
  state.aHelloId = await waitFor('A: own message never got a server id', async () => {
    const id = await messageWith(pageA, text).first().getAttribute('data-message-id');
    return /^\d{15,21}$/.test(id ?? '') ? id : null;
  });
});

await step('3b. B posts and edits; A sees the edit', ['joined'], async () => {
  const text = `B original ${run}`;
  const edited = `B edited ${run}`;
  const id = await post(pageB, text, 'B');
  await visible(messageWith(pageA, text), `A: B's message "${text}" did not appear`);
  const mine = pageB.locator(`[data-testid="message"][data-message-id="${id}"]`);
  await mine.hover();
  await (await visible(mine.getByTestId('message-edit'), 'B: no message-edit button on hover of own message')).click();
  const box = await visible(tid(pageB, 'message-edit-input'), 'B: message-edit-input did not open');
  await box.fill(edited);
  await box.press('Enter');
  await visible(messageWith(pageB, edited), 'B: edited text not shown in B\'s own page');
  const onA = pageA.locator(`[data-testid="message"][data-message-id="${id}"] [data-testid="message-content"]`);
  await waitFor(`A: message ${id} did not change to "${edited}"`, async () => ((await onA.textContent({ timeout: 1000 })) ?? '').includes(edited));
  state.bEditedId = id;
});

await step('3c. B deletes its message; it disappears from A', ['joined'], async () => {
  const text = `B doomed ${run}`;
  const id = await post(pageB, text, 'B');
  const onA = pageA.locator(`[data-testid="message"][data-message-id="${id}"]`);
  await visible(onA, `A: B's message "${text}" did not appear`);
  const mine = pageB.locator(`[data-testid="message"][data-message-id="${id}"]`);
  await mine.hover();
  await (await visible(mine.getByTestId('message-delete'), 'B: no message-delete button on hover')).click();
  await (await visible(tid(pageB, 'confirm-ok'), 'B: delete did not ask confirm-ok')).click();
  await gone(pageB.locator(`[data-testid="message"][data-message-id="${id}"]`), 'B: deleted message still in B\'s page');
  await gone(onA, `A: deleted message ${id} still in A's page`);
});

await step('3d. A reacts to and replies to B\'s message; B sees both', ['bEditedId'], async () => {
  const target = pageA.locator(`[data-testid="message"][data-message-id="${state.bEditedId}"]`);
  await target.hover();
  await (await visible(target.getByTestId('message-react'), 'A: no message-react button on hover')).click();
  const onB = pageB.locator(`[data-testid="message"][data-message-id="${state.bEditedId}"] [data-testid="reaction"][data-emoji="👍"]`);
  await visible(onB, 'B: 👍 reaction (data-emoji) did not appear on the reacted message');
  await waitFor('B: reaction count is not 1', async () => /\b1\b/.test((await onB.textContent()) ?? ''));
  await target.hover();
  await (await visible(target.getByTestId('message-reply'), 'A: no message-reply button on hover')).click();
  await visible(tid(pageA, 'reply-bar'), 'A: reply-bar did not show after message-reply');
  const reply = `A replies ${run}`;
  state.aReplyId = await post(pageA, reply, 'A');
  const onBReply = await visible(messageWith(pageB, reply), `B: A's reply "${reply}" did not appear`);
  const quoted = (await onBReply.textContent()) ?? '';
  if (!quoted.includes(`B edited ${run}`)) note(`B's rendering of the reply does not quote the replied-to text (text: ${quoted.slice(0, 120)})`);
});

await step('3e. A pins a message; B sees it in the pins popover', ['aHelloId'], async () => {
  const target = pageA.locator(`[data-testid="message"][data-message-id="${state.aHelloId}"]`);
  await target.hover();
  await (await visible(target.getByTestId('message-pin'), 'A: no message-pin button on hover')).click();
  await (await visible(tid(pageB, 'pins-button'), 'B: no pins-button in the channel header')).click();
  const popover = await visible(tid(pageB, 'pins-popover'), 'B: pins-popover did not open');
  await visible(popover.getByText(`hello from A ${run}`), 'B: the pinned message is not in the pins popover');
  await tid(pageB, 'pins-button').click();
  await gone(tid(pageB, 'pins-popover'), 'B: pins-popover did not close on a second pins-button click', 5000);
});

await step('4a. A adds the discord.js bot through the add-bot UI', ['gid'], async () => {
  await expect('discord.js bot did not log in', () => botLogin);
  note(`bot ${bot.user.tag} ready; in ${bot.guilds.cache.size} guild(s) before`);
  const button = tid(pageA, 'bot-add');
  if ((await button.count()) === 0) throw new Error('A: no bot-add button in the guild header');
  await button.first().click();
  await (await visible(tid(pageA, 'bot-add-client-id'), 'A: add-bot modal has no bot-add-client-id')).fill(BOT.application_id);
  await tid(pageA, 'bot-add-submit').click();
  await waitFor('discord.js bot never got GUILD_CREATE for A\'s guild (guild not in client.guilds.cache)', () => bot.guilds.cache.has(state.gid));
  await closeModal(pageA, 'A', tid(pageA, 'bot-add-client-id'));
  await visible(
    pageA.locator(`[data-testid="member-list"] [data-testid="member-item"][data-user-id="${BOT.id}"]`),
    'A: the bot did not appear in A\'s member-list',
  );
  state.botIn = true;
});

if (!state.botIn && state.gid && bot.isReady()) {
  // The UI flow failed: add the bot the way the UI should, through Discord's authorize endpoint with
  // A's token, so the bot's messaging can still be checked.
  note('fallback: adding the bot with POST /api/v10/oauth2/authorize from A\'s page');
  const res = await pageA.evaluate(
    async ({ appId, gid }) => {
      const r = await fetch(`/api/v10/oauth2/authorize?client_id=${appId}&scope=bot`, {
        method: 'POST',
        headers: { Authorization: localStorage.getItem('guildhall.token'), 'Content-Type': 'application/json' },
        body: JSON.stringify({ guild_id: gid, permissions: '0', authorize: true }),
      });
      return { status: r.status, body: await r.text() };
    },
    { appId: BOT.application_id, gid: state.gid },
  );
  console.log(`    fallback authorize: ${res.status} ${res.body.slice(0, 200)}`);
  await waitFor('bot in guild after fallback', () => bot.guilds.cache.has(state.gid), 8000)
    .then(() => (state.botIn = true))
    .catch((e) => console.log(`    fallback failed: ${e.message}`));
}

await step('4b. the bot posts in #general; both pages show it; B\'s message reaches the bot', ['botIn', 'joined'], async () => {
  const channel = await expect('bot: cannot fetch #general', () => bot.channels.fetch(state.generalId));
  const text = `beep from ${bot.user.username} ${run}`;
  const sent = await expect('bot: channel.send failed', () => channel.send(text));
  await visible(pageA.locator(`[data-testid="message"][data-message-id="${sent.id}"]`), `A: the bot's message ${sent.id} did not appear`);
  await visible(pageB.locator(`[data-testid="message"][data-message-id="${sent.id}"]`), `B: the bot's message ${sent.id} did not appear`);
  const author = await pageA.locator(`[data-testid="message"][data-message-id="${sent.id}"]`).getAttribute('data-author-id');
  if (author !== BOT.id) throw new Error(`A: bot message data-author-id=${author}, expected ${BOT.id}`);
  const toBot = `hi bot from B ${run}`;
  await post(pageB, toBot, 'B');
  const got = await waitFor(`bot: messageCreate with content "${toBot}" never arrived (saw ${botMessages.length} messages)`, () =>
    botMessages.find((m) => m.content === toBot),
  );
  if (got.author !== state.bId || got.channelId !== state.generalId) {
    throw new Error(`bot: message has author ${got.author} channel ${got.channelId}, expected ${state.bId} in ${state.generalId}`);
  }
});

await step('4c. the bot joins the voice channel (op 4); both pages list it there, and not after it leaves', ['botIn', 'joined'], async () => {
  const voice = await visible(channelItem(pageA, { type: 2 }), 'A: no voice channel in the list');
  const voiceId = await voice.getAttribute('data-channel-id');
  const guild = bot.guilds.cache.get(state.gid);
  if (!guild) throw new Error('bot: the guild is not in its cache');
  const update = (channel_id) => guild.shard.send({ op: 4, d: { guild_id: state.gid, channel_id, self_mute: true, self_deaf: false } });
  update(voiceId);
  for (const [who, page] of [['A', pageA], ['B', pageB]]) {
    const item = page.locator(`[data-testid="channel-item"][data-channel-id="${voiceId}"] + [data-testid="voice-members"] [data-user-id="${BOT.id}"]`);
    await visible(item, `${who}: the bot is not listed under the voice channel`);
    if (!(await item.getByTitle('Muted').count())) throw new Error(`${who}: the bot's self mute is not shown`);
  }
  update(null);
  for (const [who, page] of [['A', pageA], ['B', pageB]]) {
    await gone(page.locator(`[data-testid="voice-members"] [data-user-id="${BOT.id}"]`), `${who}: the bot is still listed in voice after leaving`);
  }
});

await step('5a. A creates text channel "secret" and posts in it', ['joined'], async () => {
  await (await visible(tid(pageA, 'channel-create'), 'A: no channel-create button')).click();
  await (await visible(tid(pageA, 'create-channel-name'), 'A: create-channel modal has no create-channel-name')).fill('secret');
  await tid(pageA, 'create-channel-type').selectOption('0');
  await tid(pageA, 'create-channel-submit').click();
  const item = await visible(channelItem(pageA, { name: 'secret', type: 0 }), 'A: channel "secret" did not appear in A\'s list');
  state.secretId = await item.getAttribute('data-channel-id');
  await visible(channelItem(pageB, { id: state.secretId }), 'B: new channel "secret" did not appear in B\'s list (before any overwrite)');
  await openChannel(pageA, 'A', state.secretId);
  await post(pageA, `secret before ${run}`, 'A');
});

await step('5b. A denies B VIEW_CHANNEL on "secret"; B loses the channel and its events', ['secretId', 'bId'], async () => {
  const item = channelItem(pageA, { id: state.secretId });
  await item.hover();
  await expect('A: no channel-settings button in the "secret" channel-item', () => item.getByTestId('channel-settings').click({ force: true }));
  const select = await visible(tid(pageA, 'overwrite-add'), 'A: channel settings have no overwrite-add select');
  await expect(`A: overwrite-add has no option "member:${state.bId}"`, () => select.selectOption(`member:${state.bId}`, { timeout: 5000 }));
  await (await visible(tid(pageA, 'perm-VIEW_CHANNEL-deny'), 'A: no perm-VIEW_CHANNEL-deny button for B')).click();
  const mark = (await log(pageB))?.length;
  if (mark === undefined) throw new Error('B: window.__guildhall.gateway.log is missing');
  await tid(pageA, 'overwrite-save').click();
  await gone(channelItem(pageB, { id: state.secretId }), 'B: "secret" still in B\'s channel list after the deny overwrite');
  await closeModal(pageA, 'A', tid(pageA, 'overwrite-save'));

  // More traffic in the hidden channel: typing (the composer sends TYPING_START) and messages.
  const hidden = [`secret after 1 ${run}`, `secret after 2 ${run}`, `secret after 3 ${run}`];
  for (const text of hidden) await post(pageA, text, 'A');
  const rest = await pageB.evaluate(async (id) => {
    const r = await fetch(`/api/v10/channels/${id}/messages?limit=5`, { headers: { Authorization: localStorage.getItem('guildhall.token') } });
    return r.status;
  }, state.secretId);
  // Positive control: a message in #general posted after the hidden ones reaches B's log, so
  // anything fanned out for "secret" before it would be in the log too.
  await openChannel(pageA, 'A', state.generalId);
  const control = await post(pageA, `after the secret ones ${run}`, 'A');
  await waitFor('B: the control message in #general never reached B\'s gateway log', async () =>
    ((await log(pageB)) ?? []).slice(mark).some((e) => e.t === 'MESSAGE_CREATE' && e.id === control),
  );
  await sleep(300);
  const after = ((await log(pageB)) ?? []).slice(mark).filter((e) => e.channel_id === state.secretId);
  note(`B's dispatches naming "secret" after the overwrite: ${JSON.stringify(after.map((e) => e.t)) || '[]'}`);
  const leaked = after.filter((e) => e.t !== 'CHANNEL_DELETE');
  if (leaked.length) throw new Error(`B got dispatches for the hidden channel after the overwrite: ${JSON.stringify(leaked)}`);
  const html = await pageB.content();
  for (const text of hidden) if (html.includes(text)) throw new Error(`B's page contains hidden text "${text}"`);
  if (rest !== 403 && rest !== 404) throw new Error(`B: GET /channels/secret/messages answered ${rest}, expected 403/404`);
  note(`B: GET secret messages -> ${rest}`);
});

const XSS = ['<img src=x onerror=alert(1)>', '<script>window.__pwned=1</script>'];
await step('6. HTML in message content renders as literal text', ['joined'], async () => {
  await openChannel(pageA, 'A', state.generalId);
  const ids = [];
  for (const text of XSS) ids.push(await post(pageA, text, 'A'));
  await sleep(300); // let an onerror (if any) fire
  for (const [who, page] of [['A', pageA], ['B', pageB]]) {
    for (const [i, text] of XSS.entries()) {
      const loc = page.locator(`[data-testid="message"][data-message-id="${ids[i]}"] [data-testid="message-content"]`);
      await visible(loc, `${who}: message ${ids[i]} not shown`);
      const probe = await loc.first().evaluate((el) => ({ text: el.textContent, tags: el.querySelectorAll('img,script,iframe,svg').length }));
      if (probe.text !== text) throw new Error(`${who}: message-content textContent is ${JSON.stringify(probe.text)}, expected ${JSON.stringify(text)}`);
      if (probe.tags) throw new Error(`${who}: message-content of ${JSON.stringify(text)} contains ${probe.tags} img/script/iframe/svg element(s)`);
    }
    const pwned = await page.evaluate(() => window.__pwned);
    if (pwned !== undefined) throw new Error(`${who}: window.__pwned = ${pwned}`);
  }
  const ones = problems.dialogs.filter((d) => d.message.includes('1'));
  if (ones.length) throw new Error(`dialog(s) fired: ${JSON.stringify(ones)}`);
});

await step('7. B\'s gateway drops and resumes without losing a message', ['joined'], async () => {
  const mark = (await log(pageB))?.length;
  if (mark === undefined) throw new Error('B: window.__guildhall.gateway.log is missing');
  // Hold B's reconnection (Playwright's WebSocket route) until A's message is stored, so the message
  // can only reach B through the server's replay of missed dispatches on RESUME.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  const reconnects = [];
  await pageB.routeWebSocket(/\/gateway/, async (ws) => {
    reconnects.push(ws.url());
    await held;
    ws.connectToServer();
  });
  const dropped = await pageB.evaluate(() => {
    const g = window.__guildhall?.gateway;
    if (typeof g?.dropConnection !== 'function') return false;
    g.dropConnection();
    return true;
  });
  if (!dropped) throw new Error('B: window.__guildhall.gateway.dropConnection is missing');
  try {
    await waitFor('B: getState().connection did not leave "ready" after dropConnection()', () =>
      pageB.evaluate(() => window.__guildhall.getState().connection !== 'ready'),
      5000,
    );
    await waitFor('B: did not try to reconnect within 5 s of the drop', () => reconnects.length > 0, 5000);
    const text = `while B was away ${run}`;
    state.awayId = await post(pageA, text, 'A');
    if ((await messageWith(pageB, text).count()) !== 0) throw new Error('B shows the message while its connection is held (test setup broken)');
    release();
    await visible(messageWith(pageB, text), `B: "${text}" (posted while B was disconnected) never arrived after the reconnect`);
    const since = await waitFor('B: no RESUMED in the gateway log after the drop', async () => {
      const l = ((await log(pageB)) ?? []).slice(mark);
      return l.some((e) => e.t === 'RESUMED') ? l : null;
    });
    note(`B reconnected to ${reconnects.join(', ')}; dispatches after the drop: ${since.map((e) => e.t).join(', ')}`);
    if (since.some((e) => e.t === 'READY')) throw new Error(`B re-identified (READY) instead of resuming: ${JSON.stringify(since.map((e) => e.t))}`);
    const replayed = since.filter((e) => e.t === 'MESSAGE_CREATE' && e.id === state.awayId);
    if (replayed.length !== 1) throw new Error(`B's log has ${replayed.length} MESSAGE_CREATE for ${state.awayId} after the drop, expected exactly 1`);
    if ((await messageWith(pageB, text).count()) !== 1) throw new Error(`B shows "${text}" more than once`);
    await waitFor('B: getState().connection is not "ready" after RESUMED', () => pageB.evaluate(() => window.__guildhall.getState().connection === 'ready'), 5000);
  } finally {
    release();
  }
});

await step('7b. both pages list #general\'s messages once each, oldest first, the same set', ['joined'], async () => {
  const ids = {};
  for (const [who, page] of [['A', pageA], ['B', pageB]]) {
    await openChannel(page, who, state.generalId);
    await sleep(200);
    ids[who] = await page.$$eval('[data-testid="message-list"] [data-testid="message"]', (els) => els.map((e) => e.getAttribute('data-message-id')));
    const seen = new Set();
    for (const [i, id] of ids[who].entries()) {
      if (seen.has(id)) throw new Error(`${who}: message ${id} is listed twice`);
      seen.add(id);
      if (i > 0 && BigInt(ids[who][i - 1]) >= BigInt(id)) {
        const texts = await page.$$eval('[data-testid="message-list"] [data-testid="message"] [data-testid="message-content"]', (els) => els.map((e) => e.textContent));
        const store = await page.evaluate((cid) => window.__guildhall.getState().messages[cid]?.list.map((m) => m.id), state.generalId);
        const storeSorted = store?.every((x, j) => j === 0 || BigInt(store[j - 1]) < BigInt(x));
        throw new Error(`${who}: message ${id} is listed after ${ids[who][i - 1]} (not in id/time order; the store's list is ${storeSorted ? 'sorted' : 'NOT sorted'}); ${who}'s list: ${JSON.stringify(texts)}`);
      }
    }
  }
  if (ids.A.join() !== ids.B.join()) throw new Error(`A and B list different messages in #general:\n      A ${ids.A.join(' ')}\n      B ${ids.B.join(' ')}`);
  note(`${ids.A.length} messages in #general, same order in both pages`);
});

await step('7c. A sets Do Not Disturb; B\'s member list shows it', ['joined'], async () => {
  const onB = pageB.locator(`[data-testid="member-list"] [data-testid="member-item"][data-user-id="${state.aId}"]`);
  await (await visible(tid(pageA, 'status-button'), 'A: no status-button')).click();
  await (await visible(tid(pageA, 'status-dnd'), 'A: status menu has no status-dnd')).click();
  await waitFor('B: A\'s member-item data-status did not become dnd', async () => (await onB.getAttribute('data-status', { timeout: 1000 })) === 'dnd');
  await tid(pageA, 'status-button').click();
  await (await visible(tid(pageA, 'status-online'), 'A: status menu has no status-online')).click();
  await waitFor('B: A\'s member-item data-status did not return to online', async () => (await onB.getAttribute('data-status', { timeout: 1000 })) === 'online');
});

await step('7d. presence: connected users and the bot show online in both member lists', ['joined'], async () => {
  const status = (page, id) =>
    page.locator(`[data-testid="member-list"] [data-testid="member-item"][data-user-id="${id}"]`).first().getAttribute('data-status', { timeout: 3000 }).catch(() => 'missing');
  const seen = {
    'A sees B': await status(pageA, state.bId),
    'B sees A': await status(pageB, state.aId),
    'A sees bot': state.botIn ? await status(pageA, BOT.id) : 'n/a',
    'B sees bot': state.botIn ? await status(pageB, BOT.id) : 'n/a',
  };
  const counts = {};
  for (const [who, page] of [['A', pageA], ['B', pageB]]) {
    counts[who] = ((await log(page)) ?? []).filter((e) => e.t === 'PRESENCE_UPDATE').length;
  }
  note(`member-item data-status: ${JSON.stringify(seen)}; PRESENCE_UPDATE dispatches: ${JSON.stringify(counts)}`);
  const wrong = Object.entries(seen).filter(([, v]) => v !== 'online' && v !== 'n/a');
  if (wrong.length) throw new Error(`connected users/bots not shown online: ${wrong.map(([k, v]) => `${k} ${v}`).join(', ')}`);
});

await step('7e. history loads as B scrolls up (infinite scroll over 120 messages)', ['joined', 'botIn'], async () => {
  // A makes the channel over REST (channel creation through the UI is step 5a); the bot fills it.
  const api = async (token, method, route, body) => {
    const response = await fetch(`${base}/api/v10${route}`, {
      method,
      headers: { Authorization: token, 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const channel = await api(state.aToken, 'POST', `/guilds/${state.gid}/channels`, { name: 'history', type: 0 });
  for (let i = 1; i <= 120; i++) await api(`Bot ${BOT.token}`, 'POST', `/channels/${channel.id}/messages`, { content: `history ${i}` });
  await openChannel(pageB, 'B', channel.id);
  const list = pageB.locator('[data-testid="message-list"] [data-testid="message"]');
  await visible(messageWith(pageB, 'history 120'), 'B: the newest message is not shown');
  await waitFor('B: the first page is not 50 messages', async () => (await list.count()) === 50);
  const start = pageB.getByText('This is the start of the #history channel.');
  if (await start.count()) throw new Error('B: the start of the channel is shown before older pages loaded');
  for (const expected of [100, 120]) {
    await tid(pageB, 'message-list').evaluate((el) => (el.scrollTop = 0));
    await waitFor(`B: scrolling up did not load up to ${expected} messages`, async () => (await list.count()) === expected);
  }
  await visible(pageB.getByTestId('message-content').filter({ hasText: /^history 1$/ }), 'B: "history 1" not shown after scrolling');
  await visible(start, 'B: the channel start is not shown after the last page');
  const ids = await list.evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')));
  const sorted = [...ids].sort((a, b) => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0));
  if (JSON.stringify(ids) !== JSON.stringify(sorted) || new Set(ids).size !== 120) throw new Error('B: history is not 120 distinct messages oldest first');
  await openChannel(pageB, 'B', state.generalId);
});

await step('7f. A makes a hoisted role and gives it to B; B is listed under it', ['joined'], async () => {
  await (await visible(tid(pageA, 'guild-settings'), 'A: no guild-settings button')).click();
  await (await visible(tid(pageA, 'role-create'), 'A: no role-create in server settings')).click();
  const editor = await visible(tid(pageA, 'role-editor'), 'A: no role-editor after role-create');
  const roleId = await editor.getAttribute('data-role-id');
  await tid(pageA, 'role-name').fill('Moderators');
  await tid(pageA, 'role-hoist').check();
  await tid(pageA, 'role-save').click();
  await waitFor('A: the role was not saved as hoisted "Moderators"', () =>
    pageA.evaluate(([gid, id]) => {
      const role = window.__guildhall.getState().guilds[gid].guild.roles.find((r) => r.id === id);
      return role?.name === 'Moderators' && role.hoist;
    }, [state.gid, roleId]),
  );
  await (await visible(tid(pageA, 'settings-tab-members'), 'A: no members tab')).click();
  const row = await visible(pageA.locator(`[data-testid="settings-member"][data-user-id="${state.bId}"]`), 'A: B not in the members tab');
  await row.getByTestId('member-roles-edit').click();
  await (await visible(pageA.locator(`[data-testid="member-role"][data-role-id="${roleId}"]`), 'A: no toggle for the new role')).click();
  const group = pageB.locator(`[data-testid="member-group"][data-group="${roleId}"]`);
  await visible(group.locator(`[data-testid="member-item"][data-user-id="${state.bId}"]`), 'B: not listed under the hoisted role in B\'s member list');
  const title = await group.locator('h3').textContent();
  if (!/^Moderators — 1$/.test(title ?? '')) throw new Error(`B: the group is titled "${title}"`);
  await closeModal(pageA, 'A', pageA.locator('[role="dialog"][data-testid="guild-settings"]'));
});

await step('8. screenshots at 1440x900', [], async () => {
  if (state.generalId) {
    for (const [who, page] of [['A', pageA], ['B', pageB]]) {
      const item = channelItem(page, { id: state.generalId });
      if (await item.count()) await item.click({ timeout: 3000 }).catch(() => note(`${who}: could not open #general`));
    }
  }
  await sleep(400);
  await pageA.mouse.move(0, 0);
  await pageB.mouse.move(0, 0);
  await pageA.screenshot({ path: path.join(artifacts, 'main-view.png') });
  await pageB.screenshot({ path: path.join(artifacts, 'member-view.png') });
  for (const [who, page] of [['A', pageA], ['B', pageB]]) {
    const counts = await page.evaluate(() => ({
      guilds: document.querySelectorAll('[data-testid="guild-item"]').length,
      channels: document.querySelectorAll('[data-testid="channel-item"]').length,
      messages: document.querySelectorAll('[data-testid="message"]').length,
      reactions: document.querySelectorAll('[data-testid="reaction"]').length,
      members: document.querySelectorAll('[data-testid="member-item"]').length,
    }));
    note(`${who}: ${JSON.stringify(counts)}`);
  }
});

await step('9. A bans B from the member list; the guild leaves B\'s page', ['joined'], async () => {
  await (await visible(pageA.locator(`[data-testid="member-list"] [data-testid="member-item"][data-user-id="${state.bId}"]`), 'A: B not in the member list')).click();
  await (await visible(tid(pageA, 'member-ban'), 'A: no member-ban in B\'s member menu')).click();
  await (await visible(tid(pageA, 'confirm-ok'), 'A: no confirmation for the ban')).click();
  await gone(pageB.locator(`[data-testid="guild-item"][data-guild-id="${state.gid}"]`), 'B: the guild is still in B\'s rail');
  await expect('B: not sent home after the ban', () => pageB.waitForURL((url) => url.pathname === '/channels/@me', { timeout: WAIT }));
  await gone(pageA.locator(`[data-testid="member-list"] [data-testid="member-item"][data-user-id="${state.bId}"]`), 'A: B still in the member list');
  const bans = await fetch(`${base}/api/v10/guilds/${state.gid}/bans`, { headers: { Authorization: state.aToken } }).then((r) => r.json());
  if (!bans.some((b) => b.user.id === state.bId)) throw new Error('the ban list does not have B');
});

// ---------------------------------------------------------------- report

await bot.destroy().catch(() => {});
await browser.close().catch(() => {});

const dialogsWithOne = problems.dialogs.filter((d) => d.message.includes('1'));
const report = { base, run, elapsed_s: (Date.now() - T0) / 1000, results, problems };
fs.writeFileSync(path.join(artifacts, 'results.json'), JSON.stringify(report, null, 2));

console.log('\n==== web e2e summary');
for (const r of results) console.log(`${r.status.toUpperCase().padEnd(4)} ${r.step}${r.error ? `\n       ${r.error.replace(/\n/g, '\n       ')}` : ''}`);
if (problems.pageErrors.length) console.log(`page errors:\n  ${problems.pageErrors.map((e) => `${e.who}: ${e.message.split('\n')[0]}`).join('\n  ')}`);
if (problems.consoleErrors.length) {
  console.log(`console errors (${problems.consoleErrors.length}, not failing):\n  ${problems.consoleErrors.slice(0, 15).map((e) => `${e.who}: ${e.text.slice(0, 200)}${e.url ? ` [${e.url.replace(base, '')}]` : ''}`).join('\n  ')}`);
}
if (problems.httpErrors.length) {
  console.log(`HTTP errors seen by the pages (not failing):\n  ${problems.httpErrors.map((e) => `${e.who}: ${e.status} ${e.method} ${e.url}`).join('\n  ')}`);
}
if (problems.dialogs.length) console.log(`dialogs: ${JSON.stringify(problems.dialogs)}`);
const failed = results.filter((r) => r.status === 'fail' || r.status === 'skip').length + problems.pageErrors.length + dialogsWithOne.length;
console.log(`${results.filter((r) => r.status === 'pass').length}/${results.length} steps passed, ${problems.pageErrors.length} page errors, ${dialogsWithOne.length} alert(1) dialogs, ${elapsed()}`);
process.exit(failed ? 1 : 0);
