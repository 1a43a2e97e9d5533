//! `keygen`, `attest sign` and `attest verify` from the shell: a demo package signed and
//! verified with trust, refused under an untrusted key, against another package, and
//! when tampered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nexus_attest::verify::json::{self, Value};

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("nexus-attest-attest-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus-attest")).args(args).output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn demo(dir: &Path) -> PathBuf {
    let out = cli(&["demo", "--dir", p(dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let package = dir.join("audit-package.json");
    assert!(package.exists());
    package
}

fn stdout_json(out: &Output) -> Value {
    json::parse(std::str::from_utf8(&out.stdout).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn keygen_sign_verify() {
    let dir = Dir::new("flow");
    let package = demo(&dir.0.join("one"));
    let other_package = demo(&dir.0.join("two"));

    // keygen: 0600, refuses to overwrite, prints the public key.
    let key = dir.0.join("signer.key");
    let out = cli(&["keygen", "-o", p(&key)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let public = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(public.len(), 64);
    assert!(public.bytes().all(|b| b.is_ascii_hexdigit()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let before = std::fs::read(&key).unwrap();
    let out = cli(&["keygen", "-o", p(&key)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&key).unwrap(), before, "the key file is untouched");

    // keygen --json: {"public_key": HEX}, usable as a --trusted-key file.
    let other_key = dir.0.join("other.key");
    let out = cli(&["keygen", "-o", p(&other_key), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let other_public = stdout_json(&out).get("public_key").unwrap().as_str().unwrap().to_owned();
    let other_pub_file = dir.0.join("other.pub.json");
    std::fs::write(&other_pub_file, &out.stdout).unwrap();

    // attest sign.
    let att = dir.0.join("att.json");
    let out = cli(&["attest", "sign", p(&package), "--key", p(&key), "--claim", "reviewed", "-o", p(&att)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json::parse(&std::fs::read_to_string(&att).unwrap()).unwrap();
    let payload = doc.get("payload").unwrap();
    let attestor = payload.get("attestor").unwrap();
    assert_eq!(attestor.get("id").and_then(Value::as_str), Some("nexus-attest"));
    assert_eq!(attestor.get("key_id").and_then(Value::as_str), Some(&public[..16]));
    assert_eq!(doc.get("meta").unwrap().get("public_key_hex").and_then(Value::as_str), Some(public.as_str()));

    // attest verify: ok with the signer's key (as hex or as a file).
    let pub_file = dir.0.join("signer.pub");
    std::fs::write(&pub_file, format!("{public}\n")).unwrap();
    for k in [public.as_str(), p(&pub_file)] {
        let out = cli(&["attest", "verify", p(&package), "--attestation", p(&att), "--trusted-key", k]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    }
    let out = cli(&["--json", "attest", "verify", p(&package), "--attestation", p(&att), "--trusted-key", &public]);
    assert_eq!(out.status.code(), Some(0));
    let report = stdout_json(&out);
    assert_eq!(report.get("ok"), Some(&Value::Bool(true)));
    let verdicts = report.get("attestations").unwrap().as_array().unwrap();
    assert_eq!(verdicts[0].get("trusted"), Some(&Value::Bool(true)));

    // Fails: untrusted key, threshold 2 with one key, another package.
    for k in [other_public.as_str(), p(&other_pub_file)] {
        let out = cli(&["attest", "verify", p(&package), "--attestation", p(&att), "--trusted-key", k]);
        assert_eq!(out.status.code(), Some(1));
    }
    let out = cli(&[
        "attest",
        "verify",
        p(&package),
        "--attestation",
        p(&att),
        "--trusted-key",
        &public,
        "--trusted-key",
        &other_public,
        "--threshold",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = cli(&["attest", "verify", p(&other_package), "--attestation", p(&att), "--trusted-key", &public]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no trusted attestation covers binding digest"), "{text}");
    assert!(text.contains("re-sealed"), "{text}");

    // A tampered package is refused for signing and fails verification.
    let tampered = dir.0.join("tampered.json");
    let original = std::fs::read_to_string(&package).unwrap();
    let goal = json::parse(&original)
        .unwrap()
        .get("control_bundle")
        .unwrap()
        .get("decision")
        .unwrap()
        .get("goal")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::write(&tampered, original.replace(&goal, "Something else entirely")).unwrap();
    let out = cli(&["attest", "sign", p(&tampered), "--key", p(&key)]);
    assert_eq!(out.status.code(), Some(1));
    let out = cli(&["attest", "verify", p(&tampered), "--attestation", p(&att), "--trusted-key", &public]);
    assert_eq!(out.status.code(), Some(1));

    // Usage errors: missing key file, bad trusted key, no --trusted-key, threshold 0.
    for bad in [
        vec!["attest", "sign", p(&package), "--key", "/nonexistent/key"],
        vec!["attest", "verify", p(&package), "--attestation", p(&att), "--trusted-key", "abcd"],
        vec!["attest", "verify", p(&package), "--attestation", p(&att)],
        vec!["attest", "verify", p(&package), "--attestation", p(&att), "--trusted-key", &public, "--threshold", "0"],
        vec!["attest", "verify", p(&package), "--attestation", "/nonexistent/att.json", "--trusted-key", &public],
    ] {
        assert_eq!(cli(&bad).status.code(), Some(2), "{bad:?}");
    }
}
