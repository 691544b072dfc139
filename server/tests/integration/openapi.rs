//! The API description (`GET /api/openapi.json`) against the server: it is an OpenAPI 3.1
//! document; every operation it lists exists and every route the routers register is listed;
//! the routes that take a session declare the bearer token; every `$ref` resolves; the input
//! schemas are exactly what the server deserialises; and real answers match the response
//! schemas. The document does not depend on the database, so these run on SQLite only.

use std::collections::BTreeSet;

use duban_core::domain::{CommandKind, Policy, Role, Status};
use duban_core::protocol::{CommandEnvelope, LoginRequest, PushRequest};
use duban_server::org::{PersonInput, UnitInput};
use duban_server::routes::openapi::{SOURCE, VERSION_PLACEHOLDER};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

/// Who may call a route: the extractor that guards it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    /// No extractor: anyone.
    Open,
    /// `Session`: a valid bearer token.
    Session,
    /// `Admin`: a valid bearer token of an administrator.
    Admin,
    /// `Session::require`: a valid bearer token of one of some roles.
    Roles,
}

/// Every route the routers register, as (method, path, guard), written from the
/// `.route(…)` calls in `server/src/routes/*.rs` (the nested ones under `/api/v1`, see
/// `duban_server::app`). It MUST be updated with the routers (and the document with it):
/// the tests below check the document against this list in both directions.
const ROUTES: &[(&str, &str, Auth)] = &[
    // routes/health.rs
    ("GET", "/healthz", Auth::Open),
    ("GET", "/readyz", Auth::Open),
    ("GET", "/metrics", Auth::Open),
    // routes/openapi.rs
    ("GET", "/api/openapi.json", Auth::Open),
    // routes/auth.rs
    ("POST", "/api/v1/auth/login", Auth::Open),
    ("POST", "/api/v1/auth/logout", Auth::Session),
    ("GET", "/api/v1/auth/me", Auth::Session),
    ("GET", "/api/v1/auth/sessions", Auth::Session),
    ("POST", "/api/v1/auth/sessions/revoke", Auth::Session),
    ("POST", "/api/v1/auth/password", Auth::Session),
    // routes/sync.rs
    ("POST", "/api/v1/sync/push", Auth::Session),
    ("GET", "/api/v1/sync/pull", Auth::Session),
    ("GET", "/api/v1/sync/snapshot", Auth::Session),
    // routes/hotline.rs (signed by the platform, no session)
    ("POST", "/api/v1/hotline/orders", Auth::Open),
    // routes/admin.rs
    ("GET", "/api/v1/admin/units", Auth::Admin),
    ("POST", "/api/v1/admin/units", Auth::Admin),
    ("PUT", "/api/v1/admin/units/{id}", Auth::Admin),
    ("GET", "/api/v1/admin/users", Auth::Admin),
    ("POST", "/api/v1/admin/users", Auth::Admin),
    ("PUT", "/api/v1/admin/users/{id}", Auth::Admin),
    ("POST", "/api/v1/admin/users/{id}/lock", Auth::Admin),
    ("POST", "/api/v1/admin/users/{id}/unlock", Auth::Admin),
    (
        "POST",
        "/api/v1/admin/users/{id}/sessions/revoke",
        Auth::Admin,
    ),
    ("GET", "/api/v1/admin/policy", Auth::Admin),
    ("PUT", "/api/v1/admin/policy", Auth::Admin),
    ("GET", "/api/v1/admin/calendar/{year}", Auth::Admin),
    ("PUT", "/api/v1/admin/calendar/{year}", Auth::Admin),
    ("POST", "/api/v1/admin/users/{id}/password", Auth::Admin),
    ("GET", "/api/v1/admin/trail", Auth::Roles),
    // routes/blobs.rs
    ("GET", "/api/v1/blobs/{hash}", Auth::Session),
    ("PUT", "/api/v1/blobs/{hash}", Auth::Session),
    ("GET", "/api/v1/blobs/{hash}/status", Auth::Session),
    // routes/devices.rs
    ("GET", "/api/v1/devices", Auth::Session),
    ("PUT", "/api/v1/devices/current", Auth::Session),
    ("DELETE", "/api/v1/devices/current", Auth::Session),
    // routes/notifications.rs
    ("GET", "/api/v1/notifications", Auth::Session),
    ("POST", "/api/v1/notifications/read", Auth::Session),
    ("GET", "/api/v1/tasks/{id}/notifications", Auth::Roles),
    // routes/items.rs
    ("GET", "/api/v1/tasks", Auth::Session),
    ("GET", "/api/v1/tasks/{id}", Auth::Session),
    ("GET", "/api/v1/stats", Auth::Session),
    ("GET", "/api/v1/overview", Auth::Session),
    // routes/work_accounts.rs
    ("GET", "/api/v1/admin/work-accounts", Auth::Admin),
    (
        "POST",
        "/api/v1/admin/work-accounts/bind-by-mobile",
        Auth::Admin,
    ),
    (
        "DELETE",
        "/api/v1/admin/work-accounts/{user}/{app}",
        Auth::Admin,
    ),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Fetches the served document (checking status and content type).
pub(crate) async fn fetch(s: &Server) -> Value {
    let res = s
        .http
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 200);
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let text = res.text().await.expect("body");
    serde_json::from_str(&text).expect("the document is JSON")
}

