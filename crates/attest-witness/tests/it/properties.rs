//! Properties: sign → verify round-trips, any single-byte change of the signed payload
//! or the signature is refused, and no document parser panics on arbitrary JSON.

use attest_verify::json::{Map, Number, Value};
use attest_witness::{
    create_attestation, signed_bytes, verify_attestation, verify_attestation_reference, Attestation, Attestor,
    SigningKey, CHECK_SIGNATURE_VALID,
};
use proptest::prelude::*;

fn attestor() -> impl Strategy<Value = Attestor> {
    (any::<String>(), any::<String>(), proptest::option::of(any::<String>())).prop_map(|(id, key_id, role)| Attestor {
        id,
        key_id,
        role,
    })
}

fn digest() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9a-f]{64}".prop_map(|h| format!("sha256:{h}")), any::<String>(),]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_then_verify_round_trips(
        seed in any::<[u8; 32]>(),
        binding in digest(),
        claims in proptest::collection::vec(any::<String>(), 0..5),
        who in attestor(),
        signed_at in any::<String>(),
    ) {
        let key = SigningKey::from_seed(&seed);
        let created = create_attestation(&binding, &claims, &who, &key, &signed_at);
        let read = Attestation::from_value_strict(&created.to_value()).expect("own documents parse strictly");
        prop_assert_eq!(&read.to_value(), &created.to_value());
        let reference = verify_attestation_reference(&read, &key.verifying_key());
        prop_assert!(reference.get(CHECK_SIGNATURE_VALID).is_some_and(|c| c.ok));
        let strict = verify_attestation(&read, &key.verifying_key());
        prop_assert!(strict.deep.failed_names().iter().all(|n| *n == "binding_digest_hex"));
        prop_assert_eq!(strict.reference.ok() && strict.deep.ok(), strict.ok());
    }

    #[test]
    fn any_single_byte_change_of_payload_or_signature_fails(
        seed in any::<[u8; 32]>(),
        binding in digest(),
        claims in proptest::collection::vec("[a-z -]{0,12}", 1..4),
        signed_at in "[0-9:T+-]{0,25}",
        index in any::<proptest::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let key = SigningKey::from_seed(&seed);
        let public = key.verifying_key();
        let message = signed_bytes(&binding, &claims, "id", "kid", &signed_at);
        let signature = key.sign(&message);
        prop_assert!(public.verify_reference(&message, &signature));
        prop_assert!(public.verify_strict(&message, &signature));

        let mut changed = message.clone();
        let i = index.index(changed.len());
        changed[i] = changed[i].wrapping_add(delta);
        prop_assert!(!public.verify_reference(&changed, &signature));
        prop_assert!(!public.verify_strict(&changed, &signature));

        let mut forged = signature;
        let j = index.index(forged.len());
        forged[j] = forged[j].wrapping_add(delta);
        prop_assert!(!public.verify_reference(&message, &forged));
        prop_assert!(!public.verify_strict(&message, &forged));
    }

    #[test]
    fn a_changed_signature_character_fails_check_one(
        seed in any::<[u8; 32]>(),
        index in any::<proptest::sample::Index>(),
        replacement in proptest::char::range('0', 'z'),
    ) {
        let key = SigningKey::from_seed(&seed);
        let who = Attestor { id: "a".into(), key_id: "k".into(), role: None };
        let mut doc = create_attestation(
            "sha256:06ac603df9c1d076b14911681f7f5968a16480e866e19f07f4f7a01612902493",
            &["c".into()],
            &who,
            &key,
            "2025-01-15T12:00:00+00:00",
        );
        let mut chars: Vec<char> = doc.signature.chars().collect();
        let i = index.index(chars.len());
        prop_assume!(!chars[i].eq_ignore_ascii_case(&replacement));
        chars[i] = replacement;
        doc.signature = chars.into_iter().collect();
        let checks = verify_attestation_reference(&doc, &key.verifying_key());
        prop_assert!(!checks.get(CHECK_SIGNATURE_VALID).is_some_and(|c| c.ok));
        prop_assert!(!verify_attestation(&doc, &key.verifying_key()).ok());
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_json(v in json_value()) {
        attest_witness::__fuzz::value(&v);
    }

    #[test]
    fn parsers_never_panic_on_mutated_documents(
        template in proptest::sample::select(TEMPLATES),
        edits in proptest::collection::vec((proptest::sample::select(KEYS), json_value()), 0..4),
        drop in proptest::sample::select(KEYS),
    ) {
        let mut v = attest_verify::json::parse(template).expect("template is JSON");
        if let Value::Object(m) = &mut v {
            for (k, val) in edits {
                if let Some(Value::Object(inner)) = m.get_mut("payload") {
                    if inner.contains_key(k) {
                        inner.insert(k, val);
                        continue;
                    }
                }
                m.insert(k, val);
            }
            m.remove(drop);
        }
        attest_witness::__fuzz::value(&v);
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        attest_witness::__fuzz::documents(&bytes);
    }
}

