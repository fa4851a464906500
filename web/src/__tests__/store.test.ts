import { describe, expect, it } from "vitest";
import { applyDispatch, compareIds, getState, upsertMessage, type State } from "../store";
import type { Message } from "../types";

const user = { id: "10", username: "alice" };
const msg = (id: string, extra: Partial<Message> = {}): Message => ({
  id,
  channel_id: "5",
  author: user,
  content: `m${id}`,
  timestamp: "2026-11-22T00:00:00Z",
  edited_timestamp: null,
  pinned: false,
  type: 0,
  ...extra,
});

function withGuild(): State {
  let s = applyDispatch(getState(), "READY", { user, guilds: [{ id: "1", unavailable: true }], session_id: "x" });
  s = applyDispatch(s, "GUILD_CREATE", {
    id: "1",
    name: "g",
    owner_id: "10",
    roles: [{ id: "1", name: "@everyone", color: 0, hoist: false, position: 0, permissions: "1024" }],
    channels: [{ id: "5", type: 0, guild_id: "1", name: "general" }],
    members: [{ user, roles: [] }],
    presences: [{ user: { id: "10" }, status: "online" }],
    member_count: 1,
  });
  return { ...s, messages: { "5": { list: [], hasMore: false, loading: false } } };
}

describe("store", () => {
  it("orders snowflakes numerically, not lexically", () => {
    expect(compareIds("9", "10")).toBeLessThan(0);
    expect(compareIds("1573961613277396995", "1573961613277396992")).toBeGreaterThan(0);
  });

  it("keeps messages in id order with pending ones last", () => {
    let list: Message[] = [];
    list = upsertMessage(list, msg("200"));
    list = upsertMessage(list, { ...msg("pending-1"), pending: true, nonce: "n1" });
    list = upsertMessage(list, msg("100"));
    expect(list.map((m) => m.id)).toEqual(["100", "200", "pending-1"]);
    // The server's copy replaces the pending one by nonce, and lands in id order.
    list = upsertMessage(list, msg("150", { nonce: "n1" }));
    expect(list.map((m) => m.id)).toEqual(["100", "150", "200"]);
    expect(list.every((m) => !m.pending)).toBe(true);
    // The same message twice (gateway and REST reply) is kept once.
    list = upsertMessage(list, msg("150", { content: "again", nonce: "n1" }));
    expect(list.map((m) => m.id)).toEqual(["100", "150", "200"]);
  });

  it("applies message and reaction events", () => {
    let s = withGuild();
    s = applyDispatch(s, "MESSAGE_CREATE", { ...msg("300"), guild_id: "1" });
    expect(s.guilds["1"].channels["5"].last_message_id).toBe("300");
    s = applyDispatch(s, "MESSAGE_REACTION_ADD", { user_id: "10", channel_id: "5", message_id: "300", emoji: { id: null, name: "👍" } });
    s = applyDispatch(s, "MESSAGE_REACTION_ADD", { user_id: "11", channel_id: "5", message_id: "300", emoji: { id: null, name: "👍" } });
    expect(s.messages["5"].list[0].reactions).toEqual([{ emoji: { id: null, name: "👍" }, count: 2, me: true }]);
    s = applyDispatch(s, "MESSAGE_REACTION_REMOVE", { user_id: "10", channel_id: "5", message_id: "300", emoji: { id: null, name: "👍" } });
    expect(s.messages["5"].list[0].reactions).toEqual([{ emoji: { id: null, name: "👍" }, count: 1, me: false }]);
    s = applyDispatch(s, "MESSAGE_UPDATE", { id: "300", channel_id: "5", content: "edited", edited_timestamp: "2026-11-22T00:01:00Z" });
    expect(s.messages["5"].list[0].content).toBe("edited");
    s = applyDispatch(s, "MESSAGE_DELETE", { id: "300", channel_id: "5" });
    expect(s.messages["5"].list).toEqual([]);
  });

  it("tracks who is in which voice channel", () => {
    let s = withGuild();
    const state = { guild_id: "1", user_id: "10", mute: false, deaf: false, self_mute: true, self_deaf: false };
    s = applyDispatch(s, "VOICE_STATE_UPDATE", { ...state, channel_id: "7" });
    expect(s.guilds["1"].voice["10"].channel_id).toBe("7");
    s = applyDispatch(s, "VOICE_STATE_UPDATE", { ...state, channel_id: null });
    expect(s.guilds["1"].voice["10"]).toBeUndefined();
  });

  it("drops loaded history on a new session (READY), keeps it on RESUMED", () => {
    let s = withGuild();
    s = applyDispatch(s, "MESSAGE_CREATE", { ...msg("300"), guild_id: "1" });
    expect(applyDispatch(s, "RESUMED", {}).messages["5"].list).toHaveLength(1);
    expect(applyDispatch(s, "READY", { user, guilds: [{ id: "1" }], session_id: "y" }).messages["5"]).toBeUndefined();
  });

  it("forgets a channel and its messages on CHANNEL_DELETE (lost sight of it)", () => {
    let s = withGuild();
    s = applyDispatch(s, "MESSAGE_CREATE", { ...msg("300"), guild_id: "1" });
    s = applyDispatch(s, "CHANNEL_DELETE", { id: "5", type: 0, guild_id: "1" });
    expect(s.guilds["1"].channels["5"]).toBeUndefined();
    expect(s.messages["5"]).toBeUndefined();
  });

  it("tracks presence, members and typing", () => {
    let s = withGuild();
    s = applyDispatch(s, "GUILD_MEMBER_ADD", { guild_id: "1", user: { id: "11", username: "bob" }, roles: [] });
    s = applyDispatch(s, "PRESENCE_UPDATE", { guild_id: "1", user: { id: "11" }, status: "dnd" });
    expect(s.guilds["1"].presences["11"]).toBe("dnd");
    expect(s.guilds["1"].guild.member_count).toBe(2);
    s = applyDispatch(s, "TYPING_START", { channel_id: "5", guild_id: "1", user_id: "11" });
    expect(s.typing["5"]["11"]).toBeGreaterThan(Date.now());
    // Their message ends the indicator.
    s = applyDispatch(s, "MESSAGE_CREATE", { ...msg("400", { author: { id: "11", username: "bob" } }), guild_id: "1" });
    expect(s.typing["5"]["11"]).toBeUndefined();
    s = applyDispatch(s, "GUILD_MEMBER_REMOVE", { guild_id: "1", user: { id: "11", username: "bob" } });
    expect(s.guilds["1"].members["11"]).toBeUndefined();
  });
});
