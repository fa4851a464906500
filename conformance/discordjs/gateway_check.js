'use strict';
// discord.js 14 (unmodified, from npm) against guildhall's gateway.
//
// Three seeded bots log in in one process: A (bot 0, guild owner) and B (bot 1) request Guilds,
// GuildMembers, GuildMessages, GuildMessageReactions and MessageContent; C (bot 2) requests the same
// without MessageContent. Each named check drives the library's own calls and waits for the event the
// library parsed, always registering the wait *before* the action. The last checks force a disconnect
// of A through the test hook while B streams messages, and expect a RESUME with every message delivered
// exactly once and the raw dispatch sequence strictly consecutive.
//
// discord.js asks for zlib-stream iff the optional `zlib-sync` module can be required. EXPECTED_COMPRESS
// "none" hides zlib-sync from the module resolver (before discord.js loads) so the same install covers
// both the plain-JSON and the zlib-stream paths.
//
// Usage: node gateway_check.js BASE_URL SEED_JSON RESULTS_JSON LIBRARY_NAME none|zlib-stream
// Writes {LIBRARY_NAME: {check: "pass"|"fail"}} to RESULTS_JSON; reasons go to stderr. Exit 0 iff all pass.

const fs = require('node:fs');
const Module = require('node:module');

const [base, seedPath, resultsPath, library, expectedCompress] = process.argv.slice(2);
const seed = JSON.parse(fs.readFileSync(seedPath, 'utf8'));
const WAIT = 10_000;
const READY_WAIT = 20_000;
const STREAM = 40;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

if (expectedCompress === 'none') {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === 'zlib-sync') {
      const err = new Error("Cannot find module 'zlib-sync' (hidden by gateway_check.js)");
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    }
    return resolve.call(this, request, ...rest);
  };
}

const path = require('node:path');
const { Client, Events, GatewayIntentBits, TextChannel, VoiceChannel, ChannelType } = require('discord.js');

// Observation only: whether each frame reached the shard as binary (transport compression) or text.
const wsPath = require.resolve('@discordjs/ws', { paths: [path.dirname(require.resolve('discord.js'))] });
const { WebSocketShard } = require(wsPath);
const frameKinds = new Map(); // strategy token -> {binary, text}
const unpack = WebSocketShard.prototype.unpackMessage;
WebSocketShard.prototype.unpackMessage = function (data, isBinary) {
  const key = this.strategy.options.token;
  const kinds = frameKinds.get(key) ?? { binary: 0, text: 0 };
  kinds[isBinary ? 'binary' : 'text'] += 1;
  frameKinds.set(key, kinds);
  return unpack.call(this, data, isBinary);
};

// Holds back one reconnect of a bot (by token) for the resume check, as a slow network would.
const reconnectDelay = new Map();
const internalConnect = WebSocketShard.prototype.internalConnect;
WebSocketShard.prototype.internalConnect = async function () {
  const delay = reconnectDelay.get(this.strategy.options.token);
  if (delay) {
    reconnectDelay.delete(this.strategy.options.token);
    await sleep(delay);
  }
  return internalConnect.call(this);
};

const GUILD = seed.guild.id;
const TEXT = seed.text_channels[0].id;
const VOICE = seed.voice_channels[0].id;

class Bot {
  constructor(name, record, intents) {
    this.name = name;
    this.record = record;
    this.id = record.id;
    this.client = new Client({ intents, rest: { api: `${base}/api` } });
    this.frames = []; // every dispatch discord.js saw: t, s
    this.urls = []; // every gateway URL the shard connected to
    this.resumed = 0;
    this.stream = new Map();
    this.streamChannels = new Set();
    this.closeCodes = [];
    this.replayed = 0;
    this.client.on(Events.Raw, (packet) => this.frames.push({ op: packet.op, t: packet.t, s: packet.s }));
    this.client.on(Events.Debug, (message) => {
      const m = /Connecting to (\S+)/.exec(message);
      if (m) this.urls.push(m[1]);
    });
    this.client.on(Events.ShardResume, () => {
      this.resumed += 1;
    });
    this.client.on(Events.MessageCreate, (message) => {
      if (this.streamChannels.has(message.channelId) && message.content.startsWith('stream-')) {
        this.stream.set(message.content, (this.stream.get(message.content) ?? 0) + 1);
      }
    });
  }