/// Valid documents of each kind, mutated by the properties.
const TEMPLATES: &[&str] = &[
    r#"{"attestation_id":"att_60e4a4aa511adf21","payload":{"attestation_version":"0.7","binding_digest":"sha256:06ac603df9c1d076b14911681f7f5968a16480e866e19f07f4f7a01612902493","claims":["controls-reviewed"],"attestor":{"id":"auditor@example.com","key_id":"key-2025-01"},"signed_at":"2025-01-15T12:00:00+00:00"},"signature":"e8bb63a994e044c6197f48a15481e86b01f38587bf3decb6391d42cb4ff5ad0f0a25fd56282fba40a6288e4215c0e5c4b320a138a693a95d788bdad2d1375406","meta":{"public_key_hex":"a4945b44a174a07448b436fac9fcda1346a13dd0736dfc539bd25d5b0798c987","role":"external-auditor"}}"#,
    r#"{"subject_type":"nexus.audit_package","binding_digest":"sha256:fad24b3bf885a7ede67e115061c427648df776ebf36d7b2a3caaac552bca7901","package_version":"0.6","run_id":"run-0001-simple","env":"prod","tenant":"acme","labels":{"team":"payments","region":"eu-west-1"}}"#,
    r#"{"intent_digest":"sha256:fd5f008a225e0bf233346761f5b996a9d2c5ce2765532b0ffdb304c2b2e35abb","backend":"xrpl","attempt":1,"status":"CONFIRMED","created_at":"2025-01-15T12:00:05Z","evidence_digests":{"memo_digest":"sha256:03fae6742f1499690f6fc90f7b50448404f34603480b8f8f96061834077d7d04"},"proof":{"tx_hash":"a1","ledger_index":7},"error":{"code":"REJECTED","detail":"x"}}"#,
];

/// Keys the parsers look for, so that generated objects get deep into them.
const KEYS: &[&str] = &[
    "attestation_id",
    "payload",
    "signature",
    "meta",
    "attestation_version",
    "binding_digest",
    "claims",
    "attestor",
    "id",
    "key_id",
    "role",
    "signed_at",
    "subject_type",
    "package_version",
    "run_id",
    "env",
    "tenant",
    "labels",
    "intent_digest",
    "backend",
    "attempt",
    "status",
    "created_at",
    "evidence_digests",
    "proof",
    "error",
    "code",
    "detail",
];

/// Strings the validators treat specially.
const STRINGS: &[&str] = &[
    "sha256:06ac603df9c1d076b14911681f7f5968a16480e866e19f07f4f7a01612902493",
    "sha256:06ac603df9c1d076b14911681f7f5968a16480e866e19f07f4f7a01612902493\n",
    "xrpl", "CONFIRMED", "FAILED", "SUBMITTED", "DEFERRED", "PENDING", "2025-01-15T12:00:00Z",
    "2025-01-15T12:00:00.5+00:00\n", "\u{662}\u{660}\u{662}\u{665}-13-45T99:99:99Z", "0.7", " 1_0 ", "",
    "e8bb63a994e044c6197f48a15481e86b01f38587bf3decb6391d42cb4ff5ad0f0a25fd56282fba40a6288e4215c0e5c4b320a138a693a95d788bdad2d1375406",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::int),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| Value::Number(Number::from_f64(f))),
        "[0-9]{19,30}"
            .prop_map(|t| Value::Number(Number::from_integer_text(&t).unwrap_or_else(|| Number::from_i64(0)))),
        proptest::sample::select(STRINGS).prop_map(Value::str),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..10)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map>())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => proptest::sample::select(KEYS).prop_map(str::to_owned), 1 => any::<String>()]
}
