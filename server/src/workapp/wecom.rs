//! WeCom (企业微信; 政务微信 where it speaks the same protocol at its own endpoint): the
//! organisation's self-built app (自建应用) sends application messages and signs people in.
//!
//! Public documentation (developer.work.weixin.qq.com, 企业内部开发):
//! - access token: `GET {api}/cgi-bin/gettoken?corpid=&corpsecret=` → `{errcode, errmsg,
//!   access_token, expires_in}` — <https://developer.work.weixin.qq.com/document/path/91039>;
//! - global error codes (40014 invalid and 42001 expired access token; 40001 a wrong
//!   secret, 40013 a wrong CorpID; 45009 the API's call frequency over its limit; 60111 no
//!   such userid; 81013 user, party and tag all invalid; 46004 no such member) —
//!   <https://developer.work.weixin.qq.com/document/path/90313>;
//! - application message: `POST {api}/cgi-bin/message/send?access_token=` `{touser,
//!   msgtype: "textcard", agentid, textcard: {title, description, url, btntxt},
//!   enable_duplicate_check, duplicate_check_interval}` → `{errcode, errmsg, invaliduser,
//!   msgid}`; recipients that are invalid or outside the app's visible range come back in
//!   `invaliduser` (lower-cased), all of them invalid is errcode 81013 —
//!   <https://developer.work.weixin.qq.com/document/path/90236>;
//! - userid by mobile: `POST {api}/cgi-bin/user/getuserid` `{mobile}` → `userid` —
//!   <https://developer.work.weixin.qq.com/document/path/95402>;
//! - a member's details (the mobile; not given to apps created after 20 June 2022):
//!   `GET {api}/cgi-bin/user/get?access_token=&userid=` —
//!   <https://developer.work.weixin.qq.com/document/path/90196>;
//! - sign-in inside the app (OAuth2): `{oauth}/connect/oauth2/authorize?appid=CORPID
//!   &redirect_uri=&response_type=code&scope=snsapi_base&state=&agentid=#wechat_redirect` →
//!   back with `code` and `state` —
//!   <https://developer.work.weixin.qq.com/document/path/91022>; QR sign-in on the PC:
//!   `{login}/wwlogin/sso/login?login_type=CorpApp&appid=CORPID&agentid=&redirect_uri=&state=`
//!   — <https://developer.work.weixin.qq.com/document/path/98152>; both codes give the
//!   userid by `GET {api}/cgi-bin/auth/getuserinfo?access_token=&code=` (a non-member gets
//!   an `openid` instead) — <https://developer.work.weixin.qq.com/document/path/91023>.

use serde_json::{json, Value};

use super::{item_link, Api, WorkAppError};
use crate::push::{Delivered, Message, Provider, PushError, SendFuture};

/// WeCom's server API.
pub const API_URL: &str = "https://qyapi.weixin.qq.com";
/// WeCom's OAuth2 page inside the app.
pub const OAUTH_URL: &str = "https://open.weixin.qq.com";
/// WeCom's sign-in page on the PC.
pub const LOGIN_URL: &str = "https://login.work.weixin.qq.com";

/// Access token invalid (40014) or expired (42001).
const EXPIRED: &[i64] = &[40014, 42001];
/// The API's call frequency over its limit (45009), too many concurrent calls (45033).
const BUSY: &[i64] = &[45009, 45033];
/// No such userid (60111), no such member (46004), every recipient invalid (81013).
const NO_USER: &[i64] = &[60111, 46004, 81013];

/// Seconds within which WeCom drops the same message sent again (a retried job).
const DUPLICATE_WINDOW: u32 = 1800;

/// The app's credentials from WeCom's admin console.
#[derive(Clone, Debug)]
pub struct WeComApp {
    /// The organisation's CorpID.
    pub corp_id: String,
    /// The app's AgentId.
    pub agent_id: i64,
    /// The app's Secret.
    pub secret: String,
}

/// Where WeCom is reached.
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// The server API ([`API_URL`]).
    pub api: String,
    /// The OAuth2 page inside the app ([`OAUTH_URL`]).
    pub oauth: String,
    /// The PC sign-in page ([`LOGIN_URL`]).
    pub login: String,
}