  async login() {
    const ready = this.expect(Events.ClientReady, () => true, READY_WAIT);
    await this.client.login(this.record.token);
    await ready;
  }

  /** What the bot saw around the forced disconnect, for failure messages. */
  trace() {
    const tail = this.frames.slice(-30).map((f) => `${f.t}#${f.s}`);
    return `close codes ${this.closeCodes}, gateway URLs ${this.urls}, last dispatches ${tail}`;
  }

  guild() {
    const guild = this.client.guilds.cache.get(GUILD);
    assert(guild, `${this.name}: guild ${GUILD} not in cache`);
    return guild;
  }

  channel() {
    const channel = this.guild().channels.cache.get(TEXT);
    assert(channel, `${this.name}: text channel not in cache`);
    return channel;
  }

  kinds() {
    return frameKinds.get(this.record.token) ?? { binary: 0, text: 0 };
  }

  /** Registers the wait now (before the action that should cause the event). */
  expect(event, predicate, timeout = WAIT) {
    const promise = new Promise((resolve, reject) => {
      const listener = (...args) => {
        let ok;
        try {
          ok = predicate(...args);
        } catch (e) {
          ok = false;
        }
        if (ok) {
          clearTimeout(timer);
          this.client.off(event, listener);
          resolve(args);
        }
      };
      const timer = setTimeout(() => {
        this.client.off(event, listener);
        reject(new Error(`${this.name}: timed out waiting for ${event}`));
      }, timeout);
      this.client.on(event, listener);
    });
    // Marks the promise handled, so a wait that is never awaited (an earlier await failed) does not
    // crash the process as an unhandled rejection; awaiting it still throws.
    promise.catch(() => {});
    return promise;
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const results = {};
const state = {};

async function check(name, fn) {
  const start = Date.now();
  try {
    await fn();
  } catch (e) {
    results[name] = 'fail';
    console.error(`[${library}] FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
    return false;
  }
  results[name] = 'pass';
  console.error(`[${library}] pass ${name} (${((Date.now() - start) / 1000).toFixed(2)}s)`);
  return true;
}

async function checkReady(a, b, c) {
  const outcome = await Promise.allSettled([a.login(), b.login(), c.login()]);
  const failed = outcome.map((o, i) => [[a, b, c][i].name, o]).filter(([, o]) => o.status === 'rejected');
  assert(failed.length === 0, `not ready: ${failed.map(([n, o]) => `${n}: ${o.reason}`).join('; ')}`);
  for (const [bot, others] of [[a, [b, c]], [b, [a, c]]]) {
    const guild = bot.guild();
    assert(guild.name === seed.guild.name, `${bot.name}: guild name ${guild.name}`);
    assert(guild.channels.cache.get(TEXT) instanceof TextChannel, `${bot.name}: text channel missing`);
    assert(guild.channels.cache.get(VOICE) instanceof VoiceChannel, `${bot.name}: voice channel missing`);
    assert(guild.roles.everyone && guild.roles.cache.has(GUILD), `${bot.name}: @everyone missing`);
    assert(guild.members.me && guild.members.me.id === bot.id, `${bot.name}: itself not among members`);
  }
  assert(c.guild().members.me, 'C: itself not among members');
}

async function checkMembersChunk(a, b, c) {
  // Without GUILD_PRESENCES, Discord's GUILD_CREATE lists only the bot itself (and members in voice);
  // discord.js does not chunk on its own, so ask: op 8 REQUEST_GUILD_MEMBERS -> GUILD_MEMBERS_CHUNK.
  for (const [bot, others] of [[a, [b, c]], [b, [a, c]]]) {
    const members = await bot.guild().members.fetch({ time: WAIT });
    const total = seed.bots.length + seed.users.length;
    assert(members.size === total, `${bot.name}: ${members.size} members fetched, expected ${total}`);
    for (const other of others) {
      const member = bot.guild().members.cache.get(other.id);
      assert(member && member.user.bot, `${bot.name}: member ${other.name} missing after the chunk`);
    }
  }
}

async function checkCompression(a) {
  assert(a.urls.length > 0, 'no gateway URL seen in the debug log');
  const query = new URL(a.urls[0]).searchParams;
  const asked = query.get('compress') ?? 'none';
  assert(asked === expectedCompress, `asked for ${asked} in ${a.urls[0]}`);
  assert(query.get('v') === '10' && query.get('encoding') === 'json', `query ${query}`);
}

async function checkFramesCompressed(a) {
  const kinds = a.kinds();
  if (expectedCompress === 'none') {
    assert(kinds.text > 0 && kinds.binary === 0, `frames ${JSON.stringify(kinds)} (expected all text)`);
  } else {
    assert(kinds.binary > 0 && kinds.text === 0, `frames ${JSON.stringify(kinds)} (expected all binary)`);
  }
}

async function checkMessageCreate(a, b, c) {
  const content = 'hello from A';
  const own = a.expect(Events.MessageCreate, (m) => m.channelId === TEXT && m.content === content);
  state.other = b.expect(Events.MessageCreate, (m) => m.channelId === TEXT && m.author.id === a.id);
  state.blind = c.expect(Events.MessageCreate, (m) => m.channelId === TEXT && m.author.id === a.id);
  const sent = await a.channel().send(content);
  state.message = sent;
  const [got] = await own;
  assert(got.id === sent.id && got.author.id === a.id && got.guildId === GUILD, 'wrong message');
  assert(got.member && got.member.id === a.id, 'MESSAGE_CREATE without member');
}

async function checkOtherBotSees() {
  const [got] = await state.other;
  assert(got.id === state.message.id, 'B got another message');
  assert(got.content === 'hello from A', `B saw content ${JSON.stringify(got.content)}`);
}

async function checkContentWithheld() {
  const [got] = await state.blind;
  assert(got.id === state.message.id, 'C got another message');
  assert(got.content === '' && got.embeds.length === 0 && got.attachments.size === 0,
    `C saw content ${JSON.stringify(got.content)}`);
}

async function checkMessageUpdate(a) {
  const sent = state.message;
  const fut = a.expect(Events.MessageUpdate, (_old, m) => m.id === sent.id);
  await sent.edit('edited by A');
  const [, updated] = await fut;
  assert(updated.content === 'edited by A' && updated.editedTimestamp, `content ${updated.content}`);
}

async function checkReactionAdd(a, b) {
  const sent = state.message;
  const futs = [a, b].map((bot) => bot.expect(Events.MessageReactionAdd, (r) => r.message.id === sent.id));
  await sent.react('👍');
  for (const [i, fut] of futs.entries()) {
    const [reaction, user] = await fut;
    assert(reaction.emoji.name === '👍' && user.id === a.id, `${'AB'[i]}: ${reaction.emoji.name} by ${user.id}`);
  }
}

async function checkMessageDelete(a, b) {
  const sent = state.message;
  const futs = [a, b].map((bot) => bot.expect(Events.MessageDelete, (m) => m.id === sent.id));
  await sent.delete();
  for (const fut of futs) {
    const [deleted] = await fut;
    assert(deleted.channelId === TEXT, 'wrong channel');
  }
}

async function checkRoleCreate(a, b) {
  const futs = [a, b].map((bot) => bot.expect(Events.GuildRoleCreate, (r) => r.name === 'gateway role'));
  const role = await a.guild().roles.create({ name: 'gateway role', colors: { primaryColor: 0x00ff00 }, hoist: true });
  state.role = role;
  for (const fut of futs) {
    const [got] = await fut;
    assert(got.id === role.id && got.color === 0x00ff00 && got.hoist, `role ${JSON.stringify(got)}`);
  }
}

async function checkMemberUpdate(a, b) {
  const role = state.role;
  const futs = [a, b].map((bot) =>
    bot.expect(Events.GuildMemberUpdate, (_old, m) => m.id === b.id && m.roles.cache.has(role.id)));
  await a.guild().members.cache.get(b.id).roles.add(role);
  for (const fut of futs) await fut;
  assert(b.guild().members.me.roles.cache.has(role.id), "B's own cached member lacks the role");
}

async function checkChannelCreate(a, b) {
  const futs = [a, b].map((bot) => bot.expect(Events.ChannelCreate, (ch) => ch.name === 'gateway-chan'));
  const created = await a.guild().channels.create({ name: 'gateway-chan', type: ChannelType.GuildText, topic: 'made over REST' });
  for (const fut of futs) {
    const [got] = await fut;
    assert(got.id === created.id && got.type === ChannelType.GuildText && got.topic === 'made over REST', 'wrong channel');
  }
}

async function disconnect(userId) {
  const resp = await fetch(`${base}/_guildhall/test/disconnect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId }),
  });
  const body = await resp.text();
  assert(resp.status === 200, `test hook -> ${resp.status} ${body}`);
  return JSON.parse(body).closed;
}

