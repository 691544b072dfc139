//! The outbound network (`push::http_client`): a provider built by `Providers::from_settings`
//! reaches an HTTPS endpoint whose certificate a private CA issued, through an HTTP
//! `CONNECT` proxy, when the CA is in `ca_bundle` — and is refused with a certificate error
//! without it; `no_proxy` bypasses the proxy; a bundle that cannot be read or holds no
//! certificate is refused at start.
//!
//! The endpoint is the HMS fake of `push.rs` behind a TLS front (tokio-rustls, a certificate
//! for `localhost` and 127.0.0.1 issued by a CA made here with rcgen); the proxy is a small
//! task that answers `CONNECT host:port`, records it, and pipes the bytes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use duban_server::config::{PushArgs, ServeArgs};
use duban_server::push::{http_client, Providers, PushError};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

use crate::push::{fake_hms, hms_snapshot, message};

/// A private CA and a server certificate it issued for `localhost` and 127.0.0.1: the CA's
/// PEM, the server's certificate chain and key.
struct Pki {
    ca_pem: String,
    cert: rustls::pki_types::CertificateDer<'static>,
    key: Vec<u8>,
}

fn pki() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "清河县政务内网根证书 (test)");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key")).expect("CA");
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca).expect("server certificate");
    Pki {
        ca_pem: ca.pem(),
        cert: cert.der().clone(),
        key: key.serialize_der(),
    }
}

