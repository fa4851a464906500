'use strict';
// Shared parts of the voice checks: discord.js bots (unmodified, from npm) that log in through
// guildhall's gateway, join a voice channel with @discordjs/voice (which opens wss://{endpoint}?v=8 by
// itself; TLS trust comes from NODE_EXTRA_CA_CERTS), play Opus packets and record what they receive;
// plus the check bookkeeping ({run: {check: "pass"|"fail"}} in RESULTS_JSON, one line per check).

const fs = require('node:fs');
const { Readable } = require('node:stream');
const need = require('./deps');

const { Client, Events, GatewayIntentBits } = need('discord.js');
const voice = need('@discordjs/voice');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` with `what` unless `promise` settles first. */
function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

class Checks {
  constructor(run, resultsPath) {
    this.run = run;
    this.resultsPath = resultsPath;
    this.results = {};
  }

  record(name, ok, detail) {
    this.results[name] = ok ? 'pass' : 'fail';
    console.log(`${ok ? 'PASS' : 'FAIL'} ${this.run}: ${name}${detail ? ` (${detail})` : ''}`);
    this.save();
    return ok;
  }

  /** Runs `body`; a throw is a failure with its message. Returns whether it passed. */
  async check(name, body) {
    try {
      const detail = await body();
      return this.record(name, true, detail);
    } catch (error) {
      return this.record(name, false, error?.message ?? String(error));
    }
  }

  /** A check that cannot run because an earlier step failed. */
  skip(name, because) {
    return this.record(name, false, `not run: ${because}`);
  }

  save() {
    fs.writeFileSync(this.resultsPath, JSON.stringify({ [this.run]: this.results }, null, 2));
  }

  get ok() {
    return Object.values(this.results).every((r) => r === 'pass');
  }
}

class Bot {
  constructor(name, record, base) {
    this.name = name;
    this.id = record.id;
    this.token = record.token;
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates],
      rest: { api: `${base}/api` },
    });
    this.connection = null;
  }

  async login(guildId) {
    const ready = new Promise((resolve) => this.client.once(Events.ClientReady, resolve));
    await this.client.login(this.token);
    await within(20_000, `${this.name} clientReady`, ready);
    this.guild = this.client.guilds.cache.get(guildId);
    if (!this.guild) throw new Error(`${this.name}: guild ${guildId} not in the cache after ready`);
  }

  /** Joins `channelId` (one connection group per bot: two clients share this process) and waits for Ready. */
  async join(channelId) {
    this.connection = voice.joinVoiceChannel({
      channelId,
      guildId: this.guild.id,
      adapterCreator: this.guild.voiceAdapterCreator,
      selfDeaf: false,
      selfMute: false,
      group: this.name,
    });
    this.connection.on('error', (error) => console.error(`${this.name} voice connection error:`, error));
    try {
      await voice.entersState(this.connection, voice.VoiceConnectionStatus.Ready, 20_000);
    } catch {
      throw new Error(`${this.name}: voice connection not Ready within 20 s (${describe(this.connection)})`);
    }
  }

  /** The encryption mode the library selected, from its networking state. */
  mode() {
    const state = this.connection?.state;
    return state?.networking?.state?.connectionData?.encryptionMode ?? null;
  }

  /** Plays `packets` (Opus, 20 ms each); resolves {sent, player} once the player is Idle again. */
  async play(packets, timeoutMs) {
    const player = voice.createAudioPlayer();
    player.on('error', (error) => console.error(`${this.name} player error:`, error.message));
    this.connection.subscribe(player);
    const resource = voice.createAudioResource(Readable.from(packets, { objectMode: true }), {
      inputType: voice.StreamType.Opus,
    });
    player.play(resource);
    await voice.entersState(player, voice.AudioPlayerStatus.Playing, 5_000);
    await voice.entersState(player, voice.AudioPlayerStatus.Idle, timeoutMs);
    // playbackDuration counts the packets read from the stream, not the silence padding after it.
    return { sent: resource.playbackDuration / 20, player };
  }

  /** Starts playing without waiting; returns the player. */
  start(packets) {
    const player = voice.createAudioPlayer();
    player.on('error', (error) => console.error(`${this.name} player error:`, error.message));
    this.connection.subscribe(player);
    player.play(
      voice.createAudioResource(Readable.from(packets, { objectMode: true }), { inputType: voice.StreamType.Opus }),
    );
    return player;
  }

  /** Subscribes to `userId`'s audio; every decrypted Opus packet is pushed to the returned list with its arrival time. */
  listen(userId) {
    const received = [];
    received.errors = [];
    const stream = this.connection.receiver.subscribe(userId, { end: { behavior: voice.EndBehaviorType.Manual } });
    stream.on('data', (packet) => received.push({ at: Date.now(), packet }));
    stream.on('error', (error) => received.errors.push(error.message));
    return received;
  }

  async destroy() {
    try {
      this.connection?.destroy();
    } catch {
      // already destroyed
    }
    await this.client.destroy();
  }
}

function describe(connection) {
  const state = connection?.state;
  if (!state) return 'no connection';
  const networking = state.networking?.state;
  return `connection ${state.status}${state.reason !== undefined ? ` reason ${state.reason}` : ''}` +
    `${state.closeCode !== undefined ? ` close ${state.closeCode}` : ''}` +
    `${networking ? `, networking state code ${networking.code}` : ''}`;
}

/** REST call with a bot token; resolves the parsed JSON body (or null for 204), throws on a non-2xx answer. */
async function rest(base, token, method, route, body) {
  const response = await fetch(`${base}/api/v10${route}`, {
    method,
    headers: { authorization: `Bot ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} -> ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Shared argv: BASE_URL SEED_JSON RESULTS_JSON RUN_NAME ...rest */
function args() {
  const [base, seedPath, resultsPath, run, ...rest] = process.argv.slice(2);
  return { base, seed: JSON.parse(fs.readFileSync(seedPath, 'utf8')), resultsPath, run, rest };
}

module.exports = { Bot, Checks, args, rest, sleep, within, describe, voice };
