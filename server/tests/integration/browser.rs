//! The pages in a real browser: Debian's headless Chromium driven over the W3C WebDriver
//! protocol by the `fantoccini` client (`chromedriver`, installed with `chromium` by
//! `scripts/test`), against a real server with the demo. Each page can be checked as a
//! whole ([`Browser::check_page`]): a screenshot to `target/screenshots/` as an artefact,
//! axe-core's accessibility rules (the npm package, installed by `scripts/test` into
//! `target/tools`; no serious or critical violation passes), and, at phone width, nothing
//! wider than the screen and no tap target under 44 px.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::support::*;

/// The desktop size the pages are checked at.
pub(crate) const DESKTOP: (u32, u32) = (1440, 900);
/// The phone size the pages are checked at (a common phone's CSS pixels).
pub(crate) const PHONE: (u32, u32) = (390, 844);
/// Up to this width a page is checked for sideways scrolling by [`Browser::check_page`].
const NARROW: u32 = 600;

/// A chromedriver process and one browser session in it, ended on drop — also when a test
/// fails: the session is closed first (chromedriver then ends its Chromium), and then the
/// driver's whole process group, Chromium's processes with it, is killed.
pub(crate) struct Browser {
    client: Client,
    /// The viewport's width as last set by [`Browser::resize`].
    width: AtomicU32,
    // Dropped after `Drop for Browser` has closed the session.
    _driver: Driver,
}

/// The chromedriver process, started as the leader of its own process group: Chromium's
/// processes join that group, so killing the group on drop leaves none behind (also when
/// starting the session fails, or the session could not be closed).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // The shell's own `kill` (no procps needed) signals the group: `kill -- -pgid`.
        let group = self.0.id().to_string();
        for signal in ["TERM", "KILL"] {
            let _ = Command::new("sh")
                .args(["-c", "kill -s \"$1\" -- -\"$2\"", "kill", signal, &group])
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A `Drop` cannot await: close the session on this (multi-threaded) runtime's
        // thread, blocking. The driver's group is killed after it in any case.
        let client = self.client.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                tokio::task::block_in_place(|| {
                    handle.block_on(async {
                        let _ = tokio::time::timeout(Duration::from_secs(20), client.close()).await;
                    })
                });
            }
        }
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(program))
        .find(|p| p.is_file())
}

/// axe-core's script: `DUBAN_AXE` (the path of `axe.min.js`), or the copy `scripts/test`
/// installs into `target/tools`.
fn axe_source() -> String {
    let path = std::env::var_os("DUBAN_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/tools/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is not installed at {} ({e}): scripts/test installs it (npm install \
             --prefix target/tools axe-core), or set DUBAN_AXE to an axe.min.js",
            path.display()
        )
    })
}

/// The directory of the screenshots and axe reports.
fn artefacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    dir
}

impl Browser {
    pub(crate) async fn start() -> Browser {
        use std::os::unix::process::CommandExt;
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
        let driver = Driver(
            Command::new(driver)
                .arg(format!("--port={port}"))
                .process_group(0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        );
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--disable-crash-reporter", "--disable-breakpad",
                         "--window-size=1280,1000", "--lang=zh-CN", "--accept-lang=zh-CN,zh"],
                // The pages speak the browser's `Accept-Language` (zh-CN, as the county's
                // PCs): headless Chromium sends en-US unless told.
                "prefs": {"intl.accept_languages": "zh-CN,zh"}
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let until = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    assert!(Instant::now() < until, "no browser session: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Browser {
            client,
            width: AtomicU32::new(1280),
            _driver: driver,
        }
    }

