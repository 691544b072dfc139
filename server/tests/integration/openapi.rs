#[test]
fn scratch() {
    use duban_core::domain::Command;
    let a: Result<Command, _> = serde_json::from_str(r#"{"command":"receive","x":1}"#);
    println!("unit+extra: {:?}", a.map(|_| ()).map_err(|e| e.to_string()));
    let b: Result<Command, _> =
        serde_json::from_str(r#"{"command":"amend_draft","deadline":null}"#);
    println!("amend null: {:?}", b);
    let c: Result<Command, _> = serde_json::from_str(r#"{"command":"decline","reason":"r","x":1}"#);
    println!(
        "decline extra: {:?}",
        c.map(|_| ()).map_err(|e| e.to_string())
    );
    let d: Result<Command, _> = serde_json::from_str(r#"{"command":"amend_draft","x":1}"#);
    println!(
        "amend extra: {:?}",
        d.map(|_| ()).map_err(|e| e.to_string())
    );
    let e: Result<Command, _> = serde_json::from_str(
        r#"{"command":"report_progress","report":{"id":"00000000-0000-0000-0000-000000000001","text":"t","evidence":[]},"percent":5}"#,
    );
    println!(
        "progress missing opts: {:?}",
        e.map(|_| ()).map_err(|e| e.to_string())
    );
    let f: Result<duban_core::domain::Policy, _> = serde_json::from_str(r#"{}"#);
    println!(
        "policy empty: {:?}",
        f.map(|_| ()).map_err(|e| e.to_string())
    );
}
