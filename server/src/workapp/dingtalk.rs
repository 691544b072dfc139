//! DingTalk (钉钉; 政务钉钉 where it speaks the same protocol at its own endpoint): the
//! organisation's internal app (企业内部应用) sends work notifications and signs people in.
//!
//! Public documentation (open.dingtalk.com, 服务端 API and JSAPI):
//! - access token: `GET {oapi}/gettoken?appkey=&appsecret=` → `{errcode, errmsg,
//!   access_token, expires_in}` (7200 s) —
//!   <https://open.dingtalk.com/document/orgapp/obtain-orgapp-token>;
//! - error codes (`errcode` 0 is success; 88 carries the real one in `sub_code`; 40014
//!   invalid and 42001 expired access token; 90018 and the other 900xx codes the call
//!   frequency limits; 33012 an invalid userid, 60121 no such user; 40078 an unknown
//!   temporary code) — <https://open.dingtalk.com/document/orgapp/server-api-error-codes-1>;
//! - work notification (工作通知): `POST {oapi}/topapi/message/corpconversation/asyncsend_v2
//!   ?access_token=` `{agent_id, userid_list, msg: {msgtype: "action_card", action_card:
//!   {title, markdown, single_title, single_url}}}` → `{errcode, task_id, request_id}` —
//!   <https://open.dingtalk.com/document/orgapp/asynchronous-sending-of-enterprise-session-messages>,
//!   message types <https://open.dingtalk.com/document/orgapp/message-types-and-data-format>;
//! - userid by mobile: `POST {oapi}/topapi/v2/user/getbymobile` `{mobile}` →
//!   `result.userid` — <https://open.dingtalk.com/document/orgapp/query-users-by-phone-number>;
//! - 免登 in the H5 container: the page calls the JSAPI
//!   `dd.runtime.permission.requestAuthCode({corpId})`
//!   (<https://open.dingtalk.com/document/orgapp/jsapi-request-auth-code>), the server
//!   exchanges the code: `POST {oapi}/topapi/v2/user/getuserinfo` `{code}` → `result.userid`
//!   — <https://open.dingtalk.com/document/orgapp/obtain-the-userid-of-a-user-by-using-the-log-free>;
//! - a user's details (the mobile, if the app may read it): `POST {oapi}/topapi/v2/user/get`
//!   `{userid}` → `result.mobile` — <https://open.dingtalk.com/document/orgapp/query-user-details>;
//! - QR sign-in on the PC (登录第三方网站): `{login}/oauth2/auth?redirect_uri&response_type=code
//!   &client_id&scope=openid&state&prompt=consent` → back with `authCode` and `state`;
//!   `POST {api}/v1.0/oauth2/userAccessToken` `{clientId, clientSecret, code, grantType:
//!   "authorization_code"}` → `accessToken`; `GET {api}/v1.0/contact/users/me` with
//!   `x-acs-dingtalk-access-token` → `unionId`; `POST {oapi}/topapi/user/getbyunionid`
//!   `{unionid}` → `result.userid` —
//!   <https://open.dingtalk.com/document/orgapp/tutorial-obtaining-user-personal-information>,
//!   <https://open.dingtalk.com/document/orgapp/obtain-user-token>,
//!   <https://open.dingtalk.com/document/orgapp/dingtalk-retrieve-user-information>,
//!   <https://open.dingtalk.com/document/orgapp/query-a-user-by-the-union-id>. The new API
//!   (`api.dingtalk.com`) answers errors as HTTP 4xx `{code, message, requestid}`.

use serde_json::{json, Value};

use super::{item_link, Api, WorkAppError};
use crate::push::{Delivered, Message, Provider, PushError, SendFuture};

/// DingTalk's server API.
pub const OAPI_URL: &str = "https://oapi.dingtalk.com";
/// DingTalk's new server API (QR sign-in).
pub const API_URL: &str = "https://api.dingtalk.com";
/// DingTalk's sign-in page (QR sign-in).
pub const LOGIN_URL: &str = "https://login.dingtalk.com";
/// The JSAPI script the 免登 page loads (DingTalk's CDN).
pub const JSAPI_URL: &str = "https://g.alicdn.com/dingding/dingtalk-jsapi/2.10.3/dingtalk.open.js";
/// The origin of [`JSAPI_URL`], which the 免登 page's Content-Security-Policy admits.
pub const JSAPI_ORIGIN: &str = "https://g.alicdn.com";