const STREAM_CHANNELS = 8; // 5 messages each: within Discord's 5 per 5 s per channel, so no 429 waits
const RECONNECT_DELAY = 1500; // ms A stays away, so the second half of the stream must be replayed

async function checkResume(a, b) {
  const names = Array.from({ length: STREAM_CHANNELS }, (_, i) => `stream-${i}`);
  const seenByB = names.map((n) => b.expect(Events.ChannelCreate, (ch) => ch.name === n));
  for (const n of names) await a.guild().channels.create({ name: n, type: ChannelType.GuildText });
  const channels = [];
  for (const fut of seenByB) channels.push((await fut)[0]);
  for (const ch of channels) a.streamChannels.add(ch.id);
  const shard = a.client.ws.shards.get(0);
  shard.on('close', (event) => a.closeCodes.push(event.code));
  const resumed = a.expect(Events.ShardResume, (_id, replayed) => {
    a.replayed = replayed;
    return true;
  }, 20_000);
  for (let i = 0; i < STREAM / 2; i++) await channels[i % STREAM_CHANNELS].send(`stream-${i}`);
  // Close A's connections in the middle of the stream; A's reconnect is held back a little (as a
  // slow network would), so the second half is published while A is away and must be replayed.
  reconnectDelay.set(a.record.token, RECONNECT_DELAY);
  const closed = await disconnect(a.id);
  assert(closed >= 1, `test hook closed ${closed} connections of A`);
  for (let i = STREAM / 2; i < STREAM; i++) await channels[i % STREAM_CHANNELS].send(`stream-${i}`);
  try {
    await resumed;
  } catch {
    throw new Error(`A never resumed; ${a.trace()}`);
  }
  assert(a.closeCodes[0] === 4000, `close codes seen by A: ${a.closeCodes}`);
  const readies = a.frames.filter((f) => f.t === 'READY').length;
  assert(readies === 1, `A identified ${readies} times (expected a RESUME, not a new session); ${a.trace()}`);
  assert(a.frames.filter((f) => f.t === 'RESUMED').length === 1, 'not exactly one RESUMED');
}

