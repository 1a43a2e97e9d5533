//! Every error path of the tool API returns its code and the original's message, and
//! writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use nexus_attest::events::{Event, Value};
use nexus_attest::store::{ImportBatch, Store};
use nexus_attest::verify::json;
use nexus_attest::{MemoryStore, NexusAttest, ToolResult};

fn call(t: &NexusAttest<MemoryStore>, tool: &str, args: &str) -> ToolResult {
    t.call(tool, &json::parse(args).unwrap())
}

fn expect_err(r: &ToolResult, code: &str, message: &str) {
    assert_eq!(r.code(), Some(code), "{}", r.to_json());
    assert_eq!(r.to_value().get("error").and_then(Value::as_str), Some(message), "{}", r.to_json());
    let v = r.to_value();
    let keys: Vec<&str> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["success", "error"]);
}

fn request(t: &NexusAttest<MemoryStore>, extra: &str) -> String {
    let r = call(t, "request", &format!(r#"{{"goal": "g", "actor": {{"type": "human", "id": "alice"}}{extra}}}"#));
    assert!(r.is_success(), "{}", r.to_json());
    r.data().unwrap().get("request_id").unwrap().as_str().unwrap().to_owned()
}

fn approve(t: &NexusAttest<MemoryStore>, id: &str, who: &str) -> ToolResult {
    call(t, "approve", &format!(r#"{{"request_id": "{id}", "actor": {{"type": "human", "id": "{who}"}}}}"#))
}

fn event_count(t: &NexusAttest<MemoryStore>, id: &str) -> usize {
    t.engine().store().events(id).unwrap().len()
}

#[test]
fn template_errors() {
    let t = NexusAttest::in_memory();
    let missing = call(
        &t,
        "request",
        r#"{"goal": "g", "actor": {"type": "human", "id": "a"}, "template_name": "no-such-template"}"#,
    );
    expect_err(&missing, "TEMPLATE_NOT_FOUND", "TEMPLATE_NOT_FOUND: Template 'no-such-template' does not exist");
    expect_err(
        &call(&t, "template_get", r#"{"name": "nope"}"#),
        "TEMPLATE_NOT_FOUND",
        "TEMPLATE_NOT_FOUND: Template 'nope' does not exist",
    );
    let ok = call(&t, "template_create", r#"{"name": "prod", "actor": {"type": "human", "id": "a"}}"#);
    assert!(ok.is_success());
    let dup =
        call(&t, "template_create", r#"{"name": "prod", "actor": {"type": "human", "id": "a"}, "min_approvals": 0}"#);
    expect_err(&dup, "TEMPLATE_ALREADY_EXISTS", "TEMPLATE_ALREADY_EXISTS: Template already exists: prod");
    expect_err(
        &call(&t, "template_create", r#"{"name": "", "actor": {"type": "human", "id": "a"}}"#),
        "INVALID_TEMPLATE",
        "INVALID_TEMPLATE: Template name cannot be empty",
    );
    expect_err(
        &call(
            &t,
            "template_create",
            r#"{"name": "x", "actor": {"type": "human", "id": "a"}, "allowed_modes": ["dry_run", "wat"]}"#,
        ),
        "INVALID_TEMPLATE",
        "INVALID_TEMPLATE: Invalid mode: wat",
    );
    expect_err(
        &call(&t, "template_create", r#"{"name": "x", "actor": {"type": "human", "id": "a"}, "max_steps": 0}"#),
        "INVALID_TEMPLATE",
        "INVALID_TEMPLATE: max_steps must be at least 1 if specified",
    );
    let pattern = call(&t, "template_create", r#"{"name": "has space", "actor": {"type": "human", "id": "a"}}"#);
    assert_eq!(pattern.code(), Some("INVALID_TEMPLATE"));
    let list = call(&t, "template_list", "{}");
    assert_eq!(list.data().unwrap().get("count"), Some(&Value::int(1)));
}

#[test]
fn request_errors_write_nothing() {
    let t = NexusAttest::in_memory();
    expect_err(
        &call(
            &t,
            "request",
            r#"{"goal": "g", "actor": {"type": "human", "id": "a"}, "mode": "apply", "allowed_modes": ["dry_run"]}"#,
        ),
        "MODE_NOT_ALLOWED",
        "Requested mode 'apply' not in allowed_modes: ['dry_run']",
    );
    expect_err(
        &call(&t, "request", r#"{"goal": "g", "actor": {"type": "human", "id": "a"}, "min_approvals": 0}"#),
        "INVALID_POLICY",
        "min_approvals must be at least 1",
    );
    expect_err(
        &call(
            &t,
            "request",
            r#"{"goal": "g", "actor": {"type": "human", "id": "a"}, "allowed_modes": ["dry_run", "wat"]}"#,
        ),
        "INVALID_POLICY",
        "Invalid mode: wat",
    );
    let empty_goal = call(&t, "request", r#"{"goal": "", "actor": {"type": "human", "id": "a"}}"#);
    assert_eq!(empty_goal.code(), Some("INVALID_ARGUMENT"));
    let robot = call(&t, "request", r#"{"goal": "g", "actor": {"type": "robot", "id": "a"}}"#);
    assert_eq!(robot.code(), Some("INVALID_ARGUMENT"));
    let no_id = call(&t, "request", r#"{"goal": "g", "actor": {"type": "human", "id": ""}}"#);
    assert_eq!(no_id.code(), Some("INVALID_ARGUMENT"));
    let typo = call(&t, "request", r#"{"goal": "g", "actor": {"type": "human", "id": "a"}, "min_aprovals": 2}"#);
    assert_eq!(typo.code(), Some("INVALID_ARGUMENT"));
    let wrong_type =
        call(&t, "request", r#"{"goal": "g", "actor": {"type": "human", "id": "a"}, "min_approvals": "2"}"#);
    assert_eq!(wrong_type.code(), Some("INVALID_ARGUMENT"));
    assert_eq!(call(&t, "frobnicate", "{}").code(), Some("INVALID_ARGUMENT"));
    assert_eq!(t.engine().store().count().unwrap(), 0, "a refused request writes nothing");
}

#[test]
fn approval_errors() {
    let t = NexusAttest::in_memory();
    expect_err(&approve(&t, "missing-id", "bob"), "DECISION_NOT_FOUND", "Decision not found: missing-id");
    let id = request(&t, r#", "min_approvals": 2"#);
    assert!(approve(&t, &id, "bob").is_success());
    let n = event_count(&t, &id);
    expect_err(&approve(&t, &id, "bob"), "ALREADY_APPROVED", "Actor bob has already approved this request");
    let revoke = |who: &str| {
        call(
            &t,
            "revoke_approval",
            &format!(r#"{{"request_id": "{id}", "actor": {{"type": "human", "id": "{who}"}}}}"#),
        )
    };
    expect_err(&revoke("dave"), "NOT_APPROVED", "Actor dave has not approved this request");
    assert!(revoke("bob").is_success());
    expect_err(&revoke("bob"), "ALREADY_REVOKED", "Actor bob's approval is already revoked");
    // a system actor cannot revoke the human bob's approval (approvals are keyed by id)
    assert!(approve(&t, &id, "bob").is_success());
    let system = call(
        &t,
        "revoke_approval",
        &format!(r#"{{"request_id": "{id}", "actor": {{"type": "system", "id": "bob"}}}}"#),
    );
    assert_eq!(system.code(), Some("NOT_APPROVED"));
    assert_eq!(event_count(&t, &id), n + 2);
    let naive = call(
        &t,
        "approve",
        &format!(r#"{{"request_id": "{id}", "actor": {{"type": "human", "id": "eve"}}, "expires_at": "2099-01-01"}}"#),
    );
    assert_eq!(naive.code(), Some("INVALID_ARGUMENT"));
    let garbage = call(
        &t,
        "approve",
        &format!(r#"{{"request_id": "{id}", "actor": {{"type": "human", "id": "eve"}}, "expires_at": "soon"}}"#),
    );
    assert_eq!(garbage.code(), Some("INVALID_ARGUMENT"));
    assert_eq!(event_count(&t, &id), n + 2, "refused approvals write nothing");
}

#[test]
fn self_approval_is_refused_only_when_the_policy_says_so() {
    let t = NexusAttest::in_memory();
    let open = request(&t, "");
    assert!(approve(&t, &open, "alice").is_success(), "the default stays permissive");
    let strict = request(&t, r#", "forbid_self_approval": true"#);
    let r = approve(&t, &strict, "alice");
    assert_eq!(r.code(), Some("SELF_APPROVAL"));
    assert!(r.to_json().contains("SELF_APPROVAL: "));
    assert!(approve(&t, &strict, "bob").is_success());
    let policy = t.engine().store().events(&strict).unwrap()[1].payload.clone();
    assert_eq!(policy.get("forbid_self_approval"), Some(&Value::Bool(true)));
    let open_policy = t.engine().store().events(&open).unwrap()[1].payload.clone();
    assert_eq!(open_policy.get("forbid_self_approval"), None, "absent unless set, so digests stay equal");
}

#[test]
fn state_and_replay_errors() {
    let t = NexusAttest::in_memory();
    // A draft decision (created, no policy) cannot be approved.
    let id = request(&t, "");
    let mut events: Vec<Event> = t.engine().store().events(&id).unwrap();
    events.truncate(1);
    t.engine()
        .store()
        .import(ImportBatch { decision_id: "draft".into(), created_at: events[0].ts.clone(), events, overwrite: false })
        .unwrap();
    expect_err(&approve(&t, "draft", "bob"), "INVALID_STATE", "Cannot approve decision in state: draft");

    // An imported log whose policy is invalid fails every replay with the policy message.
    let mut events = t.engine().store().events(&id).unwrap();
    if let Value::Object(p) = &mut events[1].payload {
        p.insert("min_approvals", Value::int(0));
    }
    t.engine()
        .store()
        .import(ImportBatch { decision_id: "bad".into(), created_at: events[0].ts.clone(), events, overwrite: false })
        .unwrap();
    expect_err(&approve(&t, "bad", "bob"), "REPLAY_FAILED", "min_approvals must be at least 1");
    expect_err(&call(&t, "status", r#"{"request_id": "bad"}"#), "REPLAY_FAILED", "min_approvals must be at least 1");
    expect_err(&call(&t, "inspect", r#"{"decision_id": "bad"}"#), "REPLAY_FAILED", "min_approvals must be at least 1");

    // ...but it does not break the listing of the others.
    let list = call(&t, "list_requests", "{}");
    let requests = list.data().unwrap().get("requests").unwrap().as_array().unwrap();
    assert_eq!(requests.len(), 3);
    let bad = requests.iter().find(|r| r.get("request_id") == Some(&Value::str("bad"))).unwrap();
    assert_eq!(bad.get("state"), Some(&Value::str("invalid")));
    assert_eq!(call(&t, "list_requests", r#"{"limit": 0}"#).code(), Some("INVALID_ARGUMENT"));
    assert_eq!(call(&t, "list_requests", r#"{"limit": 1001}"#).code(), Some("INVALID_ARGUMENT"));
    assert_eq!(call(&t, "list_requests", r#"{"offset": -1}"#).code(), Some("INVALID_ARGUMENT"));
    assert_eq!(call(&t, "lifecycle", r#"{"decision_id": "missing"}"#).code(), Some("DECISION_NOT_FOUND"));
    assert_eq!(
        call(&t, "lifecycle", &format!(r#"{{"decision_id": "{id}", "timeline_limit": 0}}"#)).code(),
        Some("INVALID_ARGUMENT")
    );
}