/// Access token invalid (40014) or expired (42001).
const EXPIRED: &[i64] = &[40014, 42001];
/// The call-frequency limits (900xx: the server's, the API's or the organisation's calls
/// over the limit, temporarily refused).
const BUSY: &[i64] = &[90002, 90005, 90006, 90018];
/// An invalid userid (33012) or no such user (60121).
const NO_USER: &[i64] = &[33012, 60121];

/// The app's credentials from DingTalk's developer console.
#[derive(Clone, Debug)]
pub struct DingTalkApp {
    /// AppKey (the Client ID).
    pub app_key: String,
    /// AppSecret (the Client Secret).
    pub app_secret: String,
    /// AgentId.
    pub agent_id: i64,
    /// The organisation's CorpId.
    pub corp_id: String,
}

/// Where DingTalk is reached.
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// The server API ([`OAPI_URL`]).
    pub oapi: String,
    /// The new server API ([`API_URL`]).
    pub api: String,
    /// The sign-in page ([`LOGIN_URL`]).
    pub login: String,
}

/// The DingTalk client.
pub struct DingTalk {
    app: DingTalkApp,
    api: Api,
    new_api: String,
    login: String,
    public_url: String,
}

impl DingTalk {
    /// A client of the app at `endpoints`; `public_url` is this server's address.
    pub fn new(
        app: DingTalkApp,
        endpoints: Endpoints,
        public_url: String,
        http: reqwest::Client,
    ) -> DingTalk {
        let oapi = endpoints.oapi.trim_end_matches('/');
        let token_url = format!(
            "{oapi}/gettoken?appkey={}&appsecret={}",
            crate::push::percent(&app.app_key),
            crate::push::percent(&app.app_secret)
        );
        DingTalk {
            api: Api::new("dingtalk", http, oapi, token_url, EXPIRED, BUSY),
            new_api: endpoints.api.trim_end_matches('/').to_owned(),
            login: endpoints.login.trim_end_matches('/').to_owned(),
            public_url,
            app,
        }
    }

    /// The organisation's CorpId (the 免登 page passes it to the JSAPI).
    pub fn corp_id(&self) -> &str {
        &self.app.corp_id
    }