/// The WeCom client.
pub struct WeCom {
    app: WeComApp,
    api: Api,
    oauth: String,
    login: String,
    public_url: String,
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl WeCom {
    /// A client of the app at `endpoints`; `public_url` is this server's address.
    pub fn new(
        app: WeComApp,
        endpoints: Endpoints,
        public_url: String,
        http: reqwest::Client,
    ) -> WeCom {
        let base = endpoints.api.trim_end_matches('/');
        let token_url = format!(
            "{base}/cgi-bin/gettoken?corpid={}&corpsecret={}",
            crate::push::percent(&app.corp_id),
            crate::push::percent(&app.secret)
        );
        WeCom {
            api: Api::new("wecom", http, base, token_url, EXPIRED, BUSY),
            oauth: endpoints.oauth.trim_end_matches('/').to_owned(),
            login: endpoints.login.trim_end_matches('/').to_owned(),
            public_url,
            app,
        }
    }

    /// This server's address.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Sends a text card (title, description, a button opening `url`) to one member; the
    /// message id. A member WeCom names invalid is [`PushError::DeadToken`]-worthy: the
    /// answer is `Ok(None)`.
    pub async fn send_notice(
        &self,
        userid: &str,
        title: &str,
        description: &str,
        button: &str,
        url: &str,
    ) -> Result<Option<String>, WorkAppError> {
        let body = json!({
            "touser": userid,
            "msgtype": "textcard",
            "agentid": self.app.agent_id,
            "textcard": {
                "title": clip(title, 128),
                "description": clip(description, 512),
                "url": url,
                "btntxt": clip(button, 12),
            },
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_WINDOW,
        });
        let url = format!("{}/cgi-bin/message/send", self.api.base);
        let v = self
            .api
            .call(|token| {
                self.api
                    .http
                    .post(&url)
                    .query(&[("access_token", token)])
                    .json(&body)
            })
            .await?;
        let invalid = v["invaliduser"].as_str().unwrap_or_default();
        if invalid
            .split('|')
            .any(|u| !u.is_empty() && u.eq_ignore_ascii_case(userid))
        {
            return Ok(None);
        }
        Ok(Some(v["msgid"].as_str().unwrap_or_default().to_owned()))
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, WorkAppError> {
        let url = format!("{}{path}", self.api.base);
        self.api
            .call(|token| {
                self.api
                    .http
                    .get(&url)
                    .query(&[("access_token", token)])
                    .query(query)
            })
            .await
    }

    /// The userid of the member with this mobile number, if any.
    pub async fn user_by_mobile(&self, mobile: &str) -> Result<Option<String>, WorkAppError> {
        let url = format!("{}/cgi-bin/user/getuserid", self.api.base);
        let body = json!({ "mobile": mobile });
        match self
            .api
            .call(|token| {
                self.api
                    .http
                    .post(&url)
                    .query(&[("access_token", token)])
                    .json(&body)
            })
            .await
        {
            Ok(v) => Ok(v["userid"]
                .as_str()
                .filter(|u| !u.is_empty())
                .map(str::to_owned)),
            Err(e) if e.errcode().is_some_and(|c| NO_USER.contains(&c)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The sign-in page inside the app, coming back to `redirect_uri` with `state`.
    pub fn oauth_url(&self, redirect_uri: &str, state: &str) -> String {
        let p = crate::push::percent;
        format!(
            "{}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}&agentid={}#wechat_redirect",
            self.oauth,
            p(&self.app.corp_id),
            p(redirect_uri),
            p(state),
            self.app.agent_id
        )
    }

    /// The QR sign-in page on the PC, coming back to `redirect_uri` with `state`.
    pub fn qr_url(&self, redirect_uri: &str, state: &str) -> String {
        let p = crate::push::percent;
        format!(
            "{}/wwlogin/sso/login?login_type=CorpApp&appid={}&agentid={}&redirect_uri={}&state={}",
            self.login,
            p(&self.app.corp_id),
            self.app.agent_id,
            p(redirect_uri),
            p(state)
        )
    }

    /// The userid of a sign-in code (in the app or by QR); a non-member (an `openid`) is
    /// refused.
    pub async fn user_of_code(&self, code: &str) -> Result<String, WorkAppError> {
        let v = self
            .get("/cgi-bin/auth/getuserinfo", &[("code", code)])
            .await?;
        v["userid"]
            .as_str()
            .or_else(|| v["UserId"].as_str())
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| WorkAppError::Api {
                service: "wecom",
                errcode: 60111,
                errmsg: "not a member of the organisation".into(),
            })
    }

    /// The member's mobile number, if WeCom gives it to this app.
    pub async fn mobile_of(&self, userid: &str) -> Result<Option<String>, WorkAppError> {
        let v = self.get("/cgi-bin/user/get", &[("userid", userid)]).await?;
        Ok(v["mobile"]
            .as_str()
            .filter(|m| !m.is_empty())
            .map(str::to_owned))
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let task = message.data.get("task").map(String::as_str).unwrap_or("");
        let url = item_link(&self.public_url, "wecom", task);
        let button = message
            .data
            .get("button")
            .map(String::as_str)
            .unwrap_or("详情");
        match self
            .send_notice(&message.token, &message.title, &message.body, button, &url)
            .await
        {
            Ok(Some(id)) => Ok(Delivered { id }),
            Ok(None) => Err(PushError::DeadToken("wecom invaliduser".into())),
            Err(e) if e.errcode().is_some_and(|c| NO_USER.contains(&c)) => Err(
                PushError::DeadToken(format!("wecom errcode {}", e.errcode().unwrap_or(0))),
            ),
            Err(e) => Err(e.into_push()),
        }
    }
}

impl Provider for WeCom {
    fn name(&self) -> &'static str {
        "wecom"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_clipped_at_a_character_boundary() {
        assert_eq!(super::clip("督办事项", 7), "督办");
        assert_eq!(super::clip("ab", 7), "ab");
    }
}
