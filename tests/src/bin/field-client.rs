//! A field worker's phone as a process of its own, for the crash tests: it opens a store
//! and syncs it with the server until a sync completes. The tests kill it, or make it abort
//! at a crash point (`DUBAN_CRASH_AT`, feature `fault-injection`), at random moments.
//!
//! Usage: `field-client STORE SERVER_URL [CHUNK_BYTES]`. Exit status 0 once a sync
//! completed, 2 on bad arguments, 3 when no sync completed in 30 attempts.

use std::time::Duration;

use duban_core::client::Client;
use duban_core::sync::SyncConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(store), Some(server)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: field-client STORE SERVER_URL [CHUNK_BYTES]");
        std::process::exit(2);
    };
    let chunk_size = args
        .get(3)
        .and_then(|c| c.parse().ok())
        .unwrap_or(1024 * 1024);
    let config = SyncConfig {
        chunk_size,
        page_size: 50,
        push_batch: 2,
        request_timeout: Duration::from_secs(10),
        ..SyncConfig::default()
    };
    let client = match Client::open(store, server, config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("field-client: {e}");
            std::process::exit(3);
        }
    };
    for _ in 0..30 {
        match client.sync_now().await {
            Ok(report) => {
                println!("{}", serde_json::to_string(&report).unwrap_or_default());
                return;
            }
            Err(e) => {
                eprintln!("field-client: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    std::process::exit(3);
}