async fn document() -> (Server, Value) {
    let s = start(Backend::Sqlite).await;
    let doc = fetch(&s).await;
    (s, doc)
}

/// Every (METHOD, path) of the document with its operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// A path template with its parameters filled with plausible values.
fn fill(path: &str) -> String {
    path.replace("{id}", "00000000-0000-4000-8000-000000000abc")
        .replace("{hash}", &"ab".repeat(32))
        .replace("{year}", "2026")
}

/// What a JSON reference points at, if anything.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Follows `$ref`s to the schema or response itself.
fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => v = resolve(doc, r).unwrap_or_else(|| panic!("unresolved {r}")),
            None => return v,
        }
    }
    panic!("a $ref loop")
}

fn declares_bearer(op: &Value) -> bool {
    op["security"]
        .as_array()
        .is_some_and(|s| s.iter().any(|r| r.get("bearerAuth").is_some()))
}

#[tokio::test]
async fn the_document_is_openapi_3_1() {
    let (_s, doc) = document().await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "openapi: {}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Duban API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(SOURCE.matches(VERSION_PLACEHOLDER).count(), 1);
    let about = doc["info"]["description"].as_str().expect("description");
    for word in ["idempotency", "grant", "revoke", "resync", "filtered"] {
        assert!(about.contains(word), "info.description mentions {word}");
    }
    let scheme = &doc["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    // The served text is the file with only the version filled in.
    let served: Value = serde_json::from_str(duban_server::routes::openapi::document())
        .expect("the served document is JSON");
    assert_eq!(served, doc);
    let mut written: Value = serde_json::from_str(SOURCE).expect("openapi.json is JSON");
    written["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    assert_eq!(written, doc);
}

/// Every documented operation answers, without a token, with something other than the
/// fallback's 404 (`not_found`, "no such endpoint") or a 405 (`request.method`): the route
/// exists with that method. Without a token, an operation answers 401 `auth.unauthorized`
/// exactly when the document says it needs the bearer token.
#[tokio::test]
async fn every_documented_operation_exists() {
    let (s, doc) = document().await;
    let ops = operations(&doc);
    assert!(ops.len() >= ROUTES.len());
    for (method, path, op) in ops {
        let m = Method::from_bytes(method.as_bytes()).expect("method");
        let r = s.call(m, &fill(&path), None, None).await;
        let body = &r.body;
        assert!(
            !(r.status == 404 && body["code"] == "not_found" && body["en"] == "no such endpoint"),
            "{method} {path}: no such endpoint ({body})"
        );
        assert!(
            !(r.status == 405 || body["code"] == "request.method"),
            "{method} {path}: method not allowed ({body})"
        );
        let refused = r.status == 401 && body["code"] == "auth.unauthorized";
        assert_eq!(
            refused,
            declares_bearer(&op),
            "{method} {path}: answered {} {body} without a token, yet the document says \
             security = {}",
            r.status,
            op["security"]
        );
    }
    // And an undocumented path is the fallback the check above tells apart.
    let r = s
        .call(Method::GET, "/api/v1/nothing-here", None, None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["en"], "no such endpoint");
    let r = s.call(Method::DELETE, "/api/v1/tasks", None, None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body["code"], "request.method");
}

/// The routers' routes (the list above) and the document's operations are the same set, and
/// each route declares what guards it.
#[tokio::test]
async fn every_route_is_documented() {
    let (_s, doc) = document().await;
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(routed.len(), ROUTES.len(), "a route is listed twice");
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(missing.is_empty(), "routes not documented: {missing:?}");
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        extra.is_empty(),
        "documented but not in the routes list: {extra:?}"
    );

    let mut op_ids = BTreeSet::new();
    for (method, path, auth) in ROUTES {
        let op = &doc["paths"][*path][method.to_lowercase()];
        let at = format!("{method} {path}");
        for field in ["summary", "description", "operationId"] {
            assert!(
                op[field].as_str().is_some_and(|t| !t.trim().is_empty()),
                "{at}: no {field}"
            );
        }
        assert!(
            op_ids.insert(op["operationId"].to_string()),
            "{at}: operationId reused"
        );
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{at}: no success answer"
        );
        assert_eq!(declares_bearer(op), *auth != Auth::Open, "{at}: security");
        if *auth != Auth::Open {
            assert!(responses.contains_key("401"), "{at}: 401 not listed");
        }
        assert_eq!(
            responses.contains_key("403"),
            matches!(auth, Auth::Admin | Auth::Roles),
            "{at}: 403 perm.denied is for the routes of some roles"
        );
        // Every error answer is the shared Error shape (readyz's 503 is its own status body).
        for (status, response) in responses {
            if !(status.starts_with('4') || status.starts_with('5')) || *path == "/readyz" {
                continue;
            }
            let response = deref(&doc, response);
            let schema = &response["content"]["application/json"]["schema"];
            assert_eq!(
                schema["$ref"], "#/components/schemas/Error",
                "{at} {status}: not the Error schema"
            );
            let text = response["description"].as_str().unwrap_or_default();
            assert!(text.contains('`'), "{at} {status}: no error code named");
        }
        // Every path parameter is declared.
        for name in path.split('{').skip(1).filter_map(|p| p.split('}').next()) {
            let declared = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .map(|p| deref(&doc, p))
                    .any(|p| p["in"] == "path" && p["name"] == name && p["required"] == true)
            });
            assert!(declared, "{at}: path parameter {name} not declared");
        }
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    ("mapping", Value::Object(m)) => {
                        out.extend(m.values().filter_map(Value::as_str).map(ToOwned::to_owned))
                    }
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_ref_resolves() {
    let (_s, doc) = document().await;
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 100, "refs found: {}", refs.len());
    for r in &refs {
        assert!(r.starts_with("#/"), "{r}: only local references");
        assert!(resolve(&doc, r).is_some(), "{r} does not resolve");
    }
    // Nothing in components is left unused.
    let used: BTreeSet<&str> = refs.iter().map(String::as_str).collect();
    for kind in ["schemas", "responses"] {
        for name in doc["components"][kind].as_object().expect(kind).keys() {
            let r = format!("#/components/{kind}/{name}");
            assert!(used.contains(r.as_str()), "{r} is never used");
        }
    }
}