/// A TLS front on 127.0.0.1 for the plain HTTP endpoint at `backend` (`http://127.0.0.1:p`):
/// each connection's TLS is ended here and its bytes piped to the backend. Returns the
/// front's port.
async fn tls_front(pki: &Pki, backend: &str) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.cert.clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.key.clone().into()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let backend = backend.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, backend) = (acceptor.clone(), backend.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to serve.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(&backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

/// The `CONNECT` targets the proxy was asked for, in order.
type Tunnels = Arc<Mutex<Vec<String>>>;

/// An HTTP proxy on 127.0.0.1 that speaks `CONNECT` (RFC 9110 §9.3.6): reads the request
/// head, records the target, connects to it, answers 200 and pipes the bytes both ways.
/// Anything but `CONNECT` is answered 405 (and recorded too).
async fn connect_proxy() -> (String, Tunnels) {
    let seen: Tunnels = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let s = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let seen = s.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                    if head.len() > 16 * 1024 {
                        return;
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let mut words = head.lines().next().unwrap_or("").split_whitespace();
                let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                seen.lock().unwrap().push(format!("{method} {target}"));
                if method != "CONNECT" {
                    let _ = client
                        .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                }
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                if client
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (url, seen)
}

/// The settings of the HMS provider at `base`, with the outbound network's.
fn settings(base: &str, proxy: Option<&str>, ca_bundle: Option<PathBuf>) -> PushArgs {
    PushArgs {
        hms_app_id: Some("107654321".into()),
        hms_app_secret: Some("s=cr3t/value".into()),
        hms_token_url: Some(format!("{base}/oauth2/v3/token")),
        hms_url: Some(base.to_owned()),
        proxy: proxy.map(str::to_owned),
        ca_bundle,
        ..PushArgs::default()
    }
}

fn tunnels(seen: &Tunnels) -> Vec<String> {
    seen.lock().unwrap().clone()
}

#[tokio::test]
async fn a_provider_reaches_a_private_ca_endpoint_through_the_proxy_only_with_the_bundle() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("internal-ca.pem");
    // A bundle may hold comments and several certificates; this one has one.
    std::fs::write(&bundle, format!("# 清河县政务内网根证书\n{}", pki.ca_pem)).unwrap();
    let (backend, hms_seen) = fake_hms().await;
    let port = tls_front(&pki, &backend).await;
    let base = format!("https://localhost:{port}");
    let (proxy, seen) = connect_proxy().await;

    // With the bundle and the proxy: the token and the send both go through the tunnel.
    let p = Providers::from_settings(&settings(&base, Some(&proxy), Some(bundle.clone())))
        .expect("providers");
    let hms = p.hms.as_ref().expect("HMS configured");
    let delivered = hms.send(&message("tok-1", true)).await.expect("sent");
    assert_eq!(delivered.id, "1690000000001");
    let target = format!("localhost:{port}");
    let through = tunnels(&seen);
    assert!(!through.is_empty(), "the proxy was used");
    assert!(
        through.iter().all(|t| *t == format!("CONNECT {target}")),
        "HTTPS goes through CONNECT to the endpoint: {through:?}"
    );
    let (forms, sends) = hms_snapshot(&hms_seen);
    assert_eq!(forms.len(), 1, "one token request");
    assert_eq!(sends.len(), 1, "one send");
    assert_eq!(sends[0].1["message"]["token"][0], "tok-1");

    // Without the bundle: the handshake refuses the private CA, told as such and for good.
    let before = tunnels(&seen).len();
    let p = Providers::from_settings(&settings(&base, Some(&proxy), None)).expect("providers");
    let refused = p
        .hms
        .as_ref()
        .unwrap()
        .send(&message("tok-2", true))
        .await
        .expect_err("the CA is not trusted");
    match &refused {
        PushError::Failed(why) => {
            assert!(
                why.contains("certificate is not trusted") && why.contains("ca_bundle"),
                "{why}"
            );
            assert!(why.contains("UnknownIssuer"), "rustls' reason kept: {why}");
            assert!(!why.contains("/oauth2/"), "no URL in the text: {why}");
        }
        other => panic!("a certificate error is not retried: {other:?}"),
    }
    assert!(
        tunnels(&seen).len() > before,
        "the tunnel was opened, the TLS inside it refused"
    );
    assert_eq!(
        hms_snapshot(&hms_seen).1.len(),
        1,
        "nothing more reached HMS"
    );

    // `no_proxy` names the endpoint: reached directly, the proxy sees nothing more.
    let before = tunnels(&seen).len();
    let mut direct = settings(&base, Some(&proxy), Some(bundle));
    direct.no_proxy = Some("example.org, localhost".into());
    let p = Providers::from_settings(&direct).expect("providers");
    p.hms
        .as_ref()
        .unwrap()
        .send(&message("tok-3", false))
        .await
        .expect("sent directly");
    assert_eq!(tunnels(&seen).len(), before, "no_proxy bypasses the proxy");
    assert_eq!(hms_snapshot(&hms_seen).1.len(), 2);
}

#[tokio::test]
async fn a_bundle_that_cannot_be_read_or_holds_no_certificate_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let garbled = dir.path().join("garbled.pem");
    std::fs::write(
        &garbled,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (path, says) in [(&missing, "ca_bundle"), (&empty, "holds no certificate")] {
        let s = PushArgs {
            ca_bundle: Some(path.clone()),
            ..PushArgs::default()
        };
        match http_client(&s) {
            Err(PushError::Failed(why)) => assert!(why.contains(says), "{why}"),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("{} was taken", path.display()),
        }
        // `duban serve` refuses the configuration before it opens anything.
        let args = ServeArgs {
            push: s,
            ..ServeArgs::default()
        };
        let e = args.resolve().unwrap_err();
        assert_eq!(e.code(), "config.invalid");
        assert!(e.to_string().contains(says), "{e}");
    }
    // A PEM block that is no certificate does not make a client either.
    let s = PushArgs {
        ca_bundle: Some(garbled),
        ..PushArgs::default()
    };
    assert!(matches!(http_client(&s), Err(PushError::Failed(_))));
    // A proxy that is no URL is refused too.
    let s = PushArgs {
        proxy: Some("proxy.internal 3128".into()),
        ..PushArgs::default()
    };
    assert!(matches!(http_client(&s), Err(PushError::Failed(_))));
    // Without any of it, the client is built (the system's store, or the built-in roots).
    assert!(http_client(&PushArgs::default()).is_ok());
}
