//! The current application (`GET /applications/@me`, `GET /oauth2/applications/@me`) and the
//! facts `GET /gateway/bot` reports about a bot.

use guildhall_model::user::Application;

use super::{Actor, Code, Core, Error, Result, views};

impl Core {
    /// The bot's application, with its owner and bot users. 20002 for user accounts.
    pub async fn current_application(&self, actor: &Actor) -> Result<Application> {
        let app_id = actor.application_id.ok_or_else(|| Error::code(Code::OnlyBots))?;
        let app = self.store().application(app_id).await?.ok_or_else(|| Error::code(Code::UnknownApplication))?;
        let owner = self.store().user(app.owner_id).await?.map(|u| views::public_user(&u.user));
        Ok(Application {
            id: app.id,
            name: app.name,
            icon: app.icon,
            description: app.description,
            bot_public: app.bot_public,
            bot_require_code_grant: app.bot_require_code_grant,
            owner,
            bot: Some(views::public_user(&actor.user)),
            verify_key: app.verify_key,
            flags: app.flags,
            team: None,
        })
    }
}
