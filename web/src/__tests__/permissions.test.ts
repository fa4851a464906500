import { describe, expect, it } from "vitest";
import { channelPermissions, guildPermissions, has, P } from "../permissions";
import type { Channel, Guild } from "../types";

const guild: Guild = {
  id: "1",
  name: "g",
  owner_id: "99",
  roles: [
    { id: "1", name: "@everyone", color: 0, hoist: false, position: 0, permissions: String(P.VIEW_CHANNEL | P.SEND_MESSAGES) },
    { id: "2", name: "mods", color: 0, hoist: true, position: 1, permissions: String(P.MANAGE_MESSAGES) },
    { id: "3", name: "admins", color: 0, hoist: true, position: 2, permissions: String(P.ADMINISTRATOR) },
  ],
};
const channel = (overwrites: Channel["permission_overwrites"]): Channel => ({ id: "5", type: 0, guild_id: "1", permission_overwrites: overwrites });

describe("permissions (protocol.md §4)", () => {
  it("adds role permissions to @everyone's", () => {
    expect(guildPermissions(guild, "10", ["2"])).toBe(P.VIEW_CHANNEL | P.SEND_MESSAGES | P.MANAGE_MESSAGES);
  });

  it("gives owners and administrators everything, overwrites or not", () => {
    const hidden = channel([{ id: "1", type: 0, allow: "0", deny: String(P.VIEW_CHANNEL) }]);
    expect(has(channelPermissions(guild, hidden, "99", []), P.VIEW_CHANNEL)).toBe(true);
    expect(has(channelPermissions(guild, hidden, "10", ["3"]), P.VIEW_CHANNEL)).toBe(true);
  });

  it("applies overwrites as @everyone, then roles together, then the member", () => {
    const c = channel([
      { id: "1", type: 0, allow: "0", deny: String(P.VIEW_CHANNEL) },
      { id: "2", type: 0, allow: String(P.VIEW_CHANNEL), deny: "0" },
      { id: "10", type: 1, allow: "0", deny: String(P.VIEW_CHANNEL) },
    ]);
    expect(has(channelPermissions(guild, c, "11", []), P.VIEW_CHANNEL)).toBe(false);
    expect(has(channelPermissions(guild, c, "11", ["2"]), P.VIEW_CHANNEL)).toBe(true);
    // The member overwrite wins over the role's allow.
    expect(has(channelPermissions(guild, c, "10", ["2"]), P.VIEW_CHANNEL)).toBe(false);
  });
});
