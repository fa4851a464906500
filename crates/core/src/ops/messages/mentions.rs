//! Mentions in message content (protocol.md §3.5): `<@id>`, `<@!id>`, `<@&role>`, `@everyone`
//! and `@here`, filtered by `allowed_mentions` and the author's right to ping.
//!
//! What a message records as `mentions`, `mention_roles` and `mention_everyone` is what it
//! pings: a mention that `allowed_mentions` suppresses is only text.

use guildhall_model::Id;
use guildhall_model::guild::Role;
use guildhall_model::id::marker::{GuildMarker, RoleMarker, UserMarker};
use guildhall_model::message::AllowedMentions;

use super::super::{Core, Result};
use crate::limits::{FormError, FormErrors, PathSegment, codes};

/// How many ids `allowed_mentions.users` / `.roles` may list.
const ALLOWED_LIST_MAX: usize = 100;

/// The `parse` values Discord knows.
const PARSE_CHOICES: [&str; 3] = ["roles", "users", "everyone"];

/// Mentions written in content, in order of first appearance, without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `<@id>` / `<@!id>`.
    pub users: Vec<Id<UserMarker>>,
    /// `<@&id>`.
    pub roles: Vec<Id<RoleMarker>>,
    /// `@everyone` or `@here`.
    pub everyone: bool,
}

/// Finds `<@id>`, `<@!id>`, `<@&id>`, `@everyone` and `@here` in `content`.
pub fn parse(content: &str) -> Parsed {
    let mut parsed =
        Parsed { everyone: content.contains("@everyone") || content.contains("@here"), ..Parsed::default() };
    let mut rest = content;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        let (role, body) = match rest.as_bytes().first() {
            Some(b'&') => (true, &rest[1..]),
            Some(b'!') => (false, &rest[1..]),
            _ => (false, rest),
        };
        let Some(end) = body.find('>') else { break };
        let Some(id) = body[..end].parse::<u64>().ok().and_then(Id::<UserMarker>::new_checked) else { continue };
        if role {
            if !parsed.roles.contains(&id.cast()) {
                parsed.roles.push(id.cast());
            }
        } else if !parsed.users.contains(&id) {
            parsed.users.push(id);
        }
    }
    parsed
}

/// What pings when `allowed_mentions` is absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DefaultParse {
    /// Regular messages: users, roles and @everyone.
    All,
    /// Webhooks and interactions: users only.
    UsersOnly,
}

/// `allowed_mentions` (or its default) in a form that answers "may this ping?".
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    users: bool,
    roles: bool,
    everyone: bool,
    user_list: Vec<Id<UserMarker>>,
    role_list: Vec<Id<RoleMarker>>,
    /// Whether a reply pings the author of the message it answers.
    pub(crate) replied_user: bool,
}

impl Policy {
    /// The policy of a message with `allowed` (absent: the default of its author kind). A
    /// reply without `allowed_mentions` pings the replied-to author, as Discord's clients do.
    pub(crate) fn new(allowed: Option<&AllowedMentions>, default: DefaultParse) -> Self {
        match allowed {
            None => Self {
                users: true,
                roles: default == DefaultParse::All,
                everyone: default == DefaultParse::All,
                user_list: Vec::new(),
                role_list: Vec::new(),
                replied_user: true,
            },
            Some(a) => {
                let parse = a.parse.as_deref().unwrap_or_default();
                let has = |v: &str| parse.iter().any(|p| p == v);
                Self {
                    users: has("users"),
                    roles: has("roles"),
                    everyone: has("everyone"),
                    user_list: a.users.clone().unwrap_or_default(),
                    role_list: a.roles.clone().unwrap_or_default(),
                    replied_user: a.replied_user == Some(true),
                }
            }
        }
    }

    fn user(&self, id: Id<UserMarker>) -> bool {
        self.users || self.user_list.contains(&id)
    }

    fn role(&self, id: Id<RoleMarker>) -> bool {
        self.roles || self.role_list.contains(&id)
    }
}

