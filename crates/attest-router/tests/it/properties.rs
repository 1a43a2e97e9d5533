//! Property tests: digests do not depend on key order; readers never panic.

use std::hash::{Hash, Hasher};

use attest_router::{
    attest_digest, redact_text, response_digest, router_digest, CompiledRequest, Map, RunArgs, RunBundle, RunRequest,
    Value,
};
use attest_verify::canonical::to_display_string;
use attest_verify::json::Number;
use proptest::prelude::*;

/// Reorder every object's keys by a seeded hash (a pseudo-random permutation).
fn permute(v: &Value, seed: u64) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.iter().map(|(k, v)| (k.to_owned(), permute(v, seed))).collect();
            entries.sort_by_key(|(k, _)| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (seed, k).hash(&mut h);
                h.finish()
            });
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| permute(x, seed)).collect()),
        other => other.clone(),
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::int),
        (-1e12f64..1e12).prop_map(|f| Value::Number(Number::from_f64(f))),
        ".{0,12}".prop_map(Value::str),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[a-zé😀_]{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map>())),
        ]
    })
}

prop_compose! {
    fn compiled()(
        goal in ".{0,20}",
        adapter in "[a-z:_-]{1,20}",
        dry_run in any::<bool>(),
        plan in proptest::option::of(".{0,30}"),
        max_steps in proptest::option::of(any::<u64>()),
        caps in proptest::option::of(prop::collection::vec("[a-z_]{1,8}", 0..4)),
    ) -> CompiledRequest {
        CompiledRequest::compile(&RunArgs {
            goal: &goal,
            adapter_id: &adapter,
            dry_run,
            plan: plan.as_deref(),
            max_steps,
            require_capabilities: caps.as_deref(),
        })
    }
}

proptest! {
    #[test]
    fn request_digest_is_stable_under_key_order(c in compiled(), seed in any::<u64>()) {
        let v = c.to_value();
        let shuffled = permute(&v, seed);
        prop_assert_eq!(attest_digest(&shuffled).unwrap(), c.digest());
        // Also after a trip through JSON text written in the shuffled order.
        let reparsed = attest_verify::json::parse(&to_display_string(&shuffled, None)).unwrap();
        prop_assert_eq!(attest_digest(&reparsed).unwrap(), c.digest());
    }

    #[test]
    fn both_dialects_ignore_key_order_at_every_depth(v in json_value(), seed in any::<u64>()) {
        let p = permute(&v, seed);
        prop_assert_eq!(router_digest(&p), router_digest(&v));
        prop_assert_eq!(attest_digest(&p).unwrap(), attest_digest(&v).unwrap());
        if let (Value::Object(a), Value::Object(b)) = (&v, &p) {
            prop_assert_eq!(response_digest(a).unwrap(), response_digest(b).unwrap());
        }
    }

    #[test]
    fn run_request_translation_is_stable_under_key_order(c in compiled(), seed in any::<u64>()) {
        if let Ok(r) = c.to_run_request() {
            let again = RunRequest::from_value(permute(r.as_value(), seed)).unwrap();
            prop_assert_eq!(router_digest(again.as_value()), router_digest(r.as_value()));
        }
    }

    #[test]
    fn readers_never_panic(v in json_value(), text in ".{0,200}") {
        let _ = RunBundle::from_value(v.clone()).map(|b| (b.verify_digest(), b.replay(), b.derive_response(), b.to_stored_run()));
        let _ = RunRequest::from_value(v);
        let _ = RunBundle::parse(&text);
        let _ = redact_text(&text);
    }
}