/// The enums and the command list are the core's.
#[tokio::test]
async fn the_schemas_list_every_variant() {
    let (_s, doc) = document().await;
    let schemas = &doc["components"]["schemas"];
    let names = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .expect("enum")
            .iter()
            .map(|x| x.as_str().expect("name").to_owned())
            .collect()
    };
    let text = |x: Value| x.as_str().expect("snake_case name").to_owned();
    let roles: BTreeSet<String> = Role::ALL.iter().map(|r| text(json!(r))).collect();
    assert_eq!(names(&schemas["Role"]["enum"]), roles);
    let statuses: BTreeSet<String> = Status::ALL.iter().map(|s| text(json!(s))).collect();
    assert_eq!(names(&schemas["Status"]["enum"]), statuses);

    let command = &schemas["Command"];
    let kinds: BTreeSet<String> = CommandKind::ALL.iter().map(|k| text(json!(k))).collect();
    let mapping = command["discriminator"]["mapping"]
        .as_object()
        .expect("mapping");
    assert_eq!(command["discriminator"]["propertyName"], "command");
    assert_eq!(mapping.keys().cloned().collect::<BTreeSet<_>>(), kinds);
    assert_eq!(command["oneOf"].as_array().map(Vec::len), Some(kinds.len()));
    for (name, target) in mapping {
        let variant = resolve(&doc, target.as_str().expect("ref")).expect("variant");
        assert_eq!(variant["properties"]["command"]["const"], *name);
        assert!(
            command["oneOf"]
                .as_array()
                .expect("oneOf")
                .iter()
                .any(|v| v["$ref"] == *target),
            "{name} is not in oneOf"
        );
    }
}

// ----- instances built from the schemas --------------------------------------------------------

/// An instance of a schema: with every property (`full`) or only the required ones.
fn example(doc: &Value, schema: &Value, full: bool) -> Value {
    example_in(doc, schema, full, &mut Vec::new())
}