    /// This server's address.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, WorkAppError> {
        let url = format!("{}{path}", self.api.base);
        self.api
            .call(|token| {
                self.api
                    .http
                    .post(&url)
                    .query(&[("access_token", token)])
                    .json(&body)
            })
            .await
    }

    /// Sends a work notification (an action card: title, Markdown text, one button opening
    /// `url`) to one user; the task id.
    pub async fn send_notice(
        &self,
        userid: &str,
        title: &str,
        markdown: &str,
        button: &str,
        url: &str,
    ) -> Result<String, WorkAppError> {
        let body = json!({
            "agent_id": self.app.agent_id,
            "userid_list": userid,
            "msg": {
                "msgtype": "action_card",
                "action_card": {
                    "title": title,
                    "markdown": markdown,
                    "single_title": button,
                    "single_url": url,
                }
            }
        });
        let v = self
            .post("/topapi/message/corpconversation/asyncsend_v2", body)
            .await?;
        Ok(match &v["task_id"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        })
    }

    /// The userid of the member with this mobile number, if any.
    pub async fn user_by_mobile(&self, mobile: &str) -> Result<Option<String>, WorkAppError> {
        match self
            .post("/topapi/v2/user/getbymobile", json!({ "mobile": mobile }))
            .await
        {
            Ok(v) => Ok(v["result"]["userid"]
                .as_str()
                .filter(|u| !u.is_empty())
                .map(str::to_owned)),
            Err(e) if e.errcode().is_some_and(|c| NO_USER.contains(&c)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The userid of a 免登 code from the JSAPI.
    pub async fn user_of_code(&self, code: &str) -> Result<String, WorkAppError> {
        let v = self
            .post("/topapi/v2/user/getuserinfo", json!({ "code": code }))
            .await?;
        non_empty(&v["result"]["userid"], "getuserinfo gave no userid")
    }

    /// The user's mobile number, if the app may read it.
    pub async fn mobile_of(&self, userid: &str) -> Result<Option<String>, WorkAppError> {
        let v = self
            .post("/topapi/v2/user/get", json!({ "userid": userid }))
            .await?;
        Ok(v["result"]["mobile"]
            .as_str()
            .filter(|m| !m.is_empty())
            .map(str::to_owned))
    }

    /// The QR sign-in page to send a browser to, coming back to `redirect_uri` with `state`.
    pub fn qr_url(&self, redirect_uri: &str, state: &str) -> String {
        let p = crate::push::percent;
        format!(
            "{}/oauth2/auth?redirect_uri={}&response_type=code&client_id={}&scope=openid&state={}&prompt=consent",
            self.login,
            p(redirect_uri),
            p(&self.app.app_key),
            p(state)
        )
    }

    /// The userid of the person who scanned the QR code (its `authCode`).
    pub async fn user_of_qr_code(&self, code: &str) -> Result<String, WorkAppError> {
        let unexpected = |reason: String| WorkAppError::Unexpected {
            service: "dingtalk",
            reason,
        };
        let refused = |v: &Value| WorkAppError::Api {
            service: "dingtalk",
            errcode: -1,
            errmsg: format!(
                "{}: {}",
                v["code"].as_str().unwrap_or_default(),
                v["message"].as_str().unwrap_or_default()
            )
            .chars()
            .take(200)
            .collect(),
        };
        let token = self
            .api
            .answer(
                self.api
                    .http
                    .post(format!("{}/v1.0/oauth2/userAccessToken", self.new_api))
                    .json(&json!({
                        "clientId": self.app.app_key,
                        "clientSecret": self.app.app_secret,
                        "code": code,
                        "grantType": "authorization_code",
                    })),
            )
            .await?;
        let Some(access) = token["accessToken"].as_str().filter(|t| !t.is_empty()) else {
            return Err(if token.get("code").is_some() {
                refused(&token)
            } else {
                unexpected("userAccessToken gave no accessToken".into())
            });
        };
        let me = self
            .api
            .answer(
                self.api
                    .http
                    .get(format!("{}/v1.0/contact/users/me", self.new_api))
                    .header("x-acs-dingtalk-access-token", access),
            )
            .await?;
        let Some(union) = me["unionId"].as_str().filter(|u| !u.is_empty()) else {
            return Err(if me.get("code").is_some() {
                refused(&me)
            } else {
                unexpected("users/me gave no unionId".into())
            });
        };
        let v = self
            .post("/topapi/user/getbyunionid", json!({ "unionid": union }))
            .await?;
        non_empty(&v["result"]["userid"], "getbyunionid gave no userid")
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let task = message.data.get("task").map(String::as_str).unwrap_or("");
        let url = item_link(&self.public_url, "dingtalk", task);
        let button = message
            .data
            .get("button")
            .map(String::as_str)
            .unwrap_or("查看");
        let markdown = format!("#### {}\n\n{}", message.title, message.body);
        match self
            .send_notice(&message.token, &message.title, &markdown, button, &url)
            .await
        {
            Ok(id) => Ok(Delivered { id }),
            Err(e) if e.errcode().is_some_and(|c| NO_USER.contains(&c)) => Err(
                PushError::DeadToken(format!("dingtalk errcode {}", e.errcode().unwrap_or(0))),
            ),
            Err(e) => Err(e.into_push()),
        }
    }
}

fn non_empty(v: &Value, why: &str) -> Result<String, WorkAppError> {
    v.as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| WorkAppError::Unexpected {
            service: "dingtalk",
            reason: why.to_owned(),
        })
}

impl Provider for DingTalk {
    fn name(&self) -> &'static str {
        "dingtalk"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
