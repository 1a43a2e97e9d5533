//! Verification with trust (feature `signatures`): attestations over the golden
//! packages, every re-sealed tampered package refused by `attestation_trust`, untrusted
//! keys and thresholds, and the `attest-verify package --attestation --trusted-key`
//! command. Without the feature, the options are a usage error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use std::path::PathBuf;
use std::process::{Command, Output};

use attest_verify::json::{self, Value};

fn vectors() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!("skipping: {} not found", dir.display());
        None
    }
}

fn load(name: &str) -> Option<Value> {
    let path = vectors()?.join(name);
    Some(json::parse(&std::fs::read_to_string(path).unwrap()).unwrap())
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attest-verify")).args(args).output().unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attest-verify-trust-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_json(path: &std::path::Path, v: &Value) {
    std::fs::write(path, attest_verify::canonical::to_display_string(v, Some(2))).unwrap();
}

#[cfg(not(feature = "signatures"))]
#[test]
fn without_the_feature_the_options_are_a_usage_error() {
    let Some(packages) = load("audit_packages.json") else { return };
    let dir = temp_dir("nofeature");
    let package = case_package(&packages, "reference_mode_default");
    let file = dir.join("package.json");
    write_json(&file, &package);
    let key = "a4945b44a174a07448b436fac9fcda1346a13dd0736dfc539bd25d5b0798c987";
    let out = run(&["package", file.to_str().unwrap(), "--trusted-key", key]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`signatures` feature"));
    let out = run(&["package", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
}

fn case_package(packages: &Value, name: &str) -> Value {
    packages
        .get("cases")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no case {name}"))
        .get("expected")
        .unwrap()
        .get("package")
        .unwrap()
        .clone()
}

#[cfg(feature = "signatures")]
mod with_signatures {
    use super::*;

    use attest_verify::attestation::{
        attestation_id, hex_encode, signed_bytes, verify_package_with_trust, AttestationDoc, CHECK_ATTESTATION_TRUST,
    };
    use attest_verify::json::Map;
    use attest_verify::verify::VerifyOptions;
    use ed25519_dalek::Signer;

    const NOW: i64 = 1_790_000_000_000_000;

    fn opts() -> VerifyOptions {
        VerifyOptions { now_micros: Some(NOW), expect_binding: None }
    }

    struct Key {
        seed: [u8; 32],
        public: [u8; 32],
        public_hex: String,
    }

    fn key(attestations: &Value, name: &str) -> Key {
        let k = attestations.get("keys").unwrap().get(name).unwrap();
        let seed_hex = k.get("seed_hex").unwrap().as_str().unwrap();
        let seed: [u8; 32] = attest_verify::attestation::hex_decode(seed_hex).unwrap().try_into().unwrap();
        let public_hex = k.get("public_key_hex").unwrap().as_str().unwrap().to_owned();
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes();
        assert_eq!(hex_encode(&public), public_hex);
        Key { seed, public, public_hex }
    }

    /// An attestation document as attest-witness writes it, signed by hand.
    fn attest(key: &Key, binding_digest: &str, claims: &[&str]) -> Value {
        let claims: Vec<String> = claims.iter().map(|c| (*c).to_owned()).collect();
        let key_id = &key.public_hex[..16];
        let signed_at = "2026-11-24T12:00:00+00:00";
        let message = signed_bytes(binding_digest, &claims, "auditor@example.com", key_id, signed_at);
        let signature = ed25519_dalek::SigningKey::from_bytes(&key.seed).sign(&message).to_bytes();
        let mut sorted = claims.clone();
        sorted.sort();
        let mut attestor = Map::new();
        attestor.insert("id", Value::str("auditor@example.com"));
        attestor.insert("key_id", Value::str(key_id));
        let mut payload = Map::new();
        payload.insert("attestation_version", Value::str("0.7"));
        payload.insert("binding_digest", Value::str(binding_digest));
        payload.insert("claims", Value::Array(sorted.into_iter().map(Value::String).collect()));
        payload.insert("attestor", Value::Object(attestor));
        payload.insert("signed_at", Value::str(signed_at));
        let mut meta = Map::new();
        meta.insert("public_key_hex", Value::str(key.public_hex.as_str()));
        let mut m = Map::new();
        m.insert("attestation_id", Value::String(attestation_id(&signature)));
        m.insert("payload", Value::Object(payload));
        m.insert("signature", Value::String(hex_encode(&signature)));
        m.insert("meta", Value::Object(meta));
        Value::Object(m)
    }

    fn binding(package: &Value) -> String {
        package.get("integrity").unwrap().get("binding_digest").unwrap().as_str().unwrap().to_owned()
    }

    fn failed(t: &attest_verify::attestation::TrustedVerification) -> Vec<&'static str> {
        t.verification.all_checks().filter(|c| !c.ok).map(|c| c.name).collect()
    }

    #[test]
    fn attestation_vectors_read_and_verify_as_attest_witness_says() {
        let Some(doc) = load("attestations.json") else { return };
        let primary = key(&doc, "primary");
        let other = key(&doc, "other");
        let mut checked = 0;
        for case in doc.get("cases").unwrap().as_array().unwrap() {
            let name = case.get("name").unwrap().as_str().unwrap();
            let expected = case.get("expected").unwrap();
            if let Some(created) = expected.get("attestation") {
                // Creation cases: the signed payload is rebuilt byte for byte.
                let a = AttestationDoc::parse(created).unwrap();
                assert_eq!(
                    a.signed_bytes(),
                    expected.get("signed_payload").unwrap().as_str().unwrap().as_bytes(),
                    "{name}"
                );
                let k = if case.get("inputs").unwrap().get("key").unwrap().as_str() == Some("other") {
                    &other
                } else {
                    &primary
                };
                assert!(a.verifies_under(&k.public), "{name}");
                assert!(a.id_is_derived(), "{name}");
                checked += 1;
            } else {
                let inputs = case.get("inputs").unwrap();
                let document = inputs.get("attestation").unwrap();
                let parsed = AttestationDoc::parse(document);
                assert_eq!(parsed.is_ok(), expected.get("parse_ok") == Some(&Value::Bool(true)), "{name}");
                let Ok(a) = parsed else { continue };
                let k = if inputs.get("public_key").unwrap().as_str() == Some("other") { &other } else { &primary };
                // The original's check 1 (signature_valid) agrees with strict verification
                // on every vector (no weak key or malleable signature among them).
                let failed: Vec<&str> = expected
                    .get("failed_checks")
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect();
                assert_eq!(a.verifies_under(&k.public), !failed.contains(&"signature_valid"), "{name}");
                checked += 1;
            }
        }
        assert!(checked >= 27, "{checked}");
    }

    #[test]
    fn every_resealed_package_fails_attestation_trust() {
        let (Some(packages), Some(tampered), Some(att)) =
            (load("audit_packages.json"), load("audit_tampered.json"), load("attestations.json"))
        else {
            return;
        };
        let primary = key(&att, "primary");
        let mut resealed = 0;
        for base in ["reference_mode_default", "embedded_router_export"] {
            let package = case_package(&packages, base);
            let attestation = attest(&primary, &binding(&package), &["controls-reviewed"]);

            // The untampered package passes with the attestation.
            let t =
                verify_package_with_trust(&package, &opts(), std::slice::from_ref(&attestation), &[primary.public], 1)
                    .unwrap();
            assert!(t.ok(), "{base}: {:?}", failed(&t));
            let trust = t.verification.deep.get(CHECK_ATTESTATION_TRUST).unwrap();
            assert_eq!(trust.detail.as_deref().map(|d| d.starts_with("1 of 1 required")), Some(true), "{trust:?}");
            assert!(t.attestations[0].ok && t.attestations[0].trusted && t.attestations[0].binding_matches);
            assert!(!t
                .verification
                .advisories
                .iter()
                .any(|c| c.detail.as_deref().is_some_and(|d| d.contains("unsigned"))));

            for case in tampered.get("cases").unwrap().as_array().unwrap() {
                if case.get("base_case").and_then(Value::as_str) != Some(base) {
                    continue;
                }
                let ops: Vec<&str> = case
                    .get("mutation")
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.get("op").unwrap().as_str().unwrap())
                    .collect();
                if !ops.contains(&"recompute") {
                    continue;
                }
                let name = case.get("name").unwrap().as_str().unwrap();
                let forged = case.get("package").unwrap();
                let t = verify_package_with_trust(
                    forged,
                    &opts(),
                    std::slice::from_ref(&attestation),
                    &[primary.public],
                    1,
                )
                .unwrap();
                assert!(!t.ok(), "{name}");
                let trust = t.verification.deep.get(CHECK_ATTESTATION_TRUST).unwrap();
                assert!(!trust.ok, "{name}");
                let detail = trust.detail.as_deref().unwrap();
                assert!(detail.contains("re-sealed"), "{name}: {detail}");
                assert!(detail.starts_with("no trusted attestation covers binding digest sha256:"), "{name}: {detail}");
                let v = &t.attestations[0];
                assert!(v.trusted && v.signature_valid && !v.binding_matches && !v.ok, "{name}: {v:?}");
                resealed += 1;
            }
        }
        assert_eq!(resealed, 8, "the vectors hold eight re-sealed packages");
    }

    #[test]
    fn untrusted_keys_and_thresholds() {
        let (Some(packages), Some(att)) = (load("audit_packages.json"), load("attestations.json")) else { return };
        let primary = key(&att, "primary");
        let other = key(&att, "other");
        let package = case_package(&packages, "reference_mode_default");
        let digest = binding(&package);
        let by_primary = attest(&primary, &digest, &["controls-reviewed"]);
        let by_other = attest(&other, &digest, &["controls-reviewed"]);

        // An attestation by an untrusted key does not count, though its signature is valid.
        let t = verify_package_with_trust(&package, &opts(), std::slice::from_ref(&by_other), &[primary.public], 1)
            .unwrap();
        assert!(!t.ok());
        assert_eq!(failed(&t), [CHECK_ATTESTATION_TRUST]);
        let v = &t.attestations[0];
        assert!(!v.trusted && v.signature_valid && v.binding_matches && !v.ok, "{v:?}");
        assert_eq!(v.key.as_deref(), Some(other.public_hex.as_str()));

        // Threshold 2 with one trusted key's attestation (given twice) fails.
        let both = [primary.public, other.public];
        let t =
            verify_package_with_trust(&package, &opts(), &[by_primary.clone(), by_primary.clone()], &both, 2).unwrap();
        assert!(!t.ok());
        let trust = t.verification.deep.get(CHECK_ATTESTATION_TRUST).unwrap();
        assert_eq!(trust.detail.as_deref().map(|d| d.starts_with("1 of 2 required")), Some(true), "{trust:?}");

        // Two distinct trusted keys meet threshold 2.
        let t = verify_package_with_trust(&package, &opts(), &[by_primary.clone(), by_other], &both, 2).unwrap();
        assert!(t.ok(), "{:?}", failed(&t));
        let trust = t.verification.deep.get(CHECK_ATTESTATION_TRUST).unwrap();
        assert_eq!(trust.detail.as_deref().map(|d| d.starts_with("2 of 2 required")), Some(true), "{trust:?}");

        // A tampered signature, a garbage document, no attestation at all.
        let mut broken = by_primary.clone();
        if let Value::Object(m) = &mut broken {
            m.insert("signature", Value::str("00".repeat(64)));
        }
        let t = verify_package_with_trust(&package, &opts(), &[broken, Value::Null], &[primary.public], 1).unwrap();
        assert!(!t.ok());
        assert!(t.attestations.iter().all(|v| !v.ok && !v.signature_valid));
        let t = verify_package_with_trust(&package, &opts(), &[], &[primary.public], 1).unwrap();
        assert!(!t.ok());
    }

    #[test]
    fn the_command_verifies_with_trust() {
        let (Some(packages), Some(tampered), Some(att)) =
            (load("audit_packages.json"), load("audit_tampered.json"), load("attestations.json"))
        else {
            return;
        };
        let primary = key(&att, "primary");
        let other = key(&att, "other");
        let dir = temp_dir("cli");
        let package = case_package(&packages, "reference_mode_default");
        let package_file = dir.join("package.json");
        write_json(&package_file, &package);
        let att_file = dir.join("att.json");
        write_json(&att_file, &attest(&primary, &binding(&package), &["controls-reviewed"]));
        let key_file = dir.join("primary.pub");
        std::fs::write(&key_file, format!("{}\n", primary.public_hex)).unwrap();
        let key_json = dir.join("primary.json");
        std::fs::write(&key_json, format!("{{\"public_key\": \"{}\"}}", primary.public_hex)).unwrap();
        let resealed = tampered
            .get("cases")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some("reference_mode_default/reseal_goal"))
            .unwrap()
            .get("package")
            .unwrap()
            .clone();
        let resealed_file = dir.join("resealed.json");
        write_json(&resealed_file, &resealed);
        let (p, a) = (package_file.to_str().unwrap(), att_file.to_str().unwrap());
        let now = ["--now", "2026-11-30T00:00:00+00:00"];

        for key_arg in [primary.public_hex.as_str(), key_file.to_str().unwrap(), key_json.to_str().unwrap()] {
            let mut args = vec!["package", p, "--json", "--attestation", a, "--trusted-key", key_arg];
            args.extend(now);
            let out = run(&args);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
            let report = json::parse(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
            let verdicts = report.get("attestations").unwrap().as_array().unwrap();
            assert_eq!(verdicts.len(), 1);
            for k in ["attestation_id", "key", "trusted", "signature_valid", "binding_matches", "ok", "detail"] {
                assert!(verdicts[0].get(k).is_some(), "{k}");
            }
            assert_eq!(verdicts[0].get("ok"), Some(&Value::Bool(true)));
        }

        // The re-sealed package fails, with a reason that says so.
        let mut args = vec!["package", resealed_file.to_str().unwrap(), "--attestation", a, "--trusted-key"];
        args.push(&primary.public_hex);
        args.extend(now);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("FAIL  attestation_trust: no trusted attestation covers binding digest"), "{stdout}");
        assert!(stdout.contains("re-sealed"), "{stdout}");

        // Untrusted signer; threshold 2 with one key.
        let mut args = vec!["package", p, "--attestation", a, "--trusted-key", &other.public_hex];
        args.extend(now);
        assert_eq!(run(&args).status.code(), Some(1));
        let mut args = vec!["package", p, "--attestation", a, "--trusted-key", &primary.public_hex, "--threshold", "2"];
        args.extend(now);
        assert_eq!(run(&args).status.code(), Some(1));

        // Usage errors: bad key, bad threshold, unreadable attestation, bundle, no key.
        for bad in [
            vec!["package", p, "--attestation", a, "--trusted-key", "abcd"],
            vec!["package", p, "--attestation", a, "--trusted-key", &primary.public_hex, "--threshold", "0"],
            vec!["package", p, "--attestation", "/nonexistent/att.json", "--trusted-key", &primary.public_hex],
            vec!["package", p, "--attestation", a],
            vec!["bundle", p, "--trusted-key", &primary.public_hex],
        ] {
            let out = run(&bad);
            assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        // A weak key is refused.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = hex_encode(&identity);
        assert_eq!(run(&["package", p, "--attestation", a, "--trusted-key", &weak]).status.code(), Some(2));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
