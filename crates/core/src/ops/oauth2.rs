//! Adding an application's bot to a guild: Discord's OAuth2 authorize with the `bot` scope
//! (`POST /oauth2/authorize?client_id=…&scope=bot`, what Discord's own client posts when a
//! guild manager clicks "Authorize"). guildhall has no authorization-code flow; this is the
//! bot-scope half that communities need to add their bots.

use guildhall_model::Id;
use guildhall_model::flags::Permissions;
use guildhall_model::id::marker::{ApplicationMarker, GuildMarker};
use serde::{Deserialize, Serialize};

use super::{Actor, Code, Core, Error, Result, views};

/// The query string: `client_id` and `scope` (must include `bot`).
#[derive(Clone, Debug, Deserialize)]
pub struct AuthorizeQuery {
    pub client_id: Option<String>,
    pub scope: Option<String>,
}

/// The JSON body: the guild, the permissions asked for and the user's answer.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorizeBody {
    pub guild_id: Option<Id<GuildMarker>>,
    #[serde(default)]
    pub permissions: Option<String>,
    #[serde(default)]
    pub authorize: Option<bool>,
}

/// Where Discord would send the browser next.
#[derive(Clone, Debug, Serialize)]
pub struct Authorized {
    pub location: String,
}

impl Core {
    /// Adds the application's bot to `guild_id`: user accounts only (20001 for bots), MANAGE_GUILD
    /// there (50013), a public bot or one the user owns, not banned (40007). A bot already in the
    /// guild is left as it is. Requested permissions are not granted as a managed role yet: the
    /// guild's roles decide what the bot may do.
    pub async fn authorize_bot(&self, actor: &Actor, query: AuthorizeQuery, body: AuthorizeBody) -> Result<Authorized> {
        if actor.is_bot() {
            return Err(Error::code(Code::BotsCannotUse));
        }
        let scopes = query.scope.unwrap_or_default();
        if !scopes.split([' ', '+']).any(|s| s == "bot") {
            return Err(Error::code(Code::InvalidFormBody));
        }
        let application_id = query
            .client_id
            .and_then(|id| id.parse::<u64>().ok())
            .and_then(Id::<ApplicationMarker>::new_checked)
            .ok_or_else(|| Error::code(Code::UnknownApplication))?;
        let application =
            self.store().application(application_id).await?.ok_or_else(|| Error::code(Code::UnknownApplication))?;
        let bot_id = application.bot_user_id.ok_or_else(|| Error::code(Code::UnknownApplication))?;
        if !application.bot_public && application.owner_id != actor.id() {
            return Err(Error::code(Code::MissingAccess));
        }
        let guild_id = body.guild_id.ok_or_else(|| Error::code(Code::InvalidFormBody))?;
        let access = self.guild_access(actor, guild_id).await?;
        access.require(Permissions::MANAGE_GUILD)?;
        if body.authorize == Some(false) {
            return Ok(Authorized { location: "about:blank#error=access_denied".to_owned() });
        }
        if self.store().member(guild_id, bot_id).await?.is_none() {
            if self.store().ban(guild_id, bot_id).await?.is_some() {
                return Err(Error::code(Code::BannedFromGuild));
            }
            let bot = self.store().user(bot_id).await?.ok_or_else(|| Error::code(Code::UnknownApplication))?;
            self.join_guild(guild_id, &views::public_user(&bot.user)).await?;
        }
        Ok(Authorized { location: format!("/oauth2/authorized?guild_id={guild_id}") })
    }
}