/// `example`, knowing the `$ref`s it is inside: a schema met again inside itself (a photo's
/// thumbnail is a file reference, which may have a photo…) gets only its required
/// properties, so a full example is finite.
fn example_in<'a>(doc: &'a Value, schema: &'a Value, full: bool, path: &mut Vec<&'a str>) -> Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let full = full && !path.contains(&r);
        path.push(r);
        let out = example_in(doc, deref(doc, schema), full, path);
        path.pop();
        return out;
    }
    let example = |doc: &'a Value, schema: &'a Value, full: bool| -> Value {
        example_in(doc, schema, full, &mut path.clone())
    };
    let schema = deref(doc, schema);
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(e) = schema.get("enum") {
        return e[0].clone();
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let pick = one
            .iter()
            .find(|s| s["type"] != "null")
            .expect("a non-null choice");
        return example(doc, pick, full);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut out = serde_json::Map::new();
        for part in all {
            if let Value::Object(m) = example(doc, part, full) {
                out.extend(m);
            }
        }
        return Value::Object(out);
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_owned(),
        _ => "object".to_owned(),
    };
    match ty.as_str() {
        "string" => match schema["format"].as_str() {
            Some("uuid") => json!("00000000-0000-4000-8000-000000000001"),
            Some("date-time") => json!("2026-03-02T08:00:00Z"),
            Some("date") => json!("2026-03-02"),
            Some("time") => json!("22:00:00"),
            _ if schema["pattern"] == "^[0-9a-f]{64}$" => json!("ab".repeat(32)),
            _ if schema["pattern"]
                .as_str()
                .is_some_and(|p| p.starts_with("^([01][0-9]|2[0-3]):")) =>
            {
                json!("22:00:00")
            }
            _ => json!("x"),
        },
        "integer" => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        "array" => {
            let n = schema["minItems"]
                .as_u64()
                .unwrap_or(0)
                .max(u64::from(full));
            let item = example(doc, &schema["items"], full);
            Value::Array((0..n).map(|_| item.clone()).collect())
        }
        _ => {
            let mut out = serde_json::Map::new();
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            if let Some(props) = schema["properties"].as_object() {
                for (name, p) in props {
                    if full || required.contains(&json!(name)) {
                        out.insert(name.clone(), example(doc, p, full));
                    }
                }
            }
            Value::Object(out)
        }
    }
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The documented request bodies, with all their fields and with only the required ones,
/// are what the server's types deserialise: a documented field the code does not know, or a
/// field the code requires that the document calls optional, fails here.
#[tokio::test]
async fn the_request_schemas_are_the_servers_types() {
    let (_s, doc) = document().await;
    fn parses<T: serde::de::DeserializeOwned>(doc: &Value, name: &str) {
        for full in [true, false] {
            let v = example(doc, &schema(name), full);
            if let Err(e) = serde_json::from_value::<T>(v.clone()) {
                panic!("{name} (full: {full}): {e}\n{v:#}");
            }
        }
    }
    parses::<LoginRequest>(&doc, "LoginRequest");
    parses::<PushRequest>(&doc, "PushRequest");
    parses::<Policy>(&doc, "Policy");
    parses::<duban_core::domain::calendar::YearData>(&doc, "YearData");
    parses::<UnitInput>(&doc, "UnitInput");
    parses::<PersonInput>(&doc, "PersonInput");
    parses::<duban_core::protocol::DeviceRegistration>(&doc, "DeviceRegistration");
    parses::<duban_core::protocol::ReadReceipts>(&doc, "ReadReceipts");
    parses::<duban_server::routes::hotline::PlatformOrder>(&doc, "PlatformOrder");
    parses::<duban_core::domain::order::OrderIntake>(&doc, "OrderIntake");
    // Every command, one by one.
    let mapping = doc["components"]["schemas"]["Command"]["discriminator"]["mapping"]
        .as_object()
        .expect("mapping")
        .clone();
    for (name, target) in mapping {
        for full in [true, false] {
            let command = example(&doc, &json!({ "$ref": target }), full);
            let env = json!({"id": cid(), "task": tid(), "command": command});
            if let Err(e) = serde_json::from_value::<CommandEnvelope>(env.clone()) {
                panic!("command {name} (full: {full}): {e}\n{env:#}");
            }
        }
    }
    // The closed schemas refuse what the server refuses.
    let mut login = example(&doc, &schema("LoginRequest"), true);
    login["extra"] = json!(1);
    assert!(serde_json::from_value::<LoginRequest>(login).is_err());
}

// ----- answers checked against the schemas ------------------------------------------------------

