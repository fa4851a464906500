//! Stored messages as wire messages (protocol.md §3.6 "Message", client-libraries.md §6): the
//! author's user object, the partial member (no `user`) in guilds, mentions as users with their
//! partial member, reactions as the viewer sees them, and the replied-to message one level deep.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use guildhall_model::channel::ChannelType;
use guildhall_model::flags::UserFlags;
use guildhall_model::guild::Member;
use guildhall_model::id::marker::{ChannelMarker, MessageMarker, UserMarker, WebhookMarker};
use guildhall_model::message::{Mention, Message, MessageType, PartialEmoji, Reaction, ReactionCountDetails};
use guildhall_model::user::User;
use guildhall_model::{Id, Nullable};
use guildhall_store::{MessageRecord, ReactionEmoji, ReactionSummary};

use super::super::{Core, Result, views};

/// How to render: for whom, and for which transport.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RenderOptions {
    /// Whose reactions count as `me`.
    pub(crate) viewer: Option<Id<UserMarker>>,
    /// Echo the nonce: only the create response and MESSAGE_CREATE carry it.
    pub(crate) nonce: bool,
    /// Gateway payloads name the channel's type.
    pub(crate) channel_type: Option<ChannelType>,
    /// The messages were created just now, so they have no reactions to read (that read was
    /// an eighth of a message create's CPU).
    pub(crate) fresh: bool,
}

/// The user object of a webhook's messages: the webhook's id and name, as Discord shows them.
pub(crate) fn webhook_user(id: Id<WebhookMarker>, name: &str, avatar: Option<String>) -> User {
    let mut user = User::new(id.cast(), name);
    user.discriminator = "0000".to_owned();
    user.avatar = avatar;
    user.bot = Some(true);
    user.public_flags = Some(UserFlags::empty());
    user
}

/// An author whose account no longer exists.
fn deleted_user(id: Id<UserMarker>) -> User {
    let mut user = User::new(id, "Deleted User");
    user.public_flags = Some(UserFlags::empty());
    user
}

/// A reaction emoji on the wire: `{id: null, name}` for unicode, `{id, name, animated}` for custom.
pub(crate) fn partial_emoji(emoji: &ReactionEmoji) -> PartialEmoji {
    PartialEmoji { id: emoji.id, name: Some(emoji.name.clone()), animated: emoji.id.map(|_| emoji.animated) }
}

fn reaction(summary: &ReactionSummary) -> Reaction {
    Reaction {
        count: summary.normal + summary.burst,
        count_details: ReactionCountDetails { burst: summary.burst, normal: summary.normal },
        me: summary.me,
        me_burst: summary.me_burst,
        emoji: partial_emoji(&summary.emoji),
        burst_colors: Vec::new(),
    }
}

/// The message a reply answers: `(channel, message)`.
fn reply_target(record: &MessageRecord) -> Option<(Id<ChannelMarker>, Id<MessageMarker>)> {
    if record.kind != MessageType::Reply {
        return None;
    }
    let reference = record.message_reference.as_ref()?;
    Some((reference.channel_id.unwrap_or(record.channel_id), reference.message_id?))
}

/// Users and members loaded once for a whole page.
struct People {
    users: HashMap<Id<UserMarker>, User>,
    members: HashMap<Id<UserMarker>, Member>,
}