    pub(crate) async fn go(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("go to {url}: {e}"));
    }

    pub(crate) async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    /// The WebDriver id of the element `css` selects.
    #[allow(dead_code)] // kept for the browser tests that name elements by id
    pub(crate) async fn find(&self, css: &str) -> String {
        self.element(css).await.element_id().to_string()
    }

    async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        self.element(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub(crate) async fn click(&self, css: &str) {
        self.element(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Chooses the file at `path` in the file input `css` (as a person picks it, or takes a
    /// photo on a phone).
    pub(crate) async fn upload(&self, css: &str, path: &Path) {
        let path = path
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.element(css)
            .await
            .send_keys(path.to_str().expect("a UTF-8 path"))
            .await
            .unwrap_or_else(|e| panic!("upload into {css}: {e}"));
    }

    pub(crate) async fn script(&self, js: &str) -> Value {
        self.client
            .execute(js, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {js}: {e}"))
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
    /// cannot read).
    pub(crate) async fn cookie(&self, name: &str) -> String {
        self.client
            .get_named_cookie(name)
            .await
            .unwrap_or_else(|e| panic!("no cookie {name}: {e}"))
            .value()
            .to_owned()
    }

    pub(crate) async fn sign_out_cookies(&self) {
        self.client
            .delete_all_cookies()
            .await
            .expect("delete the cookies");
    }

    /// Sets the viewport (the page's CSS pixels, not the window's) to `width` × `height`.
    pub(crate) async fn resize(&self, width: u32, height: u32) {
        let (mut w, mut h) = (width, height);
        let mut viewport = (0, 0);
        // The window manager applies a size asynchronously, and a loaded machine may answer
        // with the old viewport first: read again, a few times, before correcting.
        let read = || async {
            let inner = self
                .script("return [window.innerWidth, window.innerHeight]")
                .await;
            (
                inner[0].as_u64().expect("innerWidth") as u32,
                inner[1].as_u64().expect("innerHeight") as u32,
            )
        };
        for _ in 0..5 {
            let before = read().await;
            self.client
                .set_window_size(w, h)
                .await
                .expect("set the window's size");
            viewport = read().await;
            // Settle: until two readings agree (at most a second).
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let again = read().await;
                if again == viewport && (again != before || again == (width, height)) {
                    break;
                }
                viewport = again;
            }
            if viewport == (width, height) {
                break;
            }
            // The window's frame, if any, is added on.
            w = (i64::from(w) + i64::from(width) - i64::from(viewport.0)).max(1) as u32;
            h = (i64::from(h) + i64::from(height) - i64::from(viewport.1)).max(1) as u32;
        }
        assert_eq!(viewport, (width, height), "the viewport's size");
        self.width.store(width, Ordering::Relaxed);
    }

    /// Asserts that the page scrolls not sideways at `width`: nothing is wider than it.
    pub(crate) async fn fits(&self, width: u32) {
        let wide = self
            .script(
                "const w = document.documentElement.scrollWidth; \
                 const over = [...document.querySelectorAll('body *')] \
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 \
                     && !e.closest('.table-wrap, .ledger-wrap')) \
                   .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') \
                     + (e.className && typeof e.className === 'string' \
                        ? '.' + e.className.trim().split(/\\s+/).join('.') : '')); \
                 return [w, over];",
            )
            .await;
        let scroll = wide[0].as_u64().expect("scrollWidth");
        assert!(
            scroll <= u64::from(width),
            "{}: the page scrolls sideways at {width} px (scrollWidth {scroll}); wider: {}",
            self.url().await,
            wide[1]
        );
    }

    /// Asserts that every control on the page one taps — buttons, button-like links, fields,
    /// the top bar's links, the labels of check boxes — is at least 44 px high (visible
    /// ones; links inside running text are exempt, as in WCAG 2.5.5).
    pub(crate) async fn tap_targets(&self) {
        let small = self
            .script(
                "return [...document.querySelectorAll('button, a.button, select, textarea, \
                   input:not([type=hidden]):not([type=checkbox]):not([type=radio]), \
                   header.top a, label:has(> input[type=checkbox]), label:has(> input[type=radio])')] \
                 .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden') \
                 .filter(e => e.getBoundingClientRect().height < 43.5) \
                 .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') \
                   + (e.getAttribute('name') ? '[name=' + e.getAttribute('name') + ']' : '') \
                   + ' ' + Math.round(e.getBoundingClientRect().height) + 'px ' \
                   + (e.textContent || '').trim().slice(0, 20));",
            )
            .await;
        assert!(
            small.as_array().is_some_and(|a| a.is_empty()),
            "{}: tap targets under 44 px: {small}",
            self.url().await
        );
    }

    /// Runs axe-core on the page and fails on any serious or critical violation, listing
    /// them (rule, impact, help and the elements); the whole report goes to
    /// `target/screenshots/<name>.axe.json`.
    pub(crate) async fn axe(&self, name: &str) {
        let loaded = self.script("return typeof window.axe === 'object'").await;
        if loaded != true {
            // WebDriver's scripts run outside the page's CSP, which admits no inline script.
            self.script(&format!("{}\n;return true;", axe_source()))
                .await;
        }
        let report = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 window.axe.run(document, { resultTypes: ['violations'] }) \
                   .then(r => done({ url: r.url, violations: r.violations.map(v => ({ \
                     id: v.id, impact: v.impact, help: v.help, \
                     nodes: v.nodes.map(n => ({ target: n.target, summary: n.failureSummary })) \
                   })) }), e => done({ error: String(e) }));",
                vec![],
            )
            .await
            .expect("axe.run");
        assert!(report["error"].is_null(), "axe failed: {}", report["error"]);
        std::fs::write(
            artefacts().join(format!("{name}.axe.json")),
            serde_json::to_string_pretty(&report).expect("json"),
        )
        .expect("write the axe report");
        let bad: Vec<String> = report["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                let nodes: Vec<String> = v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take(5)
                    .map(|n| n["target"].to_string())
                    .collect();
                format!(
                    "{} ({}): {} at {}",
                    v["id"].as_str().unwrap_or(""),
                    v["impact"].as_str().unwrap_or(""),
                    v["help"].as_str().unwrap_or(""),
                    nodes.join(", ")
                )
            })
            .collect();
        assert!(
            bad.is_empty(),
            "{name} ({}): axe-core finds serious or critical violations:\n  {}",
            report["url"],
            bad.join("\n  ")
        );
    }

    /// The whole check of the page as it is now: a screenshot (`<name>-<width>.png`),
    /// axe-core, and at phone width that nothing is wider than the screen and every tap
    /// target is at least 44 px high.
    pub(crate) async fn check_page(&self, name: &str) {
        let width = self.width.load(Ordering::Relaxed);
        let name = format!("{name}-{width}");
        self.screenshot(&name).await;
        self.axe(&name).await;
        if width <= NARROW {
            self.fits(width).await;
            self.tap_targets().await;
        }
    }

    /// Saves a screenshot of the page to `target/screenshots/<name>.png`.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let path = artefacts().join(format!("{name}.png"));
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
    for (width, height) in [DESKTOP, PHONE] {
        b.resize(width, height).await;
        b.sign_out_cookies().await;

        // Not signed in: the overview sends the browser to the sign-in form, and back after.
        b.go(&format!("{}/overview", s.base)).await;
        assert!(b.url().await.contains("/login?next=/overview"));
        b.check_page("login").await;
        // The sign-in page names the organisation, and its footer switches the language in
        // place, keeping where to go afterwards.
        let org = b
            .script("return document.querySelector('#org-name').textContent")
            .await;
        assert!(org.as_str().is_some_and(|o| !o.trim().is_empty()), "{org}");
        if (width, height) == DESKTOP {
            b.click("#lang-switch").await;
            b.wait_for(
                "return document.documentElement.lang === 'en' && location.pathname === '/login'",
                "the sign-in page in English",
            )
            .await;
            assert!(b.url().await.contains("/login?next=/overview"));
            let label = b
                .script("return document.querySelector('label[for=password]').textContent")
                .await;
            assert_eq!(label, "Password");
            b.check_page("login-en").await;
            b.click("#lang-switch").await;
            b.wait_for(
                "return document.documentElement.lang === 'zh-CN'",
                "the sign-in page in zh-CN again",
            )
            .await;
        }
        b.type_into("#username", "leader").await;
        b.type_into("#password", "wrong-password").await;
        b.click("form.signin button").await;
        b.wait_for(
            "return !!document.querySelector('.error[data-code=\"auth.bad_credentials\"]')",
            "the refusal on the sign-in page",
        )
        .await;
        b.check_page("login-refused").await;
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
        assert_eq!(total, "45", "the demo's items");
        b.check_page("overview-leader").await;

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
        let urges =
            "return Number(document.querySelector('#overdue-list tbody tr .urges').textContent)";
        let before = b.script(urges).await.as_f64().expect("urges");
        b.check_page("workbench-supervisor").await;
        b.click("#overdue-list tbody tr button.urge").await;
        if (width, height) == PHONE {
            // Urged at the desktop's size a moment ago: a second urge within the policy's
            // interval asks first, and urges only once confirmed.
            b.wait_for(
                "return !!document.querySelector('#overdue-list tbody tr .notice.confirm')",
                "asked to confirm a second urge",
            )
            .await;
            let asked = b.script(urges).await.as_f64().expect("urges");
            assert_eq!(asked, before, "not urged before confirming");
            b.check_page("workbench-urge-confirm").await;
            b.click("#overdue-list tbody tr button.urge").await;
        }
        b.wait_for(
            "return document.querySelector('#overdue-list tbody tr button.urge').textContent.includes('已催办')",
            "the urged row swapped in by htmx",
        )
        .await;
        let after = b.script(urges).await.as_f64().expect("urges");
        assert_eq!(after, before + 1.0, "one click, one urge");
        assert_eq!(
            b.url().await,
            format!("{}/workbench", s.base),
            "htmx swapped the row; the page did not reload"
        );
        b.check_page("workbench-urged").await;

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
        b.check_page("board").await;

        // An htmx request refused is shown at its form, not swallowed: with a stale form
        // token the urge is refused (403) and the refusal's code shows in the row; with the
        // session gone, the window goes to the sign-in page.
        b.sign_in(&s.base, "supervisor").await;
        b.go(&format!("{}/workbench", s.base)).await;
        b.wait_for(
            "return document.querySelectorAll('#overdue-list button.urge').length > 0",
            "an overdue item to urge",
        )
        .await;
        b.script("document.body.setAttribute('hx-headers', '{\"X-CSRF-Token\": \"stale\"}')")
            .await;
        b.click("#overdue-list tbody tr button.urge").await;
        b.wait_for(
            "return !!document.querySelector('#overdue-list .htmx-refusal[role=alert][data-code]')",
            "the refusal shown in the row",
        )
        .await;
        assert_eq!(b.url().await, format!("{}/workbench", s.base));
        let code = b
            .script("return document.querySelector('#overdue-list .htmx-refusal').dataset.code")
            .await;
        println!("a stale form token: {code}");
        assert!(code.as_str().is_some_and(|c| !c.is_empty()), "{code}");
        b.check_page("workbench-refused").await;
        b.go(&format!("{}/workbench", s.base)).await;
        b.wait_for(
            "return document.querySelectorAll('#overdue-list button.urge').length > 0",
            "an overdue item to urge",
        )
        .await;
        b.sign_out_cookies().await;
        b.click("#overdue-list tbody tr button.urge").await;
        b.wait_for(
            "return location.pathname === '/login' && location.search === '?next=%2Fworkbench'",
            "the sign-in page, coming back to the workbench",
        )
        .await;
    }
}

/// Links on a page to one of each kind of detail page, besides the top bar's.
const DETAILS: &str = "return [...new Set([...document.querySelectorAll('main a[href]')] \
    .map(a => a.getAttribute('href')) \
    .filter(h => /^\\/((items|dispatch|people|scores\\/units|bulletins)\\/[^/?#.]+(\\?[^#]*)?|register\\/import)$/.test(h)))]";

/// The kind of a page: its path, or for a detail page the path of its kind (`/items/…` →
/// `/items/*`).
fn kind_of(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    match path.trim_start_matches('/').rsplit_once('/') {
        Some((kind, _)) if kind != "register" => format!("/{kind}/*"),
        _ => path.to_owned(),
    }
}

/// A file-name-safe name of a path.
fn slug(path: &str) -> String {
    let s: String = path
        .trim_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    if s.is_empty() {
        "home".into()
    } else {
        s
    }
}

/// At phone width the top bar's links are behind the menu button: closed, then opened by a
/// click (its `aria-expanded` following), then closed again.
async fn the_menu_opens_and_closes(b: &Browser) {
    let shown = "return getComputedStyle(document.querySelector('#site-menu')).display !== 'none'";
    assert_eq!(b.script(shown).await, false, "the menu starts closed");
    assert_eq!(
        b.script(
            "return document.querySelector('button.menu-toggle').getAttribute('aria-expanded')"
        )
        .await,
        "false"
    );
    let height = b
        .script("return document.querySelector('header.top').getBoundingClientRect().height")
        .await
        .as_f64()
        .expect("height");
    assert!(height < 120.0, "the closed top bar is one row: {height} px");
    b.click("button.menu-toggle").await;
    b.wait_for(shown, "the menu open").await;
    assert_eq!(
        b.script(
            "return document.querySelector('button.menu-toggle').getAttribute('aria-expanded')"
        )
        .await,
        "true"
    );
    b.check_page("menu-open").await;
    b.click("button.menu-toggle").await;
    b.wait_for(
        "return getComputedStyle(document.querySelector('#site-menu')).display === 'none'",
        "the menu closed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_every_demo_role_at_desktop_and_phone_width() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let b = Browser::start().await;
    let missing = format!("{}/items/0a5e4d2c-3f1b-4c9e-8d7a-1b2c3d4e5f60", s.base);
    // A bulletin's draft, for the office's bulletin page.
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/bulletins", s.base)).await;
    b.click("#generate-monthly").await;
    b.wait_for(
        "return /^\\/bulletins\\/[^/]+$/.test(location.pathname)",
        "the monthly bulletin's draft",
    )
    .await;
    for (width, height) in [DESKTOP, PHONE] {
        b.resize(width, height).await;
        b.sign_out_cookies().await;
        for (path, name) in [
            ("/login", "login"),
            ("/no-such-page", "404"),
            ("/board", "board"),
        ] {
            b.go(&format!("{}{path}", s.base)).await;
            b.check_page(&format!("anon-{name}")).await;
        }
        // Offline: the banner says the mobile web needs the network; back online, it goes.
        for page in ["/login", "/board"] {
            b.go(&format!("{}{page}", s.base)).await;
            b.wait_for("return document.readyState === 'complete'", "the page")
                .await;
            b.script("window.dispatchEvent(new Event('offline'))").await;
            b.wait_for(
                "const n = document.querySelector('#offline'); \
                 return !!n && n.getAttribute('role') === 'status' && n.offsetHeight > 0 \
                   && n.textContent.includes('离线') && !n.textContent.includes('offline')",
                "the offline notice",
            )
            .await;
            b.check_page(&format!("anon-offline-{}", slug(page))).await;
            b.script("window.dispatchEvent(new Event('online'))").await;
            b.wait_for(
                "return document.querySelector('#offline').textContent === ''",
                "the notice gone",
            )
            .await;
        }

        // A file chosen in a file input (Browser::upload): a spreadsheet that is none is
        // refused in the import's preview with its code.
        b.sign_in(&s.base, "supervisor").await;
        b.go(&format!("{}/register/import", s.base)).await;
        let dir = crate::support::temp_dir();
        let file = dir.join("not-a-sheet.xlsx");
        std::fs::write(&file, "这不是表格 not a spreadsheet").expect("write");
        b.upload("#file", &file).await;
        b.click("#check").await;
        b.wait_for(
            "return !!document.querySelector('#import-preview .error[data-code=\"import.not_xlsx\"]')",
            "the file refused in the preview",
        )
        .await;
        b.check_page("import-not-xlsx").await;
        let _ = std::fs::remove_dir_all(dir);

        for who in [
            "leader",
            "deputy1",
            "supervisor",
            "inspector",
            "admin",
            "head-fgj",
            "staff-fgj",
        ] {
            b.sign_in(&s.base, who).await;
            let home = b.url().await;
            let nav: Vec<String> = serde_json::from_value(
                b.script(
                    "return [...document.querySelectorAll('header.top nav a')] \
                       .map(a => a.getAttribute('href'))",
                )
                .await,
            )
            .expect("the top bar's links");
            assert!(nav.len() >= 2, "{who}: {nav:?}");
            if width == PHONE.0 {
                the_menu_opens_and_closes(&b).await;
            }
            let mut seen = std::collections::BTreeSet::new();
            let mut pages = vec![home.trim_start_matches(&s.base).to_owned()];
            pages.extend(nav);
            let mut i = 0;
            while i < pages.len() {
                let path = pages[i].clone();
                i += 1;
                if !seen.insert(kind_of(&path)) && i > 1 {
                    continue;
                }
                b.go(&format!("{}{path}", s.base)).await;
                b.wait_for("return document.readyState === 'complete'", "the page")
                    .await;
                b.check_page(&format!("{who}-{}", slug(&path))).await;
                let details: Vec<String> =
                    serde_json::from_value(b.script(DETAILS).await).expect("links");
                for d in details {
                    if !seen.contains(&kind_of(&d)) && !pages.contains(&d) {
                        pages.push(d);
                    }
                }
            }
            println!("{who} at {width}: {seen:?}");
            assert!(seen.contains("/items/*"), "{who} reaches an item: {seen:?}");

            // A missing item and, for those outside the office, a page of the office.
            b.go(&missing).await;
            b.check_page(&format!("{who}-404")).await;
            if who.starts_with("staff") || who.starts_with("head") {
                b.go(&format!("{}/workbench", s.base)).await;
                b.check_page(&format!("{who}-403")).await;
            }
        }
    }
}