/// Checks `value` against `schema`; problems are pushed to `errors`. When `strict`, an object
/// with listed properties must not carry others (unless the schema leaves them open), so an
/// answer field the document does not describe is caught too; the parts of an `allOf` are
/// checked leniently and the union of their properties strictly.
pub(crate) fn check(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    errors: &mut Vec<String>,
    strict: bool,
) {
    let schema = deref(doc, schema);
    if let Some(c) = schema.get("const") {
        if c != value {
            errors.push(format!("{at}: {value} is not {c}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            errors.push(format!("{at}: {value} not in {e:?}"));
        }
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = one
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                check(doc, s, value, at, &mut e, strict);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{at}: {matching} choices of oneOf match {value}"));
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut known = BTreeSet::new();
        let mut open = false;
        for part in all {
            check(doc, part, value, at, errors, false);
            collect_properties(doc, part, &mut known, &mut open);
        }
        if let (Some(obj), true, false) = (value.as_object(), strict, open) {
            for k in obj.keys() {
                if !known.contains(k.as_str()) {
                    errors.push(format!("{at}: undocumented field {k}"));
                }
            }
        }
    }
    check_typed(doc, schema, value, at, errors, strict);
}

/// The properties a schema lists (through `allOf` and every choice of a `oneOf`), and whether
/// it leaves others open.
fn collect_properties<'a>(
    doc: &'a Value,
    schema: &'a Value,
    known: &mut BTreeSet<&'a str>,
    open: &mut bool,
) {
    let schema = deref(doc, schema);
    if let Some(props) = schema["properties"].as_object() {
        known.extend(props.keys().map(String::as_str));
    }
    if schema["additionalProperties"] == true {
        *open = true;
    }
    for key in ["allOf", "oneOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            collect_properties(doc, part, known, open);
        }
    }
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

/// Whether a value is of a declared `format` (the JSON Schema and OpenAPI ones the document
/// uses); values of another type are left to the type check.
fn format_matches(format: &str, value: &Value) -> bool {
    if let Some(text) = value.as_str() {
        return match format {
            "date" => {
                text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
            }
            "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            // RFC 3339 full-time: a time with its offset.
            "time" => regex::Regex::new(
                r"^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
            )
            .expect("regex")
            .is_match(text),
            "uuid" => text.len() == 36 && uuid::Uuid::parse_str(text).is_ok(),
            "int32" | "int64" => false,
            _ => true,
        };
    }
    match format {
        _ if !value.is_number() => true,
        "int32" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        "int64" => value.is_i64(),
        _ => true,
    }
}

fn check_typed(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    errors: &mut Vec<String>,
    strict: bool,
) {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        errors.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    if let Some(n) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|m| n < m)
            || schema["maximum"].as_f64().is_some_and(|m| n > m)
        {
            errors.push(format!("{at}: {n} out of range"));
        }
    }
    if let Some(format) = schema["format"].as_str() {
        if !format_matches(format, value) {
            errors.push(format!("{at}: {value} is not format {format}"));
        }
    }
    if let (Some(pattern), Some(text)) = (schema["pattern"].as_str(), value.as_str()) {
        let re = regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{at}: pattern {e}"));
        if !re.is_match(text) {
            errors.push(format!("{at}: {value} does not match {pattern}"));
        }
    }
    match value {
        Value::Array(xs) => {
            if let Some(items) = schema.get("items") {
                for (i, x) in xs.iter().enumerate() {
                    check(doc, items, x, &format!("{at}[{i}]"), errors, true);
                }
            }
        }
        Value::Object(obj) => {
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().expect("required name");
                if !obj.contains_key(r) {
                    errors.push(format!("{at}: missing {r}"));
                }
            }
            let props = schema["properties"].as_object();
            for (k, x) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(p) => check(doc, p, x, &format!("{at}.{k}"), errors, true),
                    None => match &schema["additionalProperties"] {
                        Value::Object(_) => check(
                            doc,
                            &schema["additionalProperties"],
                            x,
                            &format!("{at}.{k}"),
                            errors,
                            true,
                        ),
                        Value::Bool(true) => {}
                        _ if strict && props.is_some() => {
                            errors.push(format!("{at}: undocumented field {k}"))
                        }
                        _ => {}
                    },
                }
            }
        }
        _ => {}
    }
}