async function checkReplayBeforeResumed(a) {
  // Discord replays the missed dispatches on the new connection, then sends RESUMED; discord.js
  // counts the dispatches that arrive between its RESUME and RESUMED.
  console.error(`[${library}] A: ${a.replayed} dispatches replayed before RESUMED`);
  assert(a.replayed > 0, `nothing replayed before RESUMED; ${a.trace()}`);
}

async function checkExactlyOnce(a) {
  const deadline = Date.now() + 10_000;
  while (a.stream.size < STREAM && Date.now() < deadline) await sleep(50);
  await sleep(500); // a late duplicate would arrive now
  const missing = [];
  for (let i = 0; i < STREAM; i++) if (!a.stream.has(`stream-${i}`)) missing.push(i);
  const dupes = [...a.stream].filter(([, n]) => n > 1);
  assert(missing.length === 0 && dupes.length === 0, `missing ${missing}, duplicated ${JSON.stringify(dupes)}`);
}

async function checkSequence(a) {
  const seqs = a.frames.filter((f) => f.op === 0 && f.s !== null && f.s !== undefined).map((f) => f.s);
  assert(seqs.length > 0 && seqs[0] === 1, `first dispatch s = ${seqs[0]}`);
  const gaps = [];
  for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1] + 1) gaps.push([seqs[i - 1], seqs[i]]);
  assert(gaps.length === 0, `non-consecutive s (prev, next): ${JSON.stringify(gaps.slice(0, 10))}`);
}

