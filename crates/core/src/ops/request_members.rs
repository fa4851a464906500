//! op 8 REQUEST_GUILD_MEMBERS (protocol.md §2.4): which members a request names. The gateway
//! checks intents and rate limits and splits the answer into GUILD_MEMBERS_CHUNK dispatches
//! ([`MembersResult::into_chunks`]).

use std::collections::{HashMap, HashSet};

use guildhall_model::Id;
use guildhall_model::commands::{GuildMembersChunk, RequestGuildMembers};
use guildhall_model::guild::Member;
use guildhall_model::id::marker::UserMarker;
use guildhall_model::presence::Presence;
use guildhall_model::user::User;
use guildhall_store::MemberRecord;

use super::{Actor, Core, Result, views};
use crate::limits::{FormError, FormErrors, PathSegment, codes};

/// Most ids one request may name, and most members a prefix query returns.
pub const MAX_QUERIED_MEMBERS: usize = 100;

/// Most members in one GUILD_MEMBERS_CHUNK.
pub const CHUNK_SIZE: usize = 1000;

/// The members an op 8 request names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MembersResult {
    /// The members, each with `user`, by ascending user id.
    pub members: Vec<Member>,
    /// `user_ids` items that name no member, echoed as sent.
    pub not_found: Vec<serde_json::Value>,
    /// The visible presences of the listed members who are online (only when the request set
    /// `presences`), without `guild_id`.
    pub presences: Vec<Presence>,
}

impl MembersResult {
    /// The GUILD_MEMBERS_CHUNK dispatches answering `request` (at least one, ≤1000 members each):
    /// `presences` appear when the request asked for them (each chunk carries its own members'),
    /// `not_found` in the first chunk when the request named `user_ids`, and the nonce (if at
    /// most 32 bytes) in every chunk.
    pub fn into_chunks(self, request: &RequestGuildMembers) -> Vec<GuildMembersChunk> {
        let nonce = request.valid_nonce().map(str::to_owned);
        let mut presences: HashMap<Id<UserMarker>, Presence> =
            self.presences.into_iter().map(|p| (p.user.id, p)).collect();
        let mut groups: Vec<Vec<Member>> = Vec::new();
        let mut members = self.members.into_iter().peekable();
        while members.peek().is_some() {
            groups.push(members.by_ref().take(CHUNK_SIZE).collect());
        }
        if groups.is_empty() {
            groups.push(Vec::new());
        }
        let chunk_count = u32::try_from(groups.len()).unwrap_or(u32::MAX);
        let mut not_found = request.user_ids.is_some().then_some(self.not_found);
        groups
            .into_iter()
            .zip(0..)
            .map(|(members, chunk_index)| {
                let chunk_presences = request.presences.then(|| {
                    members.iter().filter_map(|m| m.user.as_ref().and_then(|u| presences.remove(&u.id))).collect()
                });
                GuildMembersChunk {
                    guild_id: request.guild_id,
                    members,
                    chunk_index,
                    chunk_count,
                    not_found: not_found.take(),
                    presences: chunk_presences,
                    nonce: nonce.clone(),
                }
            })
            .collect()
    }
}

/// Whether `prefix` (already lowercase) starts the user's username, global name or nickname.
fn matches_prefix(prefix: &str, record: &MemberRecord, user: &User) -> bool {
    let starts = |s: &str| s.to_lowercase().starts_with(prefix);
    let global = user.global_name.as_ref().and_then(|g| g.as_ref().into_option());
    starts(&user.username) || global.is_some_and(|g| starts(g)) || record.nick.as_deref().is_some_and(starts)
}

impl Core {
    /// op 8: the members of `request.guild_id` named by `user_ids` (at most 100; unknown or
    /// malformed ids go to `not_found` as sent), or else those whose username, global name or
    /// nickname starts with `query` (case-insensitive; at most `limit`, capped at 100, and 100
    /// when `limit` is 0), or every member for `query: ""` (or none) with `limit: 0`. Presences
    /// only when `request.presences`. 10004 unless the actor is a member; 50035 at `user_ids`
    /// for more than 100 ids. Intents and rate limits are the gateway's to check.
    pub async fn request_guild_members(&self, actor: &Actor, request: &RequestGuildMembers) -> Result<MembersResult> {
        let guild_id = request.guild_id;
        self.guild_access(actor, guild_id).await?;
        let mut result = MembersResult::default();
        let records = if let Some(user_ids) = &request.user_ids {
            if user_ids.len() > MAX_QUERIED_MEMBERS {
                let error = FormError::new(
                    vec![PathSegment::field("user_ids")],
                    codes::BASE_TYPE_MAX_LENGTH,
                    "Must be 100 or fewer in length.",
                );
                return Err(FormErrors::from(error).into());
            }
            let mut seen = HashSet::new();
            let mut records = Vec::new();
            for (raw, id) in user_ids.parsed() {
                let record = match id {
                    Some(id) if seen.contains(&id) => continue,
                    Some(id) => self.store().member(guild_id, id).await?,
                    None => None,
                };
                match record {
                    Some(record) => {
                        seen.insert(record.user_id);
                        records.push(record);
                    }
                    None => result.not_found.push(raw.clone()),
                }
            }
            records.sort_by_key(|r| r.user_id);
            records
        } else {
            let query = request.query.as_deref().unwrap_or("").to_lowercase();
            let all = self.guild_members(guild_id).await?;
            if query.is_empty() && request.limit == 0 {
                all
            } else {
                let cap = match request.limit {
                    0 => MAX_QUERIED_MEMBERS,
                    n => (n as usize).min(MAX_QUERIED_MEMBERS),
                };
                let users = self.users_of(&all).await?;
                all.into_iter()
                    .filter(|r| users.get(&r.user_id).is_some_and(|u| matches_prefix(&query, r, u)))
                    .take(cap)
                    .collect()
            }
        };
        let users = self.users_of(&records).await?;
        for record in &records {
            let Some(user) = users.get(&record.user_id) else { continue };
            result.members.push(views::member(record, Some(user)));
            if request.presences
                && let Some(presence) = self.presence(record.user_id)
            {
                result.presences.push(presence);
            }
        }
        Ok(result)
    }

    /// The users of `records`, by id.
    pub(crate) async fn users_of(&self, records: &[MemberRecord]) -> Result<HashMap<Id<UserMarker>, User>> {
        let ids: Vec<Id<UserMarker>> = records.iter().map(|m| m.user_id).collect();
        Ok(self.store().users(&ids).await?.into_iter().map(|u| (u.user.id, u.user)).collect())
    }
}
