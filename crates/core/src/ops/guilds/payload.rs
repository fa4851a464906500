//! The guild as REST returns it, and the GUILD_CREATE dispatch (protocol.md §2.1 and §3.6
//! "Guild", client-libraries.md §6.1/§6.2).
//!
//! GUILD_CREATE is built in one place, [`Core::guild_create_payload`], because three paths send
//! it: creating a guild, joining one through an invite, and the gateway's backfill after READY.

use std::collections::{BTreeSet, HashMap};

use guildhall_model::Nullable;
use guildhall_model::channel::Channel;
use guildhall_model::guild::{Guild, GuildCreate, Role};
use guildhall_model::id::Id;
use guildhall_model::id::marker::{GuildMarker, UserMarker};
use guildhall_model::voice::VoiceState;
use guildhall_store::MemberRecord;

use super::super::roles::render_role;
use super::super::{Core, Result, views};

/// Discord's default `large_threshold` (IDENTIFY may ask for 50–250): above this member count
/// a guild is `large` and GUILD_CREATE leaves offline members out.
pub const DEFAULT_LARGE_THRESHOLD: u64 = 50;

/// What the receiving gateway session asked for, as far as GUILD_CREATE depends on it.
#[derive(Clone, Copy, Debug)]
pub struct GuildCreateOptions {
    /// IDENTIFY's `large_threshold`.
    pub large_threshold: u64,
    /// Whether the session has the GUILD_PRESENCES intent.
    pub presences: bool,
}

impl Default for GuildCreateOptions {
    /// Discord's default threshold, with presences (REST-triggered GUILD_CREATEs, which go to
    /// every session of the user whatever its intents).
    fn default() -> Self {
        Self { large_threshold: DEFAULT_LARGE_THRESHOLD, presences: true }
    }
}

/// Members read per store call when a whole guild's member list is needed.
const MEMBER_PAGE: u32 = 1000;

/// The guild object with its roles and the keys strict libraries expect (client-libraries.md
/// §6.2). Stored values win; only keys the store never sets get their Discord defaults.
pub fn render_guild(mut guild: Guild, roles: Vec<Role>) -> Guild {
    guild.roles = roles.into_iter().map(render_role).collect();
    guild.owner = None;
    guild.permissions = None;
    guild.widget_enabled.get_or_insert(false);
    guild.widget_channel_id.get_or_insert(Nullable::Null);
    guild.max_presences.get_or_insert(Nullable::Null);
    guild.max_members.get_or_insert(500_000);
    guild.premium_subscription_count.get_or_insert(0);
    guild.max_video_channel_users.get_or_insert(25);
    guild.max_stage_video_channel_users.get_or_insert(50);
    guild
}

impl Core {
    /// Every member of a guild, by ascending user id.
    pub(crate) async fn guild_members(&self, guild_id: Id<GuildMarker>) -> Result<Vec<MemberRecord>> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self.store().members(guild_id, after, MEMBER_PAGE).await?;
            let full = page.len() == MEMBER_PAGE as usize;
            after = page.last().map(|m| m.user_id);
            out.extend(page);
            if !full {
                return Ok(out);
            }
        }
    }

    /// GUILD_CREATE for `user`: the guild with its roles, the channels and active threads the
    /// user can view, `joined_at` of the user, the guild's voice states (without `guild_id`),
    /// and members as Discord lists them: without the presences intent only the user and the
    /// members in voice; with it every member when `member_count <= large_threshold`, else the
    /// online members, the user and the members in voice. `presences` holds the online listed
    /// members' presences (empty without the intent). Stage instances, scheduled events and
    /// soundboard sounds are empty until those features exist. 10004 if the user is not a member.
    pub async fn guild_create_payload(
        &self,
        guild_id: Id<GuildMarker>,
        user: Id<UserMarker>,
        options: GuildCreateOptions,
    ) -> Result<GuildCreate> {
        let access = self.guild_access_for(user, guild_id).await?;
        let store = self.store();
        let (member_count, channels) = tokio::try_join!(store.member_count(guild_id), store.guild_channels(guild_id))?;
        let large = member_count > options.large_threshold;
        let voice_states = self.voice_states(guild_id);
        let records = if options.presences && !large {
            self.guild_members(guild_id).await?
        } else {
            let mut wanted: BTreeSet<Id<UserMarker>> = voice_states.iter().map(|v| v.user_id).collect();
            if options.presences {
                wanted.extend(self.presences.online_users());
            }
            wanted.remove(&user);
            let mut records = vec![access.member.clone()];
            for id in wanted {
                if let Some(record) = store.member(guild_id, id).await? {
                    records.push(record);
                }
            }
            records.sort_by_key(|m| m.user_id);
            records
        };
        let users = self.users_of(&records).await?;
        let members: Vec<_> =
            records.iter().filter_map(|m| users.get(&m.user_id).map(|u| views::member(m, Some(u)))).collect();
        let presences = if options.presences {
            records.iter().filter_map(|m| self.presence(m.user_id)).collect()
        } else {
            Vec::new()
        };
        let voice_states = voice_states.into_iter().map(|v| VoiceState { guild_id: None, member: None, ..v }).collect();

        let by_id: HashMap<_, &Channel> = channels.iter().map(|c| (c.id, c)).collect();
        let visible = |c: &Channel| {
            let parent = c.parent().and_then(|p| by_id.get(&p).copied());
            access.channel_permissions(c, parent).contains(guildhall_model::Permissions::VIEW_CHANNEL)
        };
        let (threads, channels): (Vec<Channel>, Vec<Channel>) =
            channels.iter().filter(|c| visible(c)).cloned().partition(|c| c.kind.is_thread());
        let threads = threads.into_iter().filter(|t| t.thread_metadata.as_ref().is_none_or(|m| !m.archived)).collect();

        let joined_at = access.member.joined_at;
        let guild = render_guild(access.guild, access.roles);
        Ok(GuildCreate {
            guild,
            joined_at,
            large,
            unavailable: Some(false),
            member_count,
            voice_states,
            members,
            channels,
            threads,
            presences,
            stage_instances: Vec::new(),
            guild_scheduled_events: Vec::new(),
            soundboard_sounds: Vec::new(),
        })
    }
}