/// Asserts that an answer matches the document's schema for it.
#[track_caller]
pub(crate) fn conforms(doc: &Value, method: &str, path: &str, reply: &Reply) {
    let op = &doc["paths"][path][method.to_lowercase()];
    let status = reply.status.to_string();
    let response = op["responses"].get(&status).unwrap_or_else(|| {
        panic!(
            "{method} {path}: {status} is not documented ({})",
            reply.body
        )
    });
    let response = deref(doc, response);
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{method} {path} {status}: no JSON schema"
    );
    let mut errors = Vec::new();
    check(doc, schema, &reply.body, "$", &mut errors, true);
    assert!(
        errors.is_empty(),
        "{method} {path} {status} does not match its schema:\n{}\n{:#}",
        errors.join("\n"),
        reply.body
    );
}

/// A tour of the API whose every answer is checked against the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_match_the_document() {
    let (s, doc) = document().await;
    let f = s.fixture().await;
    let get = |token: Option<String>, path: String| {
        let s = &s;
        async move { s.call(Method::GET, &path, token.as_deref(), None).await }
    };

    for path in ["/healthz", "/readyz"] {
        conforms(&doc, "GET", path, &get(None, path.into()).await);
    }
    let login = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "supervisor", "password": PASSWORD, "device": "phone"})),
        )
        .await;
    conforms(&doc, "POST", "/api/v1/auth/login", &login);
    let sup = login.body["token"].as_str().expect("token").to_owned();
    let bad = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "supervisor", "password": "wrong"})),
        )
        .await;
    conforms(&doc, "POST", "/api/v1/auth/login", &bad);
    let admin = s.login("admin").await;
    let staff = s.login("staff-a").await;
    conforms(
        &doc,
        "GET",
        "/api/v1/auth/me",
        &get(Some(sup.clone()), "/api/v1/auth/me".into()).await,
    );
    conforms(
        &doc,
        "GET",
        "/api/v1/auth/sessions",
        &get(Some(sup.clone()), "/api/v1/auth/sessions".into()).await,
    );
    conforms(
        &doc,
        "GET",
        "/api/v1/auth/me",
        &get(None, "/api/v1/auth/me".into()).await,
    );

    // Sync: an accepted register and dispatch, a rejected close.
    let task = tid();
    let push = s
        .post(
            &sup,
            "/api/v1/sync/push",
            json!({"commands": [
                register(&task, "修复县道路面"),
                dispatch(&task, f.unit_a, Some(f.staff_a)),
                simple(&task, "close", json!({})),
            ]}),
        )
        .await;
    conforms(&doc, "POST", "/api/v1/sync/push", &push);
    let statuses: Vec<&str> = push.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(statuses, ["accepted", "accepted", "rejected"]);
    let empty = s
        .post(&sup, "/api/v1/sync/push", json!({"commands": []}))
        .await;
    conforms(&doc, "POST", "/api/v1/sync/push", &empty);
    let unknown = s
        .post(&sup, "/api/v1/sync/push", json!({"commands": [], "x": 1}))
        .await;
    conforms(&doc, "POST", "/api/v1/sync/push", &unknown);
    for token in [&staff, &sup] {
        let pull = get(
            Some(token.clone()),
            "/api/v1/sync/pull?after=0&limit=500".into(),
        )
        .await;
        conforms(&doc, "GET", "/api/v1/sync/pull", &pull);
        let types: BTreeSet<&str> = pull.body["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .filter_map(|c| c["type"].as_str())
            .collect();
        assert!(types.contains("reference"), "{types:?}");
        let snapshot = get(Some(token.clone()), "/api/v1/sync/snapshot".into()).await;
        conforms(&doc, "GET", "/api/v1/sync/snapshot", &snapshot);
    }
    let cursor = get(Some(staff.clone()), "/api/v1/sync/pull?after=-1".into()).await;
    conforms(&doc, "GET", "/api/v1/sync/pull", &cursor);
    let gone = get(
        Some(staff.clone()),
        "/api/v1/sync/pull?after=1000000".into(),
    )
    .await;
    assert_eq!(gone.status, 410, "{}", gone.body);
    conforms(&doc, "GET", "/api/v1/sync/pull", &gone);
    let light = get(
        Some(staff.clone()),
        "/api/v1/sync/snapshot?items=false".into(),
    )
    .await;
    conforms(&doc, "GET", "/api/v1/sync/snapshot", &light);
    let bad = get(Some(staff.clone()), "/api/v1/sync/snapshot?x=1".into()).await;
    conforms(&doc, "GET", "/api/v1/sync/snapshot", &bad);

    // Queries.
    let list = get(
        Some(sup.clone()),
        "/api/v1/tasks?status=dispatched,draft&sort=deadline".into(),
    )
    .await;
    assert_eq!(list.body["total"], 1, "{}", list.body);
    conforms(&doc, "GET", "/api/v1/tasks", &list);
    conforms(
        &doc,
        "GET",
        "/api/v1/tasks/{id}",
        &get(Some(sup.clone()), format!("/api/v1/tasks/{task}")).await,
    );
    conforms(
        &doc,
        "GET",
        "/api/v1/tasks/{id}",
        &get(Some(sup.clone()), format!("/api/v1/tasks/{}", tid())).await,
    );
    conforms(
        &doc,
        "GET",
        "/api/v1/stats",
        &get(Some(sup.clone()), "/api/v1/stats".into()).await,
    );
    conforms(
        &doc,
        "GET",
        "/api/v1/stats",
        &get(Some(sup.clone()), "/api/v1/stats?view=nope".into()).await,
    );
    conforms(
        &doc,
        "GET",
        "/api/v1/overview",
        &get(Some(sup.clone()), "/api/v1/overview".into()).await,
    );

    // Files: a whole upload, its status, a chunk.
    let data = b"a photo of the road".to_vec();
    let hash = blake3::hash(&data).to_hex().to_string();
    let put = |token: &str, hash: &str, body: Vec<u8>, range: Option<String>| {
        let mut req = s
            .http
            .put(format!("{}/api/v1/blobs/{hash}", s.base))
            .bearer_auth(token)
            .header("content-type", "image/jpeg")
            .body(body);
        if let Some(r) = range {
            req = req.header("content-range", r);
        }
        async move {
            let res = req.send().await.expect("request");
            let status = res.status().as_u16();
            let body = res.json().await.unwrap_or(Value::Null);
            Reply { status, body }
        }
    };
    let stored = put(&staff, &hash, data.clone(), None).await;
    assert_eq!(stored.status, 201);
    conforms(&doc, "PUT", "/api/v1/blobs/{hash}", &stored);
    let again = put(&staff, &hash, data.clone(), None).await;
    assert_eq!(again.status, 200);
    conforms(&doc, "PUT", "/api/v1/blobs/{hash}", &again);
    let big = vec![7u8; 2048];
    let big_hash = blake3::hash(&big).to_hex().to_string();
    let chunk = put(
        &staff,
        &big_hash,
        big[..1024].to_vec(),
        Some("bytes 0-1023/2048".into()),
    )
    .await;
    assert_eq!(chunk.status, 202);
    conforms(&doc, "PUT", "/api/v1/blobs/{hash}", &chunk);
    let gap = put(
        &staff,
        &big_hash,
        big[1536..].to_vec(),
        Some("bytes 1536-2047/2048".into()),
    )
    .await;
    conforms(&doc, "PUT", "/api/v1/blobs/{hash}", &gap);
    conforms(
        &doc,
        "PUT",
        "/api/v1/blobs/{hash}",
        &put(&staff, "NOT-A-HASH", vec![1], None).await,
    );
    for h in [&hash, &big_hash] {
        conforms(
            &doc,
            "GET",
            "/api/v1/blobs/{hash}/status",
            &get(Some(staff.clone()), format!("/api/v1/blobs/{h}/status")).await,
        );
    }
    conforms(
        &doc,
        "GET",
        "/api/v1/blobs/{hash}",
        &get(
            Some(sup.clone()),
            format!("/api/v1/blobs/{}", "0".repeat(64)),
        )
        .await,
    );

    // Administration.
    for path in [
        "/api/v1/admin/units",
        "/api/v1/admin/users",
        "/api/v1/admin/policy",
    ] {
        conforms(
            &doc,
            "GET",
            path,
            &get(Some(admin.clone()), path.into()).await,
        );
    }
    conforms(
        &doc,
        "GET",
        "/api/v1/admin/units",
        &get(Some(sup.clone()), "/api/v1/admin/units".into()).await,
    );
    let year = get(Some(admin.clone()), "/api/v1/admin/calendar/2026".into()).await;
    conforms(&doc, "GET", "/api/v1/admin/calendar/{year}", &year);
    let put_year = s
        .call(
            Method::PUT,
            "/api/v1/admin/calendar/2026",
            Some(&admin),
            Some(year.body.clone()),
        )
        .await;
    assert_eq!(put_year.status, 200, "{}", put_year.body);
    conforms(&doc, "PUT", "/api/v1/admin/calendar/{year}", &put_year);
    let policy = get(Some(admin.clone()), "/api/v1/admin/policy".into()).await;
    let put_policy = s
        .call(
            Method::PUT,
            "/api/v1/admin/policy",
            Some(&admin),
            Some(policy.body),
        )
        .await;
    assert_eq!(put_policy.status, 200, "{}", put_policy.body);
    conforms(&doc, "PUT", "/api/v1/admin/policy", &put_policy);
    let unit = s
        .post(
            &admin,
            "/api/v1/admin/units",
            json!({"parent": f.root, "name": "水利局", "name_en": "Water"}),
        )
        .await;
    assert_eq!(unit.status, 201, "{}", unit.body);
    conforms(&doc, "POST", "/api/v1/admin/units", &unit);
    let cycle = s
        .call(
            Method::PUT,
            &format!("/api/v1/admin/units/{}", f.root),
            Some(&admin),
            Some(json!({"parent": f.unit_a, "name": "县政府"})),
        )
        .await;
    conforms(&doc, "PUT", "/api/v1/admin/units/{id}", &cycle);
    let user = s
        .post(
            &admin,
            "/api/v1/admin/users",
            json!({"username": "new-staff", "name": "新人", "unit": f.unit_b,
                   "roles": ["staff"], "password": "a-good-password", "phone": "13800000000"}),
        )
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    conforms(&doc, "POST", "/api/v1/admin/users", &user);
    let id = user.body["id"].as_str().expect("id").to_owned();
    let unlock = s
        .call(
            Method::POST,
            &format!("/api/v1/admin/users/{id}/unlock"),
            Some(&admin),
            None,
        )
        .await;
    conforms(&doc, "POST", "/api/v1/admin/users/{id}/unlock", &unlock);
    let revoke = s
        .call(
            Method::POST,
            &format!("/api/v1/admin/users/{id}/sessions/revoke"),
            Some(&admin),
            None,
        )
        .await;
    conforms(
        &doc,
        "POST",
        "/api/v1/admin/users/{id}/sessions/revoke",
        &revoke,
    );

    // Push registration: registered, refused, listed, forgotten.
    let device = json!({"platform": "ios", "provider": "apns", "token": "ab".repeat(32), "app_version": "2.0"});
    for body in [
        device.clone(),
        json!({"platform": "ios", "provider": "hms", "token": "t", "app_version": "2.0"}),
    ] {
        let r = s
            .call(
                Method::PUT,
                "/api/v1/devices/current",
                Some(&sup),
                Some(body),
            )
            .await;
        conforms(&doc, "PUT", "/api/v1/devices/current", &r);
    }
    conforms(
        &doc,
        "GET",
        "/api/v1/devices",
        &get(Some(sup.clone()), "/api/v1/devices".into()).await,
    );
    let forgot = s
        .call(Method::DELETE, "/api/v1/devices/current", Some(&sup), None)
        .await;
    conforms(&doc, "DELETE", "/api/v1/devices/current", &forgot);

    // The inbox: the dispatch told the handler; receipts; the trace for the office.
    let inbox = get(Some(staff.clone()), "/api/v1/notifications".into()).await;
    conforms(&doc, "GET", "/api/v1/notifications", &inbox);
    let first = inbox.body["items"][0]["id"].clone();
    assert!(first.is_string(), "the handler was told: {}", inbox.body);
    for q in ["?unread=true&limit=5", "?limit=0", "?limit=x"] {
        conforms(
            &doc,
            "GET",
            "/api/v1/notifications",
            &get(Some(staff.clone()), format!("/api/v1/notifications{q}")).await,
        );
    }
    let too_many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    for body in [
        json!({"ids": [first]}),
        json!({"events": [{"task": task, "task_seq": 2}], "all": true}),
        json!({"ids": too_many}),
        json!({"all": true, "x": 1}),
    ] {
        let r = s.post(&staff, "/api/v1/notifications/read", body).await;
        conforms(&doc, "POST", "/api/v1/notifications/read", &r);
    }
    for (who, id) in [(&sup, task.clone()), (&staff, task.clone()), (&sup, tid())] {
        conforms(
            &doc,
            "GET",
            "/api/v1/tasks/{id}/notifications",
            &get(
                Some(who.clone()),
                format!("/api/v1/tasks/{id}/notifications"),
            )
            .await,
        );
    }

    // Signing out.
    let mine = s
        .post(
            &sup,
            "/api/v1/auth/sessions/revoke",
            json!({"device": "tablet"}),
        )
        .await;
    conforms(&doc, "POST", "/api/v1/auth/sessions/revoke", &mine);
    let out = s
        .call(Method::POST, "/api/v1/auth/logout", Some(&sup), None)
        .await;
    conforms(&doc, "POST", "/api/v1/auth/logout", &out);
    conforms(
        &doc,
        "GET",
        "/api/v1/auth/me",
        &get(Some(sup), "/api/v1/auth/me".into()).await,
    );
}