impl People {
    fn build(&self, r: &MessageRecord, options: RenderOptions) -> Message {
        let author = match (r.webhook_id, &r.webhook_author) {
            (Some(_), Some(user)) => user.clone(),
            (Some(id), None) => webhook_user(id, "Webhook", None),
            (None, _) => self.users.get(&r.author_id).cloned().unwrap_or_else(|| deleted_user(r.author_id)),
        };
        let member = if r.webhook_id.is_none() { self.members.get(&r.author_id).cloned() } else { None };
        let mentions = r
            .mention_user_ids
            .iter()
            .filter_map(|id| {
                let user = self.users.get(id)?.clone();
                Some(Mention { user, member: self.members.get(id).cloned() })
            })
            .collect();
        Message {
            id: r.id,
            channel_id: r.channel_id,
            guild_id: r.guild_id,
            author,
            member,
            content: r.content.clone(),
            timestamp: r.timestamp,
            edited_timestamp: r.edited_timestamp,
            tts: r.tts,
            mention_everyone: r.mention_everyone,
            mentions,
            mention_roles: r.mention_role_ids.clone(),
            mention_channels: None,
            attachments: r.attachments.clone(),
            embeds: r.embeds.clone(),
            reactions: None,
            nonce: if options.nonce { r.nonce.clone() } else { None },
            pinned: r.pinned,
            webhook_id: r.webhook_id,
            kind: r.kind,
            application_id: r.application_id,
            flags: Some(r.flags),
            message_reference: r.message_reference.clone(),
            message_snapshots: (!r.message_snapshots.is_empty()).then(|| r.message_snapshots.clone()),
            referenced_message: None,
            components: Some(r.components.clone()),
            channel_type: options.channel_type,
            position: None,
        }
    }
}

impl Core {
    /// One message; see [`Core::render_messages`].
    pub(crate) async fn render_message(&self, record: &MessageRecord, options: RenderOptions) -> Result<Message> {
        let mut out = self.render_messages(std::slice::from_ref(record), options).await?;
        out.pop().ok_or_else(|| crate::Error::internal(&"rendering lost a message"))
    }

    /// Messages of one channel, in the given order. Users, members and reactions are loaded
    /// once for the whole page.
    pub(crate) async fn render_messages(
        &self,
        records: &[MessageRecord],
        options: RenderOptions,
    ) -> Result<Vec<Message>> {
        let store = self.store();
        let mut referenced: HashMap<Id<MessageMarker>, Option<MessageRecord>> = HashMap::new();
        for (channel, id) in records.iter().filter_map(reply_target) {
            if let Entry::Vacant(slot) = referenced.entry(id) {
                slot.insert(store.message(channel, id).await?);
            }
        }
        let everyone: Vec<&MessageRecord> = records.iter().chain(referenced.values().flatten()).collect();
        let mut user_ids: Vec<Id<UserMarker>> = everyone
            .iter()
            .flat_map(|r| r.webhook_id.is_none().then_some(r.author_id).into_iter().chain(r.mention_user_ids.clone()))
            .collect();
        user_ids.sort();
        user_ids.dedup();
        let users: HashMap<_, _> = if user_ids.is_empty() {
            HashMap::new()
        } else {
            store.users(&user_ids).await?.into_iter().map(|u| (u.user.id, views::public_user(&u.user))).collect()
        };
        let mut members = HashMap::new();
        if let Some(guild_id) = records.iter().find_map(|r| r.guild_id) {
            for id in users.keys() {
                if let Some(member) = store.member(guild_id, *id).await? {
                    members.insert(*id, views::member(&member, None));
                }
            }
        }
        let ids: Vec<Id<MessageMarker>> = records.iter().map(|r| r.id).collect();
        let mut reactions: HashMap<Id<MessageMarker>, Vec<Reaction>> = HashMap::new();
        if !options.fresh {
            for summary in store.reactions(&ids, options.viewer).await? {
                reactions.entry(summary.message_id).or_default().push(reaction(&summary));
            }
        }

        let people = People { users, members };
        let nested = RenderOptions { nonce: false, channel_type: None, fresh: false, ..options };
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let mut message = people.build(r, options);
            message.reactions = reactions.remove(&r.id);
            if let Some((_, target)) = reply_target(r) {
                let answered =
                    referenced.get(&target).and_then(Option::as_ref).map(|t| Box::new(people.build(t, nested)));
                message.referenced_message = Some(Nullable::from_option(answered));
            }
            // Records keep attachment paths; every rendering hands out fresh signed links.
            self.sign_message(&mut message)?;
            out.push(message);
        }
        Ok(out)
    }
}