/// Checks `allowed_mentions`: known `parse` values, at most 100 ids per list, and `parse`
/// naming a kind whose explicit list is also given (Discord refuses the ambiguity).
pub(crate) fn validate_allowed_mentions(allowed: &AllowedMentions, errors: &mut FormErrors) {
    let base = PathSegment::field("allowed_mentions");
    let parse = allowed.parse.as_deref().unwrap_or_default();
    for (index, value) in parse.iter().enumerate() {
        if !PARSE_CHOICES.contains(&value.as_str()) {
            errors.push(FormError::new(
                vec![base.clone(), PathSegment::field("parse"), PathSegment::Index(index)],
                codes::BASE_TYPE_CHOICES,
                format!("Value must be one of {PARSE_CHOICES:?}."),
            ));
        }
    }
    let lists =
        [("users", allowed.users.as_ref().map_or(0, Vec::len)), ("roles", allowed.roles.as_ref().map_or(0, Vec::len))];
    for (name, len) in lists {
        if len > ALLOWED_LIST_MAX {
            errors.push(FormError::new(
                vec![base.clone(), PathSegment::Field(name.into())],
                codes::BASE_TYPE_MAX_LENGTH,
                format!("Must be {ALLOWED_LIST_MAX} or fewer in length."),
            ));
        }
        if len > 0 && parse.iter().any(|p| p == name) {
            errors.push(FormError::new(
                vec![base.clone()],
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                format!("parse:[\"{name}\"] and {name}: [ids...] are mutually exclusive."),
            ));
        }
    }
}

/// What a message pings, as it is stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) users: Vec<Id<UserMarker>>,
    pub(crate) roles: Vec<Id<RoleMarker>>,
    pub(crate) everyone: bool,
}

/// Who is writing, for the mention rules.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Author<'a> {
    /// The guild (none in DMs); its id is also its @everyone role's, which `<@&id>` never pings.
    pub(crate) guild_id: Option<Id<GuildMarker>>,
    /// The guild's roles (empty in DMs).
    pub(crate) roles: &'a [Role],
    /// MENTION_EVERYONE in the channel: @everyone/@here and roles that are not mentionable.
    pub(crate) can_mention_everyone: bool,
}

impl Core {
    /// The mentions `content` makes under `policy`: existing users, roles of the guild that
    /// are mentionable (or any, with MENTION_EVERYONE), @everyone with MENTION_EVERYONE, plus the
    /// replied-to author when the policy pings replies.
    pub(crate) async fn resolve_mentions(
        &self,
        content: &str,
        policy: &Policy,
        author: Author<'_>,
        replied: Option<Id<UserMarker>>,
    ) -> Result<Resolved> {
        let parsed = parse(content);
        let mut wanted: Vec<Id<UserMarker>> = parsed.users.into_iter().filter(|id| policy.user(*id)).collect();
        if let Some(replied) = replied.filter(|id| policy.replied_user && !wanted.contains(id)) {
            wanted.push(replied);
        }
        let existing = if wanted.is_empty() { Vec::new() } else { self.store().users(&wanted).await? };
        let users = wanted.into_iter().filter(|id| existing.iter().any(|u| u.user.id == *id)).collect();
        let roles = parsed
            .roles
            .into_iter()
            .filter(|id| policy.role(*id))
            .filter(|id| {
                author
                    .roles
                    .iter()
                    .filter(|r| author.guild_id.is_none_or(|g| g.cast() != r.id))
                    .any(|r| r.id == *id && (r.mentionable || author.can_mention_everyone))
            })
            .collect();
        Ok(Resolved { users, roles, everyone: parsed.everyone && policy.everyone && author.can_mention_everyone })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(n: u64) -> Id<UserMarker> {
        Id::new_checked(n).unwrap()
    }

    #[test]
    fn parses_every_mention_form_once() {
        let p = parse("hi <@12> <@!13> <@&14> <@12> <@abc> <@0> @here <@15");
        assert_eq!(p.users, vec![id(12), id(13)]);
        assert_eq!(p.roles, vec![id(14).cast()]);
        assert!(p.everyone);
        assert_eq!(parse("plain text"), Parsed::default());
    }

    #[test]
    fn policies() {
        let all = Policy::new(None, DefaultParse::All);
        assert!(all.user(id(1)) && all.role(id(2).cast()) && all.everyone && all.replied_user);
        let hooks = Policy::new(None, DefaultParse::UsersOnly);
        assert!(hooks.user(id(1)) && !hooks.role(id(2).cast()) && !hooks.everyone);
        let listed = AllowedMentions { users: Some(vec![id(7)]), ..AllowedMentions::default() };
        let listed = Policy::new(Some(&listed), DefaultParse::All);
        assert!(listed.user(id(7)) && !listed.user(id(8)) && !listed.replied_user);
    }

    #[test]
    fn allowed_mentions_validation() {
        let bad = AllowedMentions {
            parse: Some(vec!["users".into(), "nobody".into()]),
            users: Some(vec![id(1)]),
            ..AllowedMentions::default()
        };
        let mut errors = FormErrors::new();
        validate_allowed_mentions(&bad, &mut errors);
        let json = errors.to_errors_json();
        assert_eq!(json["allowed_mentions"]["parse"]["1"]["_errors"][0]["code"], "BASE_TYPE_CHOICES");
        assert_eq!(json["allowed_mentions"]["_errors"][0]["code"], "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE");
    }
}
