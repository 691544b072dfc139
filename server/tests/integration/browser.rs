//! The pages in a real browser: Debian's headless Chromium driven over the W3C WebDriver
//! protocol (`chromedriver`, installed with `chromium` by `scripts/test`), against a real
//! server with the demo. Signing in through the form, the overview with its charts drawn by
//! the vendored Chart.js, the workbench's one-click urge swapped in by the vendored htmx, and
//! the public board; a screenshot of each page goes to `target/screenshots/` as an artefact.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::support::*;

/// The element key of the W3C protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session in it, ended on drop — also when a test
/// fails: the session is quit first (chromedriver then ends its Chromium), and the driver
/// is killed after it.
pub(crate) struct Browser {
    base: String,
    session: String,
    http: reqwest::Client,
    // Dropped after `Drop for Browser` has quit the session.
    _driver: Driver,
}

/// The chromedriver process, killed on drop (also when starting the session fails).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        quit(&self.base, &self.session);
    }
}

/// `DELETE /session/{id}` to the driver at `base`, blocking (a `Drop` cannot wait on a
/// future), and waiting for the answer: chromedriver answers once Chromium has quit.
fn quit(base: &str, session: &str) {
    use std::io::{Read, Write};
    let Some(addr) = base.strip_prefix("http://") else {
        return;
    };
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(program))
        .find(|p| p.is_file())
}

impl Browser {
    pub(crate) async fn start() -> Browser {
        let driver = which("chromedriver").unwrap_or_else(|| {
            panic!(
                "chromedriver is not installed: scripts/test installs it (apt-get install \
                 chromium chromium-driver)"
            )
        });
        let chromium = which("chromium").expect("chromium (apt-get install chromium)");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Driver(
            Command::new(driver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        );
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(r) = ready {
                let v: Value = r.json().await.unwrap_or_default();
                if v["value"]["ready"] == true {
                    break;
                }
            }
            assert!(Instant::now() < until, "chromedriver did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=zh-CN"]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session answer");
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_owned();
        Browser {
            base,
            session,
            http,
            _driver: child,
        }
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("webdriver answer");
        if v["value"]["error"].is_string() {
            panic!("webdriver {path}: {v}");
        }
        v["value"].clone()
    }

    pub(crate) async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub(crate) async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .expect("url")
            .to_owned()
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub(crate) async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub(crate) async fn script(&self, js: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// Waits until `js` returns true (polling), or fails saying `what`.
    pub(crate) async fn wait_for(&self, js: &str, what: &str) {
        let until = Instant::now() + Duration::from_secs(15);
        while self.script(js).await != true {
            assert!(Instant::now() < until, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The value of the browser's cookie `name` (HttpOnly ones too, which page scripts
    /// cannot read), through WebDriver's `GET /session/{id}/cookie/{name}`.
    pub(crate) async fn cookie(&self, name: &str) -> String {
        let v = self
            .call(reqwest::Method::GET, &format!("/cookie/{name}"), None)
            .await;
        v["value"]
            .as_str()
            .unwrap_or_else(|| panic!("no cookie {name}: {v}"))
            .to_owned()
    }

    pub(crate) async fn sign_out_cookies(&self) {
        self.call(reqwest::Method::DELETE, "/cookie", None).await;
    }

    /// Saves a screenshot of the page to `target/screenshots/<name>.png`.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("base64"))
            .expect("png");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        println!("screenshot: {}", path.display());
        path
    }

    /// Signs in through the form as `username` (the demo's password) from a fresh start, and
    /// waits until the sign-in page is left.
    pub(crate) async fn sign_in(&self, base: &str, username: &str) {
        self.sign_out_cookies().await;
        self.go(&format!("{base}/login")).await;
        self.type_into("#username", username).await;
        self.type_into("#password", duban_server::demo::DEMO_PASSWORD)
            .await;
        self.click("form.signin button").await;
        self.wait_for(
            "return location.pathname !== '/login'",
            "leaving the sign-in page",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_sign_in_overview_workbench_urge_and_the_board() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let b = Browser::start().await;

    // Not signed in: the overview sends the browser to the sign-in form, and back after it.
    b.go(&format!("{}/overview", s.base)).await;
    assert!(b.url().await.contains("/login?next=/overview"));
    b.screenshot("login").await;
    b.type_into("#username", "leader").await;
    b.type_into("#password", "wrong-password").await;
    b.click("form.signin button").await;
    b.wait_for(
        "return !!document.querySelector('.error[data-code=\"auth.bad_credentials\"]')",
        "the refusal on the sign-in page",
    )
    .await;
    b.script("document.querySelector('#username').value = '';")
        .await;
    b.type_into("#username", "leader").await;
    b.type_into("#password", duban_server::demo::DEMO_PASSWORD)
        .await;
    b.click("form.signin button").await;
    b.wait_for(
        "return location.pathname === '/overview' && !!document.querySelector('#total')",
        "the leader's overview",
    )
    .await;
    // Both charts drawn by the vendored Chart.js from the page's own figures.
    b.wait_for(
        "return document.querySelectorAll('canvas[data-drawn]').length === 2",
        "the charts",
    )
    .await;
    let total = b
        .script("return document.querySelector('#total').textContent")
        .await;
    assert_eq!(total, "30", "the demo's items");
    b.screenshot("overview-leader").await;

    // The office: the workbench, and an overdue item urged in one click.
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/", s.base)).await;
    b.wait_for(
        "return location.pathname === '/workbench'",
        "the supervisor's workbench as home",
    )
    .await;
    b.wait_for(
        "return document.querySelectorAll('#overdue-list button.urge').length > 0",
        "an overdue item to urge",
    )
    .await;
    let before = b
        .script(
            "return Number(document.querySelector('#overdue-list tbody tr .urges').textContent)",
        )
        .await
        .as_f64()
        .expect("urges");
    b.screenshot("workbench-supervisor").await;
    b.click("#overdue-list tbody tr button.urge").await;
    b.wait_for(
        "return document.querySelector('#overdue-list tbody tr button.urge').textContent.includes('已催办')",
        "the urged row swapped in by htmx",
    )
    .await;
    let after = b
        .script(
            "return Number(document.querySelector('#overdue-list tbody tr .urges').textContent)",
        )
        .await
        .as_f64()
        .expect("urges");
    assert_eq!(after, before + 1.0, "one click, one urge");
    assert_eq!(
        b.url().await,
        format!("{}/workbench", s.base),
        "htmx swapped the row; the page did not reload"
    );
    b.screenshot("workbench-urged").await;

    // The public board, signed out.
    b.click("header.top form button").await;
    b.wait_for("return location.pathname === '/login'", "signed out")
        .await;
    b.go(&format!("{}/board", s.base)).await;
    b.wait_for(
        "return !!document.querySelector('#public-items')",
        "the public board",
    )
    .await;
    b.screenshot("board").await;
}