const NAMES = [
  'ready_guild_cached', 'request_guild_members', 'compression_requested', 'frames_compressed', 'message_create',
  'message_create_seen_by_other_bot', 'message_content_withheld_without_intent', 'message_update',
  'reaction_add', 'message_delete', 'role_create', 'member_update_role', 'channel_create',
  'resume_after_forced_disconnect', 'resume_replays_before_resumed', 'resume_messages_exactly_once',
  'resume_sequence_consecutive',
];

async function main() {
  const I = GatewayIntentBits;
  const common = [I.Guilds, I.GuildMembers, I.GuildMessages, I.GuildMessageReactions];
  const a = new Bot('A', seed.bots[0], [...common, I.MessageContent]);
  const b = new Bot('B', seed.bots[1], [...common, I.MessageContent]);
  const c = new Bot('C', seed.bots[2], common);
  try {
    if (await check('ready_guild_cached', () => checkReady(a, b, c))) {
      await check('request_guild_members', () => checkMembersChunk(a, b, c));
      await check('compression_requested', () => checkCompression(a));
      await check('frames_compressed', () => checkFramesCompressed(a));
      if (await check('message_create', () => checkMessageCreate(a, b, c))) {
        await check('message_create_seen_by_other_bot', () => checkOtherBotSees());
        await check('message_content_withheld_without_intent', () => checkContentWithheld());
        await check('message_update', () => checkMessageUpdate(a));
        await check('reaction_add', () => checkReactionAdd(a, b));
        await check('message_delete', () => checkMessageDelete(a, b));
      }
      if (await check('role_create', () => checkRoleCreate(a, b))) {
        await check('member_update_role', () => checkMemberUpdate(a, b));
      }
      await check('channel_create', () => checkChannelCreate(a, b));
      if (await check('resume_after_forced_disconnect', () => checkResume(a, b))) {
        await check('resume_replays_before_resumed', () => checkReplayBeforeResumed(a));
        await check('resume_messages_exactly_once', () => checkExactlyOnce(a));
        await check('resume_sequence_consecutive', () => checkSequence(a));
      }
    }
  } finally {
    await Promise.allSettled([a, b, c].map((bot) => bot.client.destroy()));
  }
  for (const name of NAMES) {
    if (!(name in results)) {
      results[name] = 'fail';
      console.error(`[${library}] FAIL ${name}: not run (an earlier check it depends on failed)`);
    }
  }
  const sorted = Object.fromEntries(Object.entries(results).sort(([x], [y]) => x.localeCompare(y)));
  fs.writeFileSync(resultsPath, JSON.stringify({ [library]: sorted }, null, 2) + '\n');
  const passed = Object.values(results).filter((r) => r === 'pass').length;
  console.error(`[${library}] ${passed} of ${NAMES.length} checks passed`);
  process.exit(passed === NAMES.length ? 0 : 1);
}

main().catch((e) => {
  console.error(`[${library}] harness error: ${e && e.stack}`);
  process.exit(2);
});
